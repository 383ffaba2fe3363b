"""Historical time in bulk: a spreadsheet (`psa time import`, the import page) or a batch over
the API, all or nothing, through the rules of a single entry.

Every row is resolved and checked first: the person (e-mail or exact name; the importer's own
time when no person is named), whether the importer may log it (their own time, or anyone's for
the head of PS), the work item (id, GitLab address or exact title) or the category (its standing
work item), the hours (the one hours parser, more than 0), a date after today (only planned PTO
may be logged ahead), a locked (approved) date, and the 24-hour day across the file and what is
already logged. Any bad row → nothing is written and every bad row is listed as (row, column,
reason). Otherwise the entries go in through psa.timetracking.bulk (the rollup kept) in one
transaction, the people locked as a single entry locks its person, with one audit entry;
certifications part-way up the chain follow the change as they do for a single entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple, TypeVar

from django.db import transaction

from psa.core import audit, clock, periods
from psa.core.errors import FieldError, PermissionDenied, ValidationFailed
from psa.core.models import AuditEntry
from psa.core.numbers import ZERO
from psa.core.roles import Actor
from psa.integrations.spreadsheet import ERR_NO_ROWS, FILE, PROGRESS_EVERY, Progress, RowError
from psa.people import selectors as people_selectors
from psa.people import services as people_services
from psa.people.models import Person
from psa.timetracking import bulk, rules, selectors
from psa.timetracking.certification import services as cert_services
from psa.timetracking.entry_files import ParsedEntries, TimeRow, error_order
from psa.timetracking.models import Epic, TimeEntry, WorkItem

AUDIT_ACTION = "time.import"
CHUNK = 500

ERR_MAY_NOT_IMPORT = (
    "only people on the team import time: their own, or anyone's for the head of PS"
)
ERR_NOT_YOUR_TIME = "you may only import your own time ({name}'s is not)"
ERR_NO_PERSON = "person is empty: name whose time this is (e-mail or name)"
ERR_UNKNOWN_WORK_ITEM = (
    "no work item {value!r}: give its id (#42), its GitLab address or its exact title"
)
ERR_AMBIGUOUS_WORK_ITEM = (
    "{count} work items are titled {value!r} (ids {ids}): give the id, e.g. #{id}"
)
ERR_UNKNOWN_CATEGORY = (
    "no epic category {value!r}: name it as the epic tree does, e.g. 'Sales Assistance' or "
    "'Internal Assisted / Sales Assistance'"
)
ERR_AMBIGUOUS_CATEGORY = (
    "{count} categories are named {value!r} (under {majors}): write 'Major epic / Category'"
)
ERR_CATEGORY_IS_MAJOR = "{name} is a major epic: name one of its categories"
ERR_CATEGORY_NO_ITEM = (
    "{name} has no work item of its own: give the work item the time belongs on (e.g. the "
    "engagement's issue) in the work item column"
)
ERR_ITEM_NOT_IN_CATEGORY = "work item #{id} is under {actual}, not {given}"
ERR_FUTURE = rules.ERR_FUTURE
ERR_LOCKED = cert_services.ERR_LOCKED
ERR_DAY_OVER = (
    "{date}: {total} h for {name} ({existing} h already logged + {in_file} h in this file): "
    "at most 24 h in one day"
)
ERR_ALREADY_IMPORTED = (
    "this file was imported already ({source}, {entries} entries, on {at:%Y-%m-%d %H:%M} UTC): "
    "importing it again would log its hours twice"
)
ERR_SUMMARY = "bad rows: {count}; nothing was imported"
ERR_SUMMARY_DRY = "bad rows: {count}; an import would write nothing"

T = TypeVar("T")
_ID = re.compile(r"#?\s*(\d{1,18})")
_PATH_SEPARATORS = re.compile(r"\s*[/›>]\s*")


@dataclass
class ImportReport:
    """What an import did, or (dry run) would do. `errors` empty ↔ the rows were (or would be)
    written."""

    dry_run: bool
    rows: int = 0
    entries: int = 0
    hours: Decimal = ZERO
    people: int = 0
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    errors: list[RowError] = field(default_factory=list)
    written: bool = False
    entry_ids: list[list[int]] = field(default_factory=list)  # [first, last] runs
    audit_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})

    def problem(self, field_of: Callable[[RowError], str] | None = None) -> ValidationFailed:
        """The errors as a 422: one {field: "row 7: hours", message} per problem (or as
        `field_of` names them, e.g. "entries.6.hours" for an API batch)."""
        summary = ERR_SUMMARY_DRY if self.dry_run else ERR_SUMMARY
        return ValidationFailed(
            summary.format(count=self.bad_rows),
            errors=[FieldError((field_of or _field)(e), e.reason) for e in self.errors],
        )


def _field(error: RowError) -> str:
    return error.field


def may_import(actor: Actor) -> bool:
    """Everyone on the team imports their own time; the head of PS anyone's (as for a single
    entry)."""
    return actor.person_id is not None or actor.has_any(*rules.TIME_ADMINS)


def require_importer(actor: Actor) -> None:
    if not may_import(actor):
        raise PermissionDenied(ERR_MAY_NOT_IMPORT)


# ------------------------------------------------------------------ lookups


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class _Item:
    id: int
    epic_id: int


class _Tree:
    """The epic tree and each category's standing work item."""

    def __init__(self) -> None:
        self.epics = {e.pk: e for e in Epic.objects.all()}
        self.by_path: dict[str, Epic] = {}
        self.by_name: dict[str, list[Epic]] = defaultdict(list)
        self.majors: dict[str, Epic] = {}
        for epic in self.epics.values():
            if epic.parent_id is None:
                self.majors[_key(epic.name)] = epic
                continue
            parent = self.epics[epic.parent_id]
            self.by_path[f"{_key(parent.name)}/{_key(epic.name)}"] = epic
            self.by_name[_key(epic.name)].append(epic)
        self.standing: dict[int, int] = {}
        rows = WorkItem.objects.filter(standing=True).order_by("-pk").values_list("epic_id", "pk")
        self.standing.update(rows)  # the lowest id wins, as the week page picks it

    def label(self, epic_id: int) -> str:
        epic = self.epics[epic_id]
        if epic.parent_id is None:
            return epic.name
        return f"{self.epics[epic.parent_id].name} / {epic.name}"

    def is_pto(self, epic_id: int) -> bool:
        epic = self.epics[epic_id]
        major = self.epics[epic.parent_id] if epic.parent_id else epic
        return major.name == selectors.PTO_MAJOR

    def category(self, value: str) -> tuple[Epic | None, str]:
        parts = _PATH_SEPARATORS.split(value.strip(), maxsplit=1)
        if len(parts) == 2:
            found = self.by_path.get(f"{_key(parts[0])}/{_key(parts[1])}")
            if found is not None:
                return found, ""
        named = self.by_name.get(_key(value), [])
        if len(named) == 1:
            return named[0], ""
        if named:
            majors = ", ".join(sorted(self.label(e.pk).split(" / ")[0] for e in named))
            return None, ERR_AMBIGUOUS_CATEGORY.format(count=len(named), value=value, majors=majors)
        major = self.majors.get(_key(value))
        if major is not None:
            return None, ERR_CATEGORY_IS_MAJOR.format(name=major.name)
        return None, ERR_UNKNOWN_CATEGORY.format(value=value)


class _WorkItems:
    """The work items the rows name, found by id, GitLab address or exact title (any case)."""

    def __init__(self, values: Iterable[str]) -> None:
        ids: set[int] = set()
        texts: set[str] = set()
        for value in values:
            match = _ID.fullmatch(value)
            if match:
                ids.add(int(match.group(1)))
            elif value:
                texts.add(value)
        self.by_id: dict[int, _Item] = {}
        self.by_url: dict[str, _Item] = {}
        self.by_title: dict[str, list[_Item]] = defaultdict(list)
        for id_chunk in _chunks(sorted(ids)):
            rows = WorkItem.objects.filter(pk__in=id_chunk).values_list("pk", "epic_id")
            self.by_id.update((pk, _Item(pk, epic_id)) for pk, epic_id in rows)
        urls = sorted(t for t in texts if t.startswith(("http://", "https://")))
        for url_chunk in _chunks(urls):
            found = WorkItem.objects.filter(web_url__in=url_chunk)
            for url, pk, epic_id in found.values_list("web_url", "pk", "epic_id"):
                self.by_url[url] = _Item(pk, epic_id)
        wanted = {_key(t) for t in texts if t not in self.by_url}
        if wanted:
            # Compared in Python: the databases' lower() differ beyond ASCII (SQLite's stops there).
            every = WorkItem.objects.order_by("pk").values_list("title", "pk", "epic_id")
            for title, pk, epic_id in every.iterator(chunk_size=5000):
                if _key(title) in wanted:
                    self.by_title[_key(title)].append(_Item(pk, epic_id))

    def resolve(self, value: str) -> tuple[_Item | None, str]:
        match = _ID.fullmatch(value)
        if match and int(match.group(1)) in self.by_id:
            return self.by_id[int(match.group(1))], ""
        if value in self.by_url:
            return self.by_url[value], ""
        found = self.by_title.get(_key(value), [])
        if len(found) == 1:
            return found[0], ""
        if found:
            ids = ", ".join(str(i.id) for i in found)
            return None, ERR_AMBIGUOUS_WORK_ITEM.format(
                count=len(found), value=value, ids=ids, id=found[0].id
            )
        return None, ERR_UNKNOWN_WORK_ITEM.format(value=value)


def _chunks(values: Sequence[T], size: int = CHUNK) -> Iterable[Sequence[T]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


# ------------------------------------------------------------------ checking


class _Checked(NamedTuple):
    """A row that resolved and passed its own checks (a tuple: a file holds 200,000)."""

    row: TimeRow
    person: Person
    person_id: int  # read once: Model.pk is a property call per read
    work_item_id: int
    date: dt.date
    hours: Decimal


Problems = tuple[tuple[str, str], ...]  # (column, reason) of one row


class _Resolver:
    """What rows name, resolved once per distinct value: a file repeats a few hundred people
    and work items over 200,000 rows."""

    def __init__(self, actor: Actor, rows: Sequence[TimeRow]) -> None:
        self.actor = actor
        self.people = people_selectors.PersonLookup()
        self.me = self.people.by_id.get(actor.person_id) if actor.person_id is not None else None
        self.admin = actor.has_any(*rules.TIME_ADMINS)
        self.tree = _Tree()
        self.items = _WorkItems(r.work_item for r in rows)
        self._people: dict[tuple[str, int | None], tuple[Person | None, Problems]] = {}
        self._targets: dict[tuple[str, str], tuple[int | None, int | None, Problems]] = {}
        self._today: dict[int, dt.date] = {}

    def person(self, row: TimeRow) -> tuple[Person | None, Problems]:
        key = (row.person, row.person_id)
        found = self._people.get(key)
        if found is None:
            found = self._people[key] = self._person(row)
        return found

    def _person(self, row: TimeRow) -> tuple[Person | None, Problems]:
        person: Person | None = self.me
        if row.person_id is not None:
            person = self.people.by_id.get(row.person_id)
            if person is None:
                return None, (("person", people_selectors.ERR_NO_PERSON.format(id=row.person_id)),)
        elif row.person:
            person, reason = self.people.resolve(row.person)
            if reason:
                return None, (("person", reason),)
        elif person is None:
            return None, (("person", ERR_NO_PERSON),)
        assert person is not None  # noqa: S101 - every way to None returned above
        if not self.admin and person.pk != self.actor.person_id:
            return person, (("person", ERR_NOT_YOUR_TIME.format(name=person.name)),)
        return person, ()

    def target(self, row: TimeRow) -> tuple[int | None, int | None, Problems]:
        """(work item id, its epic id, problems) of the row's work item and category."""
        key = (row.work_item, row.category)
        found = self._targets.get(key)
        if found is None:
            found = self._targets[key] = self._target(row.work_item, row.category)
        return found

    def _target(
        self, work_item: str, category_name: str
    ) -> tuple[int | None, int | None, Problems]:
        problems: list[tuple[str, str]] = []
        item: _Item | None = None
        if work_item:
            item, reason = self.items.resolve(work_item)
            if reason:
                problems.append(("work_item", reason))
        category: Epic | None = None
        if category_name:
            category, reason = self.tree.category(category_name)
            if reason:
                problems.append(("category", reason))
        if item is not None and category is not None and item.epic_id != category.pk:
            reason = ERR_ITEM_NOT_IN_CATEGORY.format(
                id=item.id,
                actual=self.tree.label(item.epic_id),
                given=self.tree.label(category.pk),
            )
            return None, None, (*problems, ("category", reason))
        if item is not None:
            return item.id, item.epic_id, tuple(problems)
        if category is not None and not work_item:
            standing = self.tree.standing.get(category.pk)
            if standing is None:
                reason = ERR_CATEGORY_NO_ITEM.format(name=self.tree.label(category.pk))
                return None, None, (*problems, ("category", reason))
            return standing, category.pk, tuple(problems)
        return None, None, tuple(problems)

    def future(self, person: Person, day: dt.date, epic_id: int) -> str:
        """Why the day is too late for the person ("" when it is not): only planned PTO may
        be logged after today, in the person's time zone."""
        today = self._today.get(person.pk)
        if today is None:
            today = self._today[person.pk] = clock.today(person.timezone)
        if day > today and not self.tree.is_pto(epic_id):
            return ERR_FUTURE.format(date=day)
        return ""


def _resolve(
    actor: Actor,
    rows: Sequence[TimeRow],
    reported: set[tuple[int, str]],
    progress: Progress | None,
) -> tuple[list[_Checked], list[RowError]]:
    """Each row's person, permission, work item and date; nothing here depends on what else is
    logged (the day totals and locks are checked under the people's locks). A problem already
    reported when the row was read is not reported twice."""
    resolver = _Resolver(actor, rows)
    bad_rows = {number for number, _ in reported}
    checked: list[_Checked] = []
    errors: list[RowError] = []
    for index, row in enumerate(rows, start=1):
        if progress and index % PROGRESS_EVERY == 0:
            progress("checking", index, len(rows))
        person, person_problems = resolver.person(row)
        item_id, epic_id, target_problems = resolver.target(row)
        problems = person_problems + target_problems
        if person is not None and row.date is not None and epic_id is not None:
            late = resolver.future(person, row.date, epic_id)
            if late:
                problems += (("date", late),)
        if problems or row.row in bad_rows:
            errors.extend(
                RowError(row.row, column, reason)
                for column, reason in problems
                if (row.row, column) not in reported
            )
            continue
        if person is None or item_id is None or row.date is None or row.hours is None:
            continue  # a problem already reported when the row was read
        checked.append(_Checked(row, person, person.pk, item_id, row.date, row.hours))
    if progress:
        progress("checking", len(rows), len(rows))
    return checked, errors


def _checked_against_stored(checked: Sequence[_Checked]) -> list[RowError]:
    """Locked dates, and days over 24 hours across the file and what is already logged. Each
    row over its day once, naming the day's totals."""
    if not checked:
        return []
    person_ids = {c.person_id for c in checked}
    spans = selectors.locked_spans(person_ids=person_ids)
    first = min(c.date for c in checked)
    last = max(c.date for c in checked)
    stored = selectors.day_totals(person_ids=person_ids, start=first, end=last)
    in_file: dict[tuple[int, dt.date], Decimal] = defaultdict(lambda: ZERO)
    for c in checked:
        in_file[(c.person_id, c.date)] += c.hours
    errors: list[RowError] = []
    for c in checked:
        key = (c.person_id, c.date)
        if any(lo <= c.date <= hi for lo, hi in spans.get(c.person_id, ())):
            quarter = periods.fiscal_quarter(c.date).label
            errors.append(
                RowError(c.row.row, "date", ERR_LOCKED.format(date=c.date, quarter=quarter))
            )
            continue
        existing = stored.get(key, ZERO)
        if existing + in_file[key] > rules.MAX_HOURS_PER_DAY:
            reason = ERR_DAY_OVER.format(
                date=c.date,
                total=existing + in_file[key],
                name=c.person.name,
                existing=existing,
                in_file=in_file[key],
            )
            errors.append(RowError(c.row.row, "hours", reason))
    return errors


# ------------------------------------------------------------------ the service


def time_import(
    *,
    actor: Actor,
    rows: ParsedEntries | Sequence[TimeRow],
    dry_run: bool,
    progress: Progress | None = None,
    source: str = "",
    digest: str = "",
) -> ImportReport:
    """Import time entries, all or nothing. `rows`: a file read by psa.timetracking.entry_files
    (its reading errors are reported with these checks) or typed rows (an API batch). Any error
    → nothing is written. A dry run checks everything and writes nothing. `source` (a file
    name) and `digest` (the file's SHA-256) go into the audit entry."""
    require_importer(actor)
    parsed = rows if isinstance(rows, ParsedEntries) else ParsedEntries(rows=list(rows))
    report = ImportReport(dry_run=dry_run, rows=len(parsed.rows))
    found = list(parsed.errors)
    if not found and not parsed.rows:
        found.append(RowError(0, FILE, ERR_NO_ROWS))
    earlier = _imported_before(digest)
    if earlier is not None:
        found.append(RowError(0, FILE, earlier))
    checked: list[_Checked] = []
    if not any(e.row == 0 for e in found):  # a file too long or unreadable is not checked on
        reported = {(e.row, e.column) for e in found}
        checked, problems = _resolve(actor, parsed.rows, reported, progress)
        found += problems
    report.entries = len(checked)
    report.hours = sum((c.hours for c in checked), ZERO)
    report.people = len({c.person_id for c in checked})
    if checked:
        report.first_date = min(c.date for c in checked)
        report.last_date = max(c.date for c in checked)

    def finish_checks() -> None:
        found.extend(_checked_against_stored(checked))
        report.errors = sorted(found, key=error_order)

    if found or dry_run:
        finish_checks()
        return report
    with transaction.atomic():
        # The people's rows, in id order, as a single entry locks its person: no entry of theirs
        # can pass the 24-hour check between these checks and the write.
        people_services.people_lock(person_ids={c.person_id for c in checked})
        earlier = _imported_before(digest)  # again: the same file sent twice at once
        if earlier is not None:
            found.append(RowError(0, FILE, earlier))
        finish_checks()
        if report.errors:
            return report
        if progress:
            progress("writing", 0, len(checked))
        ids = bulk.entries_insert(
            [
                bulk.NewEntry(
                    person_id=c.person_id,
                    work_item_id=c.work_item_id,
                    date=c.date,
                    hours=c.hours,
                    note=c.row.note,
                    source=TimeEntry.Source.IMPORT,
                )
                for c in checked
            ],
            now=clock.now(),
        )
        _follow(actor, checked)
        report.entry_ids = bulk.id_runs(ids)
        entry = audit.record(
            actor=actor,
            action=AUDIT_ACTION,
            target_type=TimeEntry._meta.label_lower,
            target_id=f"{ids[0]}-{ids[-1]}",
            after={
                "source": source,
                "sha256": digest,
                "rows": report.rows,
                "entries": report.entries,
                "hours": report.hours,
                "people": report.people,
                "first_date": report.first_date,
                "last_date": report.last_date,
                "entry_ids": report.entry_ids,
            },
        )
        if progress:
            progress("writing", len(checked), len(checked))
    report.written = True
    report.audit_id = entry.pk
    return report


def _imported_before(digest: str) -> str | None:
    """Why a file with this digest may not be imported again, if it was."""
    if not digest:
        return None
    earlier = (
        AuditEntry.objects.filter(action=AUDIT_ACTION, after__sha256=digest).order_by("pk").first()
    )
    if earlier is None:
        return None
    after = earlier.after or {}
    return ERR_ALREADY_IMPORTED.format(
        source=after.get("source") or "no name", entries=after.get("entries"), at=earlier.at
    )


def _follow(actor: Actor, checked: Sequence[_Checked]) -> None:
    """Certifications part-way up the chain go back to the first step, as for a single entry:
    only the people who have one are asked (one query for everyone)."""
    days: dict[int, set[dt.date]] = defaultdict(set)
    for c in checked:
        days[c.person_id].add(c.date)
    first = min(c.date for c in checked)
    last = max(c.date for c in checked)
    for person_id in sorted(
        selectors.people_with_approvals_in(person_ids=days, start=first, end=last)
    ):
        cert_services.certifications_follow_change(
            actor=actor, person_id=person_id, days=sorted(days[person_id])
        )


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
