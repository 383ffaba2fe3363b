"""The time pages' charts: the hours report's epics and weeks, the certification queue's hours
against capacity with its flags, My week's days against their hours — each from the figures
its page's table shows, and an empty period drawn as the empty state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from psa.core import clock
from psa.core.charts import Bar, Row
from psa.core.roles import SYSTEM, Role
from psa.people.models import Person
from psa.timetracking import charts, report_selectors, services
from psa.timetracking.certification import selectors as cert_selectors
from tests.timetracking.factories import WorkItemFactory
from tests.timetracking.test_certification_queue import NOW as QUEUE_NOW
from tests.timetracking.test_certification_queue import WAITING, Org, org  # noqa: F401
from tests.timetracking.test_report import FY27_Q4, World, world  # noqa: F401
from tests.timetracking.test_report import NOW as REPORT_NOW

pytestmark = pytest.mark.django_db
D = Decimal


WEEK_NOW = dt.datetime(2026, 11, 25, 15, tzinfo=dt.UTC)  # a Wednesday


@pytest.fixture(autouse=True)
def _now(settings: Any, request: pytest.FixtureRequest) -> Iterator[None]:
    """Each page's fixture at its own today (the report's and the queue's quarters have
    ended; My week's is this week), with the fiscal year starting in February."""
    settings.PSA_FISCAL_YEAR_START_MONTH = 2
    name = request.node.name
    now = REPORT_NOW if "report" in name else QUEUE_NOW if "queue" in name else WEEK_NOW
    with clock.frozen(now):
        yield


# ------------------------------------------------------------------ the quarterly report


def test_the_report_charts_its_epics_and_weeks(world: World) -> None:  # noqa: F811
    report = report_selectors.hours_report(person=world.pse, quarter=FY27_Q4)
    epics = charts.report_epics(report)
    assert epics.rows == [
        Row("Project Work", D("10.00")),
        Row("PS Internal", D("5.25")),
        Row("PTO/Holidays", D("8.00")),
    ]
    # 0 to 10 h over 348 px from x = 180.
    assert [(b.within and b.within.width, b.text) for b in epics.bars] == [
        (348.0, "10 h"),
        (182.7, "5.25 h"),
        (278.4, "8 h"),
    ]
    weeks = charts.report_weeks(report)
    assert weeks.rows == [
        ("W45", [D("8.00")]),
        ("W48", [D("8.00")]),
        ("W51", [D("3.25")]),
        ("W04", [D("4.00")]),
    ]
    assert weeks.bars[2] == Bar(356.3, 147.0, 114.4, 65.0, "s1", "W51 · Hours: 3.25 h")


def test_the_report_page_draws_them_and_an_empty_quarter_as_the_empty_state(
    world: World,  # noqa: F811
    client_for: Callable[[Person], Client],
) -> None:
    client = client_for(world.pse)
    html = client.get("/time/report/?year=2027&quarter=4").content.decode()
    empty = client.get("/time/report/?year=2027&quarter=2").content.decode()
    assert '<figure class="chart hchart" id="report-epics-chart">' in html
    assert (
        '<rect class="bar within" x="180.0" y="35.0" width="182.7" height="14.0">'
        "<title>PS Internal · Hours: 5.25 h</title></rect>"
    ) in html
    assert "<title>W51 · Hours: 3.25 h</title>" in html
    assert empty.count("Nothing to draw for this period.") == 2
    assert " style=" not in html


# ------------------------------------------------------------------ the certification queue


def test_the_queue_charts_hours_against_capacity_and_flags_the_gaps(org: Org) -> None:  # noqa: F811
    org.add(2)
    views = cert_selectors.certification_views(
        list(cert_selectors.certifications_for(actor=org.a(org.approver), status=WAITING))
    )
    chart = charts.queue_capacity(views)
    assert [(r.value, r.limit) for r in chart.rows] == [(D("8.50"), D("480.00"))] * 2
    assert [r.note for r in chart.rows] == ["; ".join(v.flags) for v in views]
    assert chart.rows[0].note.startswith("8.50 h logged of 480.00 h capacity; ")
    # 0 to 500 h over 348 px: 8.5 h is 5.9 px, the capacity's tick at 514.1.
    first = chart.bars[0]
    assert (first.within and first.within.width, first.limit_x, first.shown_label[-1]) == (
        5.9,
        514.1,
        "⚑",
    )


def test_the_queue_page_draws_each_waiting_section(
    org: Org,  # noqa: F811
    client_for: Callable[[Person], Client],
) -> None:
    org.add(1)
    html = client_for(org.approver).get("/time/certifications/").content.decode()
    head_only = client_for(org.head).get("/time/certifications/").content.decode()
    assert '<figure class="chart hchart" id="chart-head_of_ps">' in html
    assert '<g class="hrow flagged">' in html
    assert "8.50 h logged of 480.00 h capacity" in html
    assert (
        'id="chart-finance_partner"' not in html
    )  # nothing waiting there: no chart, "Nothing waiting."
    assert '<figure class="chart hchart" id="chart-head_of_ps">' in head_only


# ------------------------------------------------------------------ my week

MON = dt.date(2026, 11, 16)


def test_my_week_charts_each_day_against_its_hours(
    make_person: Callable[..., Person], client_for: Callable[[Person], Client]
) -> None:
    pse = make_person(Role.PSE)  # 40 h: 8 h Monday to Friday
    docs = WorkItemFactory.create(title="Docs")
    for offset, hours in ((0, "10"), (1, "7.5")):
        services.time_entry_create(
            actor=SYSTEM,
            person=pse,
            work_item=docs,
            date=MON + dt.timedelta(days=offset),
            hours=hours,
        )
    html = client_for(pse).get(f"/time/?week={MON}").content.decode()
    empty = client_for(pse).get("/time/?week=2026-11-30").content.decode()
    days = [(MON + dt.timedelta(days=k), D(0), D(0)) for k in range(7)]
    days[0], days[1] = (MON, D("10.00"), D("8.00")), (days[1][0], D("7.50"), D("8.00"))
    chart = charts.week_days(days)
    assert chart.labels == ["Mon 16", "Tue 17", "Wed 18", "Thu 19", "Fri 20", "Sat 21", "Sun 22"]
    # 0 to 10 h over 200 px: Monday's 10 h reaches the top, Tuesday's 7.5 h 150 px.
    assert chart.bars[:2] == [
        Bar(64.2, 12.0, 65.4, 200.0, "s1", "Mon 16 · Logged: 10 h"),
        Bar(145.9, 62.0, 65.4, 150.0, "s1", "Tue 17 · Logged: 7.50 h"),
    ]
    assert '<figure class="chart" id="week-days-chart">' in html
    assert "<title>Mon 16 · Logged: 10 h</title>" in html
    assert "<title>Tue 17 · Normal hours: 8 h</title>" in html
    assert "Nothing to draw for this period." not in html
    assert '<figure class="chart" id="week-days-chart">' in empty
