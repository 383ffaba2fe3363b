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


def test_cost_summed_coarsely_equals_each_day_at_its_rate(
    make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    """The cost is summed per person over the period where one rate holds, per month where it
    changes, a day at a time only in the month it changes or is missing: the same as pricing
    every day on its own, exactly; the days before a first rate are a gap, not 0."""
    from psa.people import selectors as people_selectors
    from psa.timetracking import selectors as time_selectors
    from tests.engagements.factories import EngagementFactory
    from tests.finance.conftest import item, log

    steady = make_person(Role.PSE, start_date=dt.date(2026, 1, 1))  # 100.00 throughout
    changes = make_person(Role.PSE, start_date=dt.date(2026, 1, 1))
    CostRate.objects.create(
        person=changes, effective_from=dt.date(2026, 12, 15), rate=D("133.33"), currency="USD"
    )
    late = make_person(Role.PSE, start_date=dt.date(2026, 1, 1), cost_rate=False)
    CostRate.objects.create(
        person=late, effective_from=dt.date(2027, 1, 10), rate=D("77.77"), currency="EUR"
    )
    finance = actor_of(make_person(Role.FINANCE_PARTNER))
    one, two = EngagementFactory.create(), EngagementFactory.create()
    people = [steady.pk, changes.pk, late.pk]
    with clock.frozen(NOW):
        for n, day in enumerate(START + dt.timedelta(days=i) for i in range(0, 92, 3)):
            for person, engagement in ((steady, one), (changes, one), (changes, two), (late, two)):
                log(person, item(engagement), day, f"{1 + n % 7}.25")
        report = selectors.margin(actor=finance, start=START, end=END)
    exact, _ = selectors._engagement_costs(START, END)
    # The reference: every engagement-person-day priced on its own.
    hours = time_selectors.engagement_hours_by_day_of(start=START, end=END, person_ids=people)
    series = people_selectors.cost_rate_series(person_ids=people)
    priced = rules.price(
        {((eid, pid), day): h for (eid, pid, day), h in hours.items()},
        {(eid, pid): series[pid] for eid, pid, _ in hours},
    )
    reference: dict[tuple[int, str], Decimal] = {}
    for (eid, _), amounts in priced.amounts.items():
        for currency, amount in amounts.items():
            reference[(eid, currency)] = reference.get((eid, currency), D(0)) + amount
    assert exact == reference
    assert set(exact) == {(one.pk, "USD"), (two.pk, "USD"), (two.pk, "EUR")}
    assert [(g.owner_id, g.first, g.last) for g in report.cost_gaps] == [
        (late.pk, START, dt.date(2027, 1, 9))
    ]
