import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from psa.core.schemas import Day, Id, Line, answers
from psa.integrations.spreadsheet import XLSX
from psa.scheduling import review
from psa.scheduling.rules import WeekFigures

router = Router(tags=["scheduling"])


class ReviewQuery(Schema):
    start: Day | None = Field(None, description="Any day of the first week (default: today)")
    weeks: int = Field(4, description=f"How many weeks (1-{review.MAX_WEEKS})")
    role: Annotated[str, Line(40)] = "pse"
    skill: Annotated[str, Line(80)] = ""
    country: Annotated[str, Line(2)] = ""
    manager_id: Id | None = None


class WeekOut(Schema):
    monday: dt.date
    capacity: Decimal
    confirmed: Decimal
    tentative: Decimal
    tentative_weighted: Decimal
    internal: Decimal
    time_off: Decimal
    holidays: Decimal
    free: Decimal
    utilization: Decimal | None = Field(description="Confirmed / capacity, percent")
    forecast: Decimal | None = Field(description="(Confirmed + weighted tentative) / capacity")
    overbooked: bool
    over_days: list[dt.date]
    idle: bool


class PersonWeeksOut(Schema):
    person_id: int
    name: str
    weeks: list[WeekOut]


class WeeklyReviewOut(Schema):
    start: dt.date
    weeks: int
    people: list[PersonWeeksOut]
    team: list[WeekOut]


def _week(w: WeekFigures) -> dict[str, Any]:
    return {
        "monday": w.monday,
        "capacity": w.capacity,
        "confirmed": w.confirmed,
        "tentative": w.tentative,
        "tentative_weighted": w.tentative_weighted,
        "internal": w.internal,
        "time_off": w.time_off,
        "holidays": w.holidays,
        "free": w.free,
        "utilization": w.utilization,
        "forecast": w.forecast,
        "overbooked": w.overbooked,
        "over_days": w.over_days,
        "idle": w.idle,
    }


@router.get("/review", response=answers({200: WeeklyReviewOut}))
def weekly_review(request: HttpRequest, q: Query[ReviewQuery]) -> Any:
    """The weekly schedule review for a week and the weeks after it."""
    result = review.weekly_review_of(**q.dict())
    return {
        "start": result.start,
        "weeks": result.weeks,
        "people": [
            {
                "person_id": pr.person.pk,
                "name": pr.person.name,
                "weeks": [_week(w) for w in pr.weeks],
            }
            for pr in result.people
        ],
        "team": [_week(w) for w in result.team],
    }


@router.get("/review.xlsx", response=answers({200: None}))
def weekly_review_xlsx(request: HttpRequest, q: Query[ReviewQuery]) -> HttpResponse:
    """The same review as an XLSX workbook."""
    result = review.weekly_review_of(**q.dict())
    response = HttpResponse(review.review_xlsx(result), content_type=XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="weekly-review-{result.start.isoformat()}.xlsx"'
    )
    return response
