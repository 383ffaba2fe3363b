"""Time-tracking use cases: work items, time entries, the timer, weekly timesheets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction

from psa.core import audit, clock, jobs, numbers, periods
from psa.core.errors import (
    Conflict,
    DomainError,
    FieldError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from psa.core.models import Job
from psa.core.numbers import ZERO
from psa.core.roles import Actor
from psa.engagements.models import Engagement
from psa.integrations import spreadsheet
from psa.people import rules as people_rules
from psa.people import selectors as people
from psa.people import services as people_services
from psa.people.models import Person
from psa.timetracking import epics, imports, report_selectors, rollup, rules, selectors, tasks
from psa.timetracking.certification import services as cert_services
from psa.timetracking.gitlab_sync import require_syncer
from psa.timetracking.models import (
    Epic,
    InternalTimeCategory,
    Label,
    TimeEntry,
    Timer,
    Timesheet,
    WorkItem,
)

TIME_ADMINS = rules.TIME_ADMINS

ERR_NOT_YOUR_TIME = "you may only log your own time"
ERR_MAJOR_EPIC = "attach the work item to a category under a major epic, not to the major epic"
ERR_TITLE = "a work item needs a title"
ERR_EPIC_ADMIN = "only an administrator changes the epic tree"
ERR_EPIC_NAME = "an epic needs a name of 1 to 120 characters"
ERR_EPIC_TAKEN = "{parent} already has an epic named {name!r}"
ERR_EPIC_DEPTH = "categories sit under a major epic: {parent} is a category itself"
ERR_EPIC_IN_USE = "{name} has {what}: move or remove them first"
ERR_FUTURE = rules.ERR_FUTURE
ERR_SUBMITTED_TWICE = "the week of {week} was already submitted on {at:%Y-%m-%d %H:%M} UTC"
ERR_SHORT_WEEK = "{logged} h logged of the {required} h required; missing: {days}"
ERR_TIMER_RUNNING = "a timer is already running (on {item}); stop it first"
ERR_NO_TIMER = "no timer is running"
ERR_WEEK_FUTURE = "the week of {week} has not ended yet"
ERR_MAY_NOT_CREATE_ITEM = "only team members create work items"
ERR_DAY_MISSING = "{date}: {missing} h missing"


def _require_own_time(actor: Actor, person: Person) -> None:
    if actor.person_id != person.pk and not actor.has_any(*TIME_ADMINS):
        raise PermissionDenied(ERR_NOT_YOUR_TIME, field="person_id")


# ------------------------------------------------------------------ the epic tree


def _epic_fields(
    *, name: str, parent: Epic | None, exclude_id: int | None = None
) -> tuple[str, list[FieldError]]:
    errors = []
    clean = name.strip()
    if not 1 <= len(clean) <= 120:
        errors.append(FieldError("name", ERR_EPIC_NAME))
    if parent is not None and parent.parent_id is not None:
        errors.append(FieldError("parent_id", ERR_EPIC_DEPTH.format(parent=parent.name)))
    siblings = Epic.objects.filter(parent=parent, name__iexact=clean)
    if exclude_id is not None:
        siblings = siblings.exclude(pk=exclude_id)
    if clean and siblings.exists():
        where = parent.name if parent else "The tree"
        errors.append(FieldError("name", ERR_EPIC_TAKEN.format(parent=where, name=clean)))
    return clean, errors


def epic_create(
    *, actor: Actor, name: str, parent: Epic | None, position: int = 0, description: str = ""
) -> Epic:
    """A new major epic (no parent) or a category under one. Administrators only."""
    if not actor.is_admin:
        raise PermissionDenied(ERR_EPIC_ADMIN)
    clean, errors = _epic_fields(name=name, parent=parent)
    if errors:
        raise ValidationFailed.collect(errors)
    with transaction.atomic():
        epic = Epic.objects.create(
            name=clean, parent=parent, position=position, description=description.strip()
        )
        audit.record(actor=actor, action="epic.create", target=epic, after=audit.snapshot(epic))
        if parent is not None and epics.has_standing_item(parent.name, clean):
            item = WorkItem.objects.create(
                title=clean, epic=epic, standing=True, created_at=clock.now()
            )
            audit.record(
                actor=actor, action="work_item.create", target=item, after=audit.snapshot(item)
            )
    return epic


def epic_update(
    *,
    actor: Actor,
    epic: Epic,
    name: str | None = None,
    position: int | None = None,
    description: str | None = None,
) -> Epic:
    """Rename, reorder or describe an epic; it stays where it is in the tree, so the hours
    already under it keep rolling up to the same major epic."""
    if not actor.is_admin:
        raise PermissionDenied(ERR_EPIC_ADMIN)
    with transaction.atomic():
        epic = Epic.objects.select_for_update(of=("self",)).select_related("parent").get(pk=epic.pk)
        before = audit.snapshot(epic)
        if name is not None:
            clean, errors = _epic_fields(name=name, parent=epic.parent, exclude_id=epic.pk)
            if errors:
                raise ValidationFailed.collect(errors)
            epic.name = clean
        if position is not None:
            epic.position = position
        if description is not None:
            epic.description = description.strip()
        epic.save()
        audit.record(
            actor=actor,
            action="epic.update",
            target=epic,
            before=before,
            after=audit.snapshot(epic),
        )
    return epic


def epic_delete(*, actor: Actor, epic: Epic) -> None:
    """Remove an epic nothing hangs on: no categories, no work items but its own standing one
    with no time on it (which goes with it)."""
    if not actor.is_admin:
        raise PermissionDenied(ERR_EPIC_ADMIN)
    with transaction.atomic():
        epic = Epic.objects.select_for_update().get(pk=epic.pk)
        if Epic.objects.filter(parent=epic).exists():
            raise Conflict(ERR_EPIC_IN_USE.format(name=epic.name, what="categories"))
        if InternalTimeCategory.objects.filter(epic=epic).exists():
            raise Conflict(ERR_EPIC_IN_USE.format(name=epic.name, what="planned internal time"))
        items = WorkItem.objects.filter(epic=epic)
        unused_standing = items.filter(standing=True).exclude(
            pk__in=TimeEntry.objects.values("work_item_id")
        )
        if items.exclude(pk__in=unused_standing.values("pk")).exists():
            raise Conflict(ERR_EPIC_IN_USE.format(name=epic.name, what="work items"))
        for item in unused_standing:
            audit.record(
                actor=actor, action="work_item.delete", target=item, before=audit.snapshot(item)
            )
        unused_standing.delete()
        audit.record(actor=actor, action="epic.delete", target=epic, before=audit.snapshot(epic))
        epic.delete()


# ------------------------------------------------------------------ work items


def work_item_create(
    *,
    actor: Actor,
    title: str,
    epic: Epic,
    engagement: Engagement | None = None,
    author: Person | None = None,
    assignees: Iterable[Person] = (),
    labels: Iterable[str] = (),
) -> WorkItem:
    if actor.person_id is None and not actor.is_admin:
        raise PermissionDenied(ERR_MAY_NOT_CREATE_ITEM)
    errors = []
    if not title.strip():
        errors.append(FieldError("title", ERR_TITLE))
    if epic.is_major:
        errors.append(FieldError("epic_id", ERR_MAJOR_EPIC))
    if errors:
        raise ValidationFailed.collect(errors)
    with transaction.atomic():
        item = WorkItem.objects.create(
            title=title.strip(),
            epic=epic,
            engagement=engagement,
            author=author
            if author is not None
            else (Person.objects.filter(pk=actor.person_id).first() if actor.person_id else None),
            created_at=clock.now(),
        )
        item.assignees.set(list(assignees))
        item.labels.set(
            [
                Label.objects.get_or_create(name=n.strip())[0]
                for n in sorted(set(labels))
                if n.strip()
            ]
        )
        audit.record(
            actor=actor, action="work_item.create", target=item, after=audit.snapshot(item)
        )
    return item


# ------------------------------------------------------------------ time entries


def _check_entry(
    person: Person,
    work_item: WorkItem,
    day: dt.date,
    hours: Decimal,
    exclude_entry_id: int | None = None,
) -> None:
    errors: list[FieldError] = []
    if hours <= 0:
        errors.append(FieldError("hours", rules.ERR_HOURS_POSITIVE))
    today = clock.today(person.timezone)
    if day > today and not selectors.is_pto(work_item):
        errors.append(FieldError("date", ERR_FUTURE.format(date=day)))
    if not errors:
        existing = selectors.day_total(person=person, day=day, exclude_entry_id=exclude_entry_id)
        problem = rules.day_total_error(existing, hours)
        if problem:
            errors.append(FieldError("hours", problem))
    if errors:
        raise ValidationFailed.collect(errors)


def time_entry_create(
    *,
    actor: Actor,
    person: Person,
    work_item: WorkItem,
    date: dt.date,
    hours: Decimal | str,
    note: str = "",
    source: str = TimeEntry.Source.MANUAL,
) -> TimeEntry:
    """Log hours on a work item. Hours are numbers (two places); at most 24 a day."""
    _require_own_time(actor, person)
    try:
        amount = numbers.parse_hours(hours)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="hours") from exc
    with transaction.atomic():
        # One writer a person at a time, so two entries cannot pass the 24-hour check together.
        locked = people_services.person_lock(person_id=person.pk)
        cert_services.ensure_unlocked(person_id=person.pk, day=date)
        _check_entry(locked, work_item, date, amount)
        now = clock.now()
        entry = TimeEntry.objects.create(
            person=person,
            work_item=work_item,
            date=date,
            hours=amount,
            note=note.strip(),
            source=source,
            created_at=now,
            updated_at=now,
        )
        rollup.apply([rollup.added(entry)])
        audit.record(actor=actor, action="time.create", target=entry, after=audit.snapshot(entry))
        cert_services.certifications_follow_change(actor=actor, person_id=person.pk, days=[date])
    return entry


@dataclass
class WeekSaved:
    """What saving My week did: how many cells changed, and each refused cell's error."""

    saved: int = 0
    refused: dict[tuple[int, dt.date], DomainError] = field(default_factory=dict)


def week_save(
    *, actor: Actor, person: Person, week: dt.date, typed: Mapping[tuple[int, dt.date], str]
) -> WeekSaved:
    """Save what was typed into the cells of a person's week ({(work item id, date): text}):
    a number sets the day's hours on the item, a blank removes them, the same hours change
    nothing. Each cell is one write through the entry services, so a refused cell keeps its
    reason and the cells before and after it are saved; a cell of several entries is changed
    in the day's entries, not here. A locked cell is refused as any write to it is."""
    grid = selectors.week_grid(person=person, week=week, extra_items={i for i, _ in typed})
    result = WeekSaved()
    for (item_id, day), raw in typed.items():
        cell = grid.cell(item_id, day)
        if cell is None or not (cell.editable or cell.locked):
            continue
        try:
            result.saved += _save_cell(actor, person, cell, raw)
        except DomainError as exc:
            result.refused[(item_id, day)] = exc
    return result


def _save_cell(actor: Actor, person: Person, cell: selectors.WeekCell, raw: str) -> bool:
    text = raw.strip()
    try:
        wanted = numbers.parse_hours(text) if text else ZERO
    except ValueError:
        wanted = None  # the entry service names what is wrong with it
    if wanted is not None and wanted == cell.total:
        return False
    entry = cell.entries[0] if cell.entries else None
    if wanted == ZERO:
        if entry is None:
            return False
        time_entry_delete(actor=actor, entry=entry)
    elif entry is None:
        time_entry_create(
            actor=actor, person=person, work_item=cell.item, date=cell.day, hours=text
        )
    else:
        time_entry_update(actor=actor, entry=entry, hours=text)
    return True


def time_entry_update(
    *,
    actor: Actor,
    entry: TimeEntry,
    hours: Decimal | str | None = None,
    note: str | None = None,
    date: dt.date | None = None,
) -> TimeEntry:
    _require_own_time(actor, entry.person)
    with transaction.atomic():
        # The same lock as time_entry_create: the day totals are checked under it, so an update
        # and a create (or two updates) on one day cannot pass the 24-hour check together.
        people_services.person_lock(person_id=entry.person_id)
        current = (
            TimeEntry.objects.select_for_update(of=("self",))
            .select_related("person", "work_item", "work_item__epic", "work_item__epic__parent")
            .filter(pk=entry.pk)
            .first()
        )
        if current is None:  # a parallel request deleted it while this one waited
            raise NotFound(selectors.ERR_NO_ENTRY.format(id=entry.pk), field="entry_id")
        entry = current
        before = audit.snapshot(entry)
        was = rollup.removed(entry)
        cert_services.ensure_unlocked(person_id=entry.person_id, day=entry.date)
        if hours is not None:
            try:
                entry.hours = numbers.parse_hours(hours)
            except ValueError as exc:
                raise ValidationFailed(str(exc), field="hours") from exc
        if date is not None:
            entry.date = date
        if note is not None:
            entry.note = note.strip()
        cert_services.ensure_unlocked(person_id=entry.person_id, day=entry.date)
        _check_entry(entry.person, entry.work_item, entry.date, entry.hours, entry.pk)
        entry.updated_at = clock.now()
        entry.save()
        rollup.apply([was, rollup.added(entry)])
        audit.record(
            actor=actor,
            action="time.update",
            target=entry,
            before=before,
            after=audit.snapshot(entry),
        )
        cert_services.certifications_follow_change(
            actor=actor, person_id=entry.person_id, days=sorted({was.date, entry.date})
        )
    return entry


def time_entry_delete(*, actor: Actor, entry: TimeEntry) -> None:
    _require_own_time(actor, entry.person)
    with transaction.atomic():
        people_services.person_lock(person_id=entry.person_id)
        current = TimeEntry.objects.filter(pk=entry.pk).first()
        if current is None:  # a parallel request deleted it while this one waited
            raise NotFound(selectors.ERR_NO_ENTRY.format(id=entry.pk), field="entry_id")
        entry = current
        cert_services.ensure_unlocked(person_id=entry.person_id, day=entry.date)
        audit.record(actor=actor, action="time.delete", target=entry, before=audit.snapshot(entry))
        rollup.apply([rollup.removed(entry)])
        entry.delete()
        cert_services.certifications_follow_change(
            actor=actor, person_id=entry.person_id, days=[entry.date]
        )


# ------------------------------------------------------------------ timer


def timer_start(*, actor: Actor, person: Person, work_item: WorkItem, note: str = "") -> Timer:
    _require_own_time(actor, person)
    with transaction.atomic():
        # Parallel starts queue on the person, so the second sees the first's timer (409)
        # instead of breaking the one-timer-a-person constraint.
        people_services.person_lock(person_id=person.pk)
        running = Timer.objects.select_related("work_item").filter(person=person).first()
        if running is not None:
            raise Conflict(ERR_TIMER_RUNNING.format(item=running.work_item), field="work_item_id")
        timer = Timer.objects.create(
            person=person, work_item=work_item, note=note.strip(), started_at=clock.now()
        )
        audit.record(
            actor=actor, action="timer.start", target=timer, after={"work_item_id": work_item.pk}
        )
    return timer


def timer_stop(*, actor: Actor, person: Person) -> TimeEntry | None:
    """Stop the running timer and log its time (to the hundredth of an hour) on the day it
    started, in the person's time zone. Under 36 seconds logs nothing."""
    _require_own_time(actor, person)
    with transaction.atomic():
        people_services.person_lock(person_id=person.pk)  # the person before the timer, always
        timer = (
            Timer.objects.select_for_update(of=("self",))
            .select_related("work_item")
            .filter(person=person)
            .first()
        )
        if timer is None:
            raise Conflict(ERR_NO_TIMER, field="timer")
        elapsed = clock.now() - timer.started_at
        hours = rules.seconds_to_hours(int(elapsed.total_seconds()))
        day = timer.started_at.astimezone(ZoneInfo(person.timezone)).date()
        audit.record(
            actor=actor,
            action="timer.stop",
            target=timer,
            before={"work_item_id": timer.work_item_id},
            after={"hours": hours},
        )
        timer.delete()
        if hours <= ZERO:
            return None
        return time_entry_create(
            actor=actor,
            person=person,
            work_item=timer.work_item,
            date=day,
            hours=hours,
            note=timer.note,
            source=TimeEntry.Source.TIMER,
        )


def timer_discard(*, actor: Actor, person: Person) -> None:
    """Throw the running timer away without logging anything (e.g. its day is locked)."""
    _require_own_time(actor, person)
    with transaction.atomic():
        people_services.person_lock(person_id=person.pk)
        timer = Timer.objects.select_for_update().filter(person=person).first()
        if timer is None:
            raise Conflict(ERR_NO_TIMER, field="timer")
        audit.record(
            actor=actor,
            action="timer.discard",
            target=timer,
            before={"work_item_id": timer.work_item_id},
        )
        timer.delete()


# ------------------------------------------------------------------ timesheets


def timesheet_submit(*, actor: Actor, person: Person, week: dt.date) -> Timesheet:
    """Submit a week: it needs at least the person's weekly hours (PTO and holidays logged as
    time). Late after Monday noon (the person's time zone) for the week before."""
    _require_own_time(actor, person)
    monday = periods.week_start(week)
    now = clock.now()
    # From Friday noon on (the Friday reminder), the current week may be submitted.
    opens = dt.datetime.combine(
        monday + dt.timedelta(days=4), dt.time(12), tzinfo=ZoneInfo(person.timezone)
    )
    if now < opens:
        raise ValidationFailed(ERR_WEEK_FUTURE.format(week=monday), field="week")
    with transaction.atomic():
        people_services.person_lock(person_id=person.pk)
        existing = selectors.timesheet_for(person=person, week=monday)
        if existing is not None:
            raise Conflict(
                ERR_SUBMITTED_TWICE.format(week=monday, at=existing.submitted_at), field="week"
            )
        pattern = people.work_pattern(person)
        check = rules.check_week(
            week=monday,
            weekly_hours=pattern.weekly_hours,
            daily_pattern=people_rules.daily_pattern(pattern.weekly_hours, pattern.working_days),
            logged=selectors.hours_by_day(
                person=person, start=monday, end=monday + dt.timedelta(days=6)
            ),
        )
        if not check.complete:
            days = ", ".join(f"{d.date:%a %d %b} {d.missing} h" for d in check.missing_days)
            raise ValidationFailed(
                ERR_SHORT_WEEK.format(
                    logged=check.logged,
                    required=check.required,
                    days=days or "spread over the week",
                ),
                errors=[
                    FieldError("hours", ERR_DAY_MISSING.format(date=d.date, missing=d.missing))
                    for d in check.missing_days
                ],
            )
        sheet = Timesheet.objects.create(
            person=person,
            week_start=monday,
            submitted_at=now,
            hours=check.logged,
            late=rules.is_late(monday, person.timezone, now),
        )
        audit.record(
            actor=actor,
            action="timesheet.submit",
            target=sheet,
            after={"week": monday, "hours": check.logged, "late": sheet.late},
        )
    return sheet


# ------------------------------------------------------------------ background jobs


def team_reports_start(
    *, actor: Actor, year: int | None, quarter: int | None, manager_id: int | None
) -> Job:
    """Queue every quarterly report of a team (everyone, or one manager's reports) as a ZIP;
    the quarter, the manager and the right to read them are checked now, before queuing."""
    q = report_selectors.report_quarter(year, quarter)
    report_selectors.access_team_report(actor=actor, manager_id=manager_id)
    whose = "everyone"
    if manager_id is not None:
        whose = f"{people.person_get(person_id=manager_id).name}'s team"
    return jobs.job_start(
        actor=actor,
        kind=tasks.TEAM_REPORTS,
        title=f"Hours reports {q.label}, {whose}",
        params={"year": q.year, "quarter": q.quarter, "manager_id": manager_id},
        task=tasks.team_reports_task,
    )


def gitlab_sync_start(*, actor: Actor, group: str = "") -> Job:
    """Queue a GitLab sync of a group (default: the configured one)."""
    require_syncer(actor)
    return jobs.job_start(
        actor=actor,
        kind=tasks.GITLAB_SYNC,
        title=f"GitLab sync of {group or 'the configured group'}",
        params={"group": group},
        task=tasks.gitlab_sync_task,
    )


ERR_NO_FILE = "choose a CSV or XLSX file of time entries"


def time_import_check_start(*, actor: Actor, data: bytes, file_name: str) -> Job:
    """Queue the dry run of an uploaded file of time entries; its job keeps the file for the
    import that may follow (time_import_confirm)."""
    imports.require_importer(actor)
    spreadsheet.check_upload(data, missing=ERR_NO_FILE)
    name = file_name.strip() or "time entries"
    return jobs.job_start(
        actor=actor,
        kind=tasks.TIME_IMPORT,
        title=f"Time import check of {name}",
        params={"dry_run": True},
        task=tasks.time_import_task,
        file=data,
        file_name=name,
        content_type="text/csv" if not spreadsheet.is_xlsx(data) else spreadsheet.XLSX,
    )


def time_import_confirm(*, actor: Actor, job_id: int) -> Job:
    """Import the file a finished, clean check holds, as a new job (every rule checked again
    when it runs: the database may have changed since). Once per check."""
    return jobs.job_check_confirm(
        actor=actor,
        job_id=job_id,
        kind=tasks.TIME_IMPORT,
        title="Time import of {name}",
        task=tasks.time_import_task,
    )
