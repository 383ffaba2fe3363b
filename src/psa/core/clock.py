"""The one clock every rule reads "now" and "today" from.

`psa up --clock 2026-11-23T08:00Z` exports PSA_CLOCK="<instant>@<real epoch seconds at start>" so
the web workers and the background worker share one offset: simulated time starts at the instant
and runs forward at normal speed.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from zoneinfo import ZoneInfo

_override: dt.datetime | None = None  # tests freeze the clock with `frozen`

ERR_NO_ZONE = "{text!r} has no time zone; write e.g. 2026-11-23T08:00Z"
ERR_NAIVE = "frozen() needs an aware datetime"


def parse_instant(text: str) -> dt.datetime:
    """Parse an ISO 8601 instant; a time zone is required ("Z" means UTC)."""
    value = dt.datetime.fromisoformat(text.strip().replace("z", "Z"))
    if value.tzinfo is None:
        raise ValueError(ERR_NO_ZONE.format(text=text))
    return value.astimezone(dt.UTC)


def encode_clock(start: dt.datetime, real_epoch: float | None = None) -> str:
    return f"{start.isoformat()}@{time.time() if real_epoch is None else real_epoch}"


def _from_environment() -> dt.datetime | None:
    raw = os.environ.get("PSA_CLOCK", "")
    if not raw:
        return None
    instant, _, anchor = raw.partition("@")
    start = parse_instant(instant)
    elapsed = time.time() - float(anchor) if anchor else 0.0
    return start + dt.timedelta(seconds=elapsed)


def now() -> dt.datetime:
    """The current instant, aware, in UTC."""
    if _override is not None:
        return _override
    return _from_environment() or dt.datetime.now(dt.UTC)


def today(tz: str | dt.tzinfo = "UTC") -> dt.date:
    """Today's date in the given time zone (a person's own, where it matters)."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return now().astimezone(zone).date()


class frozen:  # noqa: N801 - used like a function: `with frozen(instant):`
    """Freeze the clock (tests, benchmarks)."""

    def __init__(self, instant: dt.datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError(ERR_NAIVE)
        self.instant = instant

    def __enter__(self) -> dt.datetime:
        global _override
        self._previous = _override
        _override = self.instant
        return self.instant

    def __exit__(self, *exc: object) -> None:
        global _override
        _override = self._previous
