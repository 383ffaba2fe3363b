"""Core pages (health, sign-in, audit history, API tokens, jobs) and the helpers every page uses:
`page` (sign-in required; a refused permission is a 403 page, a missing record a 404 page),
`apply_domain_errors` (a service's field errors onto a Django form) and `paginate`."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Page, Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from psa.core import audit, clock, jobs, tokens
from psa.core.api import actor
from psa.core.errors import Conflict, DomainError, FieldError, NotFound, PermissionDenied
from psa.core.models import Job

PER_PAGE = 50
ERR_DAYS_TEXT = "Expiry must be a whole number of days."
View = Callable[..., HttpResponse]


# ------------------------------------------------------------------ helpers for page views


def page(view: View) -> View:
    """A signed-in page. A service's PermissionDenied becomes the 403 page, NotFound the 404
    page; other domain errors are the view's to show on its form."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from exc
        except NotFound as exc:
            raise Http404(exc.message) from exc

    return login_required(wrapped)


def attachment(data: bytes, filename: str, content_type: str) -> HttpResponse:
    """A file to download (a page's or a route's export)."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def refuse(message: str) -> DjangoPermissionDenied:
    """The 403 page for a page the actor may not open (the service refuses the change too)."""
    return DjangoPermissionDenied(message)


def error_status(exc: DomainError) -> int:
    """The status of a page re-rendered after a service refused: 409 for a state conflict,
    else 422. A refused permission or a missing record is re-raised (403 or 404 page)."""
    if isinstance(exc, PermissionDenied | NotFound):
        raise exc
    return 409 if isinstance(exc, Conflict) else 422


def add_more_errors(form: forms.BaseForm, errors: Sequence[FieldError]) -> None:
    """Add a service's checks to a form its own checks refused, so that one submit says every
    problem: each on its field, unless that field has an error already."""
    refused = set(form.errors)  # the form's own say is kept: a field it refused, it explains
    for error in errors:
        if error.field in form.fields and error.field not in refused:
            form.add_error(error.field, error.message)


def apply_domain_errors(
    form: forms.BaseForm,
    exc: DomainError,
    *,
    aliases: Mapping[str, str] | None = None,
    elsewhere: dict[str, list[str]] | None = None,
) -> int:
    """Put a service's field errors on the form's fields (by name, or via `aliases`); errors
    for keys of `elsewhere` go there (e.g. a formset's); the rest become non-field errors.
    Returns the status to re-render with (see `error_status`)."""
    status = error_status(exc)
    aliases = aliases or {}
    for error in exc.errors or []:
        field = aliases.get(error.field, error.field)
        if elsewhere is not None and field in elsewhere:
            elsewhere[field].append(error.message)
        elif field in form.fields:
            form.add_error(field, error.message)
        else:
            form.add_error(None, error.message)
    if not exc.errors:
        form.add_error(None, exc.message)
    return status


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def paginate(request: HttpRequest, items: Any, per_page: int = PER_PAGE) -> Page[Any]:
    """The page of `items` that ?page= asks for (bad numbers give the first or last page)."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def text_param(value: str, max_length: int) -> str:
    """A free-text query parameter made safe to filter on: no NUL (PostgreSQL refuses it),
    trimmed, at most `max_length` characters."""
    return value.replace("\x00", "").strip()[:max_length]


def changed_fields(form: forms.BaseForm, names: Iterable[str]) -> list[str]:
    """The fields the user changed, limited to the service's input fields."""
    allowed = set(names)
    return [name for name in form.changed_data if name in allowed]


# ------------------------------------------------------------------ pages


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
        database = "ok"
    except Exception:  # the point of a health check is to say so, not to raise
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return JsonResponse(
        {
            "status": "ok" if status == 200 else "degraded",
            "database": database,
            "vendor": connection.vendor,
            "time": clock.now().isoformat(),
        },
        status=status,
    )


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@page
def audit_page(request: HttpRequest) -> HttpResponse:
    target_type = text_param(request.GET.get("target_type", ""), 80)
    target_id = text_param(request.GET.get("target_id", ""), 64)
    action = text_param(request.GET.get("action", ""), 80)
    entries = audit.audit_list(
        actor=actor(request),
        target_type=target_type,
        target_id=target_id,
        action=action,
        limit=200,
    )
    return render(
        request,
        "core/audit.html",
        {
            "entries": entries,
            "target_type": target_type,
            "target_id": target_id,
            "action": action,
        },
    )


@page
def tokens_page(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    new_secret = ""
    status = 200
    if request.method == "POST":
        try:
            if "revoke" in request.POST:
                token_id = forms.IntegerField(min_value=1, max_value=2**62).clean(
                    request.POST["revoke"]
                )
                tokens.token_revoke(actor=me, token_id=token_id)
                messages.success(request, "Token revoked.")
                return redirect("tokens")
            given = request.POST.get("days")
            days = int(given) if given else None  # left empty: the tokens' default
            name = forms.CharField(required=False).clean(request.POST.get("name", ""))
            issued = tokens.token_create(
                actor=me,
                user=request.user,  # type: ignore[arg-type]
                name=name,
                days=days,
            )
            new_secret = issued.secret
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
        except forms.ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            status = 422
        except ValueError:
            messages.error(request, ERR_DAYS_TEXT)
            status = 422
    return render(
        request,
        "core/tokens.html",
        {
            "tokens": tokens.tokens_for(actor=me),
            "new_secret": new_secret,
            "default_days": tokens.default_token_days(),
            "max_days": tokens.MAX_TOKEN_DAYS,
        },
        status=status,
    )


@page
def job_list(request: HttpRequest) -> HttpResponse:
    return render(request, "core/jobs.html", {"jobs": jobs.jobs_for(actor=actor(request))})


@page
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """A job's progress; while it runs, htmx asks for the status part again every second."""
    job = jobs.job_get(actor=actor(request), job_id=job_id)
    template = "core/_job_status.html" if request.htmx else "core/job.html"  # type: ignore[attr-defined]
    return render(request, template, _job_context(job))


def _job_context(job: Job) -> dict[str, Any]:
    return {
        "job": job,
        "retried_as": jobs.job_retried_as(job=job),
        "result_template": jobs.RESULT_TEMPLATES.get(job.kind, ""),
    }


@page
@require_POST
def job_retry(request: HttpRequest, job_id: int) -> HttpResponse:
    """The Retry button of a failed job: on to the new job's page, or the job again with why
    not (409)."""
    me = actor(request)
    try:
        retry = jobs.job_retry(actor=me, job_id=job_id)
    except Conflict as exc:
        messages.error(request, exc.message)
        job = jobs.job_get(actor=me, job_id=job_id)
        return render(request, "core/job.html", _job_context(job), status=409)
    messages.success(request, "Queued again.")
    return redirect("job_detail", job_id=retry.pk)
