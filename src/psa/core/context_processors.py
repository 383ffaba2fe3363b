from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from psa.core import audit, clock
from psa.core.api import actor


def psa(request: HttpRequest) -> dict[str, Any]:
    from psa.people import selectors as people_selectors

    person = None
    can_audit = False
    if request.user.is_authenticated:
        person = people_selectors.person_for_user(user=request.user)
        can_audit = audit.may_read_log(actor(request))
    return {"now": clock.now(), "me": person, "can_audit": can_audit}
