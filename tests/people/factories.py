from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth.models import User

from psa.people.models import CostRate, Person, PersonRole


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct-horse-battery")


def _grant_roles(person: Person, create: bool, extracted: list[str] | None, **kwargs: Any) -> None:
    if create and extracted:
        PersonRole.objects.bulk_create([PersonRole(person=person, role=r) for r in extracted])


def _set_cost_rate(
    person: Person, create: bool, extracted: Decimal | str | bool | None, **kwargs: Any
) -> None:
    """A first cost rate from the start date: 100.00 USD unless given (`cost_rate="90"`,
    `cost_rate__currency="EUR"`); `cost_rate=False` gives none."""
    if not create or extracted is False:
        return
    rate = Decimal(str(extracted)) if extracted is not None else Decimal("100.00")
    CostRate.objects.create(
        person=person,
        effective_from=kwargs.get("effective_from", person.start_date),
        rate=rate,
        currency=kwargs.get("currency", "USD"),
    )


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    """A person with a login. `roles=[...]` grants roles; a cost rate of 100.00 USD from the
    start date unless `cost_rate=...` says otherwise."""

    class Meta:
        model = Person
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    country = "US"
    subdivision = ""
    timezone = "America/New_York"
    start_date = dt.date(2020, 1, 1)

    # factory.post_generation's decorator is untyped: the declaration takes the typed function.
    roles = factory.PostGeneration(_grant_roles)
    cost_rate = factory.PostGeneration(_set_cost_rate)
