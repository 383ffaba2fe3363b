"""Notifications and invitations under parallel requests (PostgreSQL row locks): one
invitation link used at once sets the password once; a notification's e-mail task run twice at
once sends one e-mail; one event reported twice at once is recorded once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.db import connection

from psa.core import notifications
from psa.core.models import AuditEntry, Notification
from psa.core.roles import SYSTEM, Role
from psa.core.tasks import notification_email
from psa.people import services
from psa.people.models import Invitation, Person
from tests.timetracking.test_concurrency import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def test_one_invitation_link_used_four_times_at_once_sets_one_password(
    make_person: Callable[..., Person],
) -> None:
    person = make_person(Role.PSE, email="ada@example.com")
    assert person.user is not None
    person.user.set_unusable_password()
    person.user.save()
    issued = services.invitation_send(actor=SYSTEM, person=person)
    passwords = [f"parallel password {i}" for i in range(4)]
    calls: list[Callable[[], object]] = [
        partial(services.invitation_accept, secret=issued.secret, password=p, password_again=p)
        for p in passwords
    ]
    assert run_together(calls, now=dt.datetime(2026, 12, 7, 10, tzinfo=dt.UTC)) == [
        "Conflict",
        "Conflict",
        "Conflict",
        "ok",
    ]
    user = User.objects.get(pk=person.user.pk)
    assert sum(user.check_password(p) for p in passwords) == 1
    assert Invitation.objects.get(user=user).used_at is not None
    assert AuditEntry.objects.filter(action="person.invitation_accept").count() == 1


def test_a_notification_e_mailed_by_two_workers_at_once_is_sent_once(
    make_person: Callable[..., Person],
) -> None:
    person = make_person(Role.PSE)
    assert person.user is not None
    # Recorded without its task (as if the worker had not run yet), then two workers take it.
    note = Notification.objects.create(
        user=person.user,
        text="Booked",
        url="/schedule/me/",
        subject="PSA: booked",
        created_at=dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC),
    )
    calls: list[Callable[[], object]] = [
        partial(notification_email.call, notification_id=note.pk) for _ in range(4)
    ]
    assert run_together(calls) == ["ok"] * 4
    assert len(mail.outbox) == 1
    note.refresh_from_db()
    assert note.emailed_at is not None


def test_one_event_reported_four_times_at_once_is_recorded_once(
    make_person: Callable[..., Person],
) -> None:
    person = make_person(Role.PSE)
    assert person.user is not None
    user = person.user
    calls: list[Callable[[], object]] = [
        partial(notifications.notify, user=user, text="Once", url="/", key="event:1")
        for _ in range(4)
    ]
    assert run_together(calls) == ["ok"] * 4
    assert Notification.objects.filter(user=user, key="event:1").count() == 1
