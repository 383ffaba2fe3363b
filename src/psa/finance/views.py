"""Finance pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from psa.core import clock, periods
from psa.core.api import actor
from psa.core.charts import Chart
from psa.core.errors import Conflict, DomainError, ValidationFailed
from psa.core.views import apply_domain_errors, attachment, page, paginate, refuse
from psa.engagements.choices import Kind
from psa.finance import charts, files, flows, rules, selectors, services
from psa.finance.forms import (
    EntriesForm,
    ForecastForm,
    MarginForm,
    PeriodForm,
    ReopenForm,
    RevenueForm,
    TargetForm,
    UtilizationForm,
)
from psa.finance.models import CloseOutFiling
from psa.integrations.salesforce import SalesforceError, salesforce_settings
from psa.integrations.spreadsheet import XLSX
from psa.people import selectors as people_selectors


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


def _xlsx(data: bytes, name: str) -> HttpResponse:
    return attachment(data, f"{name}.xlsx", XLSX)


def _periods(today: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """The period shortcuts: this week, month, fiscal quarter and fiscal year."""
    week = periods.week_start(today)
    month = periods.month(today)
    quarter = periods.fiscal_quarter(today)
    year = periods.fiscal_year(today)
    return [
        ("This week", week, week + dt.timedelta(days=6)),
        ("This month", month.start, month.end),
        (f"This quarter ({quarter.label})", quarter.start, quarter.end),
        (f"This fiscal year ({year.label})", year.start, year.end),
    ]


def _people_choices() -> list[tuple[int, str]]:
    people = people_selectors.person_list(related=False).values_list("pk", "name")
    return list(people)


@page
def utilization(request: HttpRequest, target_form: TargetForm | None = None) -> HttpResponse:
    me = actor(request)
    if not selectors.may_read_finance(me):
        raise refuse(selectors.ERR_MAY_NOT_READ)
    today = clock.today()
    quarter = periods.fiscal_quarter(today)
    form = UtilizationForm(
        request.GET or {"start": quarter.start, "end": quarter.end, "group": "person"}
    )
    report, chart, status = None, None, 200
    if form.is_valid():
        try:
            report = selectors.utilization(actor=me, **form.cleaned_data)
            if report.as_of is None:  # recorded figures: no chart of today's parts
                chart = charts.utilization(
                    selectors.utilization_over_time(actor=me, start=report.start, end=report.end)
                )
        except ValidationFailed as exc:
            status = apply_domain_errors(form, exc)
    else:
        status = 422
    may_set = services.may_set_targets(me)
    context: dict[str, Any] = {
        "form": form,
        "report": report,
        "chart": chart,
        "majors": rules.MAJORS,
        "shortcuts": _periods(today),
        "group": form.cleaned_data.get("group", "person") if form.is_valid() else "person",
        "may_set_targets": may_set,
        "target_form": target_form
        or (
            TargetForm(initial={"effective_from": today}, people=_people_choices())
            if may_set
            else None
        ),
        "default_target": rules.DEFAULT_TARGET,
    }
    if target_form is not None:
        status = 422
    if report is not None and request.GET.get("format") == "xlsx":
        return _xlsx(files.utilization_xlsx(report, list(rules.MAJORS)), "utilization")
    return render(request, "finance/utilization.html", context, status=status)


@page
@require_POST
def target_set(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    form = TargetForm(request.POST, people=_people_choices())
    if form.is_valid():
        person = people_selectors.person_get(person_id=form.cleaned_data["person"])
        try:
            services.target_set(
                actor=me,
                person=person,
                effective_from=form.cleaned_data["effective_from"],
                percent=form.cleaned_data["percent"],
            )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            day = form.cleaned_data["effective_from"]
            messages.success(request, f"Target for {person.name} from {day:%-d %b %Y} saved.")
            return redirect(reverse("finance_utilization") + "#targets")
    elif not services.may_set_targets(me):
        raise refuse(services.ERR_MAY_NOT_SET_TARGET)
    return utilization(request, target_form=form)


@page
def forecast(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    if not selectors.may_read_finance(me):
        raise refuse(selectors.ERR_MAY_NOT_READ)
    form = ForecastForm(request.GET or {"weeks": selectors.FORECAST_WEEKS})
    result, status = None, 200
    if form.is_valid():
        try:
            result = selectors.forecast(actor=me, **form.cleaned_data)
        except ValidationFailed as exc:
            status = apply_domain_errors(form, exc)
    else:
        status = 422
    labels = dict(Kind.choices)
    totals = (
        [
            (labels.get(kind, kind), currency, amount)
            for (kind, currency), amount in sorted(result.totals.items())
        ]
        if result
        else []
    )
    revenue = [(r, labels.get(r.kind, r.kind)) for r in result.revenue] if result else []
    if result is not None and request.GET.get("format") == "xlsx":
        return _xlsx(files.forecast_xlsx(result), "forecast")
    return render(
        request,
        "finance/forecast.html",
        {
            "form": form,
            "forecast": result,
            "totals": totals,
            "revenue": revenue,
            "chart": charts.forecast(result.weeks) if result else None,
        },
        status=status,
    )


@page
def revenue(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    if not selectors.may_read_finance(me):
        raise refuse(selectors.ERR_MAY_NOT_READ)
    today = clock.today()
    quarter = periods.fiscal_quarter(today)
    form = RevenueForm(request.GET or {"start": quarter.start, "end": quarter.end})
    report, status = None, 200
    revenue_charts: list[Chart] = []
    if form.is_valid():
        try:
            report = selectors.revenue(actor=me, **form.cleaned_data)
            if report.as_of is None:
                revenue_charts = charts.revenue(
                    selectors.revenue_over_time(actor=me, start=report.start, end=report.end)
                )
        except ValidationFailed as exc:
            status = apply_domain_errors(form, exc)
    else:
        status = 422
    labels = dict(Kind.choices)
    totals = (
        [
            (labels.get(kind, kind), currency, amount)
            for (kind, currency), amount in sorted(report.totals.items())
        ]
        if report
        else []
    )
    rows = [(r, labels.get(r.kind, r.kind)) for r in report.rows] if report else []
    if report is not None and request.GET.get("format") == "xlsx":
        return _xlsx(files.revenue_xlsx(report), "revenue")
    return render(
        request,
        "finance/revenue.html",
        {
            "form": form,
            "report": report,
            "totals": totals,
            "rows": rows,
            "charts": revenue_charts,
            "shortcuts": _periods(today),
        },
        status=status,
    )


@page
def margin(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    if not selectors.may_read_finance(me):
        raise refuse(selectors.ERR_MAY_NOT_READ)
    today = clock.today()
    quarter = periods.fiscal_quarter(today)
    form = MarginForm(
        request.GET or {"start": quarter.start, "end": quarter.end, "group": "engagement"}
    )
    report, status = None, 200
    margin_charts: list[Chart] = []
    if form.is_valid():
        try:
            report = selectors.margin(actor=me, **form.cleaned_data)
            if report.as_of is None:
                margin_charts = charts.margin(
                    selectors.margin_over_time(actor=me, start=report.start, end=report.end)
                )
        except ValidationFailed as exc:
            status = apply_domain_errors(form, exc)
    else:
        status = 422
    if report is not None and request.GET.get("format") == "xlsx":
        return _xlsx(files.margin_xlsx(report), "margin")
    return render(
        request,
        "finance/margin.html",
        {
            "form": form,
            "report": report,
            "charts": margin_charts,
            "shortcuts": _periods(today),
        },
        status=status,
    )


@page
def period_list(
    request: HttpRequest, close_form: PeriodForm | None = None, status: int = 200
) -> HttpResponse:
    me = actor(request)
    if not selectors.may_read_finance(me):
        raise refuse(selectors.ERR_MAY_NOT_READ)
    return render(
        request,
        "finance/periods.html",
        {
            "periods": selectors.closed_periods(),
            "may_close": services.may_close_periods(me),
            "closable": selectors.closable_next(clock.today()),
            "close_form": close_form or PeriodForm(),
            "reopen_form": ReopenForm(),
        },
        status=status,
    )


@page
@require_POST
def period_close(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    form = PeriodForm(request.POST)
    if form.is_valid():
        try:
            period = flows.period_close(actor=me, **form.cleaned_data)
        except DomainError as exc:
            return period_list(request, close_form=form, status=apply_domain_errors(form, exc))
        messages.success(request, f"{period.label} closed: its figures are frozen.")
        return redirect("finance_periods")
    if not services.may_close_periods(me):
        raise refuse(services.ERR_MAY_NOT_CLOSE)
    return period_list(request, close_form=form, status=422)


@page
@require_POST
def period_reopen(request: HttpRequest, period_id: int) -> HttpResponse:
    period = selectors.period_get(period_id=period_id)
    form = ReopenForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.period_reopen(actor=actor(request), period=period, reason=reason)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{period.label} reopened.")
    return redirect("finance_periods")


def _file_label() -> str:
    try:
        crm = salesforce_settings()
    except SalesforceError:
        return "File to Salesforce"  # configured in part: the click says what is missing
    return "File to Salesforce" if crm else "E-mail to the controller and finance partner"


@page
def close_out(request: HttpRequest, engagement_id: int) -> HttpResponse:
    me = actor(request)
    if not selectors.may_read_finance(me):
        raise refuse(selectors.ERR_MAY_NOT_READ)
    filing = selectors.close_out_filing(actor=me, engagement_id=engagement_id)
    context: dict[str, Any] = {
        "engagement_id": engagement_id,
        "filing": filing,
        "file_label": _file_label(),
        "refused": "",
    }
    try:
        close = selectors.close_out(actor=me, engagement_id=engagement_id)
    except Conflict as exc:
        context.update(close=None, refused=exc.message)
        return render(request, "finance/close_out.html", context, status=409)
    fmt = request.GET.get("format")
    if fmt in ("xlsx", "pdf"):
        if fmt == "xlsx":
            data, content_type = files.close_out_xlsx(close), XLSX
        else:
            now = clock.now()
            data = files.close_out_pdf(close, prepared_by=me.label, prepared_at=now)
            content_type = "application/pdf"
        return attachment(data, f"close-out-{engagement_id}.{fmt}", content_type)
    context["close"] = close
    return render(request, "finance/close_out.html", context)


FILING_SAID: dict[str, str] = {
    CloseOutFiling.Status.FILED: "Close-out filed ({channel}); the engagement is complete.",
    CloseOutFiling.Status.QUEUED: "Close-out queued: the worker files it shortly.",
    CloseOutFiling.Status.SENDING: "Close-out being filed now.",
}


@page
@require_POST
def close_out_file(request: HttpRequest, engagement_id: int) -> HttpResponse:
    try:
        filing = services.close_out_file(actor=actor(request), engagement_id=engagement_id)
    except Conflict as exc:
        messages.error(request, f"{exc.message[:1].upper()}{exc.message[1:]}.")
    else:
        said = FILING_SAID.get(filing.status)
        if said is None:
            messages.error(request, f"The filing failed: {filing.last_error}.")
        else:
            messages.success(request, said.format(channel=filing.get_channel_display()))
    return redirect("finance_close_out", engagement_id=engagement_id)


@page
def entries(request: HttpRequest) -> HttpResponse:
    """The entries behind a figure of the other pages, priced, with the totals it shows."""
    me = actor(request)
    if not selectors.may_read_finance(me):
        raise refuse(selectors.ERR_MAY_NOT_READ)
    form = EntriesForm(request.GET)
    behind, status = None, 200
    if form.is_valid():
        data = form.cleaned_data
        try:
            behind = selectors.entries_behind(
                actor=me,
                start=data["start"],
                end=data["end"],
                person_id=data["person"],
                engagement_id=data["engagement"],
                basis=data["basis"] or selectors.BASIS_LOGGED,
            )
        except ValidationFailed as exc:
            status = apply_domain_errors(form, exc)
    else:
        status = 422
    if behind is not None and request.GET.get("format") == "xlsx":
        return _xlsx(files.entries_xlsx(behind), "entries")
    return render(
        request,
        "finance/entries.html",
        {
            "form": form,
            "behind": behind,
            "page_obj": paginate(request, behind.lines if behind else [], per_page=100),
        },
        status=status,
    )
