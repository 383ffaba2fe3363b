"""Gross margin: revenue recognised less the cost of the hours worked on each engagement in
the period, each hour at its person's cost rate of that day; per engagement, customer and
kind; never across currencies; hours without a cost rate listed, not costed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client

from psa.core import clock
from psa.core.errors import ValidationFailed
from psa.core.roles import SYSTEM, Actor, Role
from psa.finance import rules, selectors
from psa.finance.selectors import RateGap
from psa.people.models import CostRate, Person
from psa.timetracking import services as time_services
from psa.timetracking.models import WorkItem
from tests.finance.conftest import END, NOW, START, Books
from tests.helpers import assert_refused

D = Decimal
MakePerson = Callable[..., Person]


def figures(m: rules.Margin) -> tuple[object, ...]:
    return (m.revenue, m.cost, m.margin, m.margin_percent, m.comparable)


def test_per_engagement(books: Books, actor_of: Callable[[Person], Actor]) -> None:
    with clock.frozen(NOW):
        report = selectors.margin(actor=actor_of(books.finance), start=START, end=END)
    rows = {r.engagement_id: r.figures for r in report.rows}
    # the SOW: 25,000 recognised, Bo's 24 h at 100 USD
    assert figures(rows[books.sow.pk]) == (
        {"USD": D("25000.00")},
        {"USD": D("2400.00")},
        {"USD": D("22600.00")},
        D("90.4"),
        True,
    )
    # time and materials bills in EUR and costs in USD: no margin is made of the two
    assert figures(rows[books.tm.pk]) == (
        {"EUR": D("1540.00")},
        {"USD": D("1800.00")},
        {},
        None,
        False,
    )
    assert figures(rows[books.packaged.pk]) == (
        {"USD": D("20000.00")},
        {},
        {"USD": D("20000.00")},
        D("100.0"),
        True,
    )
    assert report.cost_gaps == []


def test_per_kind_and_customer(books: Books, actor_of: Callable[[Person], Actor]) -> None:
    reader = actor_of(books.finance)
    with clock.frozen(NOW):
        by_kind = selectors.margin(actor=reader, start=START, end=END, group="kind")
        by_customer = selectors.margin(actor=reader, start=START, end=END, group="customer")
    assert [(r.key, r.label) for r in by_kind.rows] == [
        ("custom_sow", "Custom SOW"),
        ("embedded_engineer", "Embedded Engineer (T&M)"),
        ("packaged", "Packaged"),
    ]
    assert by_kind.rows[0].figures.margin == {"USD": D("22600.00")}
    assert {r.label for r in by_customer.rows} == {
        books.sow.customer.name,
        books.tm.customer.name,
        books.packaged.customer.name,
    }


def test_each_hour_is_costed_at_the_rate_of_its_day_and_a_missing_rate_is_listed(
    books: Books, make_person: MakePerson, actor_of: Callable[[Person], Actor]
) -> None:
    CostRate.objects.create(
        person=books.bo, effective_from=dt.date(2026, 11, 3), rate=D("120"), currency="USD"
    )
    newcomer = make_person(Role.PSE, name="Nia Newcomer", cost_rate=False)
    sow_item = WorkItem.objects.get(engagement=books.sow)
    with clock.frozen(NOW):
        time_services.time_entry_create(
            actor=SYSTEM, person=newcomer, work_item=sow_item, date=dt.date(2026, 12, 7), hours="5"
        )
        report = selectors.margin(actor=actor_of(books.finance), start=START, end=END)
    sow = next(r.figures for r in report.rows if r.engagement_id == books.sow.pk)
    # 2 Nov at 100, 3 and 4 Nov at 120: 800 + 1,920; the newcomer's 5 h have no rate
    assert sow.cost == {"USD": D("2720.00")}
    assert report.cost_gaps == [
        RateGap(
            newcomer.pk, "Nia Newcomer", dt.date(2026, 12, 7), dt.date(2026, 12, 7), 1, D("5.00")
        )
    ]


def test_a_bad_group_is_refused(books: Books, actor_of: Callable[[Person], Actor]) -> None:
    with pytest.raises(ValidationFailed) as exc:
        selectors.margin(actor=actor_of(books.finance), start=START, end=END, group="person")
    assert [(e.field, e.message) for e in exc.value.errors] == [
        ("group", selectors.ERR_MARGIN_GROUP)
    ]


def test_the_api_and_the_page(
    books: Books,
    make_person: MakePerson,
    api_as: Callable[[Person], Client],
    client_for: Callable[[Person], Client],
) -> None:
    client = api_as(books.finance)
    body = client.get(
        "/api/v1/finance/margin", {"start": "2026-11-01", "end": "2027-01-31", "group": "kind"}
    ).json()
    assert body["rows"][0]["figures"] == {
        "revenue": [{"currency": "USD", "amount": "25000.00"}],
        "cost": [{"currency": "USD", "amount": "2400.00"}],
        "margin": [{"currency": "USD", "amount": "22600.00"}],
        "margin_percent": "90.4",
        "comparable": True,
    }
    bad = client.get(
        "/api/v1/finance/margin", {"start": "2026-11-01", "end": "2027-01-31", "group": "x"}
    )
    assert_refused(bad, 422, "group", selectors.ERR_MARGIN_GROUP)
    refused = api_as(make_person(Role.DELIVERY_MANAGER)).get(
        "/api/v1/finance/margin", {"start": "2026-11-01", "end": "2027-01-31"}
    )
    assert refused.status_code == 403
    page = (
        client_for(books.finance)
        .get(
            "/finance/margin/", {"start": "2026-11-01", "end": "2027-01-31", "group": "engagement"}
        )
        .content.decode()
    )
    assert '<span class="muted">two currencies</span>' in page
    assert "<span>22,600.00 USD</span>" in page
