from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from psa.core import clock


def psa(request: HttpRequest) -> dict[str, Any]:
    from psa.people import selectors as people_selectors

    person = None
    if request.user.is_authenticated:
        person = people_selectors.person_for_user(user=request.user)
    return {"now": clock.now(), "me": person}
