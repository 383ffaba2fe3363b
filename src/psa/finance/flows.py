"""Finance use cases that span domains: closing a period freezes figures read across
engagements and time; a rate dated into a closed period is refused before the domain that
owns the rate writes it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from psa.core.errors import Conflict, PermissionDenied
from psa.core.roles import Actor
from psa.engagements import services as engagement_services
from psa.engagements.models import BillRate, Engagement
from psa.finance import selectors, services
from psa.finance.models import FiscalPeriod
from psa.people import services as people_services
from psa.people.models import CostRate, Person


def period_close(*, actor: Actor, start: dt.date, end: dt.date) -> FiscalPeriod:
    if not services.may_close_periods(actor):  # before the figures are read
        raise PermissionDenied(services.ERR_MAY_NOT_CLOSE, field="start")
    figures = selectors.closing_figures(actor=actor, start=start, end=end)
    return services.period_close(actor=actor, start=start, end=end, figures=figures)


def _open_for_rates(day: dt.date, field: str) -> None:
    period = selectors.closed_on(day)
    if period is not None:
        first_open = selectors.first_open_day_after(period)
        message = services.ERR_CLOSED_RATE.format(
            day=day.isoformat(), label=period.label, first_open=first_open.isoformat()
        )
        raise Conflict(message, field=field)


def cost_rate_set(
    *, actor: Actor, person: Person, effective_from: dt.date, rate: Decimal, currency: str
) -> CostRate:
    _open_for_rates(effective_from, "effective_from")
    return people_services.cost_rate_set(
        actor=actor, person=person, effective_from=effective_from, rate=rate, currency=currency
    )


def cost_rate_delete(*, actor: Actor, person: Person, effective_from: dt.date) -> None:
    _open_for_rates(effective_from, "effective_from")
    people_services.cost_rate_delete(actor=actor, person=person, effective_from=effective_from)


def bill_rate_set(
    *, actor: Actor, engagement: Engagement, effective_from: dt.date, rate: Decimal
) -> BillRate:
    _open_for_rates(effective_from, "effective_from")
    return engagement_services.bill_rate_set(
        actor=actor, engagement=engagement, effective_from=effective_from, rate=rate
    )


def bill_rate_delete(*, actor: Actor, engagement: Engagement, effective_from: dt.date) -> None:
    _open_for_rates(effective_from, "effective_from")
    engagement_services.bill_rate_delete(
        actor=actor, engagement=engagement, effective_from=effective_from
    )
