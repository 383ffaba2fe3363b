"""Default standard weekly hours per country.

Source: each country's statutory or generally agreed full-time working week, as listed in the
OECD "Hours worked" definitions and the national labour codes named below. Everywhere else PSA
uses 40 hours. A person's own `weekly_hours` overrides this table.
"""

from __future__ import annotations

from decimal import Decimal

DEFAULT_WEEKLY_HOURS = Decimal("40.00")

COUNTRY_WEEKLY_HOURS: dict[str, Decimal] = {
    "FR": Decimal("35.00"),  # Code du travail, art. L3121-27 (durée légale 35 h)
    "BE": Decimal("38.00"),  # Loi sur le travail du 16 mars 1971, art. 19 (38 h)
    "DK": Decimal("37.00"),  # general collective agreements (37 h)
    "NO": Decimal("37.50"),  # Arbeidsmiljøloven § 10-4 with tariff agreements (37.5 h)
    "AU": Decimal("38.00"),  # Fair Work Act 2009, s. 62 National Employment Standards (38 h)
    "NZ": Decimal("40.00"),  # Employment Relations Act 2000, s. 69ZC
    "NL": Decimal("40.00"),  # Arbeidstijdenwet: common full-time norm 36-40 h; 40 h used
}


def standard_weekly_hours(country: str) -> Decimal:
    return COUNTRY_WEEKLY_HOURS.get(country.upper(), DEFAULT_WEEKLY_HOURS)
