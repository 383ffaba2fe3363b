from __future__ import annotations

from decimal import Decimal

import factory

from psa.core import clock, periods
from psa.timetracking.models import Epic, QuarterlyCertification, WorkItem
from tests.people.factories import PersonFactory


def category(major: str, name: str) -> Epic:
    return Epic.objects.get(parent__name=major, name=name)


class WorkItemFactory(factory.django.DjangoModelFactory[WorkItem]):
    class Meta:
        model = WorkItem

    title = factory.Sequence(lambda n: f"Issue {n}")
    epic = factory.LazyFunction(lambda: category("PS Internal", "Knowledge Sharing"))
    created_at = factory.LazyFunction(clock.now)


class QuarterlyCertificationFactory(factory.django.DjangoModelFactory[QuarterlyCertification]):
    """A person's certification of the fiscal quarter holding `day` (today by default; fiscal
    years as settings say), just generated, with no hours. `locked=True` leaves it as final
    approval does: approved and locked now, so the quarter's time is read-only. The chain's own
    tests go through its services instead."""

    class Meta:
        model = QuarterlyCertification

    class Params:
        day = factory.LazyFunction(clock.today)
        period = factory.LazyAttribute(lambda o: periods.fiscal_quarter(o.day))
        locked = factory.Trait(
            status=QuarterlyCertification.Status.APPROVED,
            locked_at=factory.LazyFunction(clock.now),
        )

    person = factory.SubFactory(PersonFactory)
    fiscal_year = factory.LazyAttribute(lambda o: o.period.year)
    quarter = factory.LazyAttribute(lambda o: o.period.quarter)
    start_date = factory.LazyAttribute(lambda o: o.period.start)
    end_date = factory.LazyAttribute(lambda o: o.period.end)
    total_hours = Decimal("0")
    billable_hours = Decimal("0")
    capacity_hours = Decimal("0")
    generated_at = factory.LazyFunction(clock.now)
