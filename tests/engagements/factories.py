from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from psa.core import clock
from psa.engagements.models import Customer, Engagement, Kind, Status


class CustomerFactory(factory.django.DjangoModelFactory[Customer]):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    created_at = factory.LazyFunction(clock.now)


class EngagementFactory(factory.django.DjangoModelFactory[Engagement]):
    class Meta:
        model = Engagement

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Engagement {n}")
    kind = Kind.PACKAGED
    status = Status.PIPELINE
    currency = "USD"
    contract_value = Decimal("10000.00")
    budget_hours = Decimal("80.00")
    start_date = dt.date(2026, 12, 1)
    end_date = dt.date(2026, 12, 31)
    created_at = factory.LazyFunction(clock.now)
    updated_at = factory.LazyFunction(clock.now)
