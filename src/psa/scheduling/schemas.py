from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from ninja import Field, FilterSchema, Schema


class RequestIn(Schema):
    engagement_id: int
    person_id: int
    start_date: dt.date
    end_date: dt.date
    hours: Decimal = Field(description="Total hours, or hours on each working day (per_day).")
    per_day: bool = False
    skill: str = Field("", max_length=80, description="Needed skill, for proposing others.")
    note: str = Field("", max_length=2000)
    action: str = Field("book", description="book, change or cancel")
    booking_id: int | None = Field(None, description="The booking a change/cancel is about.")
    override_reason: str = Field("", description="Needed to ask for more than capacity.")


class AvailabilityIn(Schema):
    person_id: int
    start_date: dt.date
    end_date: dt.date
    hours: Decimal
    per_day: bool = False
    skill: str = ""
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


class ReviewOut(Schema):
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
    review: ReviewOut | None = None


class RequestFilter(FilterSchema):
    status: str = Field("", description="open, confirmed, declined, withdrawn; comma-separated")
    person_id: int | None = None
    engagement_id: int | None = None


class ConfirmIn(Schema):
    proposal: str = Field("", description="A proposal key from the review, or empty.")
    override_reason: str = Field("", description="Book over capacity, on purpose, because…")


class DeclineIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)


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
    person_id: int | None = None
    engagement_id: int | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    include_cancelled: bool = False


class InternalIn(Schema):
    person_id: int
    task_name: str = Field(min_length=1, max_length=200)
    start_date: dt.date
    end_date: dt.date
    hours: Decimal
    per_day: bool = False
    override_reason: str = ""


class TentativeOutcomeOut(Schema):
    booking_id: int
    confirmed: bool
    shortfalls: list[ShortfallOut]
