"""The weekly schedule review: figures traced to bookings, capacity and time off; flags; XLSX."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from psa.core import clock
from psa.core.errors import ValidationFailed
from psa.core.roles import SYSTEM, Role
from psa.engagements.models import Status
from psa.people import services as people_services
from psa.people.models import Person
from psa.scheduling import review, services
from tests.engagements.factories import EngagementFactory
from tests.helpers import assert_refused

pytestmark = pytest.mark.django_db
D = Decimal
NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
THANKSGIVING_WEEK = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _today() -> Any:
    with clock.frozen(NOW):
        yield


def book(
    person: Person,
    start: dt.date,
    end: dt.date,
    hours: str,
    *,
    status: str = "active",
    probability: int = 100,
    override: str = "",
) -> None:
    engagement = EngagementFactory.create(status=status, probability=probability)
    request = services.request_create(
        actor=SYSTEM,
        engagement=engagement,
        person=person,
        start_date=start,
        end_date=end,
        hours=D(hours),
    )
    services.request_confirm(actor=SYSTEM, request=request, override_reason=override)


@pytest.fixture
def alex(make_person: Callable[..., Person]) -> Person:
    person = make_person(Role.PSE, name="Alex")  # US, 40 h
    book(person, THANKSGIVING_WEEK, THANKSGIVING_WEEK + dt.timedelta(days=1), "12")
    book(
        person,
        THANKSGIVING_WEEK + dt.timedelta(days=2),
        THANKSGIVING_WEEK + dt.timedelta(days=2),
        "4",
        status=Status.PIPELINE,
        probability=25,
    )
    services.internal_time_create(
        actor=SYSTEM,
        person=person,
        task_name="Enablement",
        start_date=THANKSGIVING_WEEK + dt.timedelta(days=4),
        end_date=THANKSGIVING_WEEK + dt.timedelta(days=4),
        hours=D("2"),
    )
    people_services.time_off_create(
        actor=SYSTEM, person=person, start_date=dt.date(2026, 12, 4), end_date=dt.date(2026, 12, 4)
    )
    return person


def test_figures_per_person_and_week(alex: Person) -> None:
    result = review.weekly_review(people_list=[alex], start=dt.date(2026, 11, 25), weeks=2)
    first, second = result.people[0].weeks
    assert result.start == THANKSGIVING_WEEK
    assert (first.capacity, first.holidays) == (D("32.00"), D("8.00"))  # Thanksgiving
    assert (first.confirmed, first.tentative, first.tentative_weighted, first.internal) == (
        D("12.00"),
        D("4.00"),
        D("1.00"),
        D("2.00"),
    )
    assert first.free == D("14.00")
    assert first.utilization == D("37.5")
    assert first.forecast == D("40.6")  # (12 + 1) / 32
    assert (first.overbooked, first.idle) == (False, False)
    assert (second.capacity, second.time_off) == (D("32.00"), D("8.00"))
    assert second.idle is True
    assert second.utilization == D("0.0")


def test_over_booking_is_flagged_with_its_days(alex: Person) -> None:
    book(alex, THANKSGIVING_WEEK, THANKSGIVING_WEEK, "8", override="go-live")
    week = review.weekly_review(people_list=[alex], start=THANKSGIVING_WEEK, weeks=1)
    figures = week.people[0].weeks[0]
    assert figures.overbooked is True
    assert figures.over_days == [THANKSGIVING_WEEK]


def test_team_totals_are_the_sum_of_people(
    alex: Person, make_person: Callable[..., Person]
) -> None:
    fr = make_person(Role.PSE, name="Camille", country="FR", timezone="Europe/Paris")
    result = review.weekly_review(people_list=[alex, fr], start=THANKSGIVING_WEEK, weeks=1)
    assert result.team[0].capacity == D("32.00") + D("35.00")
    assert result.team[0].confirmed == D("12.00")


def test_query_count_does_not_grow_with_people(make_person: Callable[..., Person]) -> None:
    counts = []
    for n in (2, 10):
        team = [make_person(Role.PSE) for _ in range(n)]
        with CaptureQueriesContext(connection) as queries:
            review.weekly_review(people_list=team, start=THANKSGIVING_WEEK, weeks=12)
        counts.append(len(queries))
    assert counts[0] == counts[1] == 2


def test_xlsx_has_numeric_cells_and_a_team_row(alex: Person) -> None:
    result = review.weekly_review(people_list=[alex], start=THANKSGIVING_WEEK, weeks=2)
    sheet = load_workbook(io.BytesIO(review.review_xlsx(result))).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Person", "Week of", "Capacity", "Confirmed")
    assert rows[1][0] == "Alex"
    assert rows[1][1] == dt.datetime(2026, 11, 23)  # noqa: DTZ001 - openpyxl reads naive dates
    assert isinstance(rows[1][2], int | float)
    assert rows[1][2] == 32
    assert rows[-1][0] == "Team"


def test_review_api_and_download(
    alex: Person, make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    client = api_as(make_person(Role.PROJECT_COORDINATOR))
    body = client.get("/api/v1/scheduling/review", {"start": "2026-11-25", "weeks": "2"}).json()
    assert [p["name"] for p in body["people"]] == ["Alex"]
    assert body["people"][0]["weeks"][0]["confirmed"] == "12.00"
    assert body["team"][1]["idle"] is True
    download = client.get("/api/v1/scheduling/review.xlsx", {"start": "2026-11-25"})
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    bad = client.get("/api/v1/scheduling/review", {"weeks": 0})
    assert_refused(bad, 422, "weeks", review.ERR_WEEKS)


def test_each_weeks_count_of_people_over_booked_and_idle(
    alex: Person, make_person: Callable[..., Person]
) -> None:
    sam = make_person(Role.PSE, name="Sam")
    book(sam, THANKSGIVING_WEEK, THANKSGIVING_WEEK + dt.timedelta(days=2), "24")
    book(sam, THANKSGIVING_WEEK, THANKSGIVING_WEEK, "4", override="go-live")
    result = review.weekly_review(people_list=[alex, sam], start=THANKSGIVING_WEEK, weeks=2)
    # Week 1: Sam is over on Monday (8 + 4 h), Alex is neither. Week 2: both idle.
    assert result.counts == [
        review.WeekCounts(overbooked=1, idle=0),
        review.WeekCounts(overbooked=0, idle=2),
    ]


def test_the_review_of_the_filtered_people_for_a_number_of_weeks(
    alex: Person, make_person: Callable[..., Person]
) -> None:
    make_person(Role.PROJECT_COORDINATOR, name="Priya")
    result = review.weekly_review_of(start=dt.date(2026, 11, 25), weeks=2)
    assert (result.start, result.weeks, [pr.person.name for pr in result.people]) == (
        THANKSGIVING_WEEK,
        2,
        ["Alex"],
    )
    this_week = review.weekly_review_of(start=None, weeks=1, role="")  # today: 20 Nov 2026
    assert (this_week.start, len(this_week.people)) == (dt.date(2026, 11, 16), 2)


@pytest.mark.parametrize("weeks", [0, review.MAX_WEEKS + 1])
def test_a_review_of_too_few_or_too_many_weeks_is_refused(weeks: int) -> None:
    with pytest.raises(ValidationFailed) as refused:
        review.weekly_review_of(start=THANKSGIVING_WEEK, weeks=weeks)
    assert [(e.field, e.message) for e in refused.value.errors] == [("weeks", review.ERR_WEEKS)]
