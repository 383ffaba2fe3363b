"""Rates that change over time: a person's cost rate, an engagement's bill rate.

Each rate holds the date it takes effect and stays in force until the next one does. A figure
prices a day with the rate in force on that day; a day before the first rate has none, and
is reported as missing by whoever prices it, never taken as 0.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

# What an audit entry of a rate says of it: a replaced rate's entry lists only what changed.
RATE_DAY = "the rate in force from {day}"


@dataclass(frozen=True)
class DatedRate:
    effective_from: dt.date
    rate: Decimal
    currency: str


class _Dated(Protocol):
    @property
    def effective_from(self) -> dt.date: ...


R = TypeVar("R", bound=_Dated)


class DatedSeries(Generic[R]):
    """One owner's dated values (rates, targets) in date order, looked up by day."""

    def __init__(self, rates: Iterable[R] = ()) -> None:
        self.rates = sorted(rates, key=lambda r: r.effective_from)
        self._starts = [r.effective_from for r in self.rates]
        if len(set(self._starts)) != len(self._starts):
            raise ValueError("two rates take effect on the same day")

    def on(self, day: dt.date) -> R | None:
        """The rate in force on `day`: the last one taking effect on or before it."""
        i = bisect.bisect_right(self._starts, day)
        return self.rates[i - 1] if i else None

    def throughout(self, first: dt.date, last: dt.date) -> R | None:
        """The one rate in force on every day from `first` to `last`; None when there is no
        rate on `first` or another takes effect before `last`."""
        rate = self.on(first)
        if rate is None:
            return None
        i = bisect.bisect_right(self._starts, first)
        return rate if i == len(self._starts) or self._starts[i] > last else None

    def __bool__(self) -> bool:
        return bool(self.rates)

    def __len__(self) -> int:
        return len(self.rates)

    def __repr__(self) -> str:
        return f"DatedSeries({self.rates!r})"


# A person's cost rates, an engagement's bill rates.
RateSeries = DatedSeries[DatedRate]


def is_valid_rate(rate: Decimal) -> bool:
    """A rate is a finite amount of at least 0 with at most two decimals (cents)."""
    return rate.is_finite() and rate >= 0 and rate == rate.quantize(Decimal("0.01"))


@dataclass(frozen=True)
class RateSpan(Generic[R]):
    """A rate with the last day it is in force (None: until further notice)."""

    rate: R
    until: dt.date | None
    current: bool  # in force on the day asked about


def rate_spans(rates: Sequence[R], today: dt.date) -> list[RateSpan[R]]:
    """Rates in date order, each with the day before the next one takes effect."""
    ordered = sorted(rates, key=lambda r: r.effective_from)
    spans = []
    for i, rate in enumerate(ordered):
        after = ordered[i + 1] if i + 1 < len(ordered) else None
        until = after.effective_from - dt.timedelta(days=1) if after is not None else None
        current = rate.effective_from <= today and (until is None or today <= until)
        spans.append(RateSpan(rate, until, current))
    return spans
