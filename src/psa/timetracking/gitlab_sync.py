"""GitLab sync: a GitLab group's epics, labels, issues and time logs become PSA epic categories,
labels, work items and time entries.

Everything is read from GitLab first (through the adapter in psa.integrations.gitlab); then all
rows are written in one transaction with one audit entry. Rows are found by their GitLab id, so a
second run with nothing changed in GitLab changes nothing (it records only its own audit entry).

Mapping:
- a GitLab epic whose title matches an epic category (case-insensitive) maps to it; one whose
  title matches a major epic maps to that major epic; otherwise it becomes a new category under
  the major epic its GitLab parent epic maps to (the parent itself when the parent maps to a
  major epic, the parent's major epic when it maps to a category); otherwise it is reported.
  Linked epics keep their PSA names (the tree is PSA's).
- an issue whose epic maps to a category becomes a work item (title, epic, author, assignees,
  labels, web address, created date; the engagement is PSA's and never touched); any other
  issue is reported and not imported.
- a time log becomes a time entry (source "gitlab"): the person by e-mail, then by username;
  the date is GitLab's spent-at date; hours = seconds / 3600 to two places. A time log of an
  unknown user, on a merge request or on an issue that is not imported is reported; everything
  else is still imported.
- a time entry from GitLab whose time log no longer exists (on an issue of the group) is removed.
- `is_locked(person_id, date)` is asked before an entry is created, changed or removed: a locked
  one is reported and left alone.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef

from psa.core import audit, clock
from psa.core.errors import PermissionDenied
from psa.core.roles import Actor, Role
from psa.integrations.gitlab import (
    GitLabEpic,
    GitLabIssue,
    GitLabTimelog,
    GitLabUser,
    GroupSnapshot,
    Progress,
)
from psa.people import selectors as people_selectors
from psa.people.models import Person
from psa.timetracking import bulk, rollup, selectors
from psa.timetracking.certification import services as cert_services
from psa.timetracking.models import Epic, Label, TimeEntry, WorkItem
from psa.timetracking.rules import seconds_to_hours

SYNCERS = (Role.PROJECT_COORDINATOR, Role.HEAD_OF_PS)
AUDIT_ACTION = "time.gitlab_sync"
AUDIT_TARGET_TYPE = "gitlab.group"
AUDIT_IDS_LISTED = 100  # changed ids and reported items named in the audit entry (all counted)
MAX_ENTRY_HOURS = Decimal("999.99")  # TimeEntry.hours holds five digits, two of them decimals
QUERY_CHUNK = 500  # ids per `IN (...)` query
_PG_SYNC_LOCK = 7_100_201  # advisory lock key: one GitLab sync writes at a time

ERR_MAY_NOT_SYNC = "only the project coordinator or the head of PS syncs GitLab"

# What a report names, by code.
UNMAPPED_EPIC = "unmapped_epic"
UNMAPPED_ISSUE = "unmapped_issue"
UNKNOWN_USER = "unknown_user"
LOCKED = "locked"
NOT_ON_AN_ISSUE = "not_on_an_issue"
ISSUE_NOT_IMPORTED = "issue_not_imported"
OUT_OF_RANGE = "out_of_range"
ADJUSTED = "adjusted"

MSG_EPIC_NO_PARENT = (
    "GitLab epic &{iid} {title!r} matches no epic category and has no parent epic that maps to "
    "a major epic"
)
MSG_EPIC_PARENT_UNMAPPED = (
    "GitLab epic &{iid} {title!r} matches no epic category and its parent epic (id {parent}) "
    "maps to no major epic"
)
MSG_ISSUE_NO_EPIC = "issue {ref} {title!r} has no epic: not imported"
MSG_ISSUE_EPIC_UNMAPPED = (
    "issue {ref} {title!r}: its epic (id {epic}) maps to no epic category: not imported"
)
MSG_ISSUE_EPIC_MAJOR = (
    "issue {ref} {title!r}: its epic maps to the major epic {major!r}; work items need a "
    "category under it: not imported"
)
MSG_UNKNOWN_USER = (
    "time log {timelog} on issue {issue}: no person has the e-mail {email!r} or a login named "
    "{username!r}"
)
MSG_NOT_ON_AN_ISSUE = "time log {timelog} is on a merge request, not an issue: not imported"
MSG_ISSUE_NOT_IMPORTED = "time log {timelog} on issue {issue}: its issue is not imported"
MSG_OUT_OF_RANGE = "time log {timelog} on issue {issue}: {hours} h is more than an entry holds"
MSG_LOCKED_CREATE = (
    "time log {timelog} on issue {issue}: {date} is locked for {person}; not imported"
)
MSG_LOCKED_CHANGE = (
    "time log {timelog} on issue {issue} changed in GitLab, but {date} is locked for {person}; "
    "the entry is unchanged"
)
MSG_LOCKED_REMOVE = (
    "time log {timelog} was deleted in GitLab, but {date} is locked for {person}; the entry is kept"
)
MSG_ADJUSTED_REMOVE = (
    "time log {timelog} was deleted in GitLab, but its entry has adjusting entries; it is kept"
)

IsLocked = Callable[[int, dt.date], bool]
T = TypeVar("T")


class GitLabSource(Protocol):
    """What the sync needs from a GitLab client (psa.integrations.gitlab.GitLabClient)."""

    def fetch(self, group: str, *, progress: Progress | None = None) -> GroupSnapshot: ...


@dataclass(frozen=True)
class Reported:
    """Something the sync did not import or change, and why."""

    code: str
    gitlab_id: int  # the epic's, issue's or time log's GitLab id
    message: str
    issue_id: int | None = None  # for time logs: the issue's GitLab id (None on a merge request)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "gitlab_id": self.gitlab_id,
            "issue_id": self.issue_id,
            "message": self.message,
        }


@dataclass
class SyncReport:
    group: str
    epics_linked: int = 0
    epics_created: int = 0
    labels_created: int = 0
    work_items_created: int = 0
    work_items_updated: int = 0
    work_items_unchanged: int = 0
    entries_created: int = 0
    entries_updated: int = 0
    entries_unchanged: int = 0
    entries_removed: int = 0
    reported: list[Reported] = field(default_factory=list)
    audit_id: int | None = None

    def of(self, code: str) -> list[Reported]:
        return [r for r in self.reported if r.code == code]

    @property
    def changed(self) -> bool:
        return any(
            (
                self.epics_linked,
                self.epics_created,
                self.labels_created,
                self.work_items_created,
                self.work_items_updated,
                self.entries_created,
                self.entries_updated,
                self.entries_removed,
            )
        )

    def counts(self) -> dict[str, int]:
        return {
            "epics_linked": self.epics_linked,
            "epics_created": self.epics_created,
            "labels_created": self.labels_created,
            "work_items_created": self.work_items_created,
            "work_items_updated": self.work_items_updated,
            "work_items_unchanged": self.work_items_unchanged,
            "entries_created": self.entries_created,
            "entries_updated": self.entries_updated,
            "entries_unchanged": self.entries_unchanged,
            "entries_removed": self.entries_removed,
            "reported": len(self.reported),
        }


def require_syncer(actor: Actor) -> None:
    if not actor.has_any(*SYNCERS):
        raise PermissionDenied(ERR_MAY_NOT_SYNC)


def _chunks(values: Sequence[T], size: int = QUERY_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _issue_ref(issue: GitLabIssue) -> str:
    return issue.web_url or f"#{issue.iid} (id {issue.id})"


# ------------------------------------------------------------------ people


class _People:
    """People by e-mail and by login username, both case-insensitive."""

    def __init__(self, people: Iterable[Person]) -> None:
        self.by_email: dict[str, Person] = {}
        self.by_username: dict[str, Person] = {}
        for person in people:
            self.by_email[person.email.lower()] = person
            if person.user is not None:
                self.by_username[person.user.get_username().lower()] = person

    def match(self, user: GitLabUser | None) -> Person | None:
        if user is None:
            return None
        if user.email and user.email.lower() in self.by_email:
            return self.by_email[user.email.lower()]
        return self.by_username.get(user.username.lower())


# ------------------------------------------------------------------ epics


class _Epics:
    """GitLab epics → PSA epics (a category or a major epic), creating categories as needed."""

    def __init__(self, snapshot: GroupSnapshot, report: SyncReport) -> None:
        self.report = report
        self.gitlab = {e.id: e for e in snapshot.epics}
        rows = list(Epic.objects.all())
        self.by_id = {e.pk: e for e in rows}
        self.linked = {e.gitlab_id: e for e in rows if e.gitlab_id is not None}
        self.categories: dict[str, Epic] = {}
        self.majors: dict[str, Epic] = {}
        for e in sorted(rows, key=lambda e: e.pk):
            names = self.majors if e.parent_id is None else self.categories
            names.setdefault(e.name.lower(), e)
        self.mapped: dict[int, Epic | None] = {}

    def major_of(self, epic: Epic) -> Epic:
        return epic if epic.parent_id is None else self.by_id[epic.parent_id]

    def resolve(
        self, gitlab_epic: GitLabEpic, visiting: frozenset[int] = frozenset()
    ) -> Epic | None:
        if gitlab_epic.id in self.mapped:
            return self.mapped[gitlab_epic.id]
        found = self._resolve(gitlab_epic, visiting | {gitlab_epic.id})
        self.mapped[gitlab_epic.id] = found
        return found

    def _link(self, epic: Epic, gitlab_id: int) -> Epic:
        if epic.gitlab_id is None and gitlab_id not in self.linked:
            epic.gitlab_id = gitlab_id
            epic.save(update_fields=["gitlab_id"])
            self.linked[gitlab_id] = epic
            self.report.epics_linked += 1
        return epic

    def _resolve(self, ge: GitLabEpic, visiting: frozenset[int]) -> Epic | None:
        if ge.id in self.linked:
            return self.linked[ge.id]
        key = ge.title.strip().lower()
        if key in self.categories:
            return self._link(self.categories[key], ge.id)
        if key in self.majors:
            return self._link(self.majors[key], ge.id)
        parent = self.gitlab.get(ge.parent_id) if ge.parent_id is not None else None
        if parent is None or parent.id in visiting:
            self.report.reported.append(
                Reported(
                    UNMAPPED_EPIC, ge.id, MSG_EPIC_NO_PARENT.format(iid=ge.iid, title=ge.title)
                )
            )
            return None
        mapped_parent = self.resolve(parent, visiting)
        if mapped_parent is None:
            self.report.reported.append(
                Reported(
                    UNMAPPED_EPIC,
                    ge.id,
                    MSG_EPIC_PARENT_UNMAPPED.format(iid=ge.iid, title=ge.title, parent=parent.id),
                )
            )
            return None
        major = self.major_of(mapped_parent)
        last = Epic.objects.filter(parent=major).aggregate(last=Max("position"))["last"]
        created = Epic.objects.create(
            name=ge.title.strip()[:120],
            parent=major,
            position=(last or 0) + 1,
            description=f"GitLab epic &{ge.iid} {ge.web_url}"[:300].strip(),
            gitlab_id=ge.id,
        )
        self.by_id[created.pk] = created
        self.linked[ge.id] = created
        self.categories.setdefault(created.name.lower(), created)
        self.report.epics_created += 1
        return created


# ------------------------------------------------------------------ labels and work items


def _labels(snapshot: GroupSnapshot, report: SyncReport) -> dict[str, Label]:
    names = {label.name[:100] for label in snapshot.labels}
    for issue in snapshot.issues:
        names.update(name[:100] for name in issue.labels)
    existing = {label.name: label for label in Label.objects.filter(name__in=names)}
    missing = sorted(names - existing.keys())
    if missing:
        Label.objects.bulk_create([Label(name=name) for name in missing])
        existing.update({label.name: label for label in Label.objects.filter(name__in=missing)})
        report.labels_created += len(missing)
    return existing


def _issue_epic(issue: GitLabIssue, epics: _Epics, report: SyncReport) -> Epic | None:
    """The category an issue's work item goes under, or None (reported)."""
    ref = _issue_ref(issue)
    if issue.epic_id is None:
        message = MSG_ISSUE_NO_EPIC.format(ref=ref, title=issue.title)
        report.reported.append(Reported(UNMAPPED_ISSUE, issue.id, message))
        return None
    gitlab_epic = epics.gitlab.get(issue.epic_id)
    epic = epics.resolve(gitlab_epic) if gitlab_epic else epics.linked.get(issue.epic_id)
    if epic is None:
        message = MSG_ISSUE_EPIC_UNMAPPED.format(ref=ref, title=issue.title, epic=issue.epic_id)
        report.reported.append(Reported(UNMAPPED_ISSUE, issue.id, message))
        return None
    if epic.parent_id is None:
        message = MSG_ISSUE_EPIC_MAJOR.format(ref=ref, title=issue.title, major=epic.name)
        report.reported.append(Reported(UNMAPPED_ISSUE, issue.id, message))
        return None
    return epic


def _work_items(
    snapshot: GroupSnapshot,
    epics: _Epics,
    labels: dict[str, Label],
    people: _People,
    report: SyncReport,
    progress: Progress | None,
) -> dict[int, WorkItem]:
    """Create or update the work items; returns them by GitLab issue id (imported issues only)."""
    ids = [issue.id for issue in snapshot.issues]
    existing: dict[int, WorkItem] = {}
    for chunk in _chunks(ids):
        for item in WorkItem.objects.filter(gitlab_id__in=chunk).prefetch_related(
            "assignees", "labels"
        ):
            assert item.gitlab_id is not None  # noqa: S101 - filtered on it
            existing[item.gitlab_id] = item
    imported: dict[int, WorkItem] = {}
    total = len(snapshot.issues)
    for done, issue in enumerate(snapshot.issues, start=1):
        epic = _issue_epic(issue, epics, report)
        if epic is not None:
            imported[issue.id] = _work_item_save(
                issue, epic, existing.get(issue.id), labels, people, report
            )
        if progress and (done % 200 == 0 or done == total):
            progress("work items", done, total)
    return imported


def _work_item_save(
    issue: GitLabIssue,
    epic: Epic,
    item: WorkItem | None,
    labels: dict[str, Label],
    people: _People,
    report: SyncReport,
) -> WorkItem:
    author = people.match(issue.author)
    wanted: dict[str, Any] = {
        "title": issue.title[:255],
        "epic_id": epic.pk,
        "author_id": author.pk if author else None,
        "web_url": issue.web_url,
        "created_at": issue.created_at,
    }
    assignee_ids = {p.pk for p in (people.match(u) for u in issue.assignees) if p is not None}
    label_ids = {labels[name[:100]].pk for name in issue.labels}
    if item is None:
        item = WorkItem.objects.create(gitlab_id=issue.id, **wanted)
        item.assignees.set(assignee_ids)
        item.labels.set(label_ids)
        report.work_items_created += 1
        return item
    changed = [name for name, value in wanted.items() if getattr(item, name) != value]
    for name in changed:
        setattr(item, name, wanted[name])
    if changed:
        item.save(update_fields=changed)
    if {p.pk for p in item.assignees.all()} != assignee_ids:
        item.assignees.set(assignee_ids)
        changed.append("assignees")
    if {label.pk for label in item.labels.all()} != label_ids:
        item.labels.set(label_ids)
        changed.append("labels")
    if changed:
        report.work_items_updated += 1
    else:
        report.work_items_unchanged += 1
    return item


# ------------------------------------------------------------------ time entries


@dataclass
class _EntryChanges:
    created: list[TimeEntry] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    removed: list[TimeEntry] = field(default_factory=list)
    # What updated entries took from and gave to the rollup.
    rollup_changes: list[rollup.Change] = field(default_factory=list)
    # The days whose time changed, per person (certifications follow them).
    touched: dict[int, set[dt.date]] = field(default_factory=lambda: defaultdict(set))

    def days_touched(self) -> dict[int, set[dt.date]]:
        days: dict[int, set[dt.date]] = defaultdict(set, self.touched)
        for entry in (*self.created, *self.removed):
            days[entry.person_id].add(entry.date)
        return days


def _existing_entries(
    timelog_ids: Sequence[int], work_item_ids: Sequence[int]
) -> tuple[dict[int, TimeEntry], set[int]]:
    """GitLab entries by time log id: those of the fetched time logs and those on the group's
    work items; plus the ids of entries that other entries adjust."""
    adjusted = TimeEntry.objects.filter(adjusts=OuterRef("pk"))
    found: dict[int, TimeEntry] = {}
    queries = [{"gitlab_id__in": chunk} for chunk in _chunks(timelog_ids)] + [
        {"work_item_id__in": chunk, "gitlab_id__isnull": False} for chunk in _chunks(work_item_ids)
    ]
    has_adjustments: set[int] = set()
    for filters in queries:
        rows = TimeEntry.objects.filter(**filters).annotate(has_adjustments=Exists(adjusted))
        for entry in rows:
            assert entry.gitlab_id is not None  # noqa: S101 - filtered on it
            found[entry.gitlab_id] = entry
            if entry.has_adjustments:
                has_adjustments.add(entry.pk)
    return found, has_adjustments


def _person_label(person_id: int, names: dict[int, str]) -> str:
    return names.get(person_id, f"person {person_id}")


def _time_entries(
    snapshot: GroupSnapshot,
    work_items: dict[int, WorkItem],
    people: _People,
    is_locked: IsLocked,
    report: SyncReport,
    progress: Progress | None,
) -> _EntryChanges:
    now = clock.now()
    changes = _EntryChanges()
    issue_ids = {issue.id for issue in snapshot.issues}
    group_items = _group_item_ids(issue_ids)
    existing, has_adjustments = _existing_entries([t.id for t in snapshot.timelogs], group_items)
    names = {p.pk: p.name for p in people.by_email.values()}
    seen: set[int] = set()
    total = len(snapshot.timelogs)
    for done, timelog in enumerate(snapshot.timelogs, start=1):
        seen.add(timelog.id)
        _time_entry(
            timelog, work_items, issue_ids, existing, people, is_locked, names, now, report, changes
        )
        if progress and (done % 500 == 0 or done == total):
            progress("time entries", done, total)
    group_item_set = set(group_items)
    for gitlab_id, entry in sorted(existing.items()):
        if gitlab_id in seen or entry.work_item_id not in group_item_set:
            continue
        date = entry.date.isoformat()
        person = _person_label(entry.person_id, names)
        if is_locked(entry.person_id, entry.date):
            message = MSG_LOCKED_REMOVE.format(timelog=gitlab_id, date=date, person=person)
            report.reported.append(Reported(LOCKED, gitlab_id, message))
        elif entry.pk in has_adjustments:
            report.reported.append(
                Reported(ADJUSTED, gitlab_id, MSG_ADJUSTED_REMOVE.format(timelog=gitlab_id))
            )
        else:
            changes.removed.append(entry)
    # New entries go in as every bulk write does (bulk.entries_insert adds them to the rollup).
    ids = bulk.entries_insert(
        [
            bulk.NewEntry(
                person_id=e.person_id,
                work_item_id=e.work_item_id,
                date=e.date,
                hours=e.hours,
                note=e.note,
                source=e.source,
                gitlab_id=e.gitlab_id,
            )
            for e in changes.created
        ],
        now=now,
    )
    for entry, pk in zip(changes.created, ids, strict=True):
        entry.pk = pk
    for chunk in _chunks([entry.pk for entry in changes.removed]):
        TimeEntry.objects.filter(pk__in=chunk).delete()
    rollup.apply(
        [
            *changes.rollup_changes,
            *(rollup.removed(entry) for entry in changes.removed),
        ]
    )
    report.entries_created = len(changes.created)
    report.entries_updated = len(changes.updated)
    report.entries_removed = len(changes.removed)
    return changes


def _group_item_ids(issue_ids: set[int]) -> list[int]:
    found: list[int] = []
    for chunk in _chunks(sorted(issue_ids)):
        found += WorkItem.objects.filter(gitlab_id__in=chunk).values_list("pk", flat=True)
    return sorted(found)


def _time_entry(
    timelog: GitLabTimelog,
    work_items: dict[int, WorkItem],
    issue_ids: set[int],
    existing: dict[int, TimeEntry],
    people: _People,
    is_locked: IsLocked,
    names: dict[int, str],
    now: dt.datetime,
    report: SyncReport,
    changes: _EntryChanges,
) -> None:
    """One time log: create, update or leave its entry, or report why not."""
    tid, iid = timelog.id, timelog.issue_id
    if iid is None:
        report.reported.append(
            Reported(NOT_ON_AN_ISSUE, tid, MSG_NOT_ON_AN_ISSUE.format(timelog=tid))
        )
        return
    item = work_items.get(iid)
    if item is None:
        message = MSG_ISSUE_NOT_IMPORTED.format(timelog=tid, issue=iid)
        report.reported.append(Reported(ISSUE_NOT_IMPORTED, tid, message, iid))
        return
    person = people.match(timelog.user)
    if person is None:
        message = MSG_UNKNOWN_USER.format(
            timelog=tid, issue=iid, email=timelog.user.email, username=timelog.user.username
        )
        report.reported.append(Reported(UNKNOWN_USER, tid, message, iid))
        return
    hours = seconds_to_hours(timelog.seconds)
    if abs(hours) > MAX_ENTRY_HOURS:
        message = MSG_OUT_OF_RANGE.format(timelog=tid, issue=iid, hours=hours)
        report.reported.append(Reported(OUT_OF_RANGE, tid, message, iid))
        return
    day = timelog.spent_at.date()  # GitLab's own spent-at date, as it wrote it
    wanted: dict[str, Any] = {
        "person_id": person.pk,
        "work_item_id": item.pk,
        "date": day,
        "hours": hours,
        "note": timelog.summary[:500],
    }
    entry = existing.get(tid)
    if entry is None:
        if is_locked(person.pk, day):
            message = MSG_LOCKED_CREATE.format(
                timelog=tid, issue=iid, date=day.isoformat(), person=person.name
            )
            report.reported.append(Reported(LOCKED, tid, message, iid))
            return
        changes.created.append(
            TimeEntry(
                gitlab_id=tid,
                source=TimeEntry.Source.GITLAB,
                created_at=now,
                updated_at=now,
                **wanted,
            )
        )
        return
    changed = [name for name, value in wanted.items() if getattr(entry, name) != value]
    if not changed:
        report.entries_unchanged += 1
        return
    for when_person, when_day in ((entry.person_id, entry.date), (person.pk, day)):
        if is_locked(when_person, when_day):
            message = MSG_LOCKED_CHANGE.format(
                timelog=tid,
                issue=iid,
                date=when_day.isoformat(),
                person=_person_label(when_person, names),
            )
            report.reported.append(Reported(LOCKED, tid, message, iid))
            return
    changes.rollup_changes.append(rollup.removed(entry))
    changes.touched[entry.person_id].add(entry.date)
    for name in changed:
        setattr(entry, name, wanted[name])
    entry.updated_at = now
    entry.save(update_fields=[*changed, "updated_at"])
    changes.rollup_changes.append(rollup.added(entry))
    changes.touched[entry.person_id].add(entry.date)
    changes.updated.append(entry.pk)


# ------------------------------------------------------------------ the service


def gitlab_sync(
    *,
    actor: Actor,
    client: GitLabSource,
    group: str,
    progress: Progress | None = None,
    is_locked: IsLocked = selectors.is_locked,
) -> SyncReport:
    """Sync one GitLab group (id or full path) into epics, labels, work items and time entries.
    GitLab is read completely first; then everything is written in one transaction with one
    audit entry (also when nothing changed: it records who synced and what was reported).
    Approved quarters are never changed: `is_locked` is the certification lock unless a test
    names another."""
    require_syncer(actor)
    snapshot = client.fetch(group, progress=progress)
    report = SyncReport(group=snapshot.group.full_path)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_SYNC_LOCK])
        people = _People(people_selectors.person_list())
        epics = _Epics(snapshot, report)
        for gitlab_epic in snapshot.epics:
            epics.resolve(gitlab_epic)
        labels = _labels(snapshot, report)
        work_items = _work_items(snapshot, epics, labels, people, report, progress)
        changes = _time_entries(snapshot, work_items, people, is_locked, report, progress)
        for person_id, days in sorted(changes.days_touched().items()):
            cert_services.certifications_follow_change(
                actor=actor, person_id=person_id, days=sorted(days)
            )
        entry = audit.record(
            actor=actor,
            action=AUDIT_ACTION,
            target_type=AUDIT_TARGET_TYPE,
            target_id=snapshot.group.full_path,
            after={
                **report.counts(),
                "created_time_logs": sorted(e.gitlab_id or 0 for e in changes.created)[
                    :AUDIT_IDS_LISTED
                ],
                "updated_entries": changes.updated[:AUDIT_IDS_LISTED],
                "removed_entries": [
                    audit.snapshot(e, exclude=("created_at", "updated_at"))
                    for e in changes.removed[:AUDIT_IDS_LISTED]
                ],
                "reported_items": [r.as_dict() for r in report.reported[:AUDIT_IDS_LISTED]],
            },
        )
        report.audit_id = entry.pk
    return report
