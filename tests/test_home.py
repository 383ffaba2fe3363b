"""Home's "What I owe": each person's own to-dos and what waits for their decision, late first,
each linking to the page that settles it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils.html import escape

from psa.core import clock
from psa.core.roles import SYSTEM, Actor, Role
from psa.engagements.models import Status
from psa.home.selectors import Owed, owed_for
from psa.people.models import Person
from psa.scheduling import services as scheduling
from psa.timetracking import services as time_services
from tests.engagements.factories import CustomerFactory, EngagementFactory
from tests.timetracking.factories import WorkItemFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)  # a Wednesday


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def team(make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]) -> Any:
    class Team:
        manager = make_person(Role.DELIVERY_MANAGER, name="Dana Manager")
        coordinator = make_person(Role.PROJECT_COORDINATOR, name="Priya Coordinator")
        pse = make_person(
            Role.PSE,
            name="Alex Rivera",
            manager=manager,
            timezone="UTC",
            start_date=dt.date(2026, 11, 9),
        )
        engagement = EngagementFactory.create(
            customer=CustomerFactory.create(name="Acme"), name="Rollout", status=Status.ACTIVE
        )
        asked: Any = None

    t = Team()
    # Alex logged 7.5 h in the week of 16 Nov and submitted no week; Dana asked for Alex on
    # 7-9 Dec (open) and the coordinator booked Alex on 14-15 Dec today.
    time_services.time_entry_create(
        actor=actor_of(t.pse),
        person=t.pse,
        work_item=WorkItemFactory.create(title="Runbook"),
        date=dt.date(2026, 11, 17),
        hours="7.5",
    )
    t.asked = scheduling.request_create(
        actor=actor_of(t.manager),
        engagement=t.engagement,
        person=t.pse,
        start_date=dt.date(2026, 12, 7),
        end_date=dt.date(2026, 12, 9),
        hours=Decimal("12"),
    )
    booked = scheduling.request_create(
        actor=SYSTEM,
        engagement=t.engagement,
        person=t.pse,
        start_date=dt.date(2026, 12, 14),
        end_date=dt.date(2026, 12, 15),
        hours=Decimal("16"),
    )
    scheduling.request_confirm(actor=actor_of(t.coordinator), request=booked)
    return t


def test_a_pse_owes_their_timesheets_late_first_and_hears_of_their_bookings(
    team: Any, actor_of: Callable[[Person], Actor]
) -> None:
    assert owed_for(actor=actor_of(team.pse)) == [
        Owed(
            "Timesheet for the week of Mon 9 Nov not submitted (0.00 of 40.00 h logged), overdue "
            "since Mon 16 Nov 12:00",
            "/time/?week=2026-11-09",
            True,
        ),
        Owed(
            "Timesheet for the week of Mon 16 Nov not submitted (7.50 of 40.00 h logged), overdue "
            "since Mon 23 Nov 12:00",
            "/time/?week=2026-11-16",
            True,
        ),
        Owed(
            "Timesheet for the week of Mon 23 Nov not submitted (0.00 of 40.00 h logged), due Mon "
            "30 Nov 12:00",
            "/time/?week=2026-11-23",
        ),
        Owed("Booked for you: Acme — Rollout, Mon 14 Dec – Tue 15 Dec, 16.00 h", "/schedule/me/"),
    ]


def test_a_manager_owes_their_requests_and_their_teams_late_timesheets(
    team: Any, actor_of: Callable[[Person], Actor]
) -> None:
    owed = owed_for(actor=actor_of(team.manager))
    # Dana's own five weeks (employed long before) come first among the late ones; then
    assert [o.url for o in owed[:4]] == [
        f"/time/?week=2026-{w}" for w in ("10-26", "11-02", "11-09", "11-16")
    ]
    assert [o for o in owed if not o.url.startswith("/time/?week=")] == [
        Owed("2 timesheets of your team are overdue: Alex Rivera", "/time/timesheets/", True),
        Owed(
            f"Your request #{team.asked.pk} for Alex Rivera (Mon 7 Dec – Wed 9 Dec) waits for "
            "the coordinator",
            f"/schedule/requests/{team.asked.pk}/",
        ),
    ]


def test_the_coordinator_owes_the_open_requests(
    team: Any, actor_of: Callable[[Person], Actor]
) -> None:
    owed = owed_for(actor=actor_of(team.coordinator))
    assert [o for o in owed if not o.url.startswith("/time/?week=")] == [
        Owed("1 assignment request waits for a decision", "/schedule/requests/"),
    ]


def test_home_shows_the_list_and_an_empty_state(
    team: Any,
    make_person: Callable[..., Person],
    client_for: Callable[[Person], Client],
) -> None:
    html = client_for(team.pse).get("/").content.decode()
    assert (
        '<li class="late"><span class="badge late">Late</span> '
        '<a href="/time/?week=2026-11-09">'
        + escape("Timesheet for the week of Mon 9 Nov not submitted (0.00 of 40.00 h logged), "
                 "overdue since Mon 16 Nov 12:00")
        + "</a></li>"
    ) in html  # fmt: skip
    # someone who left before these weeks owes nothing
    gone = make_person(
        Role.SALES, name="Sam Sales", start_date=dt.date(2020, 1, 6), end_date=dt.date(2026, 10, 2)
    )
    idle = client_for(gone).get("/").content.decode()
    assert "Nothing waits for you" in idle
