"""Two coordinators confirming overlapping requests for one person at the same moment must not
over-book them: confirmations lock the person's row (PostgreSQL) or the database (SQLite)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection, connections

from psa.core import clock
from psa.core.errors import Conflict
from psa.core.roles import Actor, Role
from psa.engagements.models import Status
from psa.people.models import Person
from psa.scheduling import selectors, services
from psa.scheduling.models import AssignmentRequest, BookingDay
from tests.engagements.factories import EngagementFactory

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
MON = dt.date(2026, 12, 7)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_confirmations_never_push_a_person_over_capacity(
    make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    pcs = [actor_of(make_person(Role.PROJECT_COORDINATOR)) for _ in range(2)]
    requester = actor_of(make_person(Role.DELIVERY_MANAGER))
    pse = make_person(Role.PSE)
    with clock.frozen(NOW):
        requests = [
            services.request_create(
                actor=requester,
                engagement=EngagementFactory.create(status=Status.ACTIVE),
                person=pse,
                start_date=MON,
                end_date=MON + dt.timedelta(days=2),
                hours=Decimal("6"),
                per_day=True,
            )
            for _ in range(2)
        ]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            services.request_confirm(actor=pcs[index], request=requests[index])
            outcomes.append("booked")
        except Conflict as exc:
            outcomes.append(exc.message)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm, args=(i,)) for i in range(2)]
    # The clock is frozen once, around both threads: frozen() sets a process-wide value, and
    # threads entering and leaving it in turn could leave it set after the test.
    with clock.frozen(NOW):
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    shortfalls = ", ".join(
        services.ERR_SHORTFALL.format(
            date=MON + dt.timedelta(days=i), requested="6.00", free="2.00"
        )
        for i in range(3)
    )
    assert sorted(outcomes) == ["booked", services.ERR_DOES_NOT_FIT.format(details=shortfalls)]
    loads = selectors.day_loads(person=pse, start=MON, end=MON + dt.timedelta(days=2))
    assert all(load.planned == Decimal("6.00") for load in loads.values())
    assert BookingDay.objects.count() == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_parallel_identical_requests_create_one_and_refuse_the_rest(
    make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    """A double-clicked (or retried) request: the duplicate check runs under the person's lock,
    so ten identical requests at once leave one open request and nine 409s."""
    requester = actor_of(make_person(Role.DELIVERY_MANAGER))
    pse = make_person(Role.PSE)
    engagement = EngagementFactory.create(status=Status.ACTIVE)
    barrier = threading.Barrier(10)
    outcomes: list[str] = []
    unexpected: list[BaseException] = []

    def ask() -> None:
        try:
            barrier.wait(timeout=10)
            services.request_create(
                actor=requester,
                engagement=engagement,
                person=pse,
                start_date=MON,
                end_date=MON + dt.timedelta(days=2),
                hours=Decimal("6"),
                per_day=True,
            )
            outcomes.append("created")
        except Conflict as exc:
            outcomes.append(exc.message)
        except BaseException as exc:  # noqa: BLE001 - a 500 in the API: fails below
            unexpected.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask) for _ in range(10)]
    with clock.frozen(NOW):
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert unexpected == []
    created = AssignmentRequest.objects.get(person=pse, status="open")
    assert sorted(outcomes) == ["created"] + [services.ERR_DUPLICATE.format(id=created.pk)] * 9
