from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from psa.people import selectors


def me(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's Person (the page header shows their name), or None."""
    return {"me": selectors.person_for_user(user=request.user)}
