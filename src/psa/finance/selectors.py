"""Reads for finance: who may read them, and the days the rates leave unpriced."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from psa.core.errors import PermissionDenied, ValidationFailed
from psa.core.roles import Actor, Role
from psa.engagements import selectors as engagement_selectors
from psa.engagements.choices import Kind
from psa.finance import rules
from psa.people import selectors as people_selectors
from psa.timetracking import selectors as time_selectors

FINANCE_READERS = (
    Role.HEAD_OF_PS,
    Role.FINANCE_PARTNER,
    Role.CONTROLLER,
    Role.FINANCE_BUSINESS_PARTNER,
)
MAX_PERIOD_DAYS = 5 * 366
ERR_MAY_NOT_READ = "only finance and the head of PS read finance reports"
ERR_PERIOD = "the period ends before it starts"
ERR_PERIOD_LONG = "a period is at most five years"


def may_read_finance(actor: Actor) -> bool:
    return actor.has_any(*FINANCE_READERS)


def _check(actor: Actor, start: dt.date, end: dt.date) -> None:
    if not may_read_finance(actor):
        raise PermissionDenied(ERR_MAY_NOT_READ)
    if end < start:
        raise ValidationFailed(ERR_PERIOD, field="end")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise ValidationFailed(ERR_PERIOD_LONG, field="end")


@dataclass(frozen=True)
class RateGap:
    """A person (cost) or an engagement (bill) with hours on days no rate covers."""

    owner_id: int
    name: str
    first: dt.date
    last: dt.date
    days: int
    hours: Decimal


@dataclass(frozen=True)
class RateGaps:
    start: dt.date
    end: dt.date
    cost: list[RateGap]  # people whose hours have no cost rate
    bill: list[RateGap]  # time and materials engagements whose hours have no bill rate


def _gaps(gaps: dict[int, rules.Gap], names: dict[int, str]) -> list[RateGap]:
    rows = [
        RateGap(owner, names.get(owner, str(owner)), g.first, g.last, g.days, g.hours)
        for owner, g in gaps.items()
    ]
    return sorted(rows, key=lambda r: (r.name, r.owner_id))


def rate_gaps(*, actor: Actor, start: dt.date, end: dt.date) -> RateGaps:
    """The hours of the period that no rate prices: each person's days before their first
    cost rate, each time and materials engagement's days before its first bill rate."""
    _check(actor, start, end)
    person_hours = time_selectors.hours_by_person_day(start=start, end=end)
    person_ids = {pid for pid, _ in person_hours}
    costs = rules.price(person_hours, people_selectors.cost_rate_series(person_ids=person_ids))
    people = people_selectors.person_list(related=False).filter(pk__in=sorted(costs.gaps))
    person_names = dict(people.values_list("pk", "name"))

    engagements = engagement_selectors.engagement_list(kind=Kind.EMBEDDED_ENGINEER)
    billed = {
        pk: f"{customer} — {name}"
        for pk, customer, name in engagements.values_list("pk", "customer__name", "name")
    }
    engagement_hours = time_selectors.engagement_hours_by_day(
        start=start, end=end, engagement_ids=billed
    )
    bills = rules.price(
        engagement_hours, engagement_selectors.bill_rate_series(engagement_ids=billed)
    )
    return RateGaps(start, end, _gaps(costs.gaps, person_names), _gaps(bills.gaps, billed))
