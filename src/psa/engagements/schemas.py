from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from ninja import Field, FilterSchema, Schema

from psa.core.schemas import Day, Id, In, Line, Money, Search, Text, not_null
from psa.engagements.models import Engagement

CustomerName = Annotated[str, Line(200, min_length=1)]
CrmId = Annotated[str, Line(64)]
# The columns' digits: contract value 14, budget hours 9, bill rate 10.
BudgetHours = Annotated[Decimal, Field(max_digits=9, decimal_places=2, allow_inf_nan=False)]
BillRate = Annotated[Decimal, Field(max_digits=10, decimal_places=2, allow_inf_nan=False)]
Weight = Annotated[Decimal, Field(max_digits=5, decimal_places=2, allow_inf_nan=False)]
Url = Annotated[str, Line(200)]


class CustomerIn(In):
    name: CustomerName
    crm_account_id: CrmId = ""


class CustomerPatch(In):
    name: CustomerName = not_null()
    crm_account_id: CrmId = not_null()


class CustomerOut(Schema):
    id: int
    name: str
    crm_account_id: str
    created_at: dt.datetime


class MilestoneIn(In):
    name: Annotated[str, Line(200, min_length=1)]
    weight: Weight = Field(description="Percent of the SOW; all weights sum to 100.")
    reached_on: Day | None = Field(None, description="When it was reached, if it was.")


class MilestoneOut(Schema):
    id: int
    name: str
    weight: Decimal
    position: int
    reached_on: dt.date | None


class MilestoneReachedIn(In):
    reached_on: Day | None


class EngagementIn(In):
    customer_id: Id
    name: Annotated[str, Line(200, min_length=1)]
    kind: Annotated[str, Line(20)] = Field(description="packaged, custom_sow or embedded_engineer")
    sow_reference: Annotated[str, Line(64)] = ""
    currency: Annotated[str, Line(3)] = "USD"
    contract_value: Money = Decimal("0")
    budget_hours: BudgetHours = Decimal("0")
    bill_rate: BillRate | None = Field(
        None,
        description="The first bill rate, per hour in the engagement's currency, in force from "
        "the start date (or today); later rates through /engagements/{id}/bill-rates.",
    )
    start_date: Day | None = None
    end_date: Day | None = None
    probability: int = Field(100, description="Percent, 0-100")
    project_issue_url: Url = ""
    crm_opportunity_id: CrmId = ""
    owner_id: Id | None = None
    milestones: list[MilestoneIn] | None = Field(
        None, max_length=100, description="Custom SOW only; default four of 25 %."
    )


class EngagementPatch(In):
    """Only the fields sent change. Fields that cannot be empty refuse null."""

    customer_id: Id = not_null()
    name: Annotated[str, Line(200, min_length=1)] = not_null()
    kind: Annotated[str, Line(20)] = not_null()
    sow_reference: Annotated[str, Line(64)] = not_null()
    currency: Annotated[str, Line(3)] = not_null()
    contract_value: Money = not_null()
    budget_hours: BudgetHours = not_null()
    bill_rate: BillRate | None = Field(
        None,
        description="Refused (422): bill rates are dated, PUT /engagements/{id}/bill-rates/{date}",
    )
    start_date: Day | None = None
    end_date: Day | None = None
    probability: int = not_null()
    project_issue_url: Url = not_null()
    crm_opportunity_id: CrmId = not_null()
    owner_id: Id | None = None


class StatusIn(In):
    status: Annotated[str, Line(20)]
    reason: Annotated[str, Text(2000)] = ""


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
    bill_rate: Decimal | None = Field(
        description="The bill rate in force today, per hour; null without one."
    )
    completed_on: dt.date | None = Field(description="The day it was marked complete.")
    start_date: dt.date | None
    end_date: dt.date | None
    probability: int
    project_issue_url: str
    crm_opportunity_id: str
    owner_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_bill_rate(obj: Engagement) -> Decimal | None:
        from psa.engagements.selectors import bill_rate_today

        rate = bill_rate_today(obj)
        return rate.rate if rate else None


class BillRateIn(In):
    rate: BillRate = Field(description="Per hour, in the engagement's currency.")


class BillRateOut(Schema):
    effective_from: dt.date
    rate: Decimal


class EngagementDetailOut(EngagementOut):
    milestones: list[MilestoneOut]
    bill_rates: list[BillRateOut] = Field(
        description="Every bill rate, oldest first: each in force from its date to the next."
    )
    percent_complete: Decimal | None

    @staticmethod
    def resolve_bill_rates(obj: Engagement) -> list[object]:
        return list(obj.bill_rates.all())

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
    search: Search = ""
    status: Annotated[str, Line(200)] = Field(
        "", description="One status or several, comma-separated."
    )
    kind: Annotated[str, Line(20)] = ""
    customer_id: Id | None = None
    owner_id: Id | None = None


class CommentIn(In):
    body: Annotated[str, Text(10000, min_length=1)]


class CommentOut(Schema):
    id: int
    author: str = Field(alias="author_name")
    body: str
    created_at: dt.datetime
