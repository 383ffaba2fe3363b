"""Timesheet reminders: Friday afternoon and Monday morning, in each person's time zone, for the
weeks they have not submitted. Idempotent: run it as often as you like (the worker does every
few minutes); each reminder is sent once."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from psa.core import clock
from psa.core.notifications import notify
from psa.core.roles import Role
from psa.people import selectors as people
from psa.people.models import Person
from psa.timetracking import rules, selectors
from psa.timetracking.models import TimesheetReminder

TEXT = {
    "friday": "Your timesheet for the week of {week:%d %b} is due Monday at noon: "
    "{logged} h logged of {required} h.",
    "monday": "Your timesheet for the week of {week:%d %b} is due today at noon: "
    "{logged} h logged of {required} h.",
}


def timesheet_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Send the reminders due now; returns how many were sent."""
    now = now or clock.now()
    due: dict[tuple[str, dt.date], list[Person]] = defaultdict(list)
    for person in people.person_list(role=Role.PSE, active_on=now.date()):
        if person.user_id is None:
            continue
        found = rules.reminder_due(now.astimezone(ZoneInfo(person.timezone)))
        if found:
            due[found].append(person)
    sent = 0
    for (kind, week), group in due.items():
        for missing in selectors.missing_timesheets(people=group, weeks=[week]):
            sent += _send(kind, missing, now)
    return sent


def _send(kind: str, missing: selectors.MissingTimesheet, now: dt.datetime) -> int:
    person = missing.person
    user = person.user
    if user is None:
        return 0
    try:
        with transaction.atomic():
            TimesheetReminder.objects.create(
                person=person, week_start=missing.week_start, kind=kind, sent_at=now
            )
            text = TEXT[kind].format(
                week=missing.week_start, logged=missing.logged, required=missing.required
            )
            assert person.user is not None  # noqa: S101 - filtered by the caller
            notify(
                user=person.user,
                text=text,
                url=f"/time/?week={missing.week_start.isoformat()}",
                subject=f"Timesheet reminder: week of {missing.week_start:%d %b %Y}",
            )
    except IntegrityError:  # already sent (another run got there first)
        return 0
    return 1
