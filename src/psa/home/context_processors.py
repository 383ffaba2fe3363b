from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from psa.core.api import actor
from psa.home.selectors import unread_badge


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The header's count of unread notifications (those the login may still read)."""
    user = request.user
    if not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_badge(actor=actor(request), user=user)}
