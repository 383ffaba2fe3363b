from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, FilterSchema, Schema

from psa.engagements.models import Engagement


class CustomerIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    crm_account_id: str = ""


class CustomerPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    crm_account_id: str | None = None


class CustomerOut(Schema):
    id: int
    name: str
    crm_account_id: str
    created_at: dt.datetime


class MilestoneIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    weight: Decimal = Field(description="Percent of the SOW; all weights sum to 100.")
    reached_on: dt.date | None = Field(None, description="When it was reached, if it was.")


class MilestoneOut(Schema):
    id: int
    name: str
    weight: Decimal
    position: int
    reached_on: dt.date | None


class MilestoneReachedIn(Schema):
    reached_on: dt.date | None


class EngagementIn(Schema):
    customer_id: int
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(description="packaged, custom_sow or embedded_engineer")
    sow_reference: str = ""
    currency: str = "USD"
    contract_value: Decimal = Decimal("0")
    budget_hours: Decimal = Decimal("0")
    bill_rate: Decimal | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    probability: int = 100
    project_issue_url: str = ""
    crm_opportunity_id: str = ""
    owner_id: int | None = None
    milestones: list[MilestoneIn] | None = Field(
        None, description="Custom SOW only; default four of 25 %."
    )


class EngagementPatch(Schema):
    customer_id: int | None = None
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: str | None = None
    sow_reference: str | None = None
    currency: str | None = None
    contract_value: Decimal | None = None
    budget_hours: Decimal | None = None
    bill_rate: Decimal | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    probability: int | None = None
    project_issue_url: str | None = None
    crm_opportunity_id: str | None = None
    owner_id: int | None = None


class StatusIn(Schema):
    status: str
    reason: str = ""


class EngagementOut(Schema):
    id: int
    customer_id: int
    customer_name: str = Field(alias="customer.name")
    name: str
    kind: str
    status: str
    sow_reference: str
    currency: str
    contract_value: Decimal
    budget_hours: Decimal
    bill_rate: Decimal | None
    start_date: dt.date | None
    end_date: dt.date | None
    probability: int
    project_issue_url: str
    crm_opportunity_id: str
    owner_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class EngagementDetailOut(EngagementOut):
    milestones: list[MilestoneOut]
    percent_complete: Decimal | None

    @staticmethod
    def resolve_milestones(obj: Engagement) -> list[object]:
        return list(obj.milestones.all())

    @staticmethod
    def resolve_percent_complete(obj: Engagement) -> Decimal | None:
        from psa.engagements.selectors import engagement_percent_complete

        return engagement_percent_complete(obj)


class UnconfirmedBookingOut(Schema):
    booking_id: int
    person_id: int
    shortfalls: list[str]


class StatusChangeOut(EngagementDetailOut):
    bookings_not_confirmed: list[UnconfirmedBookingOut] = Field(
        default_factory=list,
        description="Tentative bookings that no longer fit when the engagement was booked.",
    )


class EngagementFilter(FilterSchema):
    search: str = ""
    status: str = Field("", description="One status or several, comma-separated.")
    kind: str = ""
    customer_id: int | None = None
    owner_id: int | None = None


class CommentIn(Schema):
    body: str = Field(min_length=1, max_length=10000)


class CommentOut(Schema):
    id: int
    author: str = Field(alias="author_name")
    body: str
    created_at: dt.datetime
