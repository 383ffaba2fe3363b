from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth.models import User

from psa.people.models import Person, PersonRole


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


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    """A person with a login. `roles=[...]` grants roles."""

    class Meta:
        model = Person
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    country = "US"
    subdivision = ""
    timezone = "America/New_York"
    cost_rate = Decimal("100.00")
    cost_currency = "USD"
    start_date = dt.date(2020, 1, 1)

    # factory.post_generation's decorator is untyped: the declaration takes the typed function.
    roles = factory.PostGeneration(_grant_roles)
