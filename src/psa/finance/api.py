from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from psa.core import clock
from psa.core.api import actor
from psa.core.errors import NotFound, PermissionDenied
from psa.core.schemas import WRITE, Day, answers
from psa.core.views import attachment
from psa.finance import files, flows, rules, selectors, services
from psa.finance.schemas import (
    CloseOutFilingOut,
    CloseOutOut,
    EntriesOut,
    EntriesQuery,
    FiscalPeriodOut,
    ForecastOut,
    ForecastQuery,
    MarginOut,
    MarginQuery,
    PeriodIn,
    PeriodQuery,
    RateGapsOut,
    ReopenIn,
    RevenueOut,
    RevenueQuery,
    TargetIn,
    TargetOut,
    UtilizationQuery,
    UtilizationReportOut,
)
from psa.integrations.spreadsheet import XLSX
from psa.people import selectors as people_selectors

router = Router(tags=["finance"])
ERR_NO_FILING = "the close-out of engagement {id} has not been filed"
PDF = "application/pdf"


@router.get("/rate-gaps", response=answers({200: RateGapsOut}, 403))
def rate_gaps(request: HttpRequest, period: Query[PeriodQuery]) -> Any:
    """The period's hours that no rate prices, by person (cost) and by time and materials
    engagement (bill): each with its first and last such day, the days and the hours. A
    figure never prices them at 0: set the missing rate from the first day shown."""
    return selectors.rate_gaps(actor=actor(request), start=period.start, end=period.end)


@router.get("/utilization", response=answers({200: UtilizationReportOut}, 403))
def utilization(request: HttpRequest, query: Query[UtilizationQuery]) -> Any:
    """Utilization of everyone employed in the period, per person or per team, role or
    country: capacity, hours by major epic, billable and productive hours and their share of
    capacity, the target in force and the booked (scheduled) hours. Hours are summed before
    dividing. With `as_of`: as PSA recorded it at the end of that day."""
    return selectors.utilization(
        actor=actor(request),
        start=query.start,
        end=query.end,
        group=query.group,
        as_of=query.as_of,
    )


@router.put(
    "/targets/{person_id}/{effective_from}", response=answers({200: TargetOut}, *WRITE, 404)
)
def set_target(request: HttpRequest, person_id: int, effective_from: Day, payload: TargetIn) -> Any:
    """The person's billable utilization target from `effective_from` on (75 % without one)."""
    person = people_selectors.person_get(person_id=person_id)
    return services.target_set(
        actor=actor(request), person=person, effective_from=effective_from, percent=payload.percent
    )


@router.delete("/targets/{person_id}/{effective_from}", response=answers({204: None}, *WRITE, 404))
def delete_target(request: HttpRequest, person_id: int, effective_from: Day) -> Any:
    person = people_selectors.person_get(person_id=person_id)
    services.target_delete(actor=actor(request), person=person, effective_from=effective_from)
    return 204, None


@router.get("/forecast", response=answers({200: ForecastOut}, 403))
def forecast(request: HttpRequest, query: Query[ForecastQuery]) -> Any:
    """The next weeks (13 by default) for the PSEs: capacity, confirmed and probability-weighted
    tentative hours, expected billable utilization, who is over- or under-booked, and the
    revenue expected per engagement, kind and currency. With `as_of`: as recorded then."""
    return selectors.forecast(
        actor=actor(request), start=query.start, weeks=query.weeks, as_of=query.as_of
    )


@router.get("/revenue", response=answers({200: RevenueOut}, 403))
def revenue(request: HttpRequest, period: Query[RevenueQuery]) -> Any:
    """Revenue recognised in the period per engagement, by kind (packaged on completion, custom
    SOW by milestones reached, time and materials on finally approved hours × the bill rate of
    each day), totals per kind and currency, and the T&M hours still unapproved per person.
    With `as_of`: as PSA recorded it at the end of that day."""
    return selectors.revenue(
        actor=actor(request), start=period.start, end=period.end, as_of=period.as_of
    )


@router.get("/margin", response=answers({200: MarginOut}, 403))
def margin(request: HttpRequest, query: Query[MarginQuery]) -> Any:
    """Gross margin of the period per engagement, customer or kind: revenue recognised less the
    cost of the hours worked (each at its person's cost rate of the day), per currency.
    With `as_of`: as PSA recorded it at the end of that day."""
    return selectors.margin(
        actor=actor(request),
        start=query.start,
        end=query.end,
        group=query.group,
        as_of=query.as_of,
    )


@router.get("/periods", response=answers({200: list[FiscalPeriodOut]}, 403))
def list_periods(request: HttpRequest) -> Any:
    """The closed months and fiscal quarters, oldest first."""
    if not selectors.may_read_finance(actor(request)):
        raise PermissionDenied(selectors.ERR_MAY_NOT_READ)
    return selectors.closed_periods()


@router.post("/periods", response=answers({201: FiscalPeriodOut}, *WRITE, 409))
def close_period(request: HttpRequest, payload: PeriodIn) -> Any:
    """Close a month or fiscal quarter that has ended: its revenue, cost and margin are frozen;
    later changes to it land in the first open period as prior-period adjustments."""
    return 201, flows.period_close(actor=actor(request), start=payload.start, end=payload.end)


@router.post("/periods/{period_id}/reopen", response=answers({204: None}, *WRITE, 404))
def reopen_period(request: HttpRequest, period_id: int, payload: ReopenIn) -> Any:
    """Reopen a closed period, with the reason (audited): its figures are live again."""
    period = selectors.period_get(period_id=period_id)
    services.period_reopen(actor=actor(request), period=period, reason=payload.reason)
    return 204, None


@router.get("/close-outs/{engagement_id}", response=answers({200: CloseOutOut}, 403, 404, 409))
def close_out(request: HttpRequest, engagement_id: int) -> Any:
    """The cost-vs-actual analysis of an engagement: budget and actual hours and cost, their
    variance, revenue recognised and margin, per person and per work item. 409, naming who,
    while any of its time is not finally approved."""
    return selectors.close_out(actor=actor(request), engagement_id=engagement_id)


@router.get("/close-outs/{engagement_id}/xlsx", response=answers({200: None}, 403, 404, 409))
def close_out_xlsx(request: HttpRequest, engagement_id: int) -> HttpResponse:
    """The close-out as a workbook: a summary sheet, then people and work items."""
    close = selectors.close_out(actor=actor(request), engagement_id=engagement_id)
    return attachment(files.close_out_xlsx(close), f"close-out-{engagement_id}.xlsx", XLSX)


@router.get("/close-outs/{engagement_id}/pdf", response=answers({200: None}, 403, 404, 409))
def close_out_pdf(request: HttpRequest, engagement_id: int) -> HttpResponse:
    """The close-out as a PDF, prepared now (the filed one is kept with its filing)."""
    me = actor(request)
    close = selectors.close_out(actor=me, engagement_id=engagement_id)
    data = files.close_out_pdf(close, prepared_by=me.label, prepared_at=clock.now())
    return attachment(data, f"close-out-{engagement_id}.pdf", PDF)


@router.get(
    "/close-outs/{engagement_id}/filing", response=answers({200: CloseOutFilingOut}, 403, 404)
)
def close_out_filing(request: HttpRequest, engagement_id: int) -> Any:
    """Where the engagement's close-out filing stands: 404 before one was asked for."""
    filing = selectors.close_out_filing(actor=actor(request), engagement_id=engagement_id)
    if filing is None:
        raise NotFound(ERR_NO_FILING.format(id=engagement_id), field="engagement_id")
    return filing


@router.post(
    "/close-outs/{engagement_id}/filing",
    response=answers({202: CloseOutFilingOut}, *WRITE, 404, 409),
)
def file_close_out(request: HttpRequest, engagement_id: int) -> Any:
    """File the close-out to the CRM: the PDF onto the engagement's Salesforce opportunity and
    a Chatter post mentioning the controller and the finance business partner (with no CRM
    configured, an e-mail to both). The worker delivers it and the engagement moves to
    complete; a failure is kept and retried. Asking again while it is on its way changes
    nothing and answers the same filing; a failed filing is tried again at once; 409 once
    filed, and while time is unapproved (naming whose)."""
    return 202, services.close_out_file(actor=actor(request), engagement_id=engagement_id)


@router.get("/entries", response=answers({200: EntriesOut}, 403, 404, 422))
def entries(request: HttpRequest, query: Query[EntriesQuery]) -> Any:
    """The entries behind a figure, each priced, with the totals the figure shows: a person's
    hours of a period (utilization), an engagement's hours at each person's cost rate (the
    margin's cost), or a time and materials engagement's finally approved hours at its bill
    rates (`basis=approved`: its revenue). Paged; the totals are over every page."""
    behind = selectors.entries_behind(
        actor=actor(request),
        start=query.start,
        end=query.end,
        person_id=query.person_id,
        engagement_id=query.engagement_id,
        basis=query.basis,
    )
    first = (query.page - 1) * query.page_size
    count = len(behind.lines)
    return {
        "start": behind.start,
        "end": behind.end,
        "basis": behind.basis,
        "title": behind.title,
        "hours": behind.hours,
        "billable": behind.billable,
        "productive": behind.productive,
        "unpriced": behind.unpriced,
        "amounts": [{"currency": c, "amount": a} for c, a in behind.amounts.items()],
        "count": count,
        "page": query.page,
        "pages": (count + query.page_size - 1) // query.page_size,
        "items": behind.lines[first : first + query.page_size],
    }


def _xlsx(data: bytes, name: str) -> HttpResponse:
    return attachment(data, f"{name}.xlsx", XLSX)


@router.get("/utilization/xlsx", response=answers({200: None}, 403, 422))
def utilization_xlsx(request: HttpRequest, query: Query[UtilizationQuery]) -> HttpResponse:
    """The utilization report as a workbook: a row per group and the total, numbers numeric."""
    report = selectors.utilization(
        actor=actor(request), start=query.start, end=query.end, group=query.group
    )
    return _xlsx(files.utilization_xlsx(report, list(rules.MAJORS)), f"utilization-{query.start}")


@router.get("/forecast/xlsx", response=answers({200: None}, 403, 422))
def forecast_xlsx(request: HttpRequest, query: Query[ForecastQuery]) -> HttpResponse:
    """The forecast as a workbook: the weeks and the expected revenue."""
    result = selectors.forecast(actor=actor(request), start=query.start, weeks=query.weeks)
    return _xlsx(files.forecast_xlsx(result), f"forecast-{result.start}")


@router.get("/revenue/xlsx", response=answers({200: None}, 403, 422))
def revenue_xlsx(request: HttpRequest, period: Query[PeriodQuery]) -> HttpResponse:
    """Revenue as a workbook: per engagement, the totals per kind and currency, the unapproved."""
    report = selectors.revenue(actor=actor(request), start=period.start, end=period.end)
    return _xlsx(files.revenue_xlsx(report), f"revenue-{period.start}")


@router.get("/margin/xlsx", response=answers({200: None}, 403, 422))
def margin_xlsx(request: HttpRequest, query: Query[MarginQuery]) -> HttpResponse:
    """Gross margin as a workbook: a row per group and currency, and the adjustments."""
    report = selectors.margin(
        actor=actor(request), start=query.start, end=query.end, group=query.group
    )
    return _xlsx(files.margin_xlsx(report), f"margin-{query.start}")
