"""Engagement and customer pages: lists, detail (milestones, status, comments, history), forms."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Page
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from psa.core import audit, clock
from psa.core.api import actor
from psa.core.errors import Conflict, DomainError
from psa.core.numbers import ZERO
from psa.core.rates import rate_spans
from psa.core.roles import Actor
from psa.core.views import (
    apply_domain_errors,
    changed_fields,
    error_status,
    is_htmx,
    page,
    paginate,
    refuse,
    text_param,
)
from psa.engagements import charts, flows, rules, selectors, services
from psa.engagements.forms import (
    ENGAGEMENT_FIELDS,
    ERR_REACHED_ON,
    BillRateForm,
    CommentForm,
    CustomerForm,
    EngagementFilterForm,
    EngagementForm,
    MilestoneReachedForm,
    StatusForm,
    milestone_formset,
    milestone_initial,
    rows_from_post,
)
from psa.engagements.models import Customer, Engagement, Kind, Status
from psa.finance import flows as finance_flows
from psa.scheduling import selectors as scheduling_selectors
from psa.timetracking import selectors as time_selectors

ADD_ROW = "add_milestone_row"
TRANSITION_LABELS: dict[str, str] = {
    Status.PIPELINE: "Back to pipeline",
    Status.BOOKED: "Mark booked",
    Status.ACTIVE: "Start (active)",
    Status.COMPLETE: "Mark complete",
    Status.CANCELLED: "Cancel engagement",
}


def _may_create(me: Actor) -> bool:
    return services.can_create_engagements(me)


# ------------------------------------------------------------------ customers


@page
def customer_list(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    search = text_param(request.GET.get("search", ""), 100)
    form = CustomerForm()
    status = 200
    if request.method == "POST":
        form = CustomerForm(request.POST)
        if form.is_valid():
            try:
                customer = services.customer_create(actor=me, **form.cleaned_data)
            except DomainError as exc:
                status = apply_domain_errors(form, exc)
            else:
                messages.success(request, f"Customer {customer.name} added.")
                return redirect("customer_detail", customer_id=customer.pk)
        else:
            status = 422
    customers = paginate(request, selectors.customer_list(search=search))
    return render(
        request,
        "engagements/customer_list.html",
        {
            "page_obj": customers,
            "search": search,
            "form": form,
            "can_create": _may_create(me),
        },
        status=status,
    )


@page
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    me = actor(request)
    customer = selectors.customer_get(customer_id=customer_id)
    initial = {"name": customer.name, "crm_account_id": customer.crm_account_id}
    form = CustomerForm(initial=initial)
    status = 200
    if request.method == "POST":
        form = CustomerForm(request.POST, initial=initial)
        if form.is_valid():
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            if not changes:
                messages.info(request, "Nothing changed.")
                return redirect("customer_detail", customer_id=customer.pk)
            try:
                services.customer_update(actor=me, customer=customer, **changes)
            except DomainError as exc:
                status = apply_domain_errors(form, exc)
            else:
                messages.success(request, "Customer saved.")
                return redirect("customer_detail", customer_id=customer.pk)
        else:
            status = 422
    engagements = _with_hours(paginate(request, selectors.engagement_list(customer_id=customer.pk)))
    return render(
        request,
        "engagements/customer_detail.html",
        {
            "customer": customer,
            "page_obj": engagements,
            "form": form,
            "can_edit": services.can_edit_engagements(me),
            "can_create": _may_create(me),
            "audit_target": Customer._meta.label_lower,
        },
        status=status,
    )


# ------------------------------------------------------------------ engagements


def _with_hours(page_obj: Page[Engagement]) -> Page[Engagement]:
    """Each engagement on the page gets `hours_logged` (one query for the page) and the
    `bill_rate_today` (prefetched by the list)."""
    rows = list(page_obj)
    totals = time_selectors.engagement_hours(engagement_ids=[e.pk for e in rows])
    for e in rows:
        e.hours_logged = totals.get(e.pk, ZERO)  # type: ignore[attr-defined]
        e.burn = charts.budget_burn(  # type: ignore[attr-defined]
            logged=e.hours_logged,  # type: ignore[attr-defined]
            budget=e.budget_hours,
        )
        e.bill_rate_today = selectors.bill_rate_today(e)  # type: ignore[attr-defined]
    page_obj.object_list = rows
    return page_obj


@page
def engagement_list(request: HttpRequest) -> HttpResponse:
    form = EngagementFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else {}
    return render(
        request,
        "engagements/engagement_list.html",
        {
            "form": form,
            "page_obj": _with_hours(paginate(request, selectors.engagement_list(**filters))),
            "can_create": _may_create(actor(request)),
        },
    )


def _form_page(
    request: HttpRequest,
    form: EngagementForm,
    formset: Any,
    *,
    engagement: Engagement | None,
    milestone_errors: list[str] | None = None,
    status: int = 200,
    focus_row: int | None = None,
) -> HttpResponse:
    return render(
        request,
        "engagements/engagement_form.html",
        {
            "form": form,
            "formset": formset,
            "engagement": engagement,
            "milestone_errors": milestone_errors or [],
            "add_row": ADD_ROW,
            "focus_row": focus_row,
            "finished": engagement is not None and rules.is_finished(engagement.status),
            "custom_sow": Kind.CUSTOM_SOW,
        },
        status=status,
    )


def _valid(form: EngagementForm, formset: Any) -> bool:
    """The form is valid, and so are the milestone rows if they count (custom SOW only)."""
    if not form.is_valid():
        return False
    return form.cleaned_data["kind"] != Kind.CUSTOM_SOW or bool(formset.is_valid())


def _milestone_problems(form: EngagementForm, formset: Any) -> list[str]:
    """When the form has errors of its own (so the service was not asked), still report the
    milestone rules, so that one submission shows every problem."""
    kind = form.data.get("kind")
    if kind != Kind.CUSTOM_SOW or not formset.is_valid():
        return []
    specs = formset.specs()
    return rules.milestone_errors(specs) if specs else []


def _add_row(request: HttpRequest, engagement: Engagement | None) -> HttpResponse:
    """Re-show the form as typed, with one more milestone row (nothing is saved)."""
    initial = {k: v for k, v in request.POST.items() if k in EngagementForm.base_fields}
    rows = rows_from_post(request.POST, add=1)
    return _form_page(
        request,
        EngagementForm(initial=initial, creating=engagement is None),
        milestone_formset(initial=rows),
        engagement=engagement,
        focus_row=len(rows) - 1,
    )


@page
def engagement_create(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    if not _may_create(me):
        raise refuse(services.ERR_MAY_NOT_EDIT)
    if request.method != "POST":
        customer = request.GET.get("customer_id", "")
        form = EngagementForm(initial={"customer_id": customer} if customer.isdigit() else {})
        return _form_page(
            request, form, milestone_formset(initial=milestone_initial()), engagement=None
        )
    if ADD_ROW in request.POST:
        return _add_row(request, None)
    form = EngagementForm(request.POST)
    formset = milestone_formset(request.POST)
    milestone_errors: list[str] = []
    if _valid(form, formset):
        data = form.to_input()
        specs = formset.specs() if data.kind == Kind.CUSTOM_SOW else None
        try:
            engagement = services.engagement_create(actor=me, data=data, milestones=specs)
        except DomainError as exc:
            status = apply_domain_errors(form, exc, elsewhere={"milestones": milestone_errors})
        else:
            messages.success(request, f"Engagement {engagement.name} created.")
            return redirect("engagement_detail", engagement_id=engagement.pk)
    else:
        status = 422
        milestone_errors = _milestone_problems(form, formset)
    return _form_page(
        request, form, formset, engagement=None, milestone_errors=milestone_errors, status=status
    )


@page
def engagement_edit(request: HttpRequest, engagement_id: int) -> HttpResponse:
    me = actor(request)
    engagement = selectors.engagement_get(engagement_id=engagement_id)
    if not services.can_edit_engagements(me):
        raise refuse(services.ERR_MAY_NOT_EDIT)
    initial = EngagementForm.initial_for(engagement)
    current = list(engagement.milestones.all())
    rows = milestone_initial(current) if current else milestone_initial()
    if request.method != "POST":
        return _form_page(
            request,
            EngagementForm(initial=initial, creating=False),
            milestone_formset(initial=rows),
            engagement=engagement,
        )
    if ADD_ROW in request.POST:
        return _add_row(request, engagement)
    form = EngagementForm(request.POST, initial=initial, creating=False)
    formset = milestone_formset(request.POST, initial=rows)
    milestone_errors: list[str] = []
    if _valid(form, formset):
        data = form.to_input()
        names = changed_fields(form, ENGAGEMENT_FIELDS)
        specs = formset.specs() if data.kind == Kind.CUSTOM_SOW else []
        before = [rules.MilestoneSpec(m.name, m.weight, m.reached_on) for m in current]
        replace = data.kind == Kind.CUSTOM_SOW and specs != before
        try:
            engagement = services.engagement_update(
                actor=me,
                engagement=engagement,
                data=data,
                fields_set=names,
                milestones=specs if replace else None,
            )
        except DomainError as exc:
            status = apply_domain_errors(form, exc, elsewhere={"milestones": milestone_errors})
        else:
            messages.success(request, "Saved." if names or replace else "Nothing changed.")
            return redirect("engagement_detail", engagement_id=engagement.pk)
    else:
        status = 422
        milestone_errors = _milestone_problems(form, formset)
    return _form_page(
        request,
        form,
        formset,
        engagement=engagement,
        milestone_errors=milestone_errors,
        status=status,
    )


def _detail_context(request: HttpRequest, engagement: Engagement, **extra: Any) -> dict[str, Any]:
    me = actor(request)
    time = time_selectors.engagement_time(engagement=engagement)
    context: dict[str, Any] = {
        "engagement": engagement,
        "percent": selectors.engagement_percent_complete(engagement),
        "milestones": list(engagement.milestones.all()),
        "transitions": [
            (s, TRANSITION_LABELS.get(s, s)) for s in rules.next_statuses(engagement.status)
        ],
        "finished": rules.is_finished(engagement.status),
        "can_edit": services.can_edit_engagements(me),
        "comments": list(selectors.comment_list(engagement=engagement)),
        "comment_form": CommentForm(),
        "status_form": StatusForm(),
        "entries": audit.history_for(actor=me, target=engagement),
        "audit_target": Engagement._meta.label_lower,
        "today": clock.today(),
        "milestone_error": "",
        "bill_rates": rate_spans(list(engagement.bill_rates.all()), clock.today()),
        "rate_form": BillRateForm(initial={"effective_from": clock.today()}),
        "time": time,
        "burn": charts.budget_burn(logged=time.hours, budget=time.budget_hours),
        "work_items": time_selectors.engagement_work_items(engagement_id=engagement.pk),
        # Who works on it, from today on: the board's bookings, as the team plans them.
        "booked": list(
            scheduling_selectors.booking_list(engagement_id=engagement.pk, start=clock.today())
        ),
        # Customer work goes under Project Work's categories.
        "item_categories": time_selectors.category_choices(major="Project Work"),
    }
    context.update(extra)
    return context


@page
def engagement_detail(request: HttpRequest, engagement_id: int) -> HttpResponse:
    engagement = selectors.engagement_get(engagement_id=engagement_id)
    return render(
        request, "engagements/engagement_detail.html", _detail_context(request, engagement)
    )


@page
@require_POST
def engagement_status(request: HttpRequest, engagement_id: int) -> HttpResponse:
    engagement = selectors.engagement_get(engagement_id=engagement_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            # The schedule follows the status: tentative work firms up, cancelled work is freed.
            outcomes = flows.engagement_status_change(
                actor=actor(request), engagement=engagement, **form.cleaned_data
            )
        except DomainError as exc:
            status = apply_domain_errors(form, exc)
        else:
            engagement.refresh_from_db()
            messages.success(request, f"Status is now {engagement.get_status_display()}.")
            for o in outcomes:
                if not o.confirmed:
                    messages.warning(
                        request,
                        f"Tentative booking #{o.booking.pk} ({o.booking.person}) no longer fits "
                        "and stays tentative: re-plan it.",
                    )
            return redirect("engagement_detail", engagement_id=engagement.pk)
    else:
        status = 422
    engagement = selectors.engagement_get(engagement_id=engagement_id)
    return render(
        request,
        "engagements/engagement_detail.html",
        _detail_context(request, engagement, status_form=form),
        status=status,
    )


@page
@require_POST
def milestone_reached(request: HttpRequest, milestone_id: int) -> HttpResponse:
    milestone = selectors.milestone_get(milestone_id=milestone_id)
    form = MilestoneReachedForm(request.POST)
    error, status = "", 200
    if form.is_valid():
        reached = request.POST.get("reached") != "0"
        reached_on = (form.cleaned_data["reached_on"] or clock.today()) if reached else None
        try:
            services.milestone_set_reached(
                actor=actor(request), milestone=milestone, reached_on=reached_on
            )
        except DomainError as exc:
            status = error_status(exc)
            error = exc.message
    else:
        error, status = ERR_REACHED_ON, 422
    engagement = selectors.engagement_get(engagement_id=milestone.engagement_id)
    if not is_htmx(request) and not error:
        return redirect(reverse("engagement_detail", args=[engagement.pk]) + "#milestones")
    context = _detail_context(request, engagement, milestone_error=error)
    template = (
        "engagements/_milestones.html" if is_htmx(request) else "engagements/engagement_detail.html"
    )
    return render(request, template, context, status=status)


@page
@require_POST
def comment_add(request: HttpRequest, engagement_id: int) -> HttpResponse:
    engagement = selectors.engagement_get(engagement_id=engagement_id)
    form = CommentForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            services.comment_add(
                actor=actor(request), engagement=engagement, body=form.cleaned_data["body"]
            )
        except DomainError as exc:
            status = apply_domain_errors(form, exc)
        else:
            if not is_htmx(request):
                return redirect(reverse("engagement_detail", args=[engagement.pk]) + "#comments")
            form = CommentForm()
    else:
        status = 422
    context = _detail_context(request, engagement, comment_form=form)
    template = (
        "engagements/_comments.html" if is_htmx(request) else "engagements/engagement_detail.html"
    )
    return render(request, template, context, status=status)


@page
@require_POST
def bill_rate_set(request: HttpRequest, engagement_id: int) -> HttpResponse:
    engagement = selectors.engagement_get(engagement_id=engagement_id)
    form = BillRateForm(request.POST)
    if form.is_valid():
        try:
            finance_flows.bill_rate_set(
                actor=actor(request), engagement=engagement, **form.cleaned_data
            )
        except DomainError as exc:
            status = apply_domain_errors(form, exc)
        else:
            day = form.cleaned_data["effective_from"]
            messages.success(request, f"Bill rate from {day:%-d %b %Y} saved.")
            return _to_bill_rates(engagement)
    else:
        status = 422
    context = _detail_context(request, engagement, rate_form=form)
    return render(request, "engagements/engagement_detail.html", context, status=status)


@page
@require_POST
def bill_rate_delete(request: HttpRequest, engagement_id: int, effective_from: str) -> HttpResponse:
    engagement = selectors.engagement_get(engagement_id=engagement_id)
    try:
        day = dt.date.fromisoformat(effective_from)
    except ValueError as exc:
        raise Http404(effective_from) from exc
    try:
        finance_flows.bill_rate_delete(
            actor=actor(request), engagement=engagement, effective_from=day
        )
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Bill rate from {day:%-d %b %Y} removed.")
    return _to_bill_rates(engagement)


def _to_bill_rates(engagement: Engagement) -> HttpResponse:
    return redirect(reverse("engagement_detail", args=[engagement.pk]) + "#bill-rates")
