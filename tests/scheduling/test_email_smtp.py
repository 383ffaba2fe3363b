"""The decision's e-mails travel over real SMTP (a local aiosmtpd server): the requester's and
the booked person's, each with the link to the request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from email import message_from_bytes, policy
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


def _body(raw: bytes) -> str:
    payload = message_from_bytes(raw).get_payload(decode=True)  # single-part: its bytes
    assert isinstance(payload, bytes)
    return payload.decode()


def test_the_requester_and_the_booked_person_get_the_decision_by_smtp(
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
    assert pse.user is not None
    link = f"Open it in PSA: http://127.0.0.1:8000/schedule/requests/{request.pk}/"
    by_recipient = {tuple(recipients): (sender, raw) for sender, recipients, raw in smtp.messages}
    assert sorted(by_recipient) == sorted([(manager.user.email,), (pse.user.email,)])
    sender, raw = by_recipient[(manager.user.email,)]
    assert sender == "psa@localhost"
    assert (
        message_from_bytes(raw, policy=policy.default)["Subject"].strip()
        == f"Assignment request #{request.pk}: confirmed"
    )
    assert _body(raw).splitlines() == [
        f"Assignment request #{request.pk} confirmed as booking #{booking.pk} (confirmed): "
        "Alex, 2026-12-08 to 2026-12-10, 24.00 h.",
        "",
        link,
        "",
        "All your notifications: http://127.0.0.1:8000/notifications/",
    ]
    _, raw = by_recipient[(pse.user.email,)]
    engagement = str(request.engagement)
    assert (
        message_from_bytes(raw, policy=policy.default)["Subject"].strip()
        == f"PSA: booking #{booking.pk} on {engagement}"
    )
    assert _body(raw).splitlines()[:3] == [
        services.MSG_BOOKED.format(
            engagement=engagement,
            start="2026-12-08",
            end="2026-12-10",
            hours="24.00",
            firmness="confirmed",
            booking=booking.pk,
        ),
        "",
        link,
    ]
