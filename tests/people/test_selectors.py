from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from psa.core.roles import SYSTEM, Role
from psa.people import selectors, services
from psa.people.models import Person
from psa.people.rules import total_hours

pytestmark = pytest.mark.django_db


def test_capacity_uses_country_standard_override_and_time_off(
    make_person: Callable[..., Person],
) -> None:
    french = make_person(country="FR", timezone="Europe/Paris")
    part_timer = make_person(weekly_hours=Decimal("20"))
    services.time_off_create(
        actor=SYSTEM,
        person=part_timer,
        start_date=dt.date(2026, 12, 9),
        end_date=dt.date(2026, 12, 9),
    )
    week = (dt.date(2026, 12, 7), dt.date(2026, 12, 13))
    fr_days = selectors.capacity_calendar(person=french, start=week[0], end=week[1])
    pt_days = selectors.capacity_calendar(person=part_timer, start=week[0], end=week[1])
    assert total_hours(fr_days) == Decimal("35.00")
    assert total_hours(pt_days) == Decimal("16.00")


def test_capacity_for_many_people_reads_time_off_in_one_query(
    make_person: Callable[..., Person],
) -> None:
    people = [make_person() for _ in range(5)]
    for p in people:
        services.time_off_create(
            actor=SYSTEM, person=p, start_date=dt.date(2026, 12, 7), end_date=dt.date(2026, 12, 7)
        )
    with CaptureQueriesContext(connection) as queries:
        result = selectors.capacity_for_people(
            people=people, start=dt.date(2026, 12, 7), end=dt.date(2026, 12, 13)
        )
    assert len(queries) == 1
    assert all(total_hours(days) == Decimal("32.00") for days in result.values())


def test_person_list_filters(make_person: Callable[..., Person]) -> None:
    a = make_person(Role.PSE, name="Alice", country="FR")
    make_person(Role.PROJECT_COORDINATOR, name="Bob", country="US")
    services.person_update(
        actor=SYSTEM, person=a, data=services.PersonInput(skills=["K8s"]), fields_set=["skills"]
    )
    assert [p.name for p in selectors.person_list(role="pse")] == ["Alice"]
    assert [p.name for p in selectors.person_list(country="us")] == ["Bob"]
    assert [p.name for p in selectors.person_list(skill="k8s")] == ["Alice"]
    assert [p.name for p in selectors.person_list(search="bo")] == ["Bob"]


def test_actor_carries_the_person_and_roles(make_person: Callable[..., Person]) -> None:
    person = make_person(Role.PSE, Role.PROJECT_COORDINATOR)
    assert person.user is not None
    actor = selectors.actor_for(person.user)
    assert actor.person_id == person.pk
    assert actor.roles == frozenset({"pse", "project_coordinator"})
    assert not actor.is_admin
