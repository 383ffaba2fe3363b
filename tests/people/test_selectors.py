from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from psa.core import clock
from psa.core.errors import ValidationFailed
from psa.core.rates import DatedRate
from psa.core.roles import SYSTEM, Actor, Role
from psa.people import selectors, services
from psa.people.models import CostRate, Person
from psa.people.rules import total_hours
from psa.people.schemas import PersonOut

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


# ------------------------------------------------------------------ who may read pay data


def _actor(*roles: str, person_id: int | None = None, is_admin: bool = False) -> Actor:
    return Actor(
        user_id=1, username="u", person_id=person_id, roles=frozenset(roles), is_admin=is_admin
    )


@pytest.mark.parametrize(
    ("reader", "may"),
    [
        (_actor(person_id=7), True),  # their own, whatever their roles
        (_actor(Role.PSE, person_id=8), False),
        (_actor(Role.PROJECT_COORDINATOR, person_id=8), False),
        (_actor(Role.SALES, Role.EDUCATION_MANAGER, person_id=8), False),
        (_actor(Role.DELIVERY_MANAGER, person_id=8), True),
        (_actor(Role.HEAD_OF_PS), True),
        (_actor(Role.FINANCE_PARTNER), True),
        (_actor(Role.CONTROLLER), True),
        (_actor(Role.FINANCE_BUSINESS_PARTNER), True),
        (_actor(is_admin=True), True),
        (_actor(), False),  # a login without a person reads nobody's
    ],
)
def test_who_may_read_a_persons_pay(reader: Actor, may: bool) -> None:
    assert selectors.may_read_pay(reader, 7) is may


def test_the_reader_sees_the_cost_rate_only_where_the_pay_rule_allows(
    make_person: Callable[..., Person],
) -> None:
    me = make_person(Role.PSE, cost_rate="90.00")
    other = make_person(Role.PSE, cost_rate="92.00")
    reader = _actor(Role.PSE, person_id=me.pk)
    # people_for attaches the rate it shows to each instance: it is no field of the model.
    shown = {
        p.pk: vars(p)["visible_cost_rate"]
        for p in selectors.people_for(reader, [*Person.objects.all()])
    }
    start = me.start_date
    assert shown == {me.pk: DatedRate(start, Decimal("90.00"), "USD"), other.pk: None}
    finance = _actor(Role.FINANCE_PARTNER)
    shown_to_finance = selectors.person_for(actor=finance, person_id=other.pk)
    assert vars(shown_to_finance)["visible_cost_rate"] == DatedRate(start, Decimal("92.00"), "USD")
    # The stored rates are untouched: only what is shown differs.
    assert selectors.cost_rate_series(person_ids=[other.pk])[other.pk].rates == [
        DatedRate(start, Decimal("92.00"), "USD")
    ]


def test_the_rate_shown_is_the_one_in_force_today(
    make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    today = clock.today()
    person = make_person(Role.PSE, cost_rate="80.00")
    CostRate.objects.create(
        person=person, effective_from=today, rate=Decimal("85.00"), currency="EUR"
    )
    CostRate.objects.create(
        person=person,
        effective_from=today + dt.timedelta(days=1),
        rate=Decimal("90.00"),
        currency="EUR",
    )
    shown = selectors.person_for(actor=actor_of(person), person_id=person.pk)
    assert vars(shown)["visible_cost_rate"] == DatedRate(today, Decimal("85.00"), "EUR")


def test_a_person_without_a_cost_rate_shows_none_even_to_finance(
    make_person: Callable[..., Person],
) -> None:
    person = make_person(Role.PSE, cost_rate=False)
    out = PersonOut.model_validate(
        selectors.person_for(actor=_actor(Role.FINANCE_PARTNER), person_id=person.pk)
    )
    assert (out.cost_rate, out.cost_currency, out.cost_rate_from) == (None, None, None)


def test_a_person_serialized_without_a_reader_shows_no_pay(
    make_person: Callable[..., Person],
) -> None:
    person = make_person(cost_rate="95.00")
    out = PersonOut.model_validate(selectors.person_get(person_id=person.pk))
    assert out.cost_rate is None


def test_capacity_weeks_reads_the_persons_calendar_from_a_monday(
    make_person: Callable[..., Person],
) -> None:
    person = make_person(country="US", weekly_hours=Decimal("30"))
    weeks = selectors.capacity_weeks(person=person, monday=dt.date(2026, 11, 23), weeks=3)
    assert [(w.monday, w.total) for w in weeks] == [
        (dt.date(2026, 11, 23), Decimal("24.00")),  # Thanksgiving
        (dt.date(2026, 11, 30), Decimal("30.00")),
        (dt.date(2026, 12, 7), Decimal("30.00")),
    ]


def test_capacity_between_two_dates_has_each_date_and_the_total(
    make_person: Callable[..., Person],
) -> None:
    person = make_person(country="US")
    span = selectors.capacity_between(
        person_id=person.pk, start=dt.date(2026, 11, 25), end=dt.date(2026, 11, 28)
    )
    assert (span.person_id, span.start, span.end, span.total) == (
        person.pk,
        dt.date(2026, 11, 25),
        dt.date(2026, 11, 28),
        Decimal("16.00"),  # Wed and Fri; Thursday is Thanksgiving, Saturday is off
    )
    assert [(d.date.day, d.holiday, d.hours) for d in span.days] == [
        (25, "", Decimal("8.00")),
        (26, "Thanksgiving Day", Decimal("0.00")),
        (27, "", Decimal("8.00")),
        (28, "", Decimal("0.00")),
    ]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (dt.date(2026, 1, 2), dt.date(2026, 1, 1), selectors.ERR_CAPACITY_END),
        (
            dt.date(2026, 1, 1),
            dt.date(2026, 1, 1) + dt.timedelta(days=selectors.MAX_CAPACITY_DAYS + 1),
            selectors.ERR_CAPACITY_SPAN,
        ),
    ],
)
def test_capacity_between_refuses_a_backwards_or_too_long_span_before_reading(
    start: dt.date, end: dt.date, message: str
) -> None:
    # No such person: the span is refused before the person is looked up.
    with pytest.raises(ValidationFailed) as refused:
        selectors.capacity_between(person_id=999_999, start=start, end=end)
    assert [(e.field, e.message) for e in refused.value.errors] == [("end", message)]


def test_capacity_of_the_longest_span_allowed_is_computed(
    make_person: Callable[..., Person],
) -> None:
    person = make_person()
    start = dt.date(2026, 1, 1)
    end = start + dt.timedelta(days=selectors.MAX_CAPACITY_DAYS)
    span = selectors.capacity_between(person_id=person.pk, start=start, end=end)
    assert len(span.days) == selectors.MAX_CAPACITY_DAYS + 1
