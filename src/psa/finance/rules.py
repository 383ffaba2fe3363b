"""Pricing hours with dated rates: pure functions on values."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, TypeVar

from psa.core.rates import RateSeries

K = TypeVar("K", bound=Hashable)
ZERO = Decimal("0")


@dataclass(frozen=True)
class Gap:
    """Days with hours and no rate in force: reported, never priced at 0."""

    first: dt.date
    last: dt.date
    days: int
    hours: Decimal


@dataclass
class Priced(Generic[K]):
    """Hours priced by owner (a person, an engagement): the amount in each currency (exact,
    hours × rate, rounded only where shown) and the days that had no rate."""

    amounts: dict[K, dict[str, Decimal]] = field(default_factory=dict)
    gaps: dict[K, Gap] = field(default_factory=dict)


def price(hours: Mapping[tuple[K, dt.date], Decimal], rates: Mapping[K, RateSeries]) -> Priced[K]:
    """Each owner's hours of each day at the rate in force that day."""
    amounts: dict[K, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    unpriced: dict[K, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for (owner, day), h in hours.items():
        rate = rates[owner].on(day) if owner in rates else None
        if rate is None:
            unpriced[owner].append((day, h))
        else:
            amounts[owner][rate.currency] += h * rate.rate
    gaps = {
        owner: Gap(
            first=min(d for d, _ in days),
            last=max(d for d, _ in days),
            days=len(days),
            hours=sum((h for _, h in days), ZERO),
        )
        for owner, days in unpriced.items()
    }
    return Priced({k: dict(v) for k, v in amounts.items()}, gaps)
