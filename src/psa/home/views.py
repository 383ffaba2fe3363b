from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from psa.core import notifications
from psa.core.api import actor, signed_in_user
from psa.core.roles import Role
from psa.core.views import page
from psa.home.selectors import dashboard_for, notifications_for


@page
def home(request: HttpRequest) -> HttpResponse:
    context = dashboard_for(actor=actor(request))
    labels = dict(Role.choices)
    context["roles"] = [labels.get(r, r) for r in context.get("roles", [])]
    return render(request, "home/home.html", context)


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1


@page
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("show") == "unread"
    listing = notifications_for(
        actor=actor(request),
        user=signed_in_user(request),
        page=_page_number(request),
        unread_only=unread_only,
    )
    return render(request, "home/notifications.html", {"listing": listing})


@page
@require_POST
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark it read and go to the page it links to (only a page of PSA's own)."""
    note = notifications.mark_read(
        user=signed_in_user(request),
        notification_id=notification_id,
    )
    if note.url and url_has_allowed_host_and_scheme(note.url, allowed_hosts=None):
        return redirect(note.url)
    return redirect("notifications")


@page
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notifications.mark_read(user=signed_in_user(request), notification_id=notification_id)
    return redirect(_back(request))


@page
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    """Mark read what the page showed (ids posted), not what arrived since it was drawn."""
    ids = [int(v) for v in request.POST.getlist("id") if v.isdigit() and len(v) < 19]
    count = notifications.mark_all_read(user=signed_in_user(request), ids=ids)
    messages.success(request, f"{count} marked read.")
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    back = request.POST.get("next", "")
    if back.startswith("/notifications/") and url_has_allowed_host_and_scheme(
        back, allowed_hosts=None
    ):
        return back
    return "/notifications/"
