"""Hours and money: Decimal, never float."""

from __future__ import annotations

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


def money(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money must be Decimal, int or str, not float")
    return Decimal(value).quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)
