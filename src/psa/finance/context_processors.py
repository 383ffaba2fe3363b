from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from psa.core.api import actor
from psa.finance import selectors


def finance(request: HttpRequest) -> dict[str, Any]:
    """Whether the menu shows Finance: to its readers only."""
    signed_in = request.user.is_authenticated
    return {"can_finance": signed_in and selectors.may_read_finance(actor(request))}
