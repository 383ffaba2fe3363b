"""The schedule spreadsheet: import (a service) and export (a selector, at the end).

An import is all-or-nothing. Every row is resolved and checked first: the person (by e-mail or
exact name), the engagement (by id, "Customer — Engagement name" or SOW reference), the dates
against the person's employment, the hours spread over the person's working days, and the
person's capacity on each date (this file's rows plus what is already booked). Any bad row →
nothing is written and the report lists every bad row as (row, column, reason). Otherwise all
bookings and their days are written in one transaction with one audit entry.

Queries are batched (people, engagements, time off, planned hours: one query each; inserts in
bulk), never per row, so a 50,000-row file imports in seconds.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from psa.core import audit, clock
from psa.core.errors import FieldError, PermissionDenied, ValidationFailed
from psa.core.numbers import ZERO
from psa.core.roles import Actor, Role
from psa.engagements import rules as engagement_rules
from psa.engagements import selectors as engagement_selectors
from psa.engagements.models import Status
from psa.integrations.spreadsheet import ERR_NO_ROWS, FILE, PROGRESS_EVERY, Progress, RowError
from psa.people import selectors as people_selectors
from psa.people import services as people_services
from psa.people.models import Person
from psa.people.rules import DayCapacity
from psa.scheduling import rules, selectors, services
from psa.scheduling.models import Booking, BookingDay, Firmness
from psa.scheduling.sheets import ParsedSheet, Reference, ScheduleRow, error_order

IMPORTERS = (Role.PROJECT_COORDINATOR, Role.HEAD_OF_PS)
MAX_HOURS_PER_DAY = Decimal("24")
WRITE_CHUNK = 1000  # bookings per insert round (with their days)
AUDIT_ACTION = "schedule.import"
AUDIT_ROWS_LISTED = 100  # over-capacity rows named in the audit entry (all are counted)
OVERRIDE_REASON = "spreadsheet import with the capacity override"

ERR_MAY_NOT_IMPORT = "only the project coordinator or the head of PS imports the schedule"
ERR_UNKNOWN_RESOURCE = people_selectors.ERR_UNKNOWN_PERSON
ERR_AMBIGUOUS_RESOURCE = people_selectors.ERR_AMBIGUOUS_PERSON
ERR_UNKNOWN_ENGAGEMENT = (
    "no engagement {value!r}: give its id (#42), 'Customer — Engagement name' or its SOW reference"
)
ERR_AMBIGUOUS_ENGAGEMENT = (
    "{value!r} matches {count} engagements (ids {ids}): use the id, e.g. #{id}"
)
ERR_ENGAGEMENT_FINISHED = services.ERR_ENGAGEMENT_FINISHED
ERR_CONFIRMED_PIPELINE = (
    "the engagement is in the pipeline (not booked yet): its work is tentative, not confirmed"
)
ERR_NO_WORKING_DAYS = services.ERR_NO_WORKING_DAYS
ERR_HOURS_PER_DAY = "{hours} h over {days} working day(s) is {per_day} h on {date}: more than 24 h"
ERR_OVER_CAPACITY = (
    "{date}: {name} would have {total} h planned ({existing} h already booked + {in_file} h in "
    "this file), more than the capacity of {capacity} h; fix the file or import with the "
    "capacity override"
)
ERR_SUMMARY = "bad rows: {count}; nothing was imported"
ERR_SUMMARY_DRY = "bad rows: {count}; an import would write nothing"

_DATE_FIELDS = {"start_date": "start", "end_date": "end"}


@dataclass
class ImportReport:
    """What an import did, or (dry run) would do. `errors` empty ↔ the rows were (or would be)
    written; `over_capacity` lists the rows booked over capacity with the override."""

    dry_run: bool
    rows: int = 0
    bookings: int = 0
    hours: Decimal = ZERO
    people: int = 0
    errors: list[RowError] = field(default_factory=list)
    over_capacity: list[RowError] = field(default_factory=list)
    written: bool = False
    audit_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})

    def problem(self) -> ValidationFailed:
        """The errors as a 422: one {field: "row 7: hours", message} per problem."""
        summary = ERR_SUMMARY_DRY if self.dry_run else ERR_SUMMARY
        return ValidationFailed(
            summary.format(count=self.bad_rows),
            errors=[FieldError(e.field, e.reason) for e in self.errors],
        )


def require_importer(actor: Actor) -> None:
    if not actor.has_any(*IMPORTERS):
        raise PermissionDenied(ERR_MAY_NOT_IMPORT)


# ------------------------------------------------------------------ lookups


def _label_key(text: str) -> str:
    """Case-, space- and dash-insensitive: "ACME - Rollout" finds "Acme — Rollout"."""
    text = " ".join(text.split()).casefold()
    for dash in (" – ", " - "):
        text = text.replace(dash, " — ")
    return text


@dataclass(frozen=True)
class _Engagement:
    id: int
    label: str  # "Customer — Engagement name"
    status: str
    probability: int


class _Engagements:
    """Every engagement, found by id ("42" or "#42"), label or SOW reference."""

    _ID = re.compile(r"#?\s*(\d{1,18})")

    def __init__(self) -> None:
        self.by_id: dict[int, _Engagement] = {}
        self.by_label: dict[str, list[_Engagement]] = defaultdict(list)
        self.by_sow: dict[str, list[_Engagement]] = defaultdict(list)
        rows = (
            engagement_selectors.engagement_list()
            .order_by("id")
            .values_list("id", "name", "customer__name", "sow_reference", "status", "probability")
        )
        for pk, name, customer, sow, status, probability in rows:
            item = _Engagement(pk, f"{customer} — {name}", status, probability)
            self.by_id[pk] = item
            self.by_label[_label_key(item.label)].append(item)
            if sow.strip():
                self.by_sow[_label_key(sow)].append(item)

    def resolve(self, value: str) -> tuple[_Engagement | None, str]:
        match = self._ID.fullmatch(value)
        if match and int(match.group(1)) in self.by_id:
            return self.by_id[int(match.group(1))], ""
        key = _label_key(value)
        for found in (self.by_label.get(key), self.by_sow.get(key)):
            if found and len(found) == 1:
                return found[0], ""
            if found:
                ids = ", ".join(str(e.id) for e in found)
                return None, ERR_AMBIGUOUS_ENGAGEMENT.format(
                    value=value, count=len(found), ids=ids, id=found[0].id
                )
        return None, ERR_UNKNOWN_ENGAGEMENT.format(value=value)

    def reference(self, engagement_id: int) -> str:
        """How export names an engagement: its label, or "#id" where the label is not unique."""
        item = self.by_id.get(engagement_id)
        if item is None:
            return f"#{engagement_id}"
        if len(self.by_label[_label_key(item.label)]) == 1:
            return item.label
        return f"#{engagement_id}"


# ------------------------------------------------------------------ checking


@dataclass
class _Item:
    """A row that resolved and passed its own checks, with its hours per date."""

    row: ScheduleRow
    person: Person
    engagement: _Engagement | None
    plan: dict[dt.date, Decimal] = field(default_factory=dict)


Capacity = dict[int, tuple[dt.date, list[DayCapacity]]]  # person id → (first date, days)


def _capacity(items: Sequence[_Item]) -> Capacity:
    """Each person's capacity over the dates their rows cover. One time-off query for everyone,
    unless their date ranges are so far apart that computing one shared range would cost far more
    than a query per person."""
    ranges: dict[int, tuple[Person, dt.date, dt.date]] = {}
    for item in items:
        pid = item.person.pk
        _, lo, hi = ranges.get(pid, (item.person, item.row.start, item.row.end))
        ranges[pid] = (item.person, min(lo, item.row.start), max(hi, item.row.end))
    if not ranges:
        return {}
    first = min(lo for _, lo, _ in ranges.values())
    last = max(hi for _, _, hi in ranges.values())
    shared = ((last - first).days + 1) * len(ranges)
    own = sum((hi - lo).days + 1 for _, lo, hi in ranges.values())
    if shared <= 2 * own + 100_000:
        people = [p for p, _, _ in ranges.values()]
        days = people_selectors.capacity_for_people(people=people, start=first, end=last)
        return {pid: (first, days[pid]) for pid in ranges}
    return {
        pid: (lo, people_selectors.capacity_for_people(people=[p], start=lo, end=hi)[pid])
        for pid, (p, lo, hi) in ranges.items()
    }


def _days_of(capacity: Capacity, item: _Item) -> list[DayCapacity]:
    first, days = capacity[item.person.pk]
    return days[(item.row.start - first).days : (item.row.end - first).days + 1]


def _engagement_errors(
    number: int, firmness: str, engagement: _Engagement | None, reason: str
) -> list[RowError]:
    if reason:
        return [RowError(number, "engagement", reason)]
    if engagement is None:
        return []
    if engagement_rules.is_finished(engagement.status):
        message = ERR_ENGAGEMENT_FINISHED.format(status=engagement.status)
        return [RowError(number, "engagement", message)]
    if engagement.status == Status.PIPELINE and firmness == "confirmed":
        return [RowError(number, "firmness", ERR_CONFIRMED_PIPELINE)]
    return []


def _resolve(
    rows: Sequence[ScheduleRow],
    people: people_selectors.PersonLookup,
    engagements: _Engagements,
    progress: Progress | None,
) -> tuple[list[_Item], list[RowError]]:
    items: list[_Item] = []
    errors: list[RowError] = []
    for index, row in enumerate(rows, start=1):
        if progress and index % PROGRESS_EVERY == 0:
            progress("checking", index, len(rows))
        row_errors: list[RowError] = []
        person, reason = people.resolve(row.resource)
        if reason:
            row_errors.append(RowError(row.row, "resource", reason))
        engagement = None
        if row.firmness != "internal":
            engagement, reason = engagements.resolve(row.engagement)
            row_errors += _engagement_errors(row.row, row.firmness, engagement, reason)
        if person is not None:
            for problem in services.dates_errors(person, row.start, row.end):
                column = _DATE_FIELDS.get(problem.field, problem.field)
                row_errors.append(RowError(row.row, column, problem.message))
        if row_errors or person is None:
            errors.extend(row_errors)
            continue
        items.append(_Item(row, person, engagement))
    if progress:
        progress("checking", len(rows), len(rows))
    return items, errors


def _check_references(
    references: Sequence[Reference],
    known: Sequence[RowError],
    people: people_selectors.PersonLookup,
    engagements: _Engagements,
) -> list[RowError]:
    """The person and engagement of rows that failed to parse, so each row's every problem is
    reported at once."""
    reported = {(e.row, e.column) for e in known}
    errors: list[RowError] = []
    for ref in references:
        if ref.resource and (ref.row, "resource") not in reported:
            _, reason = people.resolve(ref.resource)
            if reason:
                errors.append(RowError(ref.row, "resource", reason))
        work = ref.firmness in ("confirmed", "tentative")
        if work and ref.engagement and (ref.row, "engagement") not in reported:
            engagement, reason = engagements.resolve(ref.engagement)
            for problem in _engagement_errors(ref.row, ref.firmness, engagement, reason):
                if (problem.row, problem.column) not in reported:
                    errors.append(problem)
    return errors


def _plan(items: list[_Item], capacity: Capacity) -> tuple[list[_Item], list[RowError]]:
    """Spread each row's hours over the person's working days (scheduling.rules.plan_hours)."""
    planned: list[_Item] = []
    errors: list[RowError] = []
    for item in items:
        row = item.row
        item.plan = rules.plan_hours(_days_of(capacity, item), hours=row.hours)
        if not item.plan:
            reason = ERR_NO_WORKING_DAYS.format(name=item.person.name)
            errors.append(RowError(row.row, "start", reason))
            continue
        busiest = max(item.plan, key=lambda d: (item.plan[d], -d.toordinal()))
        if item.plan[busiest] > MAX_HOURS_PER_DAY:
            reason = ERR_HOURS_PER_DAY.format(
                hours=row.hours, days=len(item.plan), per_day=item.plan[busiest], date=busiest
            )
            errors.append(RowError(row.row, "hours", reason))
            continue
        planned.append(item)
    return planned, errors


def _over_capacity(items: Sequence[_Item], capacity: Capacity) -> list[RowError]:
    """Rows with hours on a date where this file's rows plus what is booked already exceed the
    person's capacity (tentative holds and internal time count as taken). Each such row once,
    naming the first such date."""
    in_file: dict[tuple[int, dt.date], Decimal] = defaultdict(lambda: ZERO)
    for item in items:
        for day, hours in item.plan.items():
            in_file[(item.person.pk, day)] += hours
    if not items:
        return []
    first = min(item.row.start for item in items)
    last = max(item.row.end for item in items)
    booked = selectors.planned_hours(
        person_ids={item.person.pk for item in items}, start=first, end=last
    )
    over: dict[tuple[int, dt.date], tuple[Decimal, Decimal, Decimal]] = {}
    for (pid, day), hours in in_file.items():
        since, days = capacity[pid]
        limit = days[(day - since).days].hours
        existing = sum(booked.get(pid, {}).get(day, {}).values(), ZERO)
        if existing + hours > limit:
            over[(pid, day)] = (existing, hours, limit)
    errors = []
    for item in items:
        for day in sorted(item.plan):
            found = over.get((item.person.pk, day))
            if found is None:
                continue
            existing, hours, limit = found
            reason = ERR_OVER_CAPACITY.format(
                date=day,
                name=item.person.name,
                total=existing + hours,
                existing=existing,
                in_file=hours,
                capacity=limit,
            )
            errors.append(RowError(item.row.row, "hours", reason))
            break
    return errors


# ------------------------------------------------------------------ writing


def _write(
    items: Sequence[_Item], over_rows: set[int], progress: Progress | None
) -> tuple[int, int]:
    """All bookings and their days, in bulk, the way scheduling.services writes one: dates from
    the first to the last working day, days with the booking's kind. Returns (first, last) id."""
    now = clock.now()
    first_id = last_id = 0
    for offset in range(0, len(items), WRITE_CHUNK):
        chunk = items[offset : offset + WRITE_CHUNK]
        bookings = []
        for item in chunk:
            row, engagement = item.row, item.engagement
            tentative = row.firmness == "tentative"
            bookings.append(
                Booking(
                    person_id=item.person.pk,
                    engagement_id=engagement.id if engagement else None,
                    task_name=row.task if engagement is None else "",
                    firmness=Firmness.TENTATIVE if tentative else Firmness.CONFIRMED,
                    probability=engagement.probability if engagement and tentative else 100,
                    start_date=min(item.plan),
                    end_date=max(item.plan),
                    hours=sum(item.plan.values(), ZERO),
                    over_capacity_reason=OVERRIDE_REASON if row.row in over_rows else "",
                    created_at=now,
                    updated_at=now,
                )
            )
        Booking.objects.bulk_create(bookings)
        days: list[BookingDay] = []
        for item, booking in zip(chunk, bookings, strict=True):
            kind = BookingDay.Kind.INTERNAL if item.engagement is None else booking.firmness
            days.extend(
                BookingDay(
                    booking_id=booking.pk, person_id=booking.person_id, date=d, hours=h, kind=kind
                )
                for d, h in sorted(item.plan.items())
            )
        BookingDay.objects.bulk_create(days, batch_size=5000)
        first_id = first_id or bookings[0].pk
        last_id = bookings[-1].pk
        if progress:
            progress("writing", offset + len(chunk), len(items))
    return first_id, last_id


def schedule_import(
    *,
    actor: Actor,
    rows: ParsedSheet | Sequence[ScheduleRow],
    dry_run: bool,
    override_capacity: bool = False,
    progress: Progress | None = None,
    source: str = "",
) -> ImportReport:
    """Import spreadsheet rows as bookings, all or nothing. `rows`: a sheet read by
    psa.scheduling.sheets (its reading errors are reported with these checks) or typed rows.
    Any error → nothing is written. A dry run checks everything and writes nothing. With
    `override_capacity`, rows over a person's capacity are booked anyway and listed."""
    require_importer(actor)
    sheet = rows if isinstance(rows, ParsedSheet) else ParsedSheet(rows=list(rows))
    report = ImportReport(dry_run=dry_run)
    report.rows = len(sheet.rows) + len(sheet.references)
    found = list(sheet.errors)
    if not found and not report.rows:
        found.append(RowError(0, FILE, ERR_NO_ROWS))
    people = people_selectors.PersonLookup(people_selectors.person_list())
    engagements = _Engagements()
    found += _check_references(sheet.references, sheet.errors, people, engagements)
    items, problems = _resolve(sheet.rows, people, engagements, progress)
    found += problems
    capacity = _capacity(items)
    items, problems = _plan(items, capacity)
    found += problems
    report.bookings = len(items)
    report.hours = sum((row.row.hours for row in items), ZERO)
    report.people = len({item.person.pk for item in items})

    def check_capacity() -> None:
        over = _over_capacity(items, capacity)
        if override_capacity:
            report.over_capacity = over
        else:
            found.extend(over)
        report.errors = sorted(found, key=error_order)

    if found or dry_run:
        check_capacity()
        return report
    with transaction.atomic():
        # Lock the people (in id order) so that nobody books them between the check and the write.
        people_services.people_lock(person_ids=(item.person.pk for item in items))
        check_capacity()
        if report.errors:
            return report
        first_id, last_id = _write(items, {e.row for e in report.over_capacity}, progress)
        entry = audit.record(
            actor=actor,
            action=AUDIT_ACTION,
            target_type=Booking._meta.label_lower,
            target_id=f"{first_id}-{last_id}" if items else "",
            after={
                "source": source,
                "rows": report.rows,
                "bookings": report.bookings,
                "hours": report.hours,
                "people": report.people,
                "booking_ids": [first_id, last_id] if items else [],
                "override_capacity": override_capacity,
                "over_capacity": len(report.over_capacity),
                "over_capacity_rows": [e.row for e in report.over_capacity[:AUDIT_ROWS_LISTED]],
            },
            reason=OVERRIDE_REASON if report.over_capacity else "",
        )
    report.written = True
    report.audit_id = entry.pk
    return report


# ------------------------------------------------------------------ export (a selector)


def schedule_export(
    *,
    person_ids: Iterable[int] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[ScheduleRow]:
    """The active bookings overlapping [start, end] (whole bookings, not clipped) as spreadsheet
    rows in the import format, so that importing them reproduces the same bookings. People are
    written by e-mail, engagements as "Customer — Engagement name" (or "#id" where two share it)."""
    qs = selectors.booking_list(start=start, end=end)
    if person_ids is not None:
        qs = qs.filter(person_id__in=list(person_ids))
    engagements = _Engagements()
    rows = []
    for number, booking in enumerate(qs.iterator(chunk_size=2000), start=2):
        engagement_id = booking.engagement_id
        rows.append(
            ScheduleRow(
                row=number,
                resource=booking.person.email,
                engagement="" if engagement_id is None else engagements.reference(engagement_id),
                task=booking.task_name if engagement_id is None else "",
                start=booking.start_date,
                end=booking.end_date,
                hours=booking.hours,
                firmness="internal" if engagement_id is None else booking.firmness,
            )
        )
    return rows
