"""The Content-Security-Policy header on every response.

PSA's pages load scripts, styles and images only from PSA itself and contain no inline script,
event handler or style attribute, so the policy needs no nonce and no 'unsafe-inline': an
injected <script> or onclick= does not run, and an injected <style> does not apply. Templates
keep to it (tests/browser records every violation); see docs/operations.md.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

CSP_HEADER = "Content-Security-Policy"
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)


# The API docs page (Swagger UI, django-ninja's "openapi-view") also shows the small SVG icons
# that its stylesheet carries as data: URLs. An image cannot run script and a data: URL
# reaches no other host, but PSA's own pages do not need even that.
API_DOCS_VIEW = "api:openapi-view"
API_DOCS_POLICY = CONTENT_SECURITY_POLICY.replace("img-src 'self'", "img-src 'self' data:")


class ContentSecurityPolicyMiddleware:
    """Adds the policy to every response that does not set its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)  # None for static files and 404s
        docs = match is not None and match.view_name == API_DOCS_VIEW
        response.headers.setdefault(
            CSP_HEADER, API_DOCS_POLICY if docs else CONTENT_SECURITY_POLICY
        )
        return response
