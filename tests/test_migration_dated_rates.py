"""Migrations people 0003 and engagements 0003 on a database with rates in it: each single
rate becomes the first dated rate, in force from the start date (an engagement without one:
from the day it was created); a cost rate of 0, the old default for none entered, becomes no
rate; and back again, each keeps the rate in force today."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from psa.core import clock
from psa.core.roles import Role
from psa.engagements.models import BillRate, Engagement, Kind
from psa.people.models import CostRate, Person
from tests.engagements.factories import EngagementFactory
from tests.helpers import latest_migrations_after, migrate_to

pytestmark = pytest.mark.django_db(transaction=True)
NOW = dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC)
START = dt.date(2020, 1, 1)
BEFORE = [("people", "0002_person_name_index"), ("engagements", "0002_milestone_ordering")]


def _migrate_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture(autouse=True)
def _latest_after() -> Iterator[None]:
    # Going back to people 0002 also takes back what depends on it (finance's targets).
    with latest_migrations_after():
        yield


def _column(table: str, columns: str, pk: int) -> tuple[object, ...]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        row = cursor.fetchone()
    assert row is not None
    return tuple(row)


def test_single_rates_become_the_first_dated_rates_and_back(
    make_person: Callable[..., Person],
) -> None:
    with clock.frozen(NOW):
        paid = make_person(Role.PSE, cost_rate="90.00")
        CostRate.objects.create(
            person=paid, effective_from=dt.date(2027, 1, 1), rate=Decimal("95"), currency="EUR"
        )
        unpaid = make_person(Role.PSE, cost_rate=False)
        zero = make_person(Role.PSE, cost_rate="0")
        billed = EngagementFactory.create(kind=Kind.EMBEDDED_ENGINEER, start_date=None)
        BillRate.objects.create(
            engagement=billed, effective_from=dt.date(2026, 6, 1), rate=Decimal("150")
        )
        BillRate.objects.create(
            engagement=billed, effective_from=dt.date(2026, 9, 1), rate=Decimal("160")
        )
        unbilled = EngagementFactory.create(kind=Kind.PACKAGED)

        migrate_to(BEFORE)
        # Back: one rate each, the one in force today (else 0 USD, the old default).
        assert _column("people_person", "cost_rate, cost_currency", paid.pk) == (
            Decimal("90.00"),
            "USD",
        )
        assert _column("people_person", "cost_rate", unpaid.pk) == (Decimal("0.00"),)
        assert _column("engagements_engagement", "bill_rate", billed.pk) == (Decimal("160.00"),)
        assert _column("engagements_engagement", "bill_rate", unbilled.pk) == (None,)
        assert _column("people_person", "cost_rate", zero.pk) == (Decimal("0.00"),)

        _migrate_latest()  # through people 0003 and engagements 0003, and what follows

    assert [(r.effective_from, r.rate, r.currency) for r in paid.cost_rates.all()] == [
        (START, Decimal("90.00"), "USD")
    ]
    assert list(unpaid.cost_rates.all()) == []
    assert list(zero.cost_rates.all()) == []  # 0 was "none entered": reported, never costed at 0
    created = Engagement.objects.get(pk=billed.pk).created_at.date()
    assert [(r.effective_from, r.rate) for r in billed.bill_rates.all()] == [
        (created, Decimal("160.00"))
    ]
    assert list(unbilled.bill_rates.all()) == []
