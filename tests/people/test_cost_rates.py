"""A person's cost rates, each in force from its date: set, replaced, taken back, read by
those who may read pay data, in the service, the API and the person's page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client

from psa.core import audit, clock
from psa.core.errors import NotFound, PermissionDenied, ValidationFailed
from psa.core.models import AuditEntry
from psa.core.rates import RATE_DAY
from psa.core.roles import Actor, Role
from psa.people import selectors, services
from psa.people.models import CostRate, Person
from tests.helpers import (
    MARKED_FIELDS,
    assert_invalid,
    assert_refused,
    field_error,
    flash,
    form_error,
    pydantic_error,
    refusal_page,
    unchanged,
)

JSON = "application/json"
MakePerson = Callable[..., Person]
START = dt.date(2020, 1, 1)  # the factory's start date: the first rate's
APRIL = dt.date(2026, 4, 1)


def rates(person: Person) -> list[tuple[dt.date, Decimal, str]]:
    return [(r.effective_from, r.rate, r.currency) for r in person.cost_rates.order_by("pk")]


@pytest.fixture
def head(make_person: MakePerson) -> Person:
    return make_person(Role.HEAD_OF_PS)


# ------------------------------------------------------------------ service


def test_a_new_rate_takes_effect_from_its_date_and_is_audited(
    make_person: MakePerson, head: Person, actor_of: Callable[[Person], Actor]
) -> None:
    person = make_person(Role.PSE, cost_rate="90.00")
    services.cost_rate_set(
        actor=actor_of(head),
        person=person,
        effective_from=APRIL,
        rate=Decimal("95.50"),
        currency="EUR",
    )
    assert rates(person) == [(START, Decimal("90.00"), "USD"), (APRIL, Decimal("95.50"), "EUR")]
    series = selectors.cost_rate_series(person_ids=[person.pk])[person.pk]
    assert series.on(APRIL - dt.timedelta(days=1)).rate == Decimal("90.00")  # type: ignore[union-attr]
    assert series.on(APRIL).rate == Decimal("95.50")  # type: ignore[union-attr]
    entry = AuditEntry.objects.get(action="person.cost_rate_set")
    assert (entry.target_id, entry.before, entry.after) == (
        str(person.pk),
        None,
        {"effective_from": "2026-04-01", "cost_rate": "95.50", "cost_currency": "EUR"},
    )


def test_a_rate_on_a_day_that_has_one_replaces_it(
    make_person: MakePerson, head: Person, actor_of: Callable[[Person], Actor]
) -> None:
    person = make_person(Role.PSE, cost_rate="90.00")
    services.cost_rate_set(
        actor=actor_of(head),
        person=person,
        effective_from=START,
        rate=Decimal("91"),
        currency="USD",
    )
    assert rates(person) == [(START, Decimal("91.00"), "USD")]
    entry = AuditEntry.objects.get(action="person.cost_rate_set")
    assert (entry.before, entry.after, entry.reason) == (
        {"cost_rate": "90.00"},
        {"cost_rate": "91.00"},
        RATE_DAY.format(day="2020-01-01"),
    )


@pytest.mark.parametrize(
    ("rate", "currency", "errors"),
    [
        (Decimal("-1"), "USD", [("rate", services.ERR_COST_RATE)]),
        (Decimal("NaN"), "USD", [("rate", services.ERR_COST_RATE)]),
        (Decimal("9.999"), "USD", [("rate", services.ERR_COST_RATE)]),
        (Decimal("90"), "EURO", [("currency", services.ERR_CURRENCY.format(value="EURO"))]),
        (
            Decimal("-1"),
            "",
            [
                ("rate", services.ERR_COST_RATE),
                ("currency", services.ERR_CURRENCY.format(value="")),
            ],
        ),
    ],
)
def test_a_bad_rate_is_refused_and_changes_nothing(
    make_person: MakePerson,
    head: Person,
    actor_of: Callable[[Person], Actor],
    rate: Decimal,
    currency: str,
    errors: list[tuple[str, str]],
) -> None:
    person = make_person(Role.PSE)
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.cost_rate_set(
            actor=actor_of(head), person=person, effective_from=APRIL, rate=rate, currency=currency
        )
    assert [(e.field, e.message) for e in exc.value.errors] == errors


@pytest.mark.parametrize("role", [Role.PSE, Role.DELIVERY_MANAGER, Role.FINANCE_PARTNER])
def test_only_an_admin_or_the_head_of_ps_sets_or_removes_a_rate(
    make_person: MakePerson, actor_of: Callable[[Person], Actor], role: str
) -> None:
    who = make_person(role)
    person = make_person(Role.PSE, manager=who)
    for act in (
        lambda: services.cost_rate_set(
            actor=actor_of(who),
            person=person,
            effective_from=APRIL,
            rate=Decimal("1"),
            currency="USD",
        ),
        lambda: services.cost_rate_delete(actor=actor_of(who), person=person, effective_from=START),
    ):
        with unchanged(), pytest.raises(PermissionDenied) as exc:
            act()
        assert exc.value.message == services.ERR_MAY_NOT_GRANT


def test_taking_a_rate_back_leaves_the_one_before_in_force(
    make_person: MakePerson, head: Person, actor_of: Callable[[Person], Actor]
) -> None:
    person = make_person(Role.PSE, cost_rate="90.00")
    services.cost_rate_set(
        actor=actor_of(head),
        person=person,
        effective_from=APRIL,
        rate=Decimal("99"),
        currency="USD",
    )
    services.cost_rate_delete(actor=actor_of(head), person=person, effective_from=APRIL)
    assert rates(person) == [(START, Decimal("90.00"), "USD")]
    entry = AuditEntry.objects.get(action="person.cost_rate_delete")
    assert (entry.before, entry.after) == (
        {"effective_from": "2026-04-01", "cost_rate": "99.00", "cost_currency": "USD"},
        None,
    )
    with unchanged(), pytest.raises(NotFound) as exc:
        services.cost_rate_delete(actor=actor_of(head), person=person, effective_from=APRIL)
    assert exc.value.message == services.ERR_NO_COST_RATE.format(day="2026-04-01")


def test_a_person_created_without_a_rate_has_none(
    head: Person, actor_of: Callable[[Person], Actor]
) -> None:
    data = services.PersonInput(
        name="Nora",
        email="nora@example.com",
        country="FR",
        timezone="Europe/Paris",
        start_date=APRIL,
    )
    person = services.person_create(actor=actor_of(head), data=data)
    assert rates(person) == []
    with_rate = services.PersonInput(
        name="Ola",
        email="ola@example.com",
        country="SE",
        timezone="Europe/Stockholm",
        start_date=APRIL,
        cost_rate=Decimal("700"),
        cost_currency="SEK",
    )
    assert rates(services.person_create(actor=actor_of(head), data=with_rate)) == [
        (APRIL, Decimal("700.00"), "SEK")
    ]


def test_an_update_does_not_take_a_rate_without_its_date(
    make_person: MakePerson, head: Person, actor_of: Callable[[Person], Actor]
) -> None:
    person = make_person(Role.PSE)
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.person_update(
            actor=actor_of(head),
            person=person,
            data=services.PersonInput(cost_rate=Decimal("1")),
            fields_set=["cost_rate"],
        )
    message = services.ERR_RATE_FIELDS.format(id=person.pk)
    assert [(e.field, e.message) for e in exc.value.errors] == [("cost_rate", message)]


# ------------------------------------------------------------------ API


def test_the_api_reads_sets_and_takes_back_rates(
    make_person: MakePerson, head: Person, api_as: Callable[[Person], Client]
) -> None:
    person = make_person(Role.PSE, cost_rate="90.00")
    client = api_as(head)
    url = f"/api/v1/people/{person.pk}/cost-rates"
    put = client.put(f"{url}/2026-04-01", {"rate": "95.50", "currency": "EUR"}, content_type=JSON)
    assert put.status_code == 200, put.content
    assert put.json() == {
        "id": put.json()["id"],
        "person_id": person.pk,
        "effective_from": "2026-04-01",
        "rate": "95.50",
        "currency": "EUR",
    }
    listed = client.get(url).json()
    assert [(r["effective_from"], r["rate"], r["currency"]) for r in listed] == [
        ("2020-01-01", "90.00", "USD"),
        ("2026-04-01", "95.50", "EUR"),
    ]
    assert client.delete(f"{url}/2026-04-01").status_code == 204
    assert rates(person) == [(START, Decimal("90.00"), "USD")]


def test_the_person_shows_the_rate_in_force_today(
    make_person: MakePerson, head: Person, api_as: Callable[[Person], Client]
) -> None:
    person = make_person(Role.PSE, cost_rate="90.00")
    client = api_as(head)
    tomorrow = clock.today() + dt.timedelta(days=1)
    client.put(
        f"/api/v1/people/{person.pk}/cost-rates/{tomorrow}",
        {"rate": "95.00", "currency": "EUR"},
        content_type=JSON,
    )
    body = client.get(f"/api/v1/people/{person.pk}").json()
    assert (body["cost_rate"], body["cost_currency"], body["cost_rate_from"]) == (
        "90.00",
        "USD",
        "2020-01-01",
    )
    with clock.frozen(dt.datetime.combine(tomorrow, dt.time(9), tzinfo=dt.UTC)):
        body = client.get(f"/api/v1/people/{person.pk}").json()
        # The cached list too: its key holds the day.
        listed = client.get("/api/v1/people", {"search": person.name}).json()["items"]
    assert (body["cost_rate"], body["cost_currency"]) == ("95.00", "EUR")
    assert [(p["cost_rate"], p["cost_currency"]) for p in listed] == [("95.00", "EUR")]


def test_the_rates_are_pay_data(
    make_person: MakePerson, api_as: Callable[[Person], Client]
) -> None:
    person = make_person(Role.PSE)
    url = f"/api/v1/people/{person.pk}/cost-rates"
    colleague = api_as(make_person(Role.PSE))
    with unchanged():
        refused = colleague.get(url)
    assert_refused(refused, 403, "person_id", selectors.ERR_MAY_NOT_READ_PAY)
    for reader in (person, make_person(Role.FINANCE_PARTNER), make_person(Role.DELIVERY_MANAGER)):
        assert [r["rate"] for r in api_as(reader).get(url).json()] == ["100.00"]


def test_the_audit_log_hides_a_rate_change_from_those_who_may_not_read_pay(
    make_person: MakePerson, head: Person, api_as: Callable[[Person], Client]
) -> None:
    person = make_person(Role.PSE)
    api_as(head).put(
        f"/api/v1/people/{person.pk}/cost-rates/2026-04-01",
        {"rate": "95.00", "currency": "EUR"},
        content_type=JSON,
    )
    url = (
        f"/api/v1/audit?target_type=people.person&target_id={person.pk}&action=person.cost_rate_set"
    )
    shown = {"effective_from": "2026-04-01", "cost_rate": "95.00", "cost_currency": "EUR"}
    hidden = {
        "effective_from": "2026-04-01",
        "cost_rate": audit.HIDDEN,
        "cost_currency": audit.HIDDEN,
    }
    assert [e["after"] for e in api_as(head).get(url).json()] == [shown]
    auditor = make_person(Role.PROJECT_COORDINATOR)
    log = api_as(auditor).get(url)
    if log.status_code == 200:
        assert [e["after"] for e in log.json()] == [hidden]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"rate": "-1", "currency": "USD"}, [("rate", services.ERR_COST_RATE)]),
        ({"rate": "ten", "currency": "USD"}, [("rate", pydantic_error("decimal_parsing"))]),
        (
            {"rate": "1.001", "currency": "USD"},
            [("rate", pydantic_error("decimal_max_places", decimal_places=2))],
        ),
        (
            {"rate": "90", "currency": "XYZ"},
            [("currency", services.ERR_CURRENCY.format(value="XYZ"))],
        ),
        ({"currency": "USD"}, [("rate", pydantic_error("missing"))]),
    ],
)
def test_bad_rate_input_gets_the_field_and_the_reason(
    make_person: MakePerson,
    head: Person,
    api_as: Callable[[Person], Client],
    body: dict[str, str],
    errors: list[tuple[str, str]],
) -> None:
    person = make_person(Role.PSE)
    client = api_as(head)
    with unchanged():
        response = client.put(
            f"/api/v1/people/{person.pk}/cost-rates/2026-04-01", body, content_type=JSON
        )
    assert_invalid(response, *errors)


def test_a_date_that_is_not_a_date_is_refused(
    make_person: MakePerson, head: Person, api_as: Callable[[Person], Client]
) -> None:
    person = make_person(Role.PSE)
    client = api_as(head)
    with unchanged():
        response = client.put(
            f"/api/v1/people/{person.pk}/cost-rates/2026-02-30",
            {"rate": "1", "currency": "USD"},
            content_type=JSON,
        )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["effective_from"]


def test_a_patch_with_a_rate_is_refused_with_where_rates_go(
    make_person: MakePerson, head: Person, api_as: Callable[[Person], Client]
) -> None:
    person = make_person(Role.PSE)
    client = api_as(head)
    with unchanged():
        response = client.patch(
            f"/api/v1/people/{person.pk}", {"cost_rate": "1.00"}, content_type=JSON
        )
    assert_refused(response, 422, "cost_rate", services.ERR_RATE_FIELDS.format(id=person.pk))


# ------------------------------------------------------------------ the person's page


def test_the_head_of_ps_sets_a_rate_on_the_page(
    make_person: MakePerson, head: Person, client_for: Callable[[Person], Client]
) -> None:
    person = make_person(Role.PSE, cost_rate="90.00")
    client = client_for(head)
    response = client.post(
        f"/people/{person.pk}/cost-rates/",
        {"rate-effective_from": "2026-04-01", "rate-rate": "95.50", "rate-currency": "EUR"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/people/{person.pk}/#cost-rates"
    assert rates(person)[-1] == (APRIL, Decimal("95.50"), "EUR")
    page = client.get(response["Location"]).content.decode()
    assert flash("Cost rate from 1 Apr 2026 saved.", "success") in page
    assert "<td>Wed 1 Apr 2026</td>" in page
    assert "<td>Tue 31 Mar 2026</td>" in page  # the first rate's last day


def test_bad_input_on_the_page_is_shown_and_changes_nothing(
    make_person: MakePerson, head: Person, client_for: Callable[[Person], Client]
) -> None:
    person = make_person(Role.PSE)
    client = client_for(head)
    with unchanged():
        response = client.post(
            f"/people/{person.pk}/cost-rates/",
            {"rate-effective_from": "2026-04-01", "rate-rate": "-3", "rate-currency": "EUR"},
        )
    assert response.status_code == 422
    page = response.content.decode()
    assert field_error("id_rate-rate", services.ERR_COST_RATE) in page
    assert form_error(MARKED_FIELDS, prefix="rate") in page or MARKED_FIELDS in page


def test_the_page_shows_rates_only_to_pay_readers_and_the_form_only_to_the_head(
    make_person: MakePerson, head: Person, client_for: Callable[[Person], Client]
) -> None:
    person = make_person(Role.PSE, cost_rate="90.00")
    finance = make_person(Role.FINANCE_PARTNER)
    colleague = make_person(Role.PSE)
    seen = {}
    for who in (head, finance, person, colleague):
        page = client_for(who).get(f"/people/{person.pk}/").content.decode()
        seen[who.pk] = ('id="cost-rates"' in page, 'name="rate-rate"' in page)
    assert seen == {
        head.pk: (True, True),
        finance.pk: (True, False),
        person.pk: (True, False),
        colleague.pk: (False, False),
    }
    client = client_for(finance)
    with unchanged():
        refused = client.post(
            f"/people/{person.pk}/cost-rates/",
            {"rate-effective_from": "2026-04-01", "rate-rate": "1", "rate-currency": "USD"},
        )
    assert refused.status_code == 403
    assert refusal_page(services.ERR_MAY_NOT_GRANT) in refused.content.decode()


def test_removing_a_rate_on_the_page(
    make_person: MakePerson, head: Person, client_for: Callable[[Person], Client]
) -> None:
    person = make_person(Role.PSE, cost_rate="90.00")
    CostRate.objects.create(person=person, effective_from=APRIL, rate=Decimal("99"), currency="USD")
    client = client_for(head)
    response = client.post(f"/people/{person.pk}/cost-rates/2026-04-01/delete/")
    assert response.status_code == 302
    assert rates(person) == [(START, Decimal("90.00"), "USD")]
    assert client.post(f"/people/{person.pk}/cost-rates/2026-04-01/delete/").status_code == 404
    assert client.post(f"/people/{person.pk}/cost-rates/April/delete/").status_code == 404
