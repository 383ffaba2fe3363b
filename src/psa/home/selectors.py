"""The home dashboard: one read composed of people's and engagements' selectors."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.urls import reverse

from psa.core import clock, notifications, periods
from psa.core.models import Notification
from psa.core.roles import Actor, Role
from psa.engagements import selectors as engagements
from psa.engagements.models import Status
from psa.people import selectors as people
from psa.scheduling import selectors as scheduling
from psa.scheduling import services as scheduling_services
from psa.scheduling.models import AssignmentRequest, Booking
from psa.timetracking import selectors as time
from psa.timetracking.certification import selectors as certification

HOME_WEEKS = 4  # the home page's capacity: this week and the three after


def dashboard_for(*, actor: Actor) -> dict[str, Any]:
    """What the home page shows: the person's own next weeks, plus what their roles watch."""
    today = clock.today()
    monday = periods.week_start(today)
    context: dict[str, Any] = {"today": today, "roles": sorted(actor.roles)}
    if actor.person_id is not None:
        person = people.person_get(person_id=actor.person_id)
        context["person"] = person
        context["weeks"] = people.capacity_weeks(person=person, monday=monday, weeks=HOME_WEEKS)
        context["reports"] = list(people.person_list(manager_id=person.pk)[:50])
    watch_all = actor.has_any(
        Role.PROJECT_COORDINATOR,
        Role.DELIVERY_MANAGER,
        Role.HEAD_OF_PS,
        Role.FINANCE_PARTNER,
        Role.SALES,
    )
    context["show_pipeline"] = watch_all
    if watch_all:
        context["pipeline"] = list(engagements.engagement_list(status=Status.PIPELINE)[:10])
        context["active"] = list(
            engagements.engagement_list(status=f"{Status.BOOKED},{Status.ACTIVE}")[:10]
        )
    if actor.person_id is not None:
        context["my_engagements"] = list(engagements.engagement_list(owner_id=actor.person_id)[:10])
    context["owed"] = owed_for(actor=actor)
    return context


# ------------------------------------------------------------------ what I owe

OWED_WEEKS = 4  # the timesheets a person is reminded of: the last four weeks and this one
RECENT_DAYS = 7  # decisions and bookings "this week": the last seven days


@dataclass(frozen=True)
class Owed:
    """One thing on a person's to-do list: what, where to settle it, and whether it is late."""

    text: str
    url: str
    late: bool = False


def owed_for(*, actor: Actor) -> list[Owed]:
    """Everything waiting for the person, late first: their timesheets not submitted, hours
    returned to them, their requests and what was decided on them, bookings made for them,
    and what waits for their decision (certifications, requests, their team's late
    timesheets). Each item links to the page that settles it."""
    now = clock.now()
    items: list[Owed] = []
    person = people.person_get(person_id=actor.person_id) if actor.person_id else None
    if person is not None:
        this_monday = periods.week_start(clock.today(person.timezone))
        weeks = [this_monday - dt.timedelta(days=7 * k) for k in range(OWED_WEEKS, -1, -1)]
        for m in time.missing_timesheets(people=[person], weeks=weeks):
            late = now > m.due
            when = f"{'overdue since' if late else 'due'} {m.due:%a %-d %b %H:%M}"
            items.append(
                Owed(
                    f"Timesheet for the week of {m.week_start:%a %-d %b} not submitted "
                    f"({m.logged} of {m.required} h logged), {when}",
                    f"{reverse('time_week')}?week={m.week_start.isoformat()}",
                    late,
                )
            )
        for cert in certification.returned_to(person):
            reason = getattr(cert, "return_reason", "")
            items.append(
                Owed(
                    f"Your hours for FY{cert.fiscal_year % 100:02d} Q{cert.quarter} were "
                    "returned for correction" + (f": {reason}" if reason else ""),
                    reverse("time_certification", args=[cert.pk]),
                    True,
                )
            )
        since = now - dt.timedelta(days=RECENT_DAYS)
        for b in Booking.objects.select_related("engagement__customer").filter(
            person=person, state=Booking.State.ACTIVE, created_at__gte=since
        )[:10]:
            what = str(b.engagement) if b.engagement else b.task_name
            items.append(
                Owed(
                    f"Booked for you: {what}, {b.start_date:%a %-d %b} – {b.end_date:%a %-d %b}, "
                    f"{b.hours} h",
                    reverse("schedule_me"),
                )
            )
    if actor.user_id is not None:
        mine = AssignmentRequest.objects.select_related("person").filter(
            requested_by_id=actor.user_id
        )
        for r in mine.filter(status=AssignmentRequest.Status.OPEN).order_by("created_at")[:10]:
            items.append(
                Owed(
                    f"Your request #{r.pk} for {r.person.name} ({r.start_date:%a %-d %b} – "
                    f"{r.end_date:%a %-d %b}) waits for the coordinator",
                    reverse("schedule_request", args=[r.pk]),
                )
            )
        decided = mine.exclude(status=AssignmentRequest.Status.OPEN).filter(
            decided_at__gte=now - dt.timedelta(days=RECENT_DAYS)
        )
        for r in decided.order_by("-decided_at")[:10]:
            items.append(
                Owed(
                    f"Your request #{r.pk} for {r.person.name} was "
                    f"{r.get_status_display().lower()} by {r.decided_by_name}",
                    reverse("schedule_request", args=[r.pk]),
                )
            )
    waiting = certification.waiting_for(actor) if certification.may_see_queue(actor) else 0
    if waiting:
        items.append(
            Owed(
                f"{waiting} certification{'s' if waiting != 1 else ''} of quarterly hours "
                "wait for your decision",
                reverse("time_certifications"),
            )
        )
    if scheduling_services.can_decide_requests(actor):
        asked = AssignmentRequest.objects.filter(status=AssignmentRequest.Status.OPEN).count()
        if asked:
            items.append(
                Owed(
                    f"{asked} assignment request{'s' if asked != 1 else ''} wait"
                    f"{'' if asked != 1 else 's'} for a decision",
                    reverse("schedule_requests"),
                )
            )
    team = time.timesheet_team_for(actor=actor).people
    if team:
        monday = periods.week_start(clock.today())
        weeks = [monday - dt.timedelta(days=7 * k) for k in range(1, OWED_WEEKS + 1)]
        overdue = [m for m in time.missing_timesheets(people=team, weeks=weeks) if now > m.due]
        if overdue:
            names = sorted({m.person.name for m in overdue})
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            items.append(
                Owed(
                    f"{len(overdue)} timesheet{'s' if len(overdue) != 1 else ''} of your team "
                    f"{'are' if len(overdue) != 1 else 'is'} overdue: {shown}",
                    reverse("time_timesheets"),
                    True,
                )
            )
    return sorted(items, key=lambda o: not o.late)


# ------------------------------------------------------------------ notifications

NOTIFICATIONS_PAGE = 50
BADGE_LIMIT = 99  # the header counts up to "99+"

# Who may still read the record a notification is about, per kind: the record's own domain
# decides. A kind with no check here is never shown (a notification must not outlive the
# right to read what it describes).
VISIBLE: dict[str, Callable[[Actor, set[int]], set[int]]] = {
    scheduling.RECORD_REQUEST: lambda actor, ids: scheduling.requests_existing(ids=ids),
    certification.RECORD_CERTIFICATION: lambda actor, ids: certification.certifications_visible(
        actor=actor, ids=ids
    ),
}


def _visible(actor: Actor, rows: Sequence[Notification]) -> list[Notification]:
    wanted: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        if row.record_kind and row.record_id is not None:
            wanted[row.record_kind].add(row.record_id)
    allowed = {
        kind: VISIBLE[kind](actor, ids) if kind in VISIBLE else set()
        for kind, ids in wanted.items()
    }
    return [
        row
        for row in rows
        if not row.record_kind or (row.record_id in allowed.get(row.record_kind, set()))
    ]


@dataclass(frozen=True)
class NotificationPage:
    items: list[Notification]  # what the login may still read, newest first
    page: int
    has_next: bool
    unread_only: bool


def notifications_for(
    *, actor: Actor, user: User, page: int = 1, unread_only: bool = False
) -> NotificationPage:
    """A page of the login's notifications (50 stored rows; those about a record they may no
    longer read are left out)."""
    page = max(page, 1)
    rows = notifications.of_user(user=user)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    start = (page - 1) * NOTIFICATIONS_PAGE
    fetched = list(rows[start : start + NOTIFICATIONS_PAGE + 1])
    return NotificationPage(
        items=_visible(actor, fetched[:NOTIFICATIONS_PAGE]),
        page=page,
        has_next=len(fetched) > NOTIFICATIONS_PAGE,
        unread_only=unread_only,
    )


def unread_badge(*, actor: Actor, user: User) -> int:
    """How many unread notifications the header counts (at most BADGE_LIMIT + 1)."""
    rows = list(notifications.of_user(user=user).filter(read_at__isnull=True)[: BADGE_LIMIT + 1])
    return len(_visible(actor, rows))
