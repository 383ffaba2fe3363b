"""The weekly review's charts: the same WeekFigures as its team table, bar for bar, and an
empty period drawn as the empty state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from psa.core import clock
from psa.core.charts import Bar
from psa.core.roles import Role
from psa.people.models import Person
from psa.scheduling import charts, review
from psa.scheduling.rules import WeekFigures
from tests.scheduling.test_review import NOW, THANKSGIVING_WEEK, alex  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def _today() -> Any:
    with clock.frozen(NOW):
        yield


def test_planned_hours_stack_the_review_figures_under_the_capacity(alex: Person) -> None:  # noqa: F811
    result = review.weekly_review(people_list=[alex], start=THANKSGIVING_WEEK, weeks=2)
    chart = charts.planned_hours(result.team, title="Planned")
    assert chart.labels == ["23 Nov", "30 Nov"]
    assert chart.rows == [
        ("23 Nov", [D("12.00"), D("1.00"), D("2.00"), D("32.00")]),  # Thanksgiving: 32 h
        ("30 Nov", [D("0.00"), D("0.00"), D("0.00"), D("32.00")]),  # a day off: 32 h
    ]
    # 0 to 50 h over 200 px: 12 h confirmed 48 px high, tentative 1 h on top, internal 2 h.
    assert chart.bars == [
        Bar(84.6, 164.0, 228.8, 48.0, "s1", "23 Nov · Confirmed: 12 h"),
        Bar(84.6, 160.0, 228.8, 4.0, "s2", "23 Nov · Tentative × probability: 1 h"),
        Bar(84.6, 152.0, 228.8, 8.0, "s3", "23 Nov · Internal: 2 h"),
    ]
    assert chart.points == "199.0,84.0 485.0,84.0"


def test_utilization_and_forecast_per_week(alex: Person) -> None:  # noqa: F811
    result = review.weekly_review(people_list=[alex], start=THANKSGIVING_WEEK, weeks=2)
    chart = charts.utilization_trend(result.team)
    assert chart.columns == ["Utilization", "Forecast"]
    assert chart.rows == [
        ("23 Nov", [D("37.5"), D("40.6")]),
        ("30 Nov", [D("0.0"), D("0.0")]),
    ]
    assert [w.utilization for w in result.team] == [D("37.5"), D("0.0")]


def test_weeks_without_capacity_draw_the_empty_state() -> None:
    weeks = [WeekFigures(monday=dt.date(2026, 12, 21)), WeekFigures(monday=dt.date(2026, 12, 28))]
    assert charts.planned_hours(weeks, title="Planned").empty
    utilization = charts.utilization_trend(weeks)
    assert (utilization.empty, utilization.rows[0]) == (True, ("21 Dec", [None, None]))


def test_the_review_page_draws_both_with_their_numbers(
    alex: Person,  # noqa: F811
    make_person: Callable[..., Person],
    client_for: Callable[[Person], object],
) -> None:
    client = client_for(make_person(Role.PROJECT_COORDINATOR))
    html = client.get(  # type: ignore[attr-defined]
        "/schedule/review/", {"start": "2026-11-23", "weeks": "2"}
    ).content.decode()
    assert '<figure class="chart" id="review-hours-chart">' in html
    assert '<figure class="chart" id="review-utilization-chart">' in html
    assert (
        '<rect class="bar s1" x="84.6" y="164.0" width="228.8" height="48.0">'
        "<title>23 Nov · Confirmed: 12 h</title></rect>"
    ) in html
    assert "<title>23 Nov · Forecast: 40.6 %</title>" in html
    assert html.count("<summary>The numbers</summary>") == 2
    assert " style=" not in html


def test_a_review_of_no_one_draws_the_empty_state(
    make_person: Callable[..., Person], client_for: Callable[[Person], object]
) -> None:
    client = client_for(make_person(Role.PROJECT_COORDINATOR))
    html = client.get(  # type: ignore[attr-defined]
        "/schedule/review/", {"start": "2026-11-23", "weeks": "2", "country": "JP"}
    ).content.decode()
    assert html.count("Nothing to draw for this period.") == 2
