"""Rates under parallel requests (PostgreSQL row locks): rates set for one day at once are
one after the other, never a unique-constraint error; time and materials keeps a rate above 0
when two requests each take one of its last two away."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import partial

import pytest
from django.db import connection

from psa.core.models import AuditEntry
from psa.core.roles import SYSTEM, Actor, Role
from psa.engagements import services as engagement_services
from psa.engagements.models import BillRate, Kind
from psa.people import services as people_services
from psa.people.models import CostRate, Person
from tests.engagements.factories import EngagementFactory
from tests.timetracking.test_concurrency import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]
DAY = dt.date(2027, 2, 1)
RATES = [Decimal(f"{100 + i}.00") for i in range(8)]


def test_cost_rates_set_for_one_day_at_once_leave_one_rate_and_every_audit_row(
    make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    head = actor_of(make_person(Role.HEAD_OF_PS))
    person = make_person(Role.PSE)
    calls: list[Callable[[], object]] = [
        partial(
            people_services.cost_rate_set,
            actor=head,
            person=person,
            effective_from=DAY,
            rate=rate,
            currency="EUR",
        )
        for rate in RATES
    ]
    assert run_together(calls) == ["ok"] * 8
    stored = CostRate.objects.get(person=person, effective_from=DAY)
    entries = list(AuditEntry.objects.filter(action="person.cost_rate_set").order_by("id"))
    assert len(entries) == 8
    assert sum(e.before is None for e in entries) == 1  # the first created it, the rest replaced
    assert entries[-1].after is not None
    assert entries[-1].after["cost_rate"] == str(stored.rate)  # the last one written stays


def test_bill_rates_set_for_one_day_at_once_leave_one_rate(db: None) -> None:
    engagement = EngagementFactory.create()
    calls: list[Callable[[], object]] = [
        partial(
            engagement_services.bill_rate_set,
            actor=SYSTEM,
            engagement=engagement,
            effective_from=DAY,
            rate=rate,
        )
        for rate in RATES
    ]
    assert run_together(calls) == ["ok"] * 8
    assert BillRate.objects.filter(engagement=engagement).count() == 1


def test_two_requests_cannot_take_away_both_rates_of_time_and_materials(db: None) -> None:
    engagement = EngagementFactory.create(kind=Kind.EMBEDDED_ENGINEER)
    first, second = dt.date(2026, 12, 1), DAY
    for day in (first, second):
        BillRate.objects.create(engagement=engagement, effective_from=day, rate=Decimal("150"))
    calls: list[Callable[[], object]] = [
        partial(
            engagement_services.bill_rate_delete,
            actor=SYSTEM,
            engagement=engagement,
            effective_from=day,
        )
        for day in (first, second)
    ]
    assert run_together(calls) == ["Conflict", "ok"]
    assert BillRate.objects.filter(engagement=engagement, rate__gt=0).count() == 1


def test_utilization_targets_set_for_one_day_at_once_leave_one_and_every_audit_row(
    make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    from psa.finance import services as finance_services
    from psa.finance.models import UtilizationTarget

    head = actor_of(make_person(Role.HEAD_OF_PS))
    person = make_person(Role.PSE)
    percents = [Decimal(f"{70 + i}.00") for i in range(8)]
    calls: list[Callable[[], object]] = [
        partial(
            finance_services.target_set,
            actor=head,
            person=person,
            effective_from=DAY,
            percent=percent,
        )
        for percent in percents
    ]
    assert run_together(calls) == ["ok"] * 8
    stored = UtilizationTarget.objects.get(person=person, effective_from=DAY)
    entries = list(AuditEntry.objects.filter(action="person.utilization_target_set").order_by("id"))
    assert len(entries) == 8
    assert sum(e.before is None for e in entries) == 1  # one created it, the rest replaced it
    assert entries[-1].after is not None
    assert entries[-1].after["utilization_target"] == str(stored.percent)
    # A set and a take-back at once: one after the other, never half of each.
    outcomes = run_together(
        [
            partial(finance_services.target_delete, actor=head, person=person, effective_from=DAY),
            partial(
                finance_services.target_set,
                actor=head,
                person=person,
                effective_from=DAY,
                percent=Decimal("90.00"),
            ),
        ]
    )
    left = list(UtilizationTarget.objects.filter(person=person).values_list("percent", flat=True))
    assert (outcomes, left) in ((["ok", "ok"], []), (["ok", "ok"], [Decimal("90.00")]))
