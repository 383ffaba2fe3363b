"""Scheduling pages: the schedule board, the request form with its live availability check, the
coordinator's queue and request review, the weekly review, and "My schedule" (bookings, internal
time, open requests, calendar feeds).

Views parse a form, call the services and selectors, and render; a refusal re-renders the form
with the service's field errors (422, or 409 for a state conflict) and changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from psa.core import clock, numbers, periods
from psa.core.api import actor
from psa.core.errors import Conflict, DomainError, ValidationFailed
from psa.core.numbers import ZERO
from psa.core.roles import Role
from psa.core.views import (
    add_more_errors,
    apply_domain_errors,
    error_status,
    is_htmx,
    page,
    paginate,
)
from psa.people import selectors as people_selectors
from psa.people.forms import country_options
from psa.people.models import Person
from psa.scheduling import charts, feeds, imports, review, rules, selectors, services, sheets
from psa.scheduling.forms import (
    CheckForm,
    ConfirmForm,
    DeclineForm,
    InternalTimeForm,
    RequestFilterForm,
    RequestForm,
    ReviewFilterForm,
    ScheduleFilterForm,
    SheetExportForm,
)
from psa.scheduling.models import AssignmentRequest
from psa.scheduling.rules import load_level
from psa.timetracking import flows as time_flows
from psa.timetracking import selectors as time_selectors

MY_WEEKS = 8
ERR_NOT_A_DATE = "not a date"
LEVELS = {
    rules.LOAD_NONE: "no working hours",
    rules.LOAD_FREE: "free",
    rules.LOAD_LIGHT: "mostly free",
    rules.LOAD_BUSY: "busy",
    rules.LOAD_FULL: "full",
    rules.LOAD_OVER: "over-booked",
}
ROLE_PLURALS: dict[str, str] = {
    Role.PSE: "PSEs",
    Role.PROJECT_COORDINATOR: "project coordinators",
    Role.DELIVERY_MANAGER: "delivery managers",
}
XLSX_URL = "/api/v1/scheduling/review.xlsx"


BOARD_PEOPLE_PER_PAGE = 50  # the board's rows per page


def _role_label(role: str) -> str:
    if role in ROLE_PLURALS:
        return ROLE_PLURALS[role]
    return f"people ({Role(role).label})" if role in Role.values else "people"


# ------------------------------------------------------------------ presentation helpers


def _cell(week: rules.WeekFigures) -> dict[str, Any]:
    level = load_level(week)
    return {"week": week, "level": level, "level_label": LEVELS[level]}


def _board_cell(person: Person, week: rules.WeekFigures, url: str) -> dict[str, Any]:
    """A board cell with its link and texts ready: the board has hundreds of cells, and
    template tags per cell were most of the page's time."""
    level = load_level(week)
    tentative = f", {week.tentative} tentative" if week.tentative else ""
    return {
        "week": week,
        "level": level,
        "href": url,
        "planned": numbers.fmt_hours(week.planned),
        "capacity": numbers.fmt_hours(week.capacity),
        "tentative": numbers.fmt_hours(week.tentative) if week.tentative else "",
        "label": (
            f"{person.name}, week of {week.monday.day} {week.monday:%b}: {week.planned} of "
            f"{week.capacity} hours planned{tentative} ({LEVELS[level]})"
        ),
        "title": (
            f"{week.confirmed} h confirmed · {week.tentative} h tentative · {week.internal} h "
            f"internal · {week.time_off} h time off · {week.free} h free"
        ),
    }


def _day_rows(result: selectors.Review) -> list[dict[str, Any]]:
    """The dates worth a row: working days, and days off that have a reason (holiday, time
    off) or hours on them. Plain weekends are left out."""
    rows = []
    for day, load in sorted(result.loads.items()):
        requested = result.plan.get(day, ZERO)
        if not (load.capacity or load.holiday or load.time_off or load.planned or requested):
            continue
        rows.append(
            {
                "date": day,
                "load": load,
                "requested": requested,
                "fits": rules.day_fits(requested, load),
            }
        )
    return rows


def _review_context(result: selectors.Review) -> dict[str, Any]:
    return {
        "result": result,
        "day_rows": _day_rows(result),
        "short_days": len(result.shortfalls),
        "in_the_way": selectors.bookings_in_the_way(ask=result.ask),
    }


def _week_param(text: str) -> dt.date:
    try:
        return periods.week_start(dt.date.fromisoformat(text))
    except ValueError as exc:
        raise Http404(ERR_NOT_A_DATE) from exc


def _filter_query(filters: dict[str, Any], **changes: Any) -> str:
    query = {
        "start": filters["start"].isoformat(),
        "weeks": filters["weeks"],
        "role": filters["role"],
        "skill": filters["skill"],
        "country": filters["country"],
    }
    query.update(changes)
    return urlencode({k: v for k, v in query.items() if v or k == "role"})


# ------------------------------------------------------------------ the board


def _this_monday() -> dt.date:
    return periods.week_start(clock.today())


def _filter_context(form: ScheduleFilterForm, filters: dict[str, Any]) -> dict[str, Any]:
    start = filters["start"]
    this_week = _this_monday()
    return {
        "form": form,
        "filters": filters,
        "countries": country_options(),
        "prev_query": _filter_query(filters, start=(start - dt.timedelta(weeks=1)).isoformat()),
        "next_query": _filter_query(filters, start=(start + dt.timedelta(weeks=1)).isoformat()),
        "this_week_query": _filter_query(filters, start=this_week.isoformat()),
        "is_this_week": start == this_week,
        "this_monday": this_week,
        "role_label": _role_label(filters["role"]),
        "end": start + dt.timedelta(days=7 * filters["weeks"] - 1),
    }


def _people(filters: dict[str, Any]) -> QuerySet[Person]:
    return review.review_people(
        start=filters["start"],
        weeks=filters["weeks"],
        role=filters["role"],
        skill=filters["skill"],
        country=filters["country"],
    )


def _weekly(filters: dict[str, Any], people: Sequence[Person]) -> review.WeeklyReview:
    """The review's figures for a page of the filtered people: a query for time off, one for
    planned hours, whatever their number."""
    return review.weekly_review(
        people_list=list(people), start=filters["start"], weeks=filters["weeks"]
    )


@page
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    form = ScheduleFilterForm(request.GET or None, initial={"start": _this_monday()})
    filters = form.filters(clock.today())
    people_page = paginate(request, _people(filters), per_page=BOARD_PEOPLE_PER_PAGE)
    result = _weekly(filters, list(people_page.object_list))
    pattern = reverse("schedule_cell", args=[0, "2000-01-03"])
    rows = [
        {
            "person": pr.person,
            "cells": [
                _board_cell(
                    pr.person,
                    w,
                    pattern.replace("/0/", f"/{pr.person.pk}/", 1).replace(
                        "2000-01-03", w.monday.isoformat()
                    ),
                )
                for w in pr.weeks
            ],
        }
        for pr in result.people
    ]
    context = _filter_context(form, filters)
    context.update(
        {
            "page_obj": people_page,
            "mondays": [w.monday for w in result.team],
            "rows": rows,
            "team": [_cell(w) for w in result.team],
            "levels": LEVELS,
            "today": clock.today(),
        }
    )
    return render(request, "scheduling/board.html", context)


@page
@require_GET
def board_cell(request: HttpRequest, person_id: int, week: str) -> HttpResponse:
    """One person's week: their bookings and each day's load. A panel for the board (htmx), or
    a page of its own without JavaScript."""
    person = people_selectors.person_get(person_id=person_id)
    found = selectors.person_week(person=person, monday=_week_param(week))
    context = {
        "person": found.person,
        "monday": found.monday,
        "sunday": found.sunday,
        "items": found.bookings,
        "days": found.days,
        "totals": found,
        "friday": found.monday + dt.timedelta(days=4),
    }
    template = "scheduling/_cell.html" if is_htmx(request) else "scheduling/cell.html"
    return render(request, template, context)


# ------------------------------------------------------------------ the request form


def _request_page(
    request: HttpRequest,
    form: RequestForm,
    *,
    check: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "scheduling/request_form.html",
        {"form": form, "check": check},
        status=status,
    )


GET_INITIAL = (
    "engagement_id",
    "person_id",
    "start_date",
    "end_date",
    "hours",
    "skill",
    "action",
    "booking_id",
)


@page
def request_create(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    if request.method != "POST":
        initial = {k: request.GET[k][:200] for k in GET_INITIAL if request.GET.get(k)}
        return _request_page(request, RequestForm(initial=initial))
    form = RequestForm(request.POST)
    if not form.is_valid():
        _more_ask_errors(form, form.cleaned_data.get("person_id"))
        return _request_page(request, form, status=422)
    try:
        made = services.request_create(actor=me, **form.service_kwargs())
    except DomainError as exc:
        status = apply_domain_errors(form, exc)
        return _request_page(request, form, status=status)
    messages.success(request, f"Request #{made.pk} sent to the project coordinator.")
    return redirect("schedule_request", request_id=made.pk)


def _more_ask_errors(form: forms.Form, person: Person | None) -> None:
    """A form refused on one field still says what is wrong with its dates and hours."""
    data = form.cleaned_data
    add_more_errors(
        form,
        services.ask_errors(
            person=person,
            start=data.get("start_date"),
            end=data.get("end_date"),
            hours=data.get("hours"),
            per_day=bool(data.get("per_day")),
        ),
    )


def check_result(form: CheckForm) -> tuple[dict[str, Any], int]:
    """The live check of a (possibly half-filled) request form: a hint, the field errors, or the
    day table with fits / does not fit. Nothing is saved."""
    if not form.is_valid():
        return {"errors": _labelled_errors(form)}, 422
    if not form.is_complete():
        return {"hint": True}, 200
    ask = selectors.Ask(**form.ask_kwargs())
    try:
        services.ask_validate(ask=ask, override_reason=form.cleaned_data["override_reason"])
    except DomainError as exc:
        status = apply_domain_errors(form, exc)
        return {"errors": _labelled_errors(form)}, status
    result = selectors.availability(ask=ask, with_proposals=False)
    return _review_context(result), 200


def _labelled_errors(form: CheckForm) -> list[str]:
    out = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        prefix = f"{label or name.replace('_', ' ').capitalize()}: " if name != "__all__" else ""
        out += [f"{prefix}{e}" for e in errors]
    return out


@page
@require_POST
def request_check(request: HttpRequest) -> HttpResponse:
    """The request form's live availability check: the panel (htmx), or without JavaScript the
    whole form again with the check filled in."""
    check, status = check_result(CheckForm(request.POST))
    if is_htmx(request):
        return render(request, "scheduling/_check.html", {"check": check}, status=status)
    return _request_page(request, RequestForm(request.POST), check=check, status=status)


# ------------------------------------------------------------------ the coordinator's queue


@page
@require_GET
def request_queue(request: HttpRequest) -> HttpResponse:
    form = RequestFilterForm(request.GET or None)
    status = form.status_filter()
    page_obj = paginate(request, selectors.request_list(status=status))
    rows = [{"request": r, "fits": selectors.request_fits(request=r)} for r in page_obj]
    return render(
        request,
        "scheduling/request_list.html",
        {"form": form, "page_obj": page_obj, "rows": rows, "status": status},
    )


def _proposal_rows(result: selectors.Review) -> list[dict[str, Any]]:
    names: dict[int, str] = {result.ask.person.pk: result.ask.person.name}
    rows = []
    for p in result.proposals:
        if p.person_id not in names:
            names[p.person_id] = people_selectors.person_get(person_id=p.person_id).name
        rows.append(
            {
                "proposal": p,
                "person_name": names[p.person_id],
                "kind_label": PROPOSAL_KINDS.get(p.kind, p.kind),
            }
        )
    return rows


PROPOSAL_KINDS = {
    "window": "Other dates",
    "person": "Someone else",
    "partial": "What fits",
    "spread": "Spread out",
}


def _detail(
    request: HttpRequest,
    req: AssignmentRequest,
    *,
    status: int = 200,
    confirm_form: ConfirmForm | None = None,
    decline_form: DeclineForm | None = None,
    refused: str = "",
) -> HttpResponse:
    me = actor(request)
    context: dict[str, Any] = {
        "req": req,
        "can_decide": services.can_decide_requests(me),
        "can_withdraw": services.can_withdraw_request(me, req),
        "confirm_form": confirm_form or ConfirmForm(),
        "decline_form": decline_form or DeclineForm(),
        "refused": refused,
        "bookings": [
            {"booking": b, "monday": periods.week_start(b.start_date)}
            for b in req.bookings.select_related("person")
        ],
    }
    if req.status == AssignmentRequest.Status.OPEN:
        result = selectors.request_review(request=req)
        context.update(_review_context(result))
        context["proposals"] = _proposal_rows(result)
    return render(request, "scheduling/request_detail.html", context, status=status)


@page
@require_GET
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    return _detail(request, selectors.request_get(request_id=request_id))


def _why(exc: DomainError, req: AssignmentRequest) -> str:
    """What to say above the page when a decision was refused: a conflict (it does not fit, the
    proposal is gone), or anything once the request is no longer open (its forms are gone)."""
    if isinstance(exc, Conflict) or req.status != AssignmentRequest.Status.OPEN:
        return exc.message
    return ""


def _back(req: AssignmentRequest, message: str, request: HttpRequest) -> HttpResponse:
    messages.success(request, message)
    return redirect("schedule_request", request_id=req.pk)


@page
@require_POST
def request_confirm(request: HttpRequest, request_id: int) -> HttpResponse:
    req = selectors.request_get(request_id=request_id)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return _detail(request, req, confirm_form=form, status=422)
    try:
        booking = services.request_confirm(
            actor=actor(request),
            request=req,
            proposal_key=form.cleaned_data["proposal"],
            override_reason=form.cleaned_data["override_reason"],
        )
    except DomainError as exc:
        status = apply_domain_errors(
            form, exc, aliases={"hours": "override_reason", "proposal": "__all__"}
        )
        req = selectors.request_get(request_id=request_id)
        return _detail(request, req, confirm_form=form, status=status, refused=_why(exc, req))
    what = "cancelled" if req.action == AssignmentRequest.Action.CANCEL else "booked"
    return _back(req, f"Request #{req.pk} confirmed: booking #{booking.pk} {what}.", request)


@page
@require_POST
def request_decline(request: HttpRequest, request_id: int) -> HttpResponse:
    req = selectors.request_get(request_id=request_id)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        return _detail(request, req, decline_form=form, status=422)
    try:
        services.request_decline(
            actor=actor(request), request=req, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        status = apply_domain_errors(form, exc)
        req = selectors.request_get(request_id=request_id)
        return _detail(request, req, decline_form=form, status=status, refused=_why(exc, req))
    return _back(req, f"Request #{req.pk} declined.", request)


@page
@require_POST
def request_withdraw(request: HttpRequest, request_id: int) -> HttpResponse:
    req = selectors.request_get(request_id=request_id)
    try:
        services.request_withdraw(actor=actor(request), request=req)
    except DomainError as exc:
        status = error_status(exc)  # a refused permission is the 403 page
        req = selectors.request_get(request_id=request_id)
        return _detail(request, req, status=status, refused=exc.message)
    return _back(req, f"Request #{req.pk} withdrawn.", request)


# ------------------------------------------------------------------ the weekly review


@page
@require_GET
def weekly_review(request: HttpRequest) -> HttpResponse:
    form = ReviewFilterForm(request.GET or None, initial={"start": _this_monday()})
    filters = form.filters(clock.today())
    result = review.weekly_review_of(
        start=filters["start"],
        weeks=filters["weeks"],
        role=filters["role"],
        skill=filters["skill"],
        country=filters["country"],
    )
    weeks = [
        {
            "team": team,
            "rows": [{"person": pr.person, "week": pr.weeks[i]} for pr in result.people],
            "overbooked": counts.overbooked,
            "idle": counts.idle,
        }
        for i, (team, counts) in enumerate(zip(result.team, result.counts, strict=True))
    ]
    context = _filter_context(form, filters)
    context.update(
        {
            "weeks": weeks,
            "people_count": len(result.people),
            "xlsx_url": f"{XLSX_URL}?{_filter_query(filters)}",
            "hours_chart": charts.planned_hours(
                result.team, title="The team's weeks: planned hours against capacity"
            ),
            "utilization_chart": charts.utilization_trend(result.team),
        }
    )
    return render(request, "scheduling/review.html", context)


# ------------------------------------------------------------------ my schedule


def _internal_form(data: Any = None) -> InternalTimeForm:
    categories = [
        (major, [(c.pk, c.name) for c in children])
        for major, children in time_selectors.internal_categories()
    ]
    return InternalTimeForm(data, categories=categories)


def _me_page(
    request: HttpRequest,
    *,
    internal_form: InternalTimeForm | None = None,
    status: int = 200,
    refused: str = "",
) -> HttpResponse:
    me = actor(request)
    context: dict[str, Any] = {
        "internal_form": internal_form or _internal_form(),
        "refused": refused,
        "person": None,
        "feeds": [
            {
                "feed": f,
                "name": feeds.feed_name(f),
                "url": request.build_absolute_uri(reverse("feed_ics", args=[f.token])),
            }
            for f in feeds.feed_list(actor=me)
        ],
    }
    for item in context["feeds"]:
        item["webcal"] = feeds.webcal_url(item["url"])
    if me.person_id is not None:
        person = people_selectors.person_get(person_id=me.person_id)
        today = clock.today(person.timezone)
        monday = periods.week_start(today)
        end = monday + dt.timedelta(weeks=MY_WEEKS, days=-1)
        bookings = list(selectors.booking_list(person_id=person.pk, start=today, end=end))
        mine = review.weekly_review(people_list=[person], start=monday, weeks=MY_WEEKS)
        internal = [b for b in bookings if b.is_internal]
        categories = time_selectors.internal_time_categories(booking_ids=[b.pk for b in internal])
        for b in internal:
            b.category = categories.get(b.pk)  # type: ignore[attr-defined]
        context.update(
            {
                "person": person,
                "today": today,
                "end": end,
                "work": [b for b in bookings if not b.is_internal],
                "internal": internal,
                "cells": [_cell(w) for w in mine.people[0].weeks],
                "requests": selectors.open_requests_for(person_id=person.pk, user_id=me.user_id),
            }
        )
    return render(request, "scheduling/me.html", context, status=status)


@page
@require_GET
def my_schedule(request: HttpRequest) -> HttpResponse:
    return _me_page(request)


@page
@require_POST
def internal_create(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    form = _internal_form(request.POST)
    if not form.is_valid():
        mine = people_selectors.person_get(person_id=me.person_id) if me.person_id else None
        _more_ask_errors(form, mine)
        return _me_page(request, internal_form=form, status=422)
    if me.person_id is None:
        form.add_error(None, services.ERR_INTERNAL_NOT_YOURS)
        return _me_page(request, internal_form=form, status=422)
    person = people_selectors.person_get(person_id=me.person_id)
    try:
        booking = time_flows.internal_time_plan(
            actor=me,
            person=person,
            category=time_selectors.epic_get(
                epic_id=form.cleaned_data["category_id"], field="category_id"
            ),
            **form.service_kwargs(),
        )
    except DomainError as exc:
        status = apply_domain_errors(form, exc, aliases={"person_id": "__all__"})
        refused = exc.message if isinstance(exc, Conflict) else ""
        return _me_page(request, internal_form=form, status=status, refused=refused)
    messages.success(
        request,
        f"Internal time planned: {booking.task_name}, {booking.hours} h "
        f"from {booking.start_date:%a %d %b} to {booking.end_date:%a %d %b}.",
    )
    return redirect(reverse("schedule_me") + "#internal")


@page
@require_POST
def internal_cancel(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = selectors.booking_get(booking_id=booking_id)
    try:
        services.internal_time_cancel(actor=actor(request), booking=booking)
    except DomainError as exc:
        status = error_status(exc)
        return _me_page(request, status=status, refused=exc.message)
    messages.success(request, f"Internal time cancelled: {booking.task_name}.")
    return redirect(reverse("schedule_me") + "#internal")


@page
@require_POST
def feed_create(request: HttpRequest) -> HttpResponse:
    me = actor(request)
    if me.person_id is None:
        return _me_page(request, status=422, refused=services.ERR_FEED_TEAM_ONLY)
    person = people_selectors.person_get(person_id=me.person_id)
    try:
        services.feed_create(actor=me, person=person)
    except DomainError as exc:
        status = error_status(exc)
        return _me_page(request, status=status, refused=exc.message)
    messages.success(request, "Calendar feed created: add its URL to your calendar app.")
    return redirect(reverse("schedule_me") + "#feeds")


@page
@require_POST
def feed_revoke(request: HttpRequest, feed_id: int) -> HttpResponse:
    feed = feeds.feed_get(feed_id=feed_id)
    try:
        services.feed_revoke(actor=actor(request), feed=feed)
    except DomainError as exc:
        status = error_status(exc)
        return _me_page(request, status=status, refused=exc.message)
    messages.success(request, "Calendar feed revoked: its URL no longer works.")
    return redirect(reverse("schedule_me") + "#feeds")


# ------------------------------------------------------------------ the schedule spreadsheet


@page
def sheet_page(request: HttpRequest) -> HttpResponse:
    """The schedule as a spreadsheet: download it (anyone who sees the schedule), or upload one
    to import (the coordinator, the head of PS). An upload is checked first (a dry run in the
    background, with a progress bar on the job's page), and imported only from there, once it
    is clean."""
    me = actor(request)
    may_import = me.has_any(*imports.IMPORTERS)
    error = ""
    status = 200
    export = SheetExportForm(request.GET or None)
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            job = services.schedule_import_check_start(
                actor=me,
                data=upload.read() if upload is not None else b"",
                file_name=upload.name or "" if upload is not None else "",
                override_capacity=request.POST.get("override_capacity") == "on",
            )
        except ValidationFailed as exc:
            error, status = exc.message, 422
        else:
            return redirect("job_detail", job_id=job.pk)
    elif export.is_bound:
        if export.is_valid():
            return _sheet_download(export.cleaned_data)
        status = 422
    return render(
        request,
        "scheduling/sheet.html",
        {"error": error, "may_import": may_import, "export": export},
        status=status,
    )


def _sheet_download(wanted: dict[str, Any]) -> HttpResponse:
    rows = imports.schedule_export(person_ids=None, start=wanted["start"], end=wanted["end"])
    fmt = wanted["format"]
    content_type, _ = sheets.FORMATS[fmt]
    response = HttpResponse(sheets.write_sheet(rows, fmt), content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="schedule-{clock.today().isoformat()}.{fmt}"'
    )
    return response


@page
@require_POST
def sheet_import_confirm(request: HttpRequest, job_id: int) -> HttpResponse:
    """The Import button of a clean check: on to the import's job page."""
    try:
        job = services.schedule_import_confirm(actor=actor(request), job_id=job_id)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("job_detail", job_id=job_id)
    return redirect("job_detail", job_id=job.pk)
