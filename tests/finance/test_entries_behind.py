"""Every figure traces to its rows: the entries behind a person's utilization, an engagement's
cost and a time and materials engagement's revenue, each priced, add up to the figure shown."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from psa.core import clock
from psa.core.errors import PermissionDenied, ValidationFailed
from psa.core.roles import Actor, Role
from psa.finance import selectors
from psa.people.models import Person
from tests.finance.conftest import END, NOW, START, Books
from tests.helpers import assert_problem, assert_refused

D = Decimal
MakePerson = Callable[..., Person]


def test_a_persons_hours_add_up_to_their_utilization(
    books: Books, actor_of: Callable[[Person], Actor]
) -> None:
    finance = actor_of(books.finance)
    with clock.frozen(NOW):
        report = selectors.utilization(actor=finance, start=START, end=END)
        behind = selectors.entries_behind(
            actor=finance, start=START, end=END, person_id=books.bo.pk
        )
    [row] = [r for r in report.rows if r.person_id == books.bo.pk]
    assert (behind.hours, behind.billable, behind.productive) == (
        row.figures.hours,
        row.figures.billable,
        row.figures.productive,
    )
    assert [
        (line.date.isoformat(), line.hours, line.rate, line.amount) for line in behind.lines
    ] == [
        ("2026-11-02", D("8.00"), D("100.00"), D("800.0000")),
        ("2026-11-03", D("8.00"), D("100.00"), D("800.0000")),
        ("2026-11-04", D("8.00"), D("100.00"), D("800.0000")),
        ("2026-12-01", D("8.00"), D("100.00"), D("800.0000")),
    ]
    assert behind.title == "Bo Dupont"


def test_an_engagements_entries_add_up_to_its_cost_and_its_approved_hours_to_its_revenue(
    books: Books, actor_of: Callable[[Person], Actor]
) -> None:
    finance = actor_of(books.finance)
    with clock.frozen(NOW):
        margin = selectors.margin(actor=finance, start=START, end=END)
        revenue = selectors.revenue(actor=finance, start=START, end=END)
        cost = selectors.entries_behind(
            actor=finance, start=START, end=END, engagement_id=books.tm.pk
        )
        approved = selectors.entries_behind(
            actor=finance, start=START, end=END, engagement_id=books.tm.pk, basis="approved"
        )
    [tm_margin] = [r for r in margin.rows if r.engagement_id == books.tm.pk]
    assert cost.amounts == tm_margin.figures.cost == {"USD": D("1800.00")}
    assert cost.hours == D("18.00")  # Bo's 8 h too: cost is of every hour worked
    [tm_revenue] = [r for r in revenue.rows if r.engagement_id == books.tm.pk]
    assert approved.amounts == {"EUR": tm_revenue.recognized} == {"EUR": D("1540.00")}
    assert [(line.person, line.hours, line.rate) for line in approved.lines] == [
        ("Ada Lovelace", D("6.00"), D("150.00")),
        ("Ada Lovelace", D("4.00"), D("160.00")),  # January's rate
    ]


def test_refused(
    books: Books, make_person: MakePerson, actor_of: Callable[[Person], Actor]
) -> None:
    finance = actor_of(books.finance)
    with pytest.raises(ValidationFailed) as whose:
        selectors.entries_behind(actor=finance, start=START, end=END)
    assert whose.value.message == selectors.ERR_ENTRIES_WHOSE
    with pytest.raises(ValidationFailed) as approved:
        selectors.entries_behind(
            actor=finance, start=START, end=END, person_id=books.ada.pk, basis="approved"
        )
    assert approved.value.message == selectors.ERR_APPROVED_NEEDS_ENGAGEMENT
    with pytest.raises(PermissionDenied):
        selectors.entries_behind(
            actor=actor_of(make_person(Role.DELIVERY_MANAGER)),
            start=START,
            end=END,
            person_id=books.ada.pk,
        )
    with pytest.raises(ValidationFailed) as reversed_period:
        selectors.entries_behind(actor=finance, start=END, end=START, person_id=books.ada.pk)
    assert reversed_period.value.message == selectors.ERR_PERIOD


def test_the_page_from_the_utilization_figure_the_workbook_and_the_api(
    books: Books,
    make_person: MakePerson,
    client_for: Callable[[Person], Client],
    api_as: Callable[[Person], Client],
) -> None:
    page = client_for(books.finance)
    api = api_as(books.finance)
    pse = api_as(make_person(Role.PSE))
    period = f"start={START}&end={END}"
    with clock.frozen(NOW):
        utilization = page.get(f"/finance/utilization/?{period}&group=person").content.decode()
        shown = page.get(f"/finance/entries/?person={books.bo.pk}&{period}")
        workbook = page.get(f"/finance/entries/?person={books.bo.pk}&{period}&format=xlsx")
        first = api.get(f"/api/v1/finance/entries?person_id={books.bo.pk}&{period}&page_size=3")
        second = api.get(
            f"/api/v1/finance/entries?person_id={books.bo.pk}&{period}&page_size=3&page=2"
        )
        nobody = api.get(f"/api/v1/finance/entries?{period}")
        denied = pse.get(f"/api/v1/finance/entries?person_id={books.bo.pk}&{period}")
        unknown = api.get(f"/api/v1/finance/entries?person_id=999999&{period}")
    link = f"/finance/entries/?person={books.bo.pk}&amp;start={START}&amp;end={END}"
    assert f'href="{link}"' in utilization
    assert shown.status_code == 200
    assert '<dd id="total-hours">32.00</dd>' in shown.content.decode()
    rows = list(load_workbook(io.BytesIO(workbook.content))["Entries"].iter_rows(values_only=True))
    assert rows[0][-1] == "Amount"
    assert (rows[-2][0], rows[-2][5]) == ("Total", 32)
    assert rows[-1] == ("Amount USD", None, None, None, None, None, None, None, 3200)
    body = first.json()
    assert (body["count"], body["pages"], len(body["items"]), body["hours"]) == (4, 2, 3, "32.00")
    assert body["amounts"] == [{"currency": "USD", "amount": "3200.00"}]
    assert [i["date"] for i in second.json()["items"]] == ["2026-12-01"]
    assert_refused(nobody, 422, "person_id", selectors.ERR_ENTRIES_WHOSE)
    assert_problem(denied, 403, selectors.ERR_MAY_NOT_READ)
    assert unknown.status_code == 404


def test_a_close_out_persons_hours_lead_to_their_entries_on_it(
    books: Books, actor_of: Callable[[Person], Actor], client_for: Callable[[Person], Client]
) -> None:
    from tests.finance.test_close_out import approve_bo

    approve_bo(books, actor_of)
    page = client_for(books.finance)
    with clock.frozen(NOW):
        close = selectors.close_out(actor=actor_of(books.finance), engagement_id=books.sow.pk)
        shown = page.get(f"/finance/close-out/{books.sow.pk}/").content.decode()
        behind = selectors.entries_behind(
            actor=actor_of(books.finance),
            start=close.start,
            end=close.end,
            person_id=books.bo.pk,
            engagement_id=books.sow.pk,
        )
    link = (
        f"/finance/entries/?person={books.bo.pk}&amp;engagement={books.sow.pk}"
        f"&amp;start={close.start}&amp;end={close.end}"
    )
    assert f'href="{link}"' in shown
    [line] = close.people
    assert (behind.hours, behind.amounts) == (line.hours, line.cost)
    assert behind.title == f"Bo Dupont · {books.sow.customer.name} — Migration"
