from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from psa.core import audit, clock
from psa.core.api import actor


def psa(request: HttpRequest) -> dict[str, Any]:
    can_audit = request.user.is_authenticated and audit.may_read_log(actor(request))
    return {"now": clock.now(), "can_audit": can_audit}
