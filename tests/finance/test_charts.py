"""The finance pages' charts: each part of the period (weeks, months, quarters) from the same
selectors as the tables, one chart per currency, and the numbers beside the picture."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.test import Client

from psa.core import clock
from psa.core.roles import Actor
from psa.engagements.models import Kind
from psa.finance import charts, selectors
from psa.people.models import Person
from tests.finance.conftest import END, NOW, START, Books

D = Decimal


def test_revenue_month_by_month_per_currency(
    books: Books, actor_of: Callable[[Person], Actor]
) -> None:
    finance = actor_of(books.finance)
    with clock.frozen(NOW):
        parts = selectors.revenue_over_time(actor=finance, start=START, end=END)
    assert parts == [
        ("Nov 26", {(Kind.EMBEDDED_ENGINEER, "EUR"): D("900.00")}),  # Ada's 6 h at 150
        (
            "Dec 26",
            {(Kind.CUSTOM_SOW, "USD"): D("25000.00"), (Kind.PACKAGED, "USD"): D("20000.00")},
        ),
        ("Jan 27", {(Kind.EMBEDDED_ENGINEER, "EUR"): D("640.00")}),  # 4 h at 160
    ]
    eur, usd = charts.revenue(parts)
    assert (eur.title, eur.columns) == ("Revenue recognised (EUR)", ["Embedded Engineer (T&M)"])
    assert eur.rows == [("Nov 26", [D("900.00")]), ("Dec 26", [None]), ("Jan 27", [D("640.00")])]
    assert usd.columns == ["Packaged", "Custom SOW"]
    assert usd.rows[1] == ("Dec 26", [D("20000.00"), D("25000.00")])


def test_utilization_over_time_sums_each_part_then_divides(
    books: Books, actor_of: Callable[[Person], Actor]
) -> None:
    finance = actor_of(books.finance)
    with clock.frozen(NOW):
        parts = selectors.utilization_over_time(actor=finance, start=START, end=END)
        whole = selectors.utilization(actor=finance, start=START, end=END).total
    assert [label for label, _ in parts] == ["Nov 26", "Dec 26", "Jan 27"]
    assert sum((u.billable for _, u in parts), D(0)) == whole.billable
    assert sum((u.capacity for _, u in parts), D(0)) == whole.capacity
    chart = charts.utilization(parts)
    assert chart.columns == ["Billable", "Productive", "Target"]
    assert [values[0] for _, values in chart.rows] == [u.billable_utilization for _, u in parts]


def test_the_pages_draw_them_with_their_numbers(
    books: Books, client_for: Callable[[Person], Client]
) -> None:
    client = client_for(books.finance)
    period = f"start={START}&end={END}"
    with clock.frozen(NOW):
        pages = {
            name: client.get(f"/finance/{name}/?{period}{extra}").content.decode()
            for name, extra in (("revenue", ""), ("margin", "&group=engagement"))
        }
        pages["utilization"] = client.get(
            f"/finance/utilization/?{period}&group=person"
        ).content.decode()
        pages["forecast"] = client.get("/finance/forecast/").content.decode()
    assert '<figure class="chart" id="revenue-recognised-eur">' in pages["revenue"]
    assert "<title>Nov 26 · Embedded Engineer (T&amp;M): 900 EUR</title>" in pages["revenue"]
    assert '<figure class="chart" id="revenue-cost-and-margin-usd">' in pages["margin"]
    assert '<figure class="chart" id="utilization-chart">' in pages["utilization"]
    assert '<figure class="chart" id="forecast-chart">' in pages["forecast"]
    for html in pages.values():
        assert "<summary>The numbers</summary>" in html
        assert " style=" not in html  # the Content-Security-Policy allows no inline style
