"""Revenue recognised in a period, by engagement kind: packaged on its completion date, custom
SOW by the milestones reached in the period (with the hours-based percent complete and the
estimate at completion beside it), time and materials on finally approved hours × the bill
rate of each day; what is not yet approved, per person; currencies apart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client

from psa.core import clock
from psa.core.roles import SYSTEM, Actor, Role
from psa.engagements import services as engagement_services
from psa.engagements.models import BillRate, Engagement, Kind, Status
from psa.finance import selectors
from psa.finance.selectors import RevenueRow, UnapprovedHours
from psa.people.models import Person
from psa.timetracking import services as time_services
from psa.timetracking.certification import services as cert_services
from psa.timetracking.models import TimeEntry, WorkItem
from tests.engagements.factories import EngagementFactory
from tests.helpers import assert_refused
from tests.timetracking.factories import WorkItemFactory, category

MakePerson = Callable[..., Person]
D = Decimal
START, END = dt.date(2026, 11, 1), dt.date(2027, 1, 31)  # FY27 Q4
NOW = dt.datetime(2027, 2, 3, 9, tzinfo=dt.UTC)
NO_SHEETS = "no timesheets in this test"


@dataclass(frozen=True)
class Books:
    ada: Person
    bo: Person
    finance: Person
    tm: Engagement
    sow: Engagement
    packaged: Engagement


def item(engagement: Engagement) -> WorkItem:
    return WorkItemFactory.create(
        engagement=engagement, epic=category("Project Work", "All project hours")
    )


def log(person: Person, work_item: WorkItem, day: dt.date, hours: str) -> None:
    time_services.time_entry_create(
        actor=SYSTEM, person=person, work_item=work_item, date=day, hours=hours
    )


@pytest.fixture
def books(make_person: MakePerson, actor_of: Callable[[Person], Actor]) -> Books:
    manager = make_person(Role.DELIVERY_MANAGER)
    head = make_person(Role.HEAD_OF_PS)
    finance = make_person(Role.FINANCE_PARTNER, name="Ellen Finance")
    ada = make_person(Role.PSE, name="Ada Lovelace", manager=manager)
    bo = make_person(Role.PSE, name="Bo Dupont", manager=manager)
    tm = EngagementFactory.create(
        kind=Kind.EMBEDDED_ENGINEER, currency="EUR", name="Platform", status=Status.ACTIVE
    )
    BillRate.objects.create(engagement=tm, effective_from=START, rate=D("150"))
    BillRate.objects.create(engagement=tm, effective_from=dt.date(2027, 1, 1), rate=D("160"))
    sow = engagement_services.engagement_create(
        actor=SYSTEM,
        data=engagement_services.EngagementInput(
            customer_id=EngagementFactory.create().customer_id,
            name="Migration",
            kind=Kind.CUSTOM_SOW,
            contract_value=D("100000"),
            budget_hours=D("30"),
            start_date=dt.date(2026, 10, 1),
        ),
    )
    first, second, *_ = list(sow.milestones.order_by("position"))
    engagement_services.milestone_set_reached(
        actor=SYSTEM, milestone=first, reached_on=dt.date(2026, 10, 15)
    )
    engagement_services.milestone_set_reached(
        actor=SYSTEM, milestone=second, reached_on=dt.date(2026, 12, 5)
    )
    packaged = EngagementFactory.create(
        kind=Kind.PACKAGED, name="Health check", contract_value=D("20000"), status=Status.ACTIVE
    )
    with clock.frozen(dt.datetime(2026, 12, 10, 12, tzinfo=dt.UTC)):
        engagement_services.engagement_set_status(
            actor=SYSTEM, engagement=packaged, status=Status.COMPLETE
        )
    with clock.frozen(NOW):
        tm_item = item(tm)
        log(ada, tm_item, dt.date(2026, 11, 16), "6")
        log(ada, tm_item, dt.date(2027, 1, 20), "4")
        log(bo, tm_item, dt.date(2026, 12, 1), "8")
        sow_item = item(sow)
        for day in (2, 3, 4):
            log(bo, sow_item, dt.date(2026, 11, day), "8")
        cert = cert_services.certification_generate(
            actor=actor_of(manager), person=ada, year=2027, quarter=4
        )
        for who, step in ((manager, "manager"), (head, "head"), (finance, "finance")):
            cert = cert_services.certification_decide(
                actor=actor_of(who), certification=cert, step=step, approve=True, reason=NO_SHEETS
            )
        cert_services.certification_generate(
            actor=actor_of(manager), person=bo, year=2027, quarter=4
        )
    return Books(ada, bo, finance, tm, sow, packaged)


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
