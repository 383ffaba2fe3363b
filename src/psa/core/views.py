"""Core pages: health, sign-in, the home dashboard, audit history, API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from psa.core import audit, clock, tokens
from psa.core.api import actor
from psa.core.errors import DomainError
from psa.core.selectors import dashboard_for


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
        {"status": "ok" if status == 200 else "degraded", "database": database,
         "vendor": connection.vendor, "time": clock.now().isoformat()},
        status=status,
    )


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", dashboard_for(actor=actor(request)))


@login_required
def audit_page(request: HttpRequest) -> HttpResponse:
    target_type = request.GET.get("target_type", "")
    target_id = request.GET.get("target_id", "")
    entries = audit.audit_list(target_type=target_type, target_id=target_id, limit=200)
    return render(request, "core/audit.html", {
        "entries": entries, "target_type": target_type, "target_id": target_id,
    })


@login_required
def tokens_page(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    new_secret = ""
    if request.method == "POST":
        try:
            if "revoke" in request.POST:
                tokens.token_revoke(actor=me, token_id=int(request.POST["revoke"]))
                messages.success(request, "Token revoked.")
                return redirect("tokens")
            days = int(request.POST.get("days") or 90)
            issued = tokens.token_create(
                actor=me, user=request.user,  # type: ignore[arg-type]
                name=request.POST.get("name", ""), days=days,
            )
            new_secret = issued.secret
        except (DomainError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
    return render(request, "core/tokens.html", {
        "tokens": tokens.tokens_for(actor=me), "new_secret": new_secret,
    })
