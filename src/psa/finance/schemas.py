from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from psa.core.schemas import Day


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
