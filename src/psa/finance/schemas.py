from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema

from psa.core.schemas import Day, In, Line, Text


class PeriodQuery(Schema):
    start: Day = Field(description="First day of the period.")
    end: Day = Field(description="Last day of the period (at most five years after start).")


class RateGapOut(Schema):
    owner_id: int = Field(description="The person's id (cost) or the engagement's (bill).")
    name: str
    first: dt.date = Field(description="The first day with hours and no rate.")
    last: dt.date = Field(description="The last day with hours and no rate.")
    days: int
    hours: Decimal


class RateGapsOut(Schema):
    start: dt.date
    end: dt.date
    cost: list[RateGapOut] = Field(description="People whose hours have no cost rate.")
    bill: list[RateGapOut] = Field(
        description="Time and materials engagements whose hours have no bill rate."
    )


class UtilizationQuery(PeriodQuery):
    group: Annotated[str, Line(10)] = Field(
        "person", description="person, team (by manager), role or country"
    )
    as_of: Day | None = Field(
        None,
        description="The figures as PSA recorded them at the end of this day (UTC), the same "
        "every time: whole months only, a day that has ended, from the first recording on.",
    )


class UtilizationOut(Schema):
    """Hours summed, then divided: every percentage is of the summed capacity."""

    people: int
    capacity: Decimal
    hours: Decimal = Field(description="All hours logged.")
    by_major: dict[str, Decimal] = Field(description="Hours by major epic.")
    billable: Decimal
    productive: Decimal = Field(
        description="Billable plus Sales Assistance, Support Assistance and Practice Development."
    )
    billable_utilization: Decimal | None = Field(description="billable ÷ capacity, %")
    productive_utilization: Decimal | None = Field(description="productive ÷ capacity, %")
    target: Decimal | None = Field(description="The billable target in force, % of capacity.")
    below_target: bool
    booked: Decimal = Field(description="Confirmed engagement hours on the schedule.")
    booked_utilization: Decimal | None = Field(description="booked ÷ capacity, %")


class UtilizationRowOut(Schema):
    key: str
    label: str
    person_id: int | None
    figures: UtilizationOut


class UtilizationReportOut(Schema):
    start: dt.date
    end: dt.date
    through: dt.date | None = Field(
        description="The last day counted: the end, or today while the period runs; null "
        "before it begins."
    )
    group: str
    rows: list[UtilizationRowOut]
    total: UtilizationOut
    as_of: dt.date | None = Field(description="Set: the figures as recorded at its end.")


Percent = Annotated[Decimal, Field(max_digits=5, decimal_places=2, allow_inf_nan=False)]


class TargetIn(In):
    percent: Percent = Field(description="Billable hours as a percentage of capacity, 0-100.")


class TargetOut(Schema):
    person_id: int
    effective_from: dt.date
    percent: Decimal


class ForecastQuery(Schema):
    start: Day | None = Field(None, description="A day of the first week (default: this week).")
    weeks: int = Field(13, description="1 to 26")
    as_of: Day | None = Field(
        None,
        description="The forecast as PSA's daily recording had it at the end of this day "
        "(UTC): its 13 weeks from then (start and weeks do not apply).",
    )


class ForecastWeekOut(Schema):
    monday: dt.date
    capacity: Decimal
    confirmed: Decimal
    tentative: Decimal
    tentative_weighted: Decimal = Field(description="Tentative hours × their probability.")
    internal: Decimal
    utilization: Decimal | None = Field(description="Confirmed ÷ capacity, %.")
    forecast: Decimal | None = Field(
        description="Expected billable utilization: (confirmed + weighted tentative) ÷ capacity, %."
    )


class PersonForecastOut(Schema):
    person_id: int
    name: str
    over: list[dt.date] = Field(description="Weeks planned above capacity.")
    under: list[dt.date] = Field(description="Weeks expected below the person's target.")


class ExpectedRevenueOut(Schema):
    engagement_id: int
    name: str
    kind: str
    currency: str
    amount: Decimal
    basis: str


class RevenueTotalOut(Schema):
    kind: str
    currency: str
    amount: Decimal


class ForecastOut(Schema):
    start: dt.date
    end: dt.date
    weeks: list[ForecastWeekOut]
    people: list[PersonForecastOut]
    revenue: list[ExpectedRevenueOut]
    totals: list[RevenueTotalOut] = Field(
        description="Per kind and currency; never summed across currencies."
    )
    gaps: list[RateGapOut] = Field(
        description="Booked time and materials days without a bill rate."
    )
    as_of: dt.date | None = Field(description="Set: the forecast as recorded then.")

    @staticmethod
    def resolve_totals(obj: object) -> list[dict[str, object]]:
        totals = getattr(obj, "totals", {})
        return [
            {"kind": kind, "currency": currency, "amount": amount}
            for (kind, currency), amount in sorted(totals.items())
        ]


class RevenueRowOut(Schema):
    engagement_id: int
    name: str
    kind: str
    currency: str
    recognized: Decimal
    basis: str = Field(description="What the figure rests on: the hours, the milestones, the date.")
    hours_percent: Decimal | None = Field(description="Custom SOW: budget hours logged, %.")
    milestone_percent: Decimal | None = Field(
        description="Custom SOW: milestone weights reached, %."
    )
    estimate_at_completion: Decimal | None = Field(
        description="Custom SOW: the hours it will take at the pace of the milestones."
    )
    lagging: bool = Field(
        description="Custom SOW: the hours lead the milestones by over 10 points."
    )


class UnapprovedHoursOut(Schema):
    person_id: int
    name: str
    hours: Decimal


class RevenueOut(Schema):
    start: dt.date
    end: dt.date
    rows: list[RevenueRowOut]
    totals: list[RevenueTotalOut] = Field(
        description="Per kind and currency; never summed across currencies."
    )
    unapproved: list[UnapprovedHoursOut] = Field(
        description="Time and materials hours of the period not yet finally approved, per person."
    )
    gaps: list[RateGapOut] = Field(
        description="Approved T&M days without a bill rate: not counted."
    )
    as_of: dt.date | None = Field(description="Set: the figures as recorded at its end.")

    @staticmethod
    def resolve_totals(obj: object) -> list[dict[str, object]]:
        return ForecastOut.resolve_totals(obj)


class MarginQuery(PeriodQuery):
    group: Annotated[str, Line(12)] = Field(
        "engagement", description="engagement, customer or kind"
    )
    as_of: Day | None = Field(
        None,
        description="The figures as PSA recorded them at the end of this day (UTC), the same "
        "every time: whole months only, a day that has ended, from the first recording on.",
    )


class RevenueQuery(PeriodQuery):
    as_of: Day | None = Field(
        None,
        description="The figures as PSA recorded them at the end of this day (UTC), the same "
        "every time: whole months only, a day that has ended, from the first recording on.",
    )


class AmountOut(Schema):
    currency: str
    amount: Decimal


class MarginFiguresOut(Schema):
    revenue: list[AmountOut]
    cost: list[AmountOut]
    margin: list[AmountOut] = Field(
        description="Revenue − cost, where both are in one currency; empty when they are not."
    )
    margin_percent: Decimal | None = Field(description="Margin ÷ revenue, % (one currency).")
    comparable: bool = Field(description="False: revenue and cost in different currencies.")

    @staticmethod
    def _amounts(values: dict[str, Decimal]) -> list[dict[str, object]]:
        return [{"currency": c, "amount": a} for c, a in sorted(values.items())]

    @staticmethod
    def resolve_revenue(obj: object) -> list[dict[str, object]]:
        return MarginFiguresOut._amounts(getattr(obj, "revenue", {}))

    @staticmethod
    def resolve_cost(obj: object) -> list[dict[str, object]]:
        return MarginFiguresOut._amounts(getattr(obj, "cost", {}))

    @staticmethod
    def resolve_margin(obj: object) -> list[dict[str, object]]:
        return MarginFiguresOut._amounts(getattr(obj, "margin", {}))


class MarginRowOut(Schema):
    key: str
    label: str
    engagement_id: int | None
    figures: MarginFiguresOut


class PriorAdjustmentOut(Schema):
    period: str = Field(description="The closed period the late change belongs to.")
    engagement_id: int
    name: str
    figures: MarginFiguresOut = Field(description="Its live figures less those frozen at close.")


class MarginOut(Schema):
    start: dt.date
    end: dt.date
    group: str
    closed: str = Field(description="The closed period whose frozen figures these are, or empty.")
    partly_closed: list[str] = Field(
        description="Closed periods the report cuts into: shown live, not as frozen."
    )
    adjustments: list[PriorAdjustmentOut] = Field(
        description="Late changes to closed periods landing here (included in the rows)."
    )
    rows: list[MarginRowOut]
    cost_gaps: list[RateGapOut] = Field(
        description="People whose hours have no cost rate: not costed."
    )
    as_of: dt.date | None = Field(description="Set: the figures as recorded at its end.")


class PeriodIn(In):
    start: Day = Field(description="The first day of a calendar month or fiscal quarter.")
    end: Day = Field(description="Its last day.")


class ReopenIn(In):
    reason: Annotated[str, Text(2000)]


class FiscalPeriodOut(Schema):
    id: int
    label: str
    start: dt.date
    end: dt.date
    closed_at: dt.datetime
    closed_by: str


class CostLineOut(Schema):
    key: int
    name: str
    hours: Decimal
    cost: list[AmountOut]

    @staticmethod
    def resolve_cost(obj: object) -> list[dict[str, object]]:
        return MarginFiguresOut._amounts(getattr(obj, "cost", {}))


class CloseOutOut(Schema):
    engagement_id: int
    name: str
    kind: str
    currency: str
    start: dt.date
    end: dt.date
    budget_hours: Decimal
    actual_hours: Decimal
    hours_variance: Decimal = Field(description="Actual − budget: above 0, over budget.")
    hours_variance_percent: Decimal | None
    contract_value: Decimal
    revenue: Decimal = Field(description="Recognised so far, in the engagement's currency.")
    cost: list[AmountOut]
    budget_cost: list[AmountOut] = Field(
        description="The budget hours at the actual cost per hour (one cost currency)."
    )
    cost_variance: list[AmountOut]
    margin: MarginFiguresOut
    people: list[CostLineOut]
    work_items: list[CostLineOut]
    cost_gaps: list[RateGapOut]

    @staticmethod
    def resolve_cost(obj: object) -> list[dict[str, object]]:
        return MarginFiguresOut._amounts(getattr(obj, "cost", {}))

    @staticmethod
    def resolve_budget_cost(obj: object) -> list[dict[str, object]]:
        return MarginFiguresOut._amounts(getattr(obj, "budget_cost", {}))

    @staticmethod
    def resolve_cost_variance(obj: object) -> list[dict[str, object]]:
        return MarginFiguresOut._amounts(getattr(obj, "cost_variance", {}))


class CloseOutFilingOut(Schema):
    engagement_id: int
    channel: str = Field(description="salesforce, or email when no CRM is configured.")
    status: str = Field(description="queued, sending, failed (kept, retried) or filed.")
    requested_by: str
    requested_at: dt.datetime
    figures: dict[str, str] = Field(description="The close-out's summary as filed.")
    opportunity_id: str
    recipients: list[str] = Field(description="The e-mail channel's addresses.")
    attempts: int
    next_attempt_at: dt.datetime | None = Field(
        description="When the worker tries a failed filing again; null once it has given up."
    )
    last_error: str
    crm_file_id: str = Field(description="The PDF's ContentDocument id in Salesforce.")
    crm_post_id: str = Field(description="The Chatter post's feed element id.")
    filed_at: dt.datetime | None


class EntriesQuery(PeriodQuery):
    person_id: int | None = Field(None, ge=1, le=2**31 - 1)
    engagement_id: int | None = Field(None, ge=1, le=2**31 - 1)
    basis: Literal["logged", "approved"] = Field(
        "logged",
        description="logged: every entry at its person's cost rate (utilization, margin); "
        "approved: the hours final approvals recorded at the bill rate (T&M revenue).",
    )
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(100, ge=1, le=500)


class EntryLineOut(Schema):
    entry_id: int
    date: dt.date
    person_id: int
    person: str
    work_item: str
    engagement_id: int | None
    category: str
    billable: bool
    productive: bool
    hours: Decimal
    rate: Decimal | None = Field(description="The rate of the entry's day; null: none, unpriced.")
    currency: str
    amount: Decimal | None = Field(description="Hours × rate, exact.")


class EntriesOut(Schema):
    start: dt.date
    end: dt.date
    basis: str
    title: str
    hours: Decimal
    billable: Decimal
    productive: Decimal
    unpriced: Decimal = Field(description="Hours without a rate (never priced at 0).")
    amounts: list[AmountOut] = Field(description="The priced lines summed, rounded once.")
    count: int
    page: int
    pages: int
    items: list[EntryLineOut]
