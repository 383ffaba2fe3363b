"""Period close: finance closes an ended month or fiscal quarter and its revenue, cost and
margin never change afterwards; a late change lands in the first open period as a
prior-period adjustment; a rate dated into it is refused; reopening needs a reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import partial

import pytest
from django.db import connection
from django.test import Client

from psa.core import clock
from psa.core.errors import Conflict, PermissionDenied, ValidationFailed
from psa.core.models import AuditEntry
from psa.core.roles import SYSTEM, Actor, Role
from psa.engagements import services as engagement_services
from psa.finance import flows, selectors, services
from psa.finance.models import ClosedFigure, FiscalPeriod
from psa.people.models import Person
from tests.finance.conftest import END, NOW, START, Books
from tests.helpers import assert_refused, unchanged

D = Decimal
MakePerson = Callable[..., Person]
FEB, APR = dt.date(2027, 2, 1), dt.date(2027, 4, 30)  # FY28 Q1


def figures(report: selectors.MarginReport) -> dict[int, tuple[object, ...]]:
    return {r.engagement_id or 0: (r.figures.revenue, r.figures.cost) for r in report.rows}


def close_q4(books: Books, actor_of: Callable[[Person], Actor]) -> FiscalPeriod:
    with clock.frozen(NOW):
        return flows.period_close(actor=actor_of(books.finance), start=START, end=END)


def test_closing_freezes_the_figures_as_they_are(
    books: Books, actor_of: Callable[[Person], Actor]
) -> None:
    reader = actor_of(books.finance)
    with clock.frozen(NOW):
        before = selectors.margin(actor=reader, start=START, end=END)
    period = close_q4(books, actor_of)
    assert (period.label, period.start, period.end, period.closed_by) == (
        "FY27 Q4",
        START,
        END,
        books.finance.user.get_username() if books.finance.user else "",
    )
    assert sorted(
        ClosedFigure.objects.values_list("engagement_id", "currency", "revenue", "cost")
    ) == sorted(
        [
            (books.sow.pk, "USD", D("25000.00"), D("2400.00")),
            (books.tm.pk, "EUR", D("1540.00"), D("0.00")),
            (books.tm.pk, "USD", D("0.00"), D("1800.00")),
            (books.packaged.pk, "USD", D("20000.00"), D("0.00")),
        ]
    )
    with clock.frozen(NOW):
        after = selectors.margin(actor=reader, start=START, end=END)
    assert after.closed == "FY27 Q4"
    assert figures(after) == figures(before)
    entry = AuditEntry.objects.get(action="finance.period_close")
    assert entry.after == {
        "label": "FY27 Q4",
        "start": "2026-11-01",
        "end": "2027-01-31",
        "figures": 4,
    }


def test_a_late_change_lands_in_the_first_open_period(
    books: Books, actor_of: Callable[[Person], Actor]
) -> None:
    reader = actor_of(books.finance)
    close_q4(books, actor_of)
    third = books.sow.milestones.get(position=3)
    with clock.frozen(NOW):
        before = selectors.margin(actor=reader, start=START, end=END)
        # reached on 10 January, recorded in February: the closed quarter is late news
        engagement_services.milestone_set_reached(
            actor=SYSTEM, milestone=third, reached_on=dt.date(2027, 1, 10)
        )
        closed = selectors.margin(actor=reader, start=START, end=END)
        first_open = selectors.margin(actor=reader, start=FEB, end=APR)
    assert figures(closed) == figures(before)  # the closed quarter never changes
    assert [
        (a.period, a.engagement_id, a.figures.revenue, a.figures.cost)
        for a in first_open.adjustments
    ] == [("FY27 Q4", books.sow.pk, {"USD": D("25000.00")}, {})]
    sow_row = next(r for r in first_open.rows if r.engagement_id == books.sow.pk)
    assert sow_row.figures.revenue == {"USD": D("25000.00")}


def test_a_rate_dated_into_a_closed_period_is_refused(
    books: Books,
    make_person: MakePerson,
    actor_of: Callable[[Person], Actor],
    api_as: Callable[[Person], Client],
) -> None:
    close_q4(books, actor_of)
    head = make_person(Role.HEAD_OF_PS)
    message = services.ERR_CLOSED_RATE.format(
        day="2026-12-01", label="FY27 Q4", first_open="2027-02-01"
    )
    with unchanged(), pytest.raises(Conflict) as exc:
        flows.cost_rate_set(
            actor=actor_of(head),
            person=books.bo,
            effective_from=dt.date(2026, 12, 1),
            rate=D("120"),
            currency="USD",
        )
    assert exc.value.message == message
    client = api_as(books.finance)
    with unchanged():
        response = client.put(
            f"/api/v1/engagements/{books.tm.pk}/bill-rates/2026-12-01",
            {"rate": "170"},
            content_type="application/json",
        )
    assert_refused(response, 409, "effective_from", message)
    # From the first open day on, rates are set as ever.
    flows.cost_rate_set(
        actor=actor_of(head), person=books.bo, effective_from=FEB, rate=D("120"), currency="USD"
    )


@pytest.mark.parametrize(
    ("start", "end", "error", "message"),
    [
        (FEB, APR, ValidationFailed, services.ERR_NOT_ENDED.format(end="2027-04-30")),
        (START, dt.date(2026, 11, 15), ValidationFailed, services.ERR_NOT_A_PERIOD),
        (
            START,
            dt.date(2026, 11, 30),
            Conflict,
            services.ERR_OVERLAPS.format(label="Nov 2026", other="FY27 Q4"),
        ),
    ],
)
def test_what_cannot_be_closed(
    books: Books,
    actor_of: Callable[[Person], Actor],
    start: dt.date,
    end: dt.date,
    error: type[Exception],
    message: str,
) -> None:
    close_q4(books, actor_of)
    with unchanged(), clock.frozen(NOW), pytest.raises(error) as exc:
        flows.period_close(actor=actor_of(books.finance), start=start, end=end)
    assert exc.value.message == message  # type: ignore[attr-defined]


def test_only_the_finance_partner_closes_and_reopening_needs_a_reason(
    books: Books, make_person: MakePerson, actor_of: Callable[[Person], Actor]
) -> None:
    head = actor_of(make_person(Role.HEAD_OF_PS))
    with unchanged(), clock.frozen(NOW), pytest.raises(PermissionDenied) as refused:
        flows.period_close(actor=head, start=START, end=END)
    assert refused.value.message == services.ERR_MAY_NOT_CLOSE
    period = close_q4(books, actor_of)
    finance = actor_of(books.finance)
    with unchanged(), pytest.raises(ValidationFailed) as no_reason:
        services.period_reopen(actor=finance, period=period, reason="  ")
    assert no_reason.value.message == services.ERR_REOPEN_REASON
    services.period_reopen(actor=finance, period=period, reason="Milestone dated wrongly")
    assert not FiscalPeriod.objects.exists()
    assert not ClosedFigure.objects.exists()
    entry = AuditEntry.objects.get(action="finance.period_reopen")
    assert (entry.reason, entry.before["label"]) == ("Milestone dated wrongly", "FY27 Q4")  # type: ignore[index]


def test_the_api_and_the_page(
    books: Books,
    make_person: MakePerson,
    api_as: Callable[[Person], Client],
    client_for: Callable[[Person], Client],
) -> None:
    client = api_as(books.finance)
    with clock.frozen(NOW):
        closed = client.post(
            "/api/v1/finance/periods",
            {"start": "2026-11-01", "end": "2027-01-31"},
            content_type="application/json",
        )
        again = client.post(
            "/api/v1/finance/periods",
            {"start": "2026-11-01", "end": "2027-01-31"},
            content_type="application/json",
        )
    assert closed.status_code == 201
    assert closed.json()["label"] == "FY27 Q4"
    assert_refused(
        again, 409, "start", services.ERR_OVERLAPS.format(label="FY27 Q4", other="FY27 Q4")
    )
    assert [p["label"] for p in client.get("/api/v1/finance/periods").json()] == ["FY27 Q4"]
    margin = client.get(
        "/api/v1/finance/margin", {"start": "2026-11-01", "end": "2027-01-31"}
    ).json()
    assert margin["closed"] == "FY27 Q4"
    pse = api_as(make_person(Role.PSE))
    assert pse.get("/api/v1/finance/periods").status_code == 403
    page = client_for(books.finance).get("/finance/periods/").content.decode()
    assert "FY27 Q4" in page
    reopen = client.post(
        f"/api/v1/finance/periods/{closed.json()['id']}/reopen",
        {"reason": "Re-check"},
        content_type="application/json",
    )
    assert reopen.status_code == 204


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="locks need PostgreSQL")
def test_two_closes_at_once_close_once(books: Books, actor_of: Callable[[Person], Actor]) -> None:
    from tests.timetracking.test_concurrency import run_together

    finance = actor_of(books.finance)
    calls: list[Callable[[], object]] = [
        partial(flows.period_close, actor=finance, start=START, end=END),
        partial(flows.period_close, actor=finance, start=START, end=dt.date(2026, 11, 30)),
    ]
    assert run_together(calls, now=NOW) == ["Conflict", "ok"]
    assert FiscalPeriod.objects.count() == 1


def test_the_revenue_report_keeps_a_closed_period_and_adjusts_the_next(
    books: Books, actor_of: Callable[[Person], Actor]
) -> None:
    reader = actor_of(books.finance)
    close_q4(books, actor_of)
    third = books.sow.milestones.get(position=3)
    with clock.frozen(NOW):
        engagement_services.milestone_set_reached(
            actor=SYSTEM, milestone=third, reached_on=dt.date(2027, 1, 10)
        )
        closed = selectors.revenue(actor=reader, start=START, end=END)
        first_open = selectors.revenue(actor=reader, start=FEB, end=APR)
    assert closed.totals == {
        ("custom_sow", "USD"): D("25000.00"),
        ("embedded_engineer", "EUR"): D("1540.00"),
        ("packaged", "USD"): D("20000.00"),
    }
    assert {r.basis for r in closed.rows} == {"as recognised when FY27 Q4 closed on 2027-02-03"}
    assert [(r.engagement_id, r.recognized, r.basis) for r in first_open.rows] == [
        (books.sow.pk, D("25000.00"), "prior-period adjustment: a late change to FY27 Q4")
    ]
    assert first_open.totals == {("custom_sow", "USD"): D("25000.00")}
