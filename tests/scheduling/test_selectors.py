"""Scheduling reads that pages and routes show: a person's week, the open requests that concern
someone, whether an open request fits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from psa.core import clock
from psa.core.roles import SYSTEM, Actor, Role
from psa.engagements.models import Status
from psa.people.models import Person
from psa.scheduling import selectors, services
from psa.scheduling.models import AssignmentRequest
from tests.engagements.factories import EngagementFactory

pytestmark = pytest.mark.django_db
D = Decimal
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
MON = dt.date(2026, 12, 7)  # no US holiday that week


def day(offset: int) -> dt.date:
    return MON + dt.timedelta(days=offset)


@pytest.fixture(autouse=True)
def _today() -> Any:
    with clock.frozen(NOW):
        yield


def ask(by: Actor, person: Person, first: int, last: int, hours: str) -> AssignmentRequest:
    return services.request_create(
        actor=by,
        engagement=EngagementFactory.create(status=Status.ACTIVE),
        person=person,
        start_date=day(first),
        end_date=day(last),
        hours=D(hours),
    )


def test_a_persons_week_has_its_bookings_hours_in_the_week_and_the_weeks_totals(
    make_person: Callable[..., Person],
) -> None:
    alex = make_person(Role.PSE, name="Alex")  # US, 40 h
    # 16 h over Fri-Mon: 8 h in the week of MON (Fri), 8 h in the next (Mon).
    across = ask(SYSTEM, alex, 4, 7, "16")
    inside = ask(SYSTEM, alex, 1, 1, "4")
    for request in (across, inside):
        services.request_confirm(actor=SYSTEM, request=request)
    week = selectors.person_week(person=alex, monday=MON)
    assert (week.monday, week.sunday) == (MON, day(6))
    assert [(b.booking.start_date, b.week_hours) for b in week.bookings] == [
        (day(1), D("4.00")),
        (day(4), D("8.00")),
    ]
    assert [d.date for d in week.days] == [day(i) for i in range(7)]
    assert (week.capacity, week.planned, week.free) == (D("40.00"), D("12.00"), D("28.00"))


def test_the_open_requests_that_concern_someone_are_about_them_then_made_by_them(
    make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    manager = make_person(Role.DELIVERY_MANAGER, name="Marcus")
    alex = make_person(Role.PSE, name="Alex")
    sam = make_person(Role.PSE, name="Sam")
    by_manager_about_sam = ask(actor_of(manager), sam, 1, 1, "4")
    by_alex_about_alex = ask(actor_of(alex), alex, 1, 1, "4")
    by_manager_about_alex = ask(actor_of(manager), alex, 2, 2, "4")
    by_alex_about_sam = ask(actor_of(alex), sam, 3, 3, "4")
    declined = ask(actor_of(alex), sam, 4, 4, "4")
    services.request_decline(actor=SYSTEM, request=declined, reason="no")

    def ids(person: Person) -> list[int]:
        assert person.user is not None
        found = selectors.open_requests_for(person_id=person.pk, user_id=person.user.pk)
        return [r.pk for r in found]

    assert ids(alex) == [by_alex_about_alex.pk, by_manager_about_alex.pk, by_alex_about_sam.pk]
    assert ids(manager) == [by_manager_about_sam.pk, by_manager_about_alex.pk]
    assert [r.pk for r in selectors.open_requests_for(person_id=sam.pk, user_id=None)] == [
        by_manager_about_sam.pk,
        by_alex_about_sam.pk,
    ]


def test_whether_a_request_fits_is_asked_only_while_it_is_open(
    make_person: Callable[..., Person],
) -> None:
    alex = make_person(Role.PSE, name="Alex")
    services.request_confirm(actor=SYSTEM, request=ask(SYSTEM, alex, 2, 2, "4"))
    fitting = ask(SYSTEM, alex, 1, 1, "8")
    too_much = ask(SYSTEM, alex, 2, 2, "8")  # 4 h of the day are booked already
    assert (selectors.request_fits(request=fitting), selectors.request_fits(request=too_much)) == (
        True,
        False,
    )
    services.request_confirm(actor=SYSTEM, request=fitting)
    services.request_withdraw(actor=SYSTEM, request=too_much)
    fitting.refresh_from_db()
    too_much.refresh_from_db()
    assert (selectors.request_fits(request=fitting), selectors.request_fits(request=too_much)) == (
        None,
        None,
    )
