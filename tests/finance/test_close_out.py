"""The close-out: an engagement's budget and actual hours and cost with their variance,
revenue recognised and margin, per person and per work item, once all its time is finally
approved (refused, naming who, before); as JSON, a page and a workbook LibreOffice opens."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from psa.core import clock
from psa.core.errors import Conflict, PermissionDenied
from psa.core.roles import Actor, Role
from psa.finance import selectors
from psa.finance.selectors import CostLine
from psa.people.models import Person
from psa.timetracking.certification import services as cert_services
from psa.timetracking.models import QuarterlyCertification
from tests.finance.conftest import NO_SHEETS, NOW, Books
from tests.helpers import assert_refused

D = Decimal
MakePerson = Callable[..., Person]


def approve_bo(books: Books, actor_of: Callable[[Person], Actor]) -> None:
    cert = QuarterlyCertification.objects.get(person=books.bo)
    with clock.frozen(NOW):
        for who, step in (
            (books.manager, "manager"),
            (books.head, "head"),
            (books.finance, "finance"),
        ):
            cert = cert_services.certification_decide(
                actor=actor_of(who), certification=cert, step=step, approve=True, reason=NO_SHEETS
            )


def test_refused_while_time_is_unapproved(
    books: Books, actor_of: Callable[[Person], Actor]
) -> None:
    with clock.frozen(NOW), pytest.raises(Conflict) as exc:
        selectors.close_out(actor=actor_of(books.finance), engagement_id=books.tm.pk)
    assert exc.value.message == selectors.ERR_CLOSE_OUT_UNAPPROVED.format(who="Bo Dupont 8.00 h")


def test_the_figures_once_approved(books: Books, actor_of: Callable[[Person], Actor]) -> None:
    approve_bo(books, actor_of)
    with clock.frozen(NOW):
        close = selectors.close_out(actor=actor_of(books.finance), engagement_id=books.sow.pk)
    assert (close.start, close.budget_hours, close.actual_hours) == (
        books.sow.start_date,
        D("30.00"),
        D("24.00"),
    )
    assert (close.hours_variance, close.hours_variance_percent) == (D("-6.00"), D("-20.0"))
    assert close.cost == {"USD": D("2400.00")}
    assert close.budget_cost == {"USD": D("3000.00")}  # 30 h at the 100 USD per hour worked
    assert close.cost_variance == {"USD": D("-600.00")}
    assert close.revenue == D("50000.00")  # both milestones reached, October's included
    assert (close.margin.margin, close.margin.margin_percent) == ({"USD": D("47600.00")}, D("95.2"))
    assert close.people == [CostLine(books.bo.pk, "Bo Dupont", D("24.00"), {"USD": D("2400.00")})]
    assert [(w.hours, w.cost) for w in close.work_items] == [(D("24.00"), {"USD": D("2400.00")})]


def test_time_and_materials_in_two_currencies_has_no_margin(
    books: Books, actor_of: Callable[[Person], Actor]
) -> None:
    approve_bo(books, actor_of)
    with clock.frozen(NOW):
        close = selectors.close_out(actor=actor_of(books.finance), engagement_id=books.tm.pk)
    assert (close.revenue, close.cost) == (D("2740.00"), {"USD": D("1800.00")})  # + Bo's 8 × 150
    assert (close.margin.comparable, close.margin.margin) == (False, {})
    assert [p.name for p in close.people] == ["Ada Lovelace", "Bo Dupont"]


def test_only_finance_and_not_without_time(
    books: Books, make_person: MakePerson, actor_of: Callable[[Person], Actor]
) -> None:
    with pytest.raises(PermissionDenied):
        selectors.close_out(actor=actor_of(make_person(Role.PSE)), engagement_id=books.sow.pk)
    with pytest.raises(Conflict) as exc:
        selectors.close_out(actor=actor_of(books.finance), engagement_id=books.packaged.pk)
    assert exc.value.message == selectors.ERR_CLOSE_OUT_NO_TIME


def test_the_api_the_page_and_the_workbook(
    books: Books,
    actor_of: Callable[[Person], Actor],
    api_as: Callable[[Person], Client],
    client_for: Callable[[Person], Client],
) -> None:
    client = api_as(books.finance)
    with clock.frozen(NOW):
        refused = client.get(f"/api/v1/finance/close-outs/{books.tm.pk}")
    assert_refused(
        refused,
        409,
        "engagement_id",
        selectors.ERR_CLOSE_OUT_UNAPPROVED.format(who="Bo Dupont 8.00 h"),
    )
    approve_bo(books, actor_of)
    with clock.frozen(NOW):
        body = client.get(f"/api/v1/finance/close-outs/{books.sow.pk}").json()
        workbook = client.get(f"/api/v1/finance/close-outs/{books.sow.pk}/xlsx")
        page = client_for(books.finance).get(f"/finance/close-out/{books.sow.pk}/")
    assert (body["hours_variance"], body["cost_variance"]) == (
        "-6.00",
        [{"currency": "USD", "amount": "-600.00"}],
    )
    book = load_workbook(io.BytesIO(workbook.content))
    assert book.sheetnames == ["Close-out", "People", "Work items"]
    summary = {row[0]: row[1] for row in book["Close-out"].iter_rows(values_only=True)}
    assert (summary["Actual hours"], summary["Hours variance (actual − budget)"]) == (24, -6)
    assert summary["Cost variance (actual − budget)"] == "-600.00 USD"
    assert list(book["People"].iter_rows(values_only=True)) == [
        ("Person", "Hours", "Cost USD"),
        ("Bo Dupont", 24, 2400),
    ]
    assert page.status_code == 200
    assert "Download XLSX" in page.content.decode()
