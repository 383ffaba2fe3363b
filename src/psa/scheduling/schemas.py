from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated

from ninja import Field, FilterSchema, Schema

from psa.core.schemas import Day, Hours, Id, In, Line, Text

Reason = Annotated[str, Text(2000)]


class RequestIn(In):
    engagement_id: Id
    person_id: Id
    start_date: Day
    end_date: Day
    hours: Hours = Field(description="Total hours, or hours on each working day (per_day).")
    per_day: bool = False
    skill: Annotated[str, Line(80)] = Field("", description="Needed skill, for proposing others.")
    note: Reason = ""
    action: Annotated[str, Line(10)] = Field("book", description="book, change or cancel")
    booking_id: Id | None = Field(None, description="The booking a change/cancel is about.")
    override_reason: Reason = Field("", description="Needed to ask for more than capacity.")


class AvailabilityIn(In):
    person_id: Id
    start_date: Day
    end_date: Day
    hours: Hours
    per_day: bool = False
    skill: Annotated[str, Line(80)] = ""
    proposals: bool = True


class DayLoadOut(Schema):
    date: dt.date
    capacity: Decimal
    holiday: str
    time_off: Decimal
    confirmed: Decimal
    tentative: Decimal
    internal: Decimal
    free: Decimal
    requested: Decimal
    fits: bool


class ShortfallOut(Schema):
    date: dt.date
    requested: Decimal
    free: Decimal
    short: Decimal


class PlanDayOut(Schema):
    date: dt.date
    hours: Decimal


class ProposalOut(Schema):
    key: str = Field(description="Pass as `proposal` to confirm with this alternative.")
    kind: str = Field(description="window, person, partial or spread")
    person_id: int
    start: dt.date
    end: dt.date
    hours: Decimal
    days: list[PlanDayOut]
    reason: str


class AskReviewOut(Schema):
    person_id: int
    start: dt.date
    end: dt.date
    hours: Decimal
    fits: bool
    days: list[DayLoadOut]
    shortfalls: list[ShortfallOut]
    proposals: list[ProposalOut]


class RequestOut(Schema):
    id: int
    engagement_id: int
    engagement: str
    person_id: int
    person: str
    action: str
    booking_id: int | None
    start_date: dt.date
    end_date: dt.date
    hours: Decimal
    per_day: bool
    skill: str
    note: str
    status: str
    requested_by: str = Field(alias="requested_by_name")
    decided_by: str = Field(alias="decided_by_name")
    decided_at: dt.datetime | None
    decision_reason: str
    created_at: dt.datetime

    @staticmethod
    def resolve_engagement(obj: object) -> str:
        return str(obj.engagement)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_person(obj: object) -> str:
        return str(obj.person)  # type: ignore[attr-defined]


class RequestDetailOut(RequestOut):
    review: AskReviewOut | None = None


class RequestFilter(FilterSchema):
    status: Annotated[str, Line(100)] = Field(
        "", description="open, confirmed, declined, withdrawn; comma-separated"
    )
    person_id: Id | None = None
    engagement_id: Id | None = None


class ConfirmIn(In):
    proposal: Annotated[str, Line(100)] = Field(
        "", description="A proposal key from the review, or empty."
    )
    override_reason: Reason = Field("", description="Book over capacity, on purpose, because…")


class DeclineIn(In):
    reason: Annotated[str, Text(2000, min_length=1)]


class BookingDayOut(Schema):
    date: dt.date
    hours: Decimal
    kind: str


class BookingOut(Schema):
    id: int
    person_id: int
    engagement_id: int | None
    task_name: str
    firmness: str
    probability: int
    start_date: dt.date
    end_date: dt.date
    hours: Decimal
    state: str
    over_capacity_reason: str
    request_id: int | None
    uid: uuid.UUID
    sequence: int


class BookingDetailOut(BookingOut):
    days: list[BookingDayOut]

    @staticmethod
    def resolve_days(obj: object) -> list[object]:
        return list(obj.days.all())  # type: ignore[attr-defined]


class BookingFilter(FilterSchema):
    person_id: Id | None = None
    engagement_id: Id | None = None
    start: Day | None = None
    end: Day | None = None
    include_cancelled: bool = False


class InternalIn(In):
    person_id: Id
    category_id: Id = Field(
        description="The epic category it is for (GET /time/epics): fill-my-week logs it there"
    )
    task_name: Annotated[str, Line(200, min_length=1)]
    start_date: Day
    end_date: Day
    hours: Hours = Field(description="Total hours, or hours on each working day (per_day)")
    per_day: bool = False
    override_reason: Reason = ""


class TentativeOutcomeOut(Schema):
    booking_id: int
    confirmed: bool
    shortfalls: list[ShortfallOut]
