"""Timesheet reminders: Friday afternoon and Monday morning in each person's time zone, once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from psa.core.models import Notification
from psa.core.roles import Role
from psa.people.models import Person
from psa.timetracking import rules
from psa.timetracking.models import TimesheetReminder
from psa.timetracking.reminders import timesheet_reminders_send

NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (dt.datetime(2026, 11, 20, 13, 59, tzinfo=NY), None),  # Friday before 14:00
        (dt.datetime(2026, 11, 20, 14, 0, tzinfo=NY), ("friday", dt.date(2026, 11, 16))),
        (dt.datetime(2026, 11, 22, 20, 0, tzinfo=NY), ("friday", dt.date(2026, 11, 16))),
        (dt.datetime(2026, 11, 23, 7, 59, tzinfo=NY), None),
        (dt.datetime(2026, 11, 23, 8, 0, tzinfo=NY), ("monday", dt.date(2026, 11, 16))),
        (dt.datetime(2026, 11, 23, 12, 0, tzinfo=NY), None),  # due: late from now on
        (dt.datetime(2026, 11, 25, 10, 0, tzinfo=NY), None),
    ],
)
def test_when_reminders_are_due(local: dt.datetime, expected: object) -> None:
    assert rules.reminder_due(local) == expected


@pytest.mark.django_db
def test_reminders_go_once_to_those_who_have_not_submitted_in_their_time_zone(
    make_person: Callable[..., Person], django_capture_on_commit_callbacks: Any
) -> None:
    ny = make_person(Role.PSE, timezone="America/New_York", name="Ny")
    tokyo = make_person(Role.PSE, timezone="Asia/Tokyo", name="Tokyo")
    make_person(Role.PROJECT_COORDINATOR, timezone="America/New_York")  # not a PSE
    # Friday 20 Nov 2026, 20:00 UTC: 15:00 in New York (reminder), Saturday 05:00 in Tokyo
    # (still the Friday reminder's window).
    now = dt.datetime(2026, 11, 20, 20, 0, tzinfo=dt.UTC)
    with django_capture_on_commit_callbacks(execute=True):
        assert timesheet_reminders_send(now=now) == 2
        assert timesheet_reminders_send(now=now + dt.timedelta(minutes=5)) == 0
    assert sorted(r.person.name for r in TimesheetReminder.objects.all()) == ["Ny", "Tokyo"]
    assert len(mail.outbox) == 2
    note = Notification.objects.get(user=ny.user)
    assert note.text == (
        "Your timesheet for the week of 16 Nov is due Monday at noon: 0.00 h logged of 40.00 h."
    )
    assert note.url == "/time/?week=2026-11-16"
    assert tokyo.user is not None


@pytest.mark.django_db
def test_no_reminder_outside_the_windows(make_person: Callable[..., Person]) -> None:
    make_person(Role.PSE, timezone="America/New_York")
    assert timesheet_reminders_send(now=dt.datetime(2026, 11, 18, 15, 0, tzinfo=dt.UTC)) == 0
    assert Notification.objects.count() == 0
