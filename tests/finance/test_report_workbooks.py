"""Each finance report downloads as a workbook LibreOffice opens: the same figures as the page,
numbers as numeric cells, each currency apart."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from django.test import Client
from openpyxl import load_workbook

from psa.core import clock
from psa.finance import selectors
from psa.people.models import Person
from tests.finance.conftest import END, NOW, START, Books
from tests.helpers import assert_problem

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheets(response: Any) -> dict[str, list[tuple[object, ...]]]:
    assert (response.status_code, response["Content-Type"]) == (200, XLSX)
    book = load_workbook(io.BytesIO(response.content))
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


def test_revenue_and_margin(books: Books, api_as: Callable[[Person], Client]) -> None:
    api = api_as(books.finance)
    period = f"start={START}&end={END}"
    with clock.frozen(NOW):
        revenue = sheets(api.get(f"/api/v1/finance/revenue/xlsx?{period}"))
        margin = sheets(api.get(f"/api/v1/finance/margin/xlsx?{period}&group=kind"))
    assert revenue["Totals"] == [
        ("Kind", "Currency", "Recognised"),
        ("Custom SOW", "USD", 25000),
        ("Embedded Engineer (T&M)", "EUR", 1540),
        ("Packaged", "USD", 20000),
    ]
    assert revenue["Unapproved"][1:] == [("Bo Dupont", 8)]
    assert margin["Margin"][0] == ("Kind", "Currency", "Revenue", "Cost", "Margin", "Margin %")
    by_kind = {(r[0], r[1]): r[2:] for r in margin["Margin"][1:]}
    # Time and materials: revenue in EUR, cost in USD: no margin across the two.
    assert by_kind[("Embedded Engineer (T&M)", "EUR")] == (1540, 0, None, None)
    assert by_kind[("Embedded Engineer (T&M)", "USD")] == (0, 1800, None, None)


def test_utilization_and_forecast_from_the_pages(
    books: Books, client_for: Callable[[Person], Client], api_as: Callable[[Person], Client]
) -> None:
    page = client_for(books.finance)
    period = f"start={START}&end={END}"
    with clock.frozen(NOW):
        utilization = sheets(page.get(f"/finance/utilization/?{period}&group=person&format=xlsx"))
        forecast = sheets(page.get("/finance/forecast/?weeks=4&format=xlsx"))
        shown = page.get(f"/finance/utilization/?{period}&group=person").content.decode()
        refused = api_as(books.ada).get(f"/api/v1/finance/revenue/xlsx?{period}")
    [(_, rows)] = utilization.items()
    header, *body = rows
    assert header[:4] == ("Group", "People", "Capacity h", "Hours h")
    assert body[-1][0] == "Everyone"
    bo = next(r for r in body if r[0] == "Bo Dupont")
    assert bo[3] == 32  # his hours, numeric
    assert len(forecast["Weeks"]) == 1 + 4
    assert "format=xlsx" in shown
    assert_problem(refused, 403, selectors.ERR_MAY_NOT_READ)
