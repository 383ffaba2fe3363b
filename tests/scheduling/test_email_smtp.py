"""The requester's e-mail travels over real SMTP (a local aiosmtpd server)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from email import message_from_bytes
from typing import Any

import pytest

from psa.core import clock
from psa.core.roles import Actor, Role
from psa.engagements.models import Status
from psa.people.models import Person
from psa.scheduling import services
from tests.engagements.factories import EngagementFactory
from tests.smtp import Inbox

pytestmark = pytest.mark.django_db


def test_the_requester_gets_the_decision_by_smtp(
    smtp: Inbox,
    make_person: Callable[..., Person],
    actor_of: Callable[[Person], Actor],
    django_capture_on_commit_callbacks: Any,
) -> None:
    manager = make_person(Role.DELIVERY_MANAGER)
    assert manager.user is not None
    pc = make_person(Role.PROJECT_COORDINATOR)
    pse = make_person(Role.PSE, name="Alex")
    with clock.frozen(dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC)):
        request = services.request_create(
            actor=actor_of(manager),
            engagement=EngagementFactory.create(status=Status.ACTIVE),
            person=pse,
            start_date=dt.date(2026, 12, 8),
            end_date=dt.date(2026, 12, 10),
            hours=Decimal("24"),
        )
        with django_capture_on_commit_callbacks(execute=True):
            booking = services.request_confirm(actor=actor_of(pc), request=request)
    assert len(smtp.messages) == 1
    sender, recipients, raw = smtp.messages[0]
    message = message_from_bytes(raw)
    assert recipients == [manager.user.email]
    assert sender == "psa@localhost"
    assert message["Subject"] == f"Assignment request #{request.pk}: confirmed"
    payload = message.get_payload(decode=True)  # a single-part message: its bytes
    assert isinstance(payload, bytes)
    body = payload.decode()
    assert f"confirmed as booking #{booking.pk}" in body
    assert "Alex, 2026-12-08 to 2026-12-10, 24.00 h" in body
