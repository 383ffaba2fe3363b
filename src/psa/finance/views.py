"""Finance pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from psa.core import clock, periods
from psa.core.api import actor
from psa.core.errors import ValidationFailed
from psa.core.views import apply_domain_errors, page, refuse
from psa.finance import selectors
from psa.finance.forms import PeriodForm


@page
def rate_gaps(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    if not selectors.may_read_finance(me):
        raise refuse(selectors.ERR_MAY_NOT_READ)
    today = clock.today()
    year = periods.fiscal_year(today)
    form = PeriodForm(request.GET or {"start": year.start, "end": today})
    gaps, status = None, 200
    if form.is_valid():
        try:
            gaps = selectors.rate_gaps(actor=me, **form.cleaned_data)
        except ValidationFailed as exc:
            status = apply_domain_errors(form, exc)
    else:
        status = 422
    return render(request, "finance/rate_gaps.html", {"form": form, "gaps": gaps}, status=status)
