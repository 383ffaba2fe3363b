from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from psa.core.api import actor
from psa.timetracking.certification import selectors as cert_selectors


def time_tabs(request: HttpRequest) -> dict[str, Any]:
    """Whether the Time tabs show Certifications: to those whose queue it is only (anyone else
    would open a refusal behind it)."""
    signed_in = request.user.is_authenticated
    return {"can_certify": signed_in and cert_selectors.may_see_queue(actor(request))}
