"""Revenue recognised in a period, by engagement kind: packaged on its completion date, custom
SOW by the milestones reached in the period (with the hours-based percent complete and the
estimate at completion beside it), time and materials on finally approved hours × the bill
rate of each day; what is not yet approved, per person; currencies apart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.test import Client

from psa.core import clock
from psa.core.roles import Actor, Role
from psa.engagements.models import Engagement
from psa.finance import selectors
from psa.finance.selectors import RevenueRow, UnapprovedHours
from psa.people.models import Person
from psa.timetracking.certification import services as cert_services
from psa.timetracking.models import TimeEntry
from tests.finance.conftest import END, NOW, START, Books
from tests.helpers import assert_refused

MakePerson = Callable[..., Person]
D = Decimal


def name(e: Engagement) -> str:
    return f"{e.customer.name} — {e.name}"


def test_each_kind_is_recognised_by_its_rule(
    books: Books, actor_of: Callable[[Person], Actor]
) -> None:
    with clock.frozen(NOW):
        report = selectors.revenue(actor=actor_of(books.finance), start=START, end=END)
    sow, tm, packaged = books.sow, books.tm, books.packaged
    assert report.rows == [
        RevenueRow(
            sow.pk,
            name(sow),
            "custom_sow",
            "USD",
            D("25000.00"),  # 50 % complete of which 25 % in this quarter
            "reached: 50 % complete (25.00 %) on 2026-12-05",
            hours_percent=D("80.0"),  # 24 of 30 budget hours
            milestone_percent=D("50.00"),
            estimate_at_completion=D("48.00"),
            lagging=True,
        ),
        RevenueRow(
            tm.pk,
            name(tm),
            "embedded_engineer",
            "EUR",
            D("1540.00"),  # 6 h × 150 in November + 4 h × 160 in January: Ada's, approved
            "10.00 approved h × the bill rate of each day",
        ),
        RevenueRow(
            packaged.pk,
            name(packaged),
            "packaged",
            "USD",
            D("20000.00"),
            "completed on 2026-12-10",
        ),
    ]
    assert report.totals == {
        ("custom_sow", "USD"): D("25000.00"),
        ("embedded_engineer", "EUR"): D("1540.00"),
        ("packaged", "USD"): D("20000.00"),
    }
    assert report.unapproved == [UnapprovedHours(books.bo.pk, "Bo Dupont", D("8.00"))]
    assert report.gaps == []


def test_an_adjustment_counts_once_approved_and_a_reopened_quarter_not_at_all(
    books: Books, actor_of: Callable[[Person], Actor]
) -> None:
    reader = actor_of(books.finance)
    with clock.frozen(NOW):
        entry = TimeEntry.objects.get(person=books.ada, date=dt.date(2027, 1, 20))
        cert_services.time_entry_adjust(
            actor=actor_of(books.ada), entry=entry, hours="2", reason="Forgot the Friday call"
        )
        adjusted = selectors.revenue(actor=reader, start=START, end=END)
    tm_row = next(r for r in adjusted.rows if r.engagement_id == books.tm.pk)
    assert tm_row.recognized == D("1540.00")  # the approval before the adjustment still stands
    assert adjusted.unapproved == [
        UnapprovedHours(books.ada.pk, "Ada Lovelace", D("2.00")),
        UnapprovedHours(books.bo.pk, "Bo Dupont", D("8.00")),
    ]


def test_a_quarter_finance_reopened_is_not_approved(
    books: Books, actor_of: Callable[[Person], Actor]
) -> None:
    from psa.timetracking.models import QuarterlyCertification

    reader = actor_of(books.finance)
    with clock.frozen(NOW):
        cert = QuarterlyCertification.objects.get(person=books.ada)
        cert_services.certification_reopen(actor=reader, certification=cert, reason="Re-check")
        report = selectors.revenue(actor=reader, start=START, end=END)
    assert [r.kind for r in report.rows] == ["custom_sow", "packaged"]
    assert report.unapproved == [
        UnapprovedHours(books.ada.pk, "Ada Lovelace", D("10.00")),
        UnapprovedHours(books.bo.pk, "Bo Dupont", D("8.00")),
    ]


def test_another_period_recognises_nothing_of_these(
    books: Books, actor_of: Callable[[Person], Actor]
) -> None:
    report = selectors.revenue(
        actor=actor_of(books.finance), start=dt.date(2027, 2, 1), end=dt.date(2027, 4, 30)
    )
    assert (report.rows, report.totals, report.unapproved) == ([], {}, [])


def test_the_api_and_the_page(
    books: Books,
    make_person: MakePerson,
    api_as: Callable[[Person], Client],
    client_for: Callable[[Person], Client],
) -> None:
    client = api_as(books.finance)
    body = client.get(
        "/api/v1/finance/revenue", {"start": "2026-11-01", "end": "2027-01-31"}
    ).json()
    assert body["totals"] == [
        {"kind": "custom_sow", "currency": "USD", "amount": "25000.00"},
        {"kind": "embedded_engineer", "currency": "EUR", "amount": "1540.00"},
        {"kind": "packaged", "currency": "USD", "amount": "20000.00"},
    ]
    assert body["unapproved"] == [{"person_id": books.bo.pk, "name": "Bo Dupont", "hours": "8.00"}]
    reversed_period = client.get(
        "/api/v1/finance/revenue", {"start": "2027-01-31", "end": "2026-11-01"}
    )
    assert_refused(reversed_period, 422, "end", selectors.ERR_PERIOD)
    refused = api_as(make_person(Role.PSE)).get(
        "/api/v1/finance/revenue", {"start": "2026-11-01", "end": "2027-01-31"}
    )
    assert refused.status_code == 403
    page = (
        client_for(books.finance)
        .get("/finance/revenue/", {"start": "2026-11-01", "end": "2027-01-31"})
        .content.decode()
    )
    assert "<strong>1,540.00 EUR</strong> Embedded Engineer (T&amp;M)" in page
    ahead = '<span class="visually-hidden">(ahead of the milestones)</span>'
    assert f'<td class="num overrun">80.0 {ahead}</td>' in page
    assert f'<a href="/people/{books.bo.pk}/">Bo Dupont</a></th><td class="num">8.00</td>' in page
