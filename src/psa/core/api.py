"""API plumbing shared by every router: authentication, the actor, problem+json, pagination,
and the token and audit endpoints."""

import datetime as dt
import functools
import logging
from collections.abc import Callable
from typing import Annotated, Any, cast

from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import URLPattern, URLResolver
from django.views.decorators.csrf import csrf_exempt
from ninja import Field, NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import PaginationBase
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from psa.core import audit, tokens
from psa.core.errors import DomainError, FieldError, NotFound, ValidationFailed
from psa.core.roles import Actor
from psa.core.schemas import WRITE, In, Line, Search, answers, first_control_character

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


# ------------------------------------------------------------------ authentication


MAX_TOKEN_LENGTH = 200


class TokenAuth(HttpBearer):
    """`Authorization: Bearer psa_…` with a personal API token."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        if len(token) > MAX_TOKEN_LENGTH or first_control_character(token, multiline=False):
            return None  # never a token of ours, and PostgreSQL refuses NUL in a lookup
        user = tokens.token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(NinjaSessionAuth):
    """The browser session. A request without a session cookie has no session whose CSRF
    token could be missing: it is unauthenticated (401), not a forged browser request (403)."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)


def signed_in_user(request: HttpRequest) -> User:
    """The authenticated login behind this request (the API's auth has already checked)."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise AuthenticationError()
    return user


ERR_NO_ACTOR = "request.actor is not set: settings.MIDDLEWARE lacks the actor middleware"


def actor(request: HttpRequest) -> Actor:
    """The Actor for this request. The actor middleware (people installs it: the roles come
    from the user's Person) sets `request.actor`, computed once on first read; core reads it
    here so that it imports no domain."""
    signed_in_user(request)
    found = getattr(request, "actor", None)
    if found is None:
        raise ImproperlyConfigured(ERR_NO_ACTOR)
    return cast(Actor, found)


# ------------------------------------------------------------------ problem+json


def problem(
    status: int, title: str, detail: str, errors: list[FieldError] | None = None
) -> JsonResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "errors": [{"field": e.field, "message": e.message} for e in errors or []],
    }
    return JsonResponse(body, status=status, content_type=PROBLEM_JSON)


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    # ninja reports ("body", "payload", "weekly_hours") or ("query", "page"): keep the field path.
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "payload")]
    return ".".join(parts) or "body"


ERR_MULTIPART = "the body is not readable multipart/form-data: {reason}"
ERR_REQUEST = "the request cannot be read: {reason}"
ERR_UNAUTHORIZED = (
    "sign in, or send a valid, unexpired API token as 'Authorization: Bearer <token>'"
)
ERR_TOKEN = "missing, unknown, expired or revoked token"  # noqa: S105 (a message, not a secret)
ERR_UNEXPECTED = "an unexpected error happened; it has been logged"


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return problem(exc.status, exc.title, exc.message, exc.errors)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [
            FieldError(_field_of(e.get("loc", ())), e.get("msg", "invalid")) for e in exc.errors
        ]
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
        return problem(422, "Invalid input", detail, errors)

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = problem(
            401,
            "Unauthorized",
            ERR_UNAUTHORIZED,
            [FieldError("Authorization", ERR_TOKEN)],
        )
        response["WWW-Authenticate"] = 'Bearer realm="psa"'
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return problem(exc.status_code, "Error", str(exc))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem(404, "Not found", str(exc) or "not found")

    @api.exception_handler(MultiPartParserError)
    def bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
        return problem(400, "Bad request", ERR_MULTIPART.format(reason=exc))

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        # Django's own answer to these (a body past DATA_UPLOAD_MAX_MEMORY_SIZE, too many
        # fields) is 400; ninja would otherwise pass them to the catch-all as a 500.
        return problem(400, "Bad request", ERR_REQUEST.format(reason=exc))

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        log.exception("unhandled API error")
        return problem(500, "Internal error", ERR_UNEXPECTED)


ERR_UNKNOWN_PATH = "no API operation at {path}: see /api/v1/docs"
ERR_METHOD = "{method} is not allowed here; allowed: {allowed}"


@csrf_exempt
def api_not_found(request: HttpRequest) -> HttpResponse:
    """Unknown paths under /api/: problem+json like every other API error."""
    return problem(404, "Not found", ERR_UNKNOWN_PATH.format(path=request.path))


def problem_405(urls: tuple[list[Any], str, str]) -> tuple[list[Any], str, str]:
    """The API's URL patterns with ninja's plain-text 405 turned into problem+json (the Allow
    header is kept)."""
    patterns, app_name, namespace = urls

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = view(request, *args, **kwargs)
            if response.status_code == 405 and response.get("Content-Type") != PROBLEM_JSON:
                allowed = response.get("Allow", "")
                answer = problem(
                    405,
                    "Method not allowed",
                    ERR_METHOD.format(method=request.method, allowed=allowed),
                )
                answer["Allow"] = allowed
                return answer
            return response

        return wrapped

    def rewrap(pattern: Any) -> Any:
        if isinstance(pattern, URLPattern):
            return URLPattern(
                pattern.pattern, wrap(pattern.callback), pattern.default_args, pattern.name
            )
        if isinstance(pattern, URLResolver):
            pattern.url_patterns[:] = [rewrap(p) for p in pattern.url_patterns]
        return pattern

    return [rewrap(p) for p in patterns], app_name, namespace


class PsaAPI(NinjaAPI):
    """The NinjaAPI whose published schema says what error answers are: problem+json."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                for status, answer in operation.get("responses", {}).items():
                    content = answer.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        answer["content"] = {PROBLEM_JSON: content["application/json"]}
        return schema


# ------------------------------------------------------------------ pagination


MAX_PAGE = 1_000_000
MAX_PAGE_SIZE = 500


class Page(PaginationBase):
    class Input(Schema):
        # Bounded so that OFFSET (page - 1) * page_size stays far inside a 64-bit integer.
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)

    class Output(Schema):
        items: list[Any]
        count: int
        page: int
        page_size: int
        pages: int

    items_attribute = "items"

    def __init__(
        self, *, prepare: Callable[[list[Any]], list[Any]] | None = None, **kwargs: Any
    ) -> None:
        # prepare: loads what the page's items need in bulk (labels, counts) after slicing.
        super().__init__(**kwargs)
        self.prepare = prepare

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Any, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        return page_of(queryset, pagination.page, pagination.page_size, prepare=self.prepare)


def page_of(
    queryset: QuerySet[Any],
    page: int,
    page_size: int,
    *,
    prepare: Callable[[list[Any]], list[Any]] | None = None,
) -> dict[str, Any]:
    """One page of a list as the API returns it: items, count, page, page_size, pages."""
    count = queryset.count()
    start = (page - 1) * page_size
    # The page's ids first, then their rows: the ids come from the ordering's index alone,
    # while OFFSET over the full query would join and sort every row before the page.
    page_ids = queryset.values("pk")[start : start + page_size]
    items = list(queryset.filter(pk__in=page_ids))
    if prepare is not None:
        items = prepare(items)
    return {
        "items": items,
        "count": count,
        "page": page,
        "page_size": page_size,
        "pages": (count + page_size - 1) // page_size,
    }


# ------------------------------------------------------------------ tokens and audit

tokens_router = Router(tags=["tokens"])
audit_router = Router(tags=["audit"])


class TokenIn(In):
    name: Annotated[str, Line(100, min_length=1)]
    days: int | None = Field(None, ge=1, le=tokens.MAX_TOKEN_DAYS, description="Default 90")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="The token itself. Shown only in this response.")


@tokens_router.get("", response=answers({200: list[TokenOut]}))
def list_tokens(request: HttpRequest) -> Any:
    return tokens.tokens_for(actor=actor(request))


@tokens_router.post("", response=answers({201: NewTokenOut}, *WRITE))
def create_token(request: HttpRequest, payload: TokenIn) -> Any:
    issued = tokens.token_create(
        actor=actor(request), user=signed_in_user(request), name=payload.name, days=payload.days
    )
    out = TokenOut.from_orm(issued.token).dict()
    return 201, {**out, "token": issued.secret}


@tokens_router.delete("/{token_id}", response=answers({204: None}, *WRITE, 404))
def revoke_token(request: HttpRequest, token_id: int) -> Any:
    tokens.token_revoke(actor=actor(request), token_id=token_id)
    return 204, None


class AuditOut(Schema):
    id: int
    at: dt.datetime
    actor: str = Field(alias="actor_name")
    action: str
    target_type: str
    target_id: str
    target_label: str
    before: Any
    after: Any
    reason: str
    hash: str


ERR_LIMIT = "limit must be between 1 and 1000"


@audit_router.get("", response=answers({200: list[AuditOut]}, 403))
def list_audit(
    request: HttpRequest,
    target_type: Search = "",
    target_id: Search = "",
    action: Search = "",
    limit: int = 100,
) -> Any:
    if not 1 <= limit <= 1000:
        raise ValidationFailed(ERR_LIMIT, field="limit")
    return audit.audit_list(
        actor=actor(request),
        target_type=target_type,
        target_id=target_id,
        action=action,
        limit=limit,
    )


def not_found(what: str, ident: object, field: str) -> NotFound:
    return NotFound(f"{what} {ident} does not exist", field=field)
