"""Team pages: the list, a person's page (details, capacity, time off), create and edit."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from psa.core import clock, periods
from psa.core.api import actor
from psa.core.errors import Conflict, DomainError, PermissionDenied
from psa.core.rates import rate_spans
from psa.core.roles import Role
from psa.core.views import (
    add_more_errors,
    apply_domain_errors,
    changed_fields,
    page,
    paginate,
    refuse,
)
from psa.finance import flows as finance_flows
from psa.people import selectors, services
from psa.people.forms import (
    PERSON_FIELDS,
    WEEKDAYS,
    CostRateForm,
    InvitationForm,
    PersonCreateForm,
    PersonFilterForm,
    PersonForm,
    TimeOffForm,
    country_options,
)
from psa.people.models import Person

CALENDAR_WEEKS = 6
TIME_OFF_HISTORY_DAYS = 90
ROLE_LABELS = dict(Role.choices)
WEEKDAY_LABELS = dict(WEEKDAYS)


def _may_grant(request: HttpRequest) -> bool:
    return services.can_change_pay_and_roles(actor(request))


@page
def person_list(request: HttpRequest) -> HttpResponse:
    form = PersonFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else {}
    people = paginate(request, selectors.person_list(**filters))
    rows = [
        {
            "person": p,
            "roles": [ROLE_LABELS.get(r, r) for r in p.role_names],  # type: ignore[attr-defined]
            "weekly_hours": selectors.effective_weekly_hours(p),
        }
        for p in selectors.with_labels(list(people))
    ]
    return render(
        request,
        "people/person_list.html",
        {
            "form": form,
            "page_obj": people,
            "rows": rows,
            "countries": country_options(),
            "can_create": services.can_manage_person(actor(request), None),
        },
    )


def _detail_context(request: HttpRequest, person: Person, **extra: Any) -> dict[str, Any]:
    me = actor(request)
    today = clock.today()
    monday = periods.week_start(today)
    weeks = selectors.capacity_weeks(person=person, monday=monday, weeks=CALENDAR_WEEKS)
    may_read_pay = selectors.may_read_pay(me, person.pk)
    rates = (
        rate_spans(selectors.cost_rates_for(actor=me, person=person), today) if may_read_pay else []
    )
    context: dict[str, Any] = {
        "person": person,
        "roles": [ROLE_LABELS.get(r, r) for r in selectors.roles_of(person)],
        "weekly_hours": selectors.effective_weekly_hours(person),
        "working_days": [WEEKDAY_LABELS.get(d, str(d)) for d in person.working_days],
        "reports": list(selectors.person_list(manager_id=person.pk)[:100]),
        "weeks": weeks,
        "weekday_names": [name for _, name in WEEKDAYS],
        "today": today,
        "time_off": list(
            selectors.time_off_list(
                person=person, start=today - dt.timedelta(days=TIME_OFF_HISTORY_DAYS)
            )
        ),
        "can_manage": services.can_manage_person(me, person),
        "invitation": selectors.invitation_latest(person=person),
        "awaits_password": person.user is not None and not person.user.has_usable_password(),
        "can_view_costs": may_read_pay,
        "cost_rates": rates,
        "current_rate": next((span.rate for span in rates if span.current), None),
        "can_set_rates": services.can_change_pay_and_roles(me),
        "rate_form": CostRateForm(initial={"effective_from": today, "currency": "USD"}),
        "can_time_off": services.can_change_time_off(me, person),
        "is_me": me.person_id == person.pk,
        "time_off_form": TimeOffForm(),
        "audit_target": person._meta.label_lower,
    }
    context.update(extra)
    return context


@page
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    person = selectors.person_get(person_id=person_id)
    return render(request, "people/person_detail.html", _detail_context(request, person))


@page
def person_create(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    if not services.can_manage_person(me, None):
        raise refuse(services.ERR_MAY_NOT_ADD)
    status = 200
    if request.method == "POST":
        form = PersonCreateForm(request.POST)
        if form.is_valid():
            try:
                person = services.person_create(
                    actor=me,
                    data=form.to_input(),
                    username=form.cleaned_data["username"].strip(),
                    password=form.cleaned_data["password"],
                )
            except DomainError as exc:
                status = apply_domain_errors(form, exc)
            else:
                messages.success(request, f"{person.name} added.")
                return redirect("person_detail", person_id=person.pk)
        else:
            status = 422
            cleaned = form.cleaned_data
            asked = [f.name for f in fields(services.PersonInput) if f.name in cleaned]
            add_more_errors(
                form,
                services.person_input_errors(
                    data=form.to_input(),
                    names=asked,
                    username=(cleaned.get("username") or "").strip(),
                    password=cleaned.get("password") or "",
                ),
            )
    else:
        form = PersonCreateForm(initial={"start_date": clock.today()})
    return render(
        request,
        "people/person_form.html",
        {"form": form, "person": None},
        status=status,
    )


@page
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    me = actor(request)
    person = selectors.person_get(person_id=person_id)
    if not services.can_manage_person(me, person):
        raise refuse(services.ERR_MAY_NOT_MANAGE)
    initial = PersonForm.initial_for(person)
    may_grant = _may_grant(request)
    status = 200
    if request.method == "POST":
        form = PersonForm(request.POST, initial=initial, may_grant=may_grant)
        if form.is_valid():
            names = changed_fields(form, PERSON_FIELDS)
            if not names:
                messages.info(request, "Nothing changed.")
                return redirect("person_detail", person_id=person.pk)
            try:
                services.person_update(
                    actor=me, person=person, data=form.to_input(), fields_set=names
                )
            except DomainError as exc:
                status = apply_domain_errors(form, exc)
            else:
                messages.success(request, "Saved.")
                return redirect("person_detail", person_id=person.pk)
        else:
            status = 422
    else:
        form = PersonForm(initial=initial, may_grant=may_grant)
    return render(
        request,
        "people/person_form.html",
        {"form": form, "person": person},
        status=status,
    )


@page
@require_POST
def time_off_create(request: HttpRequest, person_id: int) -> HttpResponse:
    person = selectors.person_get(person_id=person_id)
    form = TimeOffForm(request.POST)
    if form.is_valid():
        try:
            services.time_off_create(actor=actor(request), person=person, **form.cleaned_data)
        except DomainError as exc:
            status = apply_domain_errors(form, exc)
        else:
            messages.success(request, "Time off added.")
            return redirect("person_detail", person_id=person.pk)
    else:
        status = 422
    context = _detail_context(request, person, time_off_form=form)
    return render(request, "people/person_detail.html", context, status=status)


@page
@require_POST
def time_off_delete(request: HttpRequest, time_off_id: int) -> HttpResponse:
    row = selectors.time_off_get(time_off_id=time_off_id)
    services.time_off_delete(actor=actor(request), time_off=row)
    messages.success(request, "Time off removed.")
    return redirect("person_detail", person_id=row.person_id)


@page
@require_POST
def cost_rate_set(request: HttpRequest, person_id: int) -> HttpResponse:
    person = selectors.person_get(person_id=person_id)
    form = CostRateForm(request.POST)
    if form.is_valid():
        try:
            finance_flows.cost_rate_set(actor=actor(request), person=person, **form.cleaned_data)
        except DomainError as exc:
            status = apply_domain_errors(form, exc)
        else:
            day = form.cleaned_data["effective_from"]
            messages.success(request, f"Cost rate from {day:%-d %b %Y} saved.")
            return _to_cost_rates(person)
    else:
        status = 422
    context = _detail_context(request, person, rate_form=form)
    return render(request, "people/person_detail.html", context, status=status)


@page
@require_POST
def cost_rate_delete(request: HttpRequest, person_id: int, effective_from: str) -> HttpResponse:
    person = selectors.person_get(person_id=person_id)
    try:
        day = dt.date.fromisoformat(effective_from)
    except ValueError as exc:
        raise Http404(effective_from) from exc
    try:
        finance_flows.cost_rate_delete(actor=actor(request), person=person, effective_from=day)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Cost rate from {day:%-d %b %Y} removed.")
    return _to_cost_rates(person)


def _to_cost_rates(person: Person) -> HttpResponse:
    return redirect(reverse("person_detail", args=[person.pk]) + "#cost-rates")


# ------------------------------------------------------------------ invitations


def invitation(request: HttpRequest, secret: str) -> HttpResponse:
    """The invitation link's page (no sign-in: it is how a new login gets its password). A link
    that can no longer be used says why, and changes nothing."""
    state = selectors.invitation_state(secret=secret)
    if state.problem is not None:
        status = 404 if not state.username else 410
        return render(request, "people/invitation.html", {"state": state}, status=status)
    status = 200
    form = InvitationForm()
    if request.method == "POST":
        form = InvitationForm(request.POST)
        form.is_valid()  # binds it; the password's rules are the service's, all said at once
        try:
            services.invitation_accept(
                secret=secret,
                password=request.POST.get("password", ""),
                password_again=request.POST.get("password_again", ""),
            )
        except Conflict:  # used, replaced or expired since the page was drawn
            state = selectors.invitation_state(secret=secret)
            return render(request, "people/invitation.html", {"state": state}, status=410)
        except DomainError as exc:
            status = apply_domain_errors(form, exc)
        else:
            messages.success(request, f"Password set. Sign in as {state.username}.")
            return redirect("login")
    return render(request, "people/invitation.html", {"state": state, "form": form}, status=status)


@page
@require_POST
def invitation_send(request: HttpRequest, person_id: int) -> HttpResponse:
    person = selectors.person_get(person_id=person_id)
    try:
        services.invitation_send(actor=actor(request), person=person)
    except DomainError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Invitation e-mailed to {person.email}.")
    return redirect("person_detail", person_id=person.pk)
