"""The engagements' budget burn: hours logged against the budget hours, as the list's and the
page's figures give them, drawn by core.charts as a meter (the overrun red and in words)."""

from __future__ import annotations

from decimal import Decimal

from psa.core.charts import Meter, meter


def budget_burn(*, logged: Decimal, budget: Decimal) -> Meter | None:
    """None without budget hours: an engagement with none has nothing to burn against (time
    and materials work often has none)."""
    return meter(used=logged, limit=budget, unit="h")
