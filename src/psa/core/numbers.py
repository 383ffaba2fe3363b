"""Hours and money: Decimal, never float."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

HOURS_PLACES = Decimal("0.01")
MONEY_PLACES = Decimal("0.01")
ZERO = Decimal("0.00")

# ISO 4217 codes the team bills and pays in; extend as needed.
CURRENCIES = ("USD", "EUR", "GBP", "AUD", "CAD", "JPY", "CHF", "SEK", "NOK", "DKK", "SGD", "INR")


def hours(value: Decimal | int | str) -> Decimal:
    """Hours with two places. Refuses floats: they are not exact."""
    if isinstance(value, float):
        raise TypeError("hours must be Decimal, int or str, not float")
    try:
        result = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not a number of hours") from exc
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite number of hours")
    return result.quantize(HOURS_PLACES, rounding=ROUND_HALF_UP)


def fmt_hours(value: Decimal) -> str:
    """Hours as people write them, without trailing zeros: 8, 7.5, 6.25, -2."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money must be Decimal, int or str, not float")
    return Decimal(value).quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)


# ------------------------------------------------------------------ typed hours

ERR_HOURS_TEXT = "hours must be a number such as 7.5, 7,5 or 7:30 ({value!r} is not)"
ERR_HOURS_AMBIGUOUS = (
    "{value!r} is ambiguous (a decimal or a thousands separator?): write {decimal} or {whole}"
)
ERR_HOURS_PLACES = "hours have at most two decimals ({value!r})"
ERR_HOURS_MINUTES = "in {value!r} the minutes must be 00 to 59"
ERR_HOURS_TOO_BIG = "{value!r} is more hours than anyone logs: at most {limit}"
HOURS_LIMIT = Decimal("100000")


class HoursError(ValueError):
    """Typed hours that are not a number of hours; the message says why."""


# far beyond any rule's cap, inside every column's digits

# ASCII digits only: \d would take other scripts' digits, which Decimal also reads.
_DECIMAL = re.compile(r"([+-]?)([0-9]*)(?:([.,])([0-9]+))?", re.ASCII)
_CLOCK = re.compile(r"([+-]?)([0-9]{1,3}):([0-9]{2})", re.ASCII)


def parse_hours(value: object) -> Decimal:
    """Typed hours as an exact Decimal with two places: the one parser of the API, the pages,
    imports and the GitLab sync. `7.5`, `7,5` and `7:30` are 7.50; `1,500` or `1.500` (a
    thousands separator or three decimals?), more than two decimals, units, words, floats,
    NaN and infinity are refused with a reason (HoursError), never reinterpreted. The sign is
    kept: callers decide whether a negative makes sense (an adjustment) or not (an entry)."""
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value)
    elif isinstance(value, str):
        number = _parse_text(value.strip())
    else:  # float (binary fractions), bool, None, anything else
        raise HoursError(ERR_HOURS_TEXT.format(value=str(value)))
    if not number.is_finite():
        raise HoursError(ERR_HOURS_TEXT.format(value=str(value)))
    if abs(number) >= HOURS_LIMIT:
        raise HoursError(ERR_HOURS_TOO_BIG.format(value=str(value), limit=HOURS_LIMIT))
    if isinstance(value, Decimal) and number != number.quantize(HOURS_PLACES):
        raise HoursError(ERR_HOURS_PLACES.format(value=str(value)))
    return number.quantize(HOURS_PLACES, rounding=ROUND_HALF_UP)


def _parse_text(text: str) -> Decimal:
    clock = _CLOCK.fullmatch(text)
    if clock is not None:
        sign, whole, minutes = clock.groups()
        if int(minutes) > 59:
            raise HoursError(ERR_HOURS_MINUTES.format(value=text))
        number = Decimal(whole) + Decimal(minutes) / 60  # 7:20 is 7.33: stored in hundredths
        return -number if sign == "-" else number
    match = _DECIMAL.fullmatch(text)
    if match is None or not (match.group(2) or match.group(4)):
        raise HoursError(ERR_HOURS_TEXT.format(value=text))
    sign, whole, separator, part = match.groups()
    # 1,500 or 1.500: one and a half, or a thousands separator? (1,555 has three decimals.)
    if part is not None and len(part) == 3 and part.endswith("0") and whole:
        decimal = f"{sign}{whole}.{part.rstrip('0') or '0'}"
        raise HoursError(
            ERR_HOURS_AMBIGUOUS.format(value=text, decimal=decimal, whole=f"{sign}{whole}{part}")
        )
    if part is not None and len(part) > 2:
        raise HoursError(ERR_HOURS_PLACES.format(value=text))
    try:
        return Decimal(f"{sign}{whole or 0}.{part or 0}")
    except InvalidOperation as exc:  # pragma: no cover - the patterns admit only numbers
        raise HoursError(ERR_HOURS_TEXT.format(value=text)) from exc
