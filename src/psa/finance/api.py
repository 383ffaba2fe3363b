from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from psa.core.api import actor
from psa.core.schemas import answers
from psa.finance import selectors
from psa.finance.schemas import PeriodQuery, RateGapsOut

router = Router(tags=["finance"])


@router.get("/rate-gaps", response=answers({200: RateGapsOut}, 403))
def rate_gaps(request: HttpRequest, period: Query[PeriodQuery]) -> Any:
    """The period's hours that no rate prices, by person (cost) and by time and materials
    engagement (bill): each with its first and last such day, the days and the hours. A
    figure never prices them at 0: set the missing rate from the first day shown."""
    return selectors.rate_gaps(actor=actor(request), start=period.start, end=period.end)
