"""Time pages: "My week" (work items x days, totals, fill from my schedule, the timer, submit),
my timesheets with a manager's view of who is missing what, and the quarterly certification
queue of each role with a certification's history and its hours-report downloads.

Views parse input, call the services and selectors, and render. The week grid saves cell by
cell, one service call per changed cell; a refused cell keeps the typed value with the service's
message (422, or 409 for locked time) and the cells before it stay saved."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import dateformat
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from psa.core import clock, numbers, periods
from psa.core.api import actor
from psa.core.errors import Conflict, DomainError, ValidationFailed
from psa.core.numbers import ZERO
from psa.core.views import error_status, page, refuse
from psa.engagements import selectors as engagements
from psa.people import selectors as people
from psa.people.models import Person
from psa.timetracking import charts, imports, report_selectors, rules, selectors, services
from psa.timetracking.certification import selectors as cert_selectors
from psa.timetracking.certification import services as cert_services
from psa.timetracking.forms import (
    CorrectionForm,
    DecideForm,
    EpicForm,
    ReasonForm,
    ReportForm,
    TeamReportsForm,
    TimerStartForm,
    WeekForm,
    WorkItemForm,
)
from psa.timetracking.models import QuarterlyCertification, TimeEntry, Timer, WorkItem

MISSING_WEEKS = 4
ALL_ITEMS_LIMIT = 500
NO_PERSON = "Your login is not linked to a team member, so you have no time of your own."
ERR_CHOOSE_CATEGORY = "choose the category the work item goes under"
ERR_MAY_NOT_CERTIFY = "only delivery managers, the head of PS and finance certify timesheets"
ERR_CORRECTION = "The correction was not saved."
ERR_CORRECTION_FORM = "The correction was not saved: choose a locked day and a work item."
ERR_ITEM_NOT_CREATED = "The work item was not created."
ERR_ITEM_NOT_CREATED_BECAUSE = "The work item was not created: {reasons}"
ERR_PICK_ITEM = "Pick a work item to time."
ERR_CHOOSE_DECISION = "Choose approve or reject."
# A refusal in the certification queue names whose hours it is about.
ERR_CERTIFICATION = "{name}: {message}"
REJECTED_TO = {
    "person": "returned to the person for correction",
    "manager": "sent back to the delivery manager",
    "head": "sent back to the head of PS",
}
REPORT_URL = "/api/v1/time/reports/{person_id}?year={year}&quarter={quarter}&format={fmt}"


def _elapsed(timer: Timer) -> str:
    """A running timer's time so far, as the stop would log it: "1 h 25 min (1.42 h)"."""
    seconds = max(int((clock.now() - timer.started_at).total_seconds()), 0)
    hours, minutes = divmod(seconds // 60, 60)
    return f"{hours} h {minutes:02d} min ({numbers.fmt_hours(rules.seconds_to_hours(seconds))} h)"


def _me(request: HttpRequest) -> Person | None:
    return people.person_for_user(user=request.user)


def _monday(request: HttpRequest, person: Person | None) -> dt.date:
    form = WeekForm(request.GET)
    week = form.cleaned_data.get("week") if form.is_valid() else None
    if week is None:
        week = clock.today(person.timezone if person else "UTC")
    return periods.week_start(week)


def _week_url(monday: dt.date, extra: list[int] | None = None, **params: str) -> str:
    query: list[tuple[str, str]] = [("week", monday.isoformat())]
    query += [("add", str(i)) for i in extra or []]
    query += list(params.items())
    return f"{reverse('time_week')}?{urlencode(query)}"


def _ids(values: list[str]) -> list[int]:
    ids = []
    for value in values:
        if value.isdigit() and 0 < int(value) < 2**62 and int(value) not in ids:
            ids.append(int(value))
    return ids


# ------------------------------------------------------------------ my week


def _cell_name(item_id: int, day: dt.date) -> str:
    return f"h-{item_id}-{day.isoformat()}"


@dataclass
class _ShownCell:
    """A cell of the grid as the page shows it: the read model's cell with what is typed in
    it, whether it was pre-filled from the schedule and its error."""

    cell: selectors.WeekCell
    value: str = ""
    suggested: bool = False
    error: str = ""

    def __getattr__(self, name: str) -> Any:  # item, day, entries, locked, total, editable
        if name.startswith("__") or name == "cell":
            raise AttributeError(name)
        return getattr(self.cell, name)

    @property
    def name(self) -> str:
        return _cell_name(self.cell.item.pk, self.cell.day)

    @property
    def label(self) -> str:
        day, item = self.cell.day, self.cell.item
        return f"{day:%a} {day.day} {day:%b}, {item.title}"


@dataclass
class _ShownRow:
    item: WorkItem
    cells: list[_ShownCell]
    total_text: str


def _posted_items(request: HttpRequest) -> list[int]:
    """The work items the posted cells name (h-<item>-<date>): the grid's rows."""
    ids = []
    for key in request.POST:
        parts = key.split("-", 2)
        if len(parts) == 3 and parts[0] == "h" and parts[1].isdigit() and len(parts[1]) < 19:
            ids.append(int(parts[1]))
    return ids


def _item_options(person: Person) -> dict[str, Any]:
    return {"groups": selectors.loggable_work_items(person=person)}


def _render_week(
    request: HttpRequest,
    person: Person,
    monday: dt.date,
    *,
    extra: list[int] | None = None,
    posted: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    refused: str = "",
    refused_details: list[str] | None = None,
    fill: bool = False,
    correction: dict[str, Any] | None = None,
    new_item: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    extra = list(extra or [])
    suggestions = selectors.week_from_schedule(person=person, week=monday) if fill else []
    unplaced = [s for s in suggestions if s.work_item is None]
    placed = [s for s in suggestions if s.work_item is not None]
    extra += [s.work_item.pk for s in placed if s.work_item and s.work_item.pk not in extra]
    grid = selectors.week_grid(person=person, week=monday, extra_items=extra)
    days, locked = grid.days, grid.locked
    suggested: dict[tuple[int, dt.date], Decimal] = defaultdict(lambda: ZERO)
    for s in placed:
        if s.work_item is not None:
            suggested[(s.work_item.pk, s.date)] += s.hours
    posted = posted or {}
    errors = errors or {}
    rows = []
    for row in grid.rows:
        shown = []
        for c in row.cells:
            cell = _ShownCell(c, value=numbers.fmt_hours(c.total) if c.entries else "")
            key = (row.item.pk, c.day)
            if cell.name in posted:
                cell.value = posted[cell.name]
            elif key in suggested and not c.entries and c.editable:
                cell.value = numbers.fmt_hours(suggested[key])
                cell.suggested = True
            cell.error = errors.get(cell.name, "")
            shown.append(cell)
        rows.append(_ShownRow(row.item, shown, numbers.fmt_hours(row.total)))
    day_totals = grid.day_totals
    week_total = grid.total
    weekly_hours = people.effective_weekly_hours(person)
    normal = {
        c.date: c.normal_hours
        for c in people.capacity_calendar(person=person, start=monday, end=days[-1])
    }
    state = rules.week_state(week_total, weekly_hours)
    sheet = selectors.timesheet_for(person=person, week=monday)
    timer = selectors.timer_for(person=person)
    context = {
        "person": person,
        "monday": monday,
        "sunday": days[-1],
        "prev": monday - dt.timedelta(days=7),
        "next": monday + dt.timedelta(days=7),
        "this_week": periods.week_start(clock.today(person.timezone)),
        "today": clock.today(person.timezone),
        "days": [
            {
                "date": d,
                "locked": locked[d],
                "total": numbers.fmt_hours(t),
                "normal": numbers.fmt_hours(normal.get(d, ZERO)),
                "over": numbers.fmt_hours(rules.hours_over(t, normal.get(d, ZERO))),
            }
            for d, t in zip(days, day_totals, strict=True)
        ],
        "locked_days": [d for d in days if locked[d]],
        "over_days": [
            {
                "date": d,
                "total": numbers.fmt_hours(t),
                "normal": numbers.fmt_hours(normal.get(d, ZERO)),
            }
            for d, t in zip(days, day_totals, strict=True)
            if rules.hours_over(t, normal.get(d, ZERO)) > 0
        ],
        "day_chart": charts.week_days(
            [(d, t, normal.get(d, ZERO)) for d, t in zip(days, day_totals, strict=True)]
        ),
        "rows": rows,
        "extra": [r.item.pk for r in rows],
        "complete": state != rules.WEEK_SHORT,
        "week_state": state,
        "week_total": numbers.fmt_hours(week_total),
        "weekly_hours": numbers.fmt_hours(weekly_hours),
        "short_by": numbers.fmt_hours(max(weekly_hours - week_total, ZERO)),
        "over_by": numbers.fmt_hours(rules.hours_over(week_total, weekly_hours)),
        "timer_elapsed": _elapsed(timer) if timer else "",
        "sheet": sheet,
        "timer": timer,
        "options": _item_options(person),
        "errors": errors,
        "refused": refused,
        "refused_details": refused_details or [],
        "fill": fill,
        "suggested_count": sum(1 for r in rows for c in r.cells if c.suggested),
        "unplaced": unplaced,
        "entries": _entries_listed([e for r in rows for c in r.cells for e in c.entries]),
        "correction": correction or {},
        "correct_items": [r.item for r in rows],
        "returned": cert_selectors.returned_to(person),
        "categories": selectors.category_choices(),
        "new_item": new_item or {},
    }
    return render(request, "timetracking/week.html", context, status=status)


def _entries_listed(entries: list[TimeEntry]) -> list[TimeEntry]:
    """The week's entries by day, each adjustment right under the entry it corrects."""
    originals = sorted(
        (e for e in entries if e.adjusts_id is None), key=lambda e: (e.date, e.work_item_id, e.pk)
    )
    by_original: dict[int | None, list[TimeEntry]] = defaultdict(list)
    for e in entries:
        if e.adjusts_id is not None:
            by_original[e.adjusts_id].append(e)
    listed: list[TimeEntry] = []
    for e in originals:
        listed += [e, *sorted(by_original.pop(e.pk, []), key=lambda a: a.pk)]
    # Adjustments of an entry in another week cannot be: they share its date. Listed last
    # anyway, should the original be out of sight.
    listed += sorted((a for group in by_original.values() for a in group), key=lambda a: a.pk)
    return listed


@page
def my_week(request: HttpRequest) -> HttpResponse:
    person = _me(request)
    if person is None:
        return render(request, "timetracking/no_person.html", {"message": NO_PERSON})
    if request.method != "POST":
        monday = _monday(request, person)
        return _render_week(
            request,
            person,
            monday,
            extra=_ids(request.GET.getlist("add")),
            fill=request.GET.get("fill") == "1",
        )
    form = WeekForm(request.POST)
    if not form.is_valid() or form.cleaned_data["week"] is None:
        return redirect("time_week")
    monday = periods.week_start(form.cleaned_data["week"])
    extra = _ids(request.POST.getlist("row"))
    add = _ids([request.POST.get("add_item", "")])
    typed = {
        (item_id, day): request.POST[_cell_name(item_id, day)][:20]
        for item_id in {*extra, *_posted_items(request)}
        for day in periods.week_days(monday)
        if _cell_name(item_id, day) in request.POST
    }
    result = services.week_save(actor=actor(request), person=person, week=monday, typed=typed)
    saved = result.saved
    errors = {_cell_name(i, d): exc.message for (i, d), exc in result.refused.items()}
    statuses = [error_status(exc) for exc in result.refused.values()]
    posted = {_cell_name(i, d): text for (i, d), text in typed.items()}
    if errors:
        refused = (
            f"{len(errors)} cell{'s' if len(errors) != 1 else ''} not saved"
            + (f"; the other {saved} change{'s' if saved != 1 else ''} were saved" if saved else "")
            + "."
        )
        return _render_week(
            request,
            person,
            monday,
            extra=extra + add,
            posted={k: v for k, v in posted.items() if k in errors},
            errors=errors,
            refused=refused,
            status=422 if 422 in statuses else 409,
        )
    if saved:
        messages.success(request, f"Saved {saved} change{'s' if saved != 1 else ''}.")
    elif not add:
        messages.info(request, "Nothing changed.")
    return redirect(_week_url(monday, extra + add))


@page
@require_POST
def week_correct(request: HttpRequest) -> HttpResponse:
    """An adjusting entry from the week page: a locked day's hours on a work item corrected
    to what they should be, with the reason."""
    person = _me(request)
    if person is None:
        return redirect("time_week")
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        monday = periods.week_start(clock.today(person.timezone))
        return _render_week(
            request,
            person,
            monday,
            refused=ERR_CORRECTION_FORM,
            correction={"errors": {k: " ".join(str(m) for m in v) for k, v in form.errors.items()}},
            status=422,
        )
    data = form.cleaned_data
    monday = periods.week_start(data["week"])
    extra = _ids(request.POST.getlist("row"))
    try:
        adjustment = cert_services.locked_day_correct(
            actor=actor(request),
            person=person,
            work_item=selectors.work_item_get(work_item_id=data["work_item_id"]),
            day=data["day"],
            hours=data["hours"],
            reason=data["reason"],
        )
    except DomainError as exc:
        return _render_week(
            request,
            person,
            monday,
            extra=extra,
            refused=ERR_CORRECTION,
            correction={
                "errors": {e.field: e.message for e in exc.errors} or {"hours": exc.message},
                "day": data["day"],
                "work_item_id": data["work_item_id"],
                "hours": data["hours"],
                "reason": data["reason"],
            },
            status=error_status(exc),
        )
    messages.success(
        request,
        f"Adjusting entry of {numbers.fmt_hours(adjustment.hours)} h saved for "
        f"{adjustment.date:%a %-d %b}: the quarter goes to your manager to certify again.",
    )
    return redirect(_week_url(monday, extra) + "#h-entries")


@page
@require_POST
def work_item_new(request: HttpRequest) -> HttpResponse:
    """A new work item (an issue) under a category, assigned to whoever creates it: from the
    week page (it becomes a row there) or from an engagement's page (billable on it)."""
    form = WorkItemForm(request.POST)
    data = form.cleaned_data if form.is_valid() else {}
    engagement_id = data.get("engagement_id")
    person = _me(request)
    try:
        if not data:
            raise ValidationFailed(ERR_CHOOSE_CATEGORY, field="epic_id")
        engagement = (
            engagements.engagement_get(engagement_id=engagement_id) if engagement_id else None
        )
        item = services.work_item_create(
            actor=actor(request),
            title=data["title"],
            epic=selectors.epic_get(epic_id=data["epic_id"]),
            engagement=engagement,
            assignees=[person] if person is not None else [],
        )
    except DomainError as exc:
        if engagement_id:
            reasons = "; ".join(e.message for e in exc.errors) or exc.message
            messages.error(request, ERR_ITEM_NOT_CREATED_BECAUSE.format(reasons=reasons))
            return redirect(reverse("engagement_detail", args=[engagement_id]) + "#work-items")
        if person is None:
            return redirect("time_week")
        week = data.get("week") or clock.today(person.timezone)
        return _render_week(
            request,
            person,
            periods.week_start(week),
            extra=_ids(request.POST.getlist("row")),
            refused=ERR_ITEM_NOT_CREATED,
            new_item={
                "errors": {e.field: e.message for e in exc.errors} or {"title": exc.message},
                "title": data.get("title", request.POST.get("title", "")[:200]),
                "epic_id": data.get("epic_id"),
            },
            status=error_status(exc),
        )
    messages.success(request, f"Work item “{item.title}” created under {item.epic.name}.")
    if engagement_id:
        return redirect(reverse("engagement_detail", args=[engagement_id]) + "#work-items")
    week = data.get("week") or clock.today(person.timezone if person else "UTC")
    return redirect(
        _week_url(periods.week_start(week), [*_ids(request.POST.getlist("row")), item.pk])
    )


@page
@require_POST
def week_submit(request: HttpRequest) -> HttpResponse:
    person = _me(request)
    form = WeekForm(request.POST)
    if person is None or not form.is_valid() or form.cleaned_data["week"] is None:
        return redirect("time_week")
    monday = periods.week_start(form.cleaned_data["week"])
    try:
        sheet = services.timesheet_submit(actor=actor(request), person=person, week=monday)
    except DomainError as exc:
        return _render_week(request, person, monday, refused=exc.message, status=error_status(exc))
    late = " (late)" if sheet.late else ""
    messages.success(request, f"Week of {monday:%d %b %Y} submitted{late}: {sheet.hours} h.")
    return redirect(_week_url(monday))


@page
@require_POST
def timer_start(request: HttpRequest) -> HttpResponse:
    person = _me(request)
    week_form = WeekForm(request.POST)
    monday = (
        periods.week_start(week_form.cleaned_data["week"])
        if week_form.is_valid() and week_form.cleaned_data["week"]
        else None
    )
    if person is None:
        return redirect("time_week")
    monday = monday or periods.week_start(clock.today(person.timezone))
    form = TimerStartForm(request.POST)
    if not form.is_valid():
        return _render_week(request, person, monday, refused=ERR_PICK_ITEM, status=422)
    try:
        services.timer_start(
            actor=actor(request),
            person=person,
            work_item=selectors.work_item_get(work_item_id=form.cleaned_data["work_item_id"]),
            note=form.cleaned_data["note"],
        )
    except DomainError as exc:
        return _render_week(request, person, monday, refused=exc.message, status=error_status(exc))
    messages.success(request, "Timer started.")
    return redirect(_week_url(monday))


@page
@require_POST
def timer_stop(request: HttpRequest) -> HttpResponse:
    person = _me(request)
    if person is None:
        return redirect("time_week")
    monday = periods.week_start(clock.today(person.timezone))
    try:
        entry = services.timer_stop(actor=actor(request), person=person)
    except DomainError as exc:
        return _render_week(request, person, monday, refused=exc.message, status=error_status(exc))
    if entry is None:
        messages.info(request, "Timer stopped: under a minute, nothing logged.")
        return redirect("time_week")
    messages.success(request, f"Timer stopped: {entry.hours} h logged on {entry.work_item}.")
    return redirect(_week_url(periods.week_start(entry.date)))


@page
@require_POST
def timer_discard(request: HttpRequest) -> HttpResponse:
    person = _me(request)
    if person is None:
        return redirect("time_week")
    try:
        services.timer_discard(actor=actor(request), person=person)
    except DomainError as exc:
        monday = periods.week_start(clock.today(person.timezone))
        return _render_week(request, person, monday, refused=exc.message, status=error_status(exc))
    messages.info(request, "Timer discarded: nothing logged.")
    return redirect("time_week")


# ------------------------------------------------------------------ timesheets


@page
def timesheets(request: HttpRequest) -> HttpResponse:
    person = _me(request)
    followed = selectors.timesheet_team_for(actor=actor(request))
    team = followed.people
    today = clock.today(person.timezone if person else "UTC")
    this_monday = periods.week_start(today)
    weeks = [this_monday - dt.timedelta(days=7 * k) for k in range(1, MISSING_WEEKS + 1)]
    missing = selectors.missing_timesheets(people=team, weeks=weeks) if team else []
    return render(
        request,
        "timetracking/timesheets.html",
        {
            "person": person,
            "sheets": selectors.timesheet_list(person=person) if person else [],
            "team": team,
            "scope": followed.scope,
            "missing": sorted(missing, key=lambda m: (m.person.name, m.week_start)),
            "weeks": weeks,
            "now": clock.now(),
        },
    )


# ------------------------------------------------------------------ quarterly report


def _other_quarter(year: int, quarter: int) -> periods.FiscalQuarter | None:
    try:
        return report_selectors.report_quarter(year, quarter)
    except DomainError:  # beyond the years a report covers
        return None


@page
def quarterly_report(request: HttpRequest) -> HttpResponse:
    """A person's hours report for a fiscal quarter (mine and the current quarter by default),
    with its XLSX and CSV downloads."""
    form = ReportForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    me = _me(request)
    person_id = data.get("person_id") or (me.pk if me else None)
    if person_id is None:
        return render(request, "timetracking/no_person.html", {"message": NO_PERSON})
    error = ""
    try:
        quarter = report_selectors.report_quarter(data.get("year"), data.get("quarter"))
    except DomainError as exc:
        error = exc.message
        quarter = report_selectors.report_quarter(None, None)
    person = report_selectors.access_hours_report(
        actor=actor(request), person=people.person_get(person_id=person_id)
    )
    result = report_selectors.hours_report(person=person, quarter=quarter)
    offered = report_selectors.report_choices_for(actor=actor(request), quarter=quarter)
    links = {
        fmt: REPORT_URL.format(
            person_id=person.pk, year=quarter.year, quarter=quarter.quarter, fmt=fmt
        )
        for fmt in ("xlsx", "csv")
    }
    prev_q = _other_quarter(quarter.year - (quarter.quarter == 1), (quarter.quarter - 2) % 4 + 1)
    next_q = _other_quarter(quarter.year + (quarter.quarter == 4), quarter.quarter % 4 + 1)
    return render(
        request,
        "timetracking/report.html",
        {
            "report": result,
            "quarter": quarter,
            "links": links,
            "error": error,
            "choices": offered.people if len(offered.people) > 1 else [],
            "can_team": offered.team,
            "team_manager": offered.team_manager_id,
            "prev_q": prev_q,
            "next_q": next_q,
            "by_week": [
                (iso, report_selectors.iso_week_label(iso), h) for iso, h in result.by_week.items()
            ],
            "epics_chart": charts.report_epics(result),
            "weeks_chart": charts.report_weeks(result),
        },
        status=422 if error else 200,
    )


@page
@require_POST
def team_reports_start(request: HttpRequest) -> HttpResponse:
    """Queue the team's quarterly reports as a job and follow it on the job's page."""
    form = TeamReportsForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "; ".join(str(e) for errors in form.errors.values() for e in errors)
        )
        return redirect("time_report")
    try:
        job = services.team_reports_start(actor=actor(request), **form.cleaned_data)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("time_report")
    return redirect("job_detail", job_id=job.pk)


@page
def epic_tree_page(request: HttpRequest) -> HttpResponse:
    """The epic tree, with its work items counted; administrators change it here."""
    me = actor(request)
    if request.method == "POST":
        form = EpicForm(request.POST)
        if not form.is_valid():
            messages.error(request, "That change could not be read; try again.")
            return redirect("time_epics")
        data = form.cleaned_data
        try:
            if data["action"] == "add":
                parent_id = data["parent_id"]
                parent = selectors.epic_get(epic_id=parent_id) if parent_id else None
                epic = services.epic_create(actor=me, name=data["name"], parent=parent)
                messages.success(request, f"Added {epic.name}.")
            elif data["action"] == "rename":
                epic = selectors.epic_get(epic_id=data["epic_id"] or 0)
                epic = services.epic_update(actor=me, epic=epic, name=data["name"])
                messages.success(request, f"Renamed to {epic.name}.")
            else:
                epic = selectors.epic_get(epic_id=data["epic_id"] or 0)
                services.epic_delete(actor=me, epic=epic)
                messages.success(request, f"Removed {epic.name}.")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("time_epics")
    counts = selectors.work_items_per_epic()
    tree = [
        (major, [(c, counts.get(c.pk, 0)) for c in categories])
        for major, categories in selectors.epic_tree()
    ]
    return render(request, "timetracking/epics.html", {"tree": tree, "can_edit": me.is_admin})


# ------------------------------------------------------------------ certifications


def _report_links(cert: QuarterlyCertification) -> dict[str, str]:
    return {
        fmt: REPORT_URL.format(
            person_id=cert.person_id, year=cert.fiscal_year, quarter=cert.quarter, fmt=fmt
        )
        for fmt in ("xlsx", "csv")
    }


def _queue_row(view: cert_selectors.CertificationView) -> dict[str, Any]:
    """A queue row as plain values: the template reads a hundred of them much faster than
    it resolves each field through the view and its certification."""
    cert = view.cert
    quarter = f"FY{cert.fiscal_year} Q{cert.quarter}"
    links = _report_links(cert)
    return {
        "pk": cert.pk,
        "name": cert.person.name,
        "label": f"{cert.person.name}, {quarter}",
        "quarter": quarter,
        "dates": f"{dateformat.format(cert.start_date, 'j M')} – "
        f"{dateformat.format(cert.end_date, 'j M Y')}",
        "url": reverse("time_certification", args=[cert.pk]),
        "decide_url": reverse("time_certification_decide", args=[cert.pk]),
        "reopen_url": reverse("time_certification_reopen", args=[cert.pk]),
        "resubmit_url": reverse("time_certification_resubmit", args=[cert.pk]),
        "flags": view.flags,
        "changes": view.changes.describe() if view.changes else "",
        "total": floatformat(view.total_hours, "-2"),
        "billable": floatformat(view.billable_hours, "-2"),
        "capacity": floatformat(view.capacity_hours, "-2"),
        "utilization": f"{view.utilization} %" if view.utilization is not None else "—",
        "digest": view.digest,
        "missing_weeks": bool(view.missing_weeks),
        "xlsx": links["xlsx"],
        "csv": links["csv"],
    }


def _queue(request: HttpRequest) -> list[dict[str, Any]]:
    # Each section pages on its own: ?page_<key>=N.
    pages = {
        key[len("page_") :]: str(request.GET.get(key, ""))
        for key in request.GET
        if key.startswith("page_")
    }
    return [
        {
            "role": section.title,
            "key": section.key,
            "reopen": section.reopen,
            "step": section.step,
            "back_to": section.back_to,
            "rows": [_queue_row(view) for view in section.rows],
            "chart": charts.queue_capacity(section.rows),
            "count": section.count,
            "page": section.page,
            "pages": section.pages,
            "prev": _page_url(request, section.key, section.page - 1) if section.page > 1 else "",
            "next": _page_url(request, section.key, section.page + 1)
            if section.page < section.pages
            else "",
        }
        for section in cert_selectors.queue_for(actor(request), pages=pages)
    ]


def _back_to_queue(request: HttpRequest) -> HttpResponse:
    """The queue again, on the pages the decision was made from (the forms post them)."""
    pages = {k: str(request.GET.get(k, "")) for k in request.GET if k.startswith("page_")}
    url = reverse("time_certifications")
    return redirect(f"{url}?{urlencode(pages)}" if pages else url)


def _page_url(request: HttpRequest, key: str, number: int) -> str:
    query = request.GET.copy()
    query[f"page_{key}"] = str(number)
    return f"{reverse('time_certifications')}?{query.urlencode()}"


def _render_queue(
    request: HttpRequest, *, refused: str = "", failed_id: int | None = None, status: int = 200
) -> HttpResponse:
    if not cert_selectors.may_see_queue(actor(request)):
        raise refuse(ERR_MAY_NOT_CERTIFY)
    return render(
        request,
        "timetracking/certifications.html",
        {
            "sections": _queue(request),
            "refused": refused,
            "failed_id": failed_id,
            # A decision posts the pages it was made on, and comes back to them.
            "query": f"?{request.GET.urlencode()}" if request.GET else "",
        },
        status=status,
    )


@page
def certification_queue(request: HttpRequest) -> HttpResponse:
    return _render_queue(request)


@page
def certification_detail(request: HttpRequest, certification_id: int) -> HttpResponse:
    cert = cert_selectors.access_certification(
        actor=actor(request), certification_id=certification_id
    )
    return render(
        request,
        "timetracking/certification.html",
        {
            "cert": cert_selectors.certification_view(cert),
            "steps": cert_selectors.certification_steps(certification=cert),
            "links": _report_links(cert),
            "may_resubmit": cert.status == QuarterlyCertification.Status.RETURNED
            and cert_selectors.may_resubmit(actor(request), cert),
        },
    )


@page
@require_POST
def certification_resubmit(request: HttpRequest, certification_id: int) -> HttpResponse:
    cert = cert_selectors.access_certification(
        actor=actor(request), certification_id=certification_id
    )
    try:
        cert_services.certification_resubmit(actor=actor(request), certification=cert)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("time_certification", certification_id=cert.pk)
    messages.success(
        request,
        f"FY{cert.fiscal_year} Q{cert.quarter} sent back to the delivery manager to certify.",
    )
    return redirect("time_certification", certification_id=cert.pk)


@page
@require_POST
def certification_decide(request: HttpRequest, certification_id: int) -> HttpResponse:
    cert = cert_selectors.certification_get(certification_id=certification_id)
    form = DecideForm(request.POST)
    if not form.is_valid():
        return _render_queue(request, refused=ERR_CHOOSE_DECISION, failed_id=cert.pk, status=422)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        cert_services.certification_decide(
            actor=actor(request),
            certification=cert,
            step=form.cleaned_data["step"],
            approve=approve,
            reason=form.cleaned_data["reason"],
            digest=form.cleaned_data["digest"] or None,
            back_to=form.cleaned_data["back_to"] or rules.BACK_TO_PERSON,
        )
    except DomainError as exc:
        status = error_status(exc)
        return _render_queue(
            request,
            refused=ERR_CERTIFICATION.format(name=cert.person.name, message=exc.message),
            failed_id=cert.pk,
            status=status,
        )
    verb = "approved" if approve else REJECTED_TO[form.cleaned_data["back_to"] or "person"]
    messages.success(request, f"{cert.person.name}, FY{cert.fiscal_year} Q{cert.quarter}: {verb}.")
    return _back_to_queue(request)


@page
@require_POST
def certification_reopen(request: HttpRequest, certification_id: int) -> HttpResponse:
    cert = cert_selectors.certification_get(certification_id=certification_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        cert_services.certification_reopen(actor=actor(request), certification=cert, reason=reason)
    except DomainError as exc:
        status = error_status(exc)
        return _render_queue(
            request,
            refused=ERR_CERTIFICATION.format(name=cert.person.name, message=exc.message),
            failed_id=cert.pk,
            status=status,
        )
    messages.success(
        request, f"{cert.person.name}, FY{cert.fiscal_year} Q{cert.quarter}: reopened."
    )
    return _back_to_queue(request)


@page
def time_import_page(request: HttpRequest) -> HttpResponse:
    """Upload a file of time entries: it is checked first (a dry run, in the background, with a
    progress bar on the job's page), and imported only from there, once it is clean."""
    me = actor(request)
    imports.require_importer(me)
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            job = services.time_import_check_start(
                actor=me,
                data=upload.read() if upload is not None else b"",
                file_name=upload.name or "" if upload is not None else "",
            )
        except ValidationFailed as exc:
            error = exc.message
        else:
            return redirect("job_detail", job_id=job.pk)
    return render(
        request,
        "timetracking/import.html",
        {"error": error, "admin": me.has_any(*rules.TIME_ADMINS)},
        status=422 if error else 200,
    )


@page
@require_POST
def time_import_confirm(request: HttpRequest, job_id: int) -> HttpResponse:
    """The Import button of a clean check: on to the import's job page."""
    try:
        job = services.time_import_confirm(actor=actor(request), job_id=job_id)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("job_detail", job_id=job_id)
    return redirect("job_detail", job_id=job.pk)
