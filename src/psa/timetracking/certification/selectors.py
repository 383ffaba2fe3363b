"""Reads of the quarterly certification chain: a certification with who may read it, its
figures as the entries give them now, what changed since the step before approved, and an
approver's queue derived from the chain (timetracking.rules.CHAIN)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import QuerySet

from psa.core import clock, periods
from psa.core.errors import NotFound
from psa.core.numbers import ZERO
from psa.core.roles import Actor, Role
from psa.people import rules as people_rules
from psa.people import selectors as people
from psa.people.models import Person
from psa.timetracking import report_selectors, rules, selectors
from psa.timetracking.models import CertificationStep, QuarterlyCertification

Status = QuarterlyCertification.Status
Step = CertificationStep.Step
# The rules name the chain in plain strings: they must be the models' values.
assert {*rules.CHAIN, *(to for _, _, to in rules.CHAIN.values())} <= set(Status.values)  # noqa: S101
assert set(rules.DECIDING_STEPS) <= set(Step.values)  # noqa: S101

ERR_NO_CERTIFICATION = "certification {id} does not exist"
QUEUE_PAGE = 50  # rows per section of the queue page
MSG_RETURNED_SECTION = "Returned to your reports for correction"
MSG_APPROVED_SECTION = "Approved (locked)"


def certification_steps(*, certification: QuarterlyCertification) -> list[CertificationStep]:
    return list(certification.steps.order_by("at", "id"))


def certification_get(*, certification_id: int) -> QuarterlyCertification:
    row = (
        QuarterlyCertification.objects.select_related("person").filter(pk=certification_id).first()
    )
    if row is None:
        raise NotFound(ERR_NO_CERTIFICATION.format(id=certification_id), field="certification_id")
    return row


# Notifications about a certification name it so, and show while their login may read its
# time (a delivery manager whose report moved to another manager no longer sees them).
RECORD_CERTIFICATION = "timetracking.certification"


def certifications_visible(*, actor: Actor, ids: Iterable[int]) -> set[int]:
    rows = QuarterlyCertification.objects.select_related("person").filter(pk__in=list(ids))
    return {row.pk for row in rows if selectors.may_see_time_of(actor, row.person)}


def access_certification(*, actor: Actor, certification_id: int) -> QuarterlyCertification:
    """A certification whose time the actor may read; anyone else's reads as missing."""
    row = certification_get(certification_id=certification_id)
    if not selectors.may_see_time_of(actor, row.person):
        raise NotFound(ERR_NO_CERTIFICATION.format(id=certification_id), field="certification_id")
    return row


@dataclass(frozen=True)
class Figures:
    """A quarter's figures as the entries give them now: what every step shows and approves.
    A queue reads them from the stored summary (PersonMonth), a decision from the entries
    themselves by the hours report's code; the two agree (`psa time rollup --check`), so the
    screen and the XLSX agree."""

    total: Decimal
    billable: Decimal
    capacity: Decimal
    utilization: Decimal | None
    digest: str  # read by the page, the API and the check for changes
    changes: int  # the summary's count of writes to the quarter (PersonMonth.changes)
    missing_weeks: list[dt.date]
    # The entries, read where they are needed: a decision records them, and a comparison with
    # an approval lists what changed. None when the figures came from the summary.
    entries: Mapping[int, rules.EntryKey] | None = None

    @property
    def flags(self) -> list[str]:
        return rules.certification_flags(
            total=self.total, capacity=self.capacity, missing_weeks=self.missing_weeks
        )


def _capacity(persons: Sequence[Person], q: periods.FiscalQuarter) -> dict[int, Decimal]:
    days = people.capacity_for_people(people=persons, start=q.start, end=q.end)
    return {pid: people_rules.total_hours(d) for pid, d in days.items()}


def _missing_weeks(persons: Sequence[Person], q: periods.FiscalQuarter) -> dict[int, list[dt.date]]:
    weeks = rules.quarter_weeks(q.start, q.end, clock.today())
    return selectors.unsubmitted_weeks(people=persons, weeks=weeks)


def _by_quarter(
    certs: Iterable[QuarterlyCertification],
) -> dict[periods.FiscalQuarter, list[QuarterlyCertification]]:
    groups: dict[tuple[int, int], list[QuarterlyCertification]] = defaultdict(list)
    for cert in certs:
        groups[(cert.fiscal_year, cert.quarter)].append(cert)
    return {periods.quarter_by_label(y, n): group for (y, n), group in groups.items()}


def figures_for(certs: Sequence[QuarterlyCertification]) -> dict[int, Figures]:
    """Live figures of many certifications from the stored summary: per quarter, three
    months per person, their capacity and their weeks not submitted. No entry is read."""
    result: dict[int, Figures] = {}
    for q, group in _by_quarter(certs).items():
        persons = [c.person for c in group]
        summaries = selectors.time_summaries(
            person_ids=[p.pk for p in persons], start=q.start, end=q.end
        )
        capacity = _capacity(persons, q)
        missing = _missing_weeks(persons, q)
        for cert in group:
            summary = summaries[cert.person_id]
            hours = capacity.get(cert.person_id, ZERO)
            result[cert.pk] = Figures(
                total=summary.total,
                billable=summary.billable,
                capacity=hours,
                utilization=report_selectors.productive_utilization(summary.billable, hours),
                digest=summary.digest,
                changes=summary.changes,
                missing_weeks=missing.get(cert.person_id, []),
            )
    return result


def figures_of(cert: QuarterlyCertification) -> Figures:
    """One certification's figures from its entries, with the entries: what a decision
    approves and records. Under the person's lock, as every write of their time is, the
    entries and the summary's change count are of one moment."""
    q = periods.quarter_by_label(cert.fiscal_year, cert.quarter)
    hours = report_selectors.team_totals(people=[cert.person], quarter=q)[0]
    entries = {pk: rules.entry_key(day, item, h) for _, pk, day, item, h in hours.entries}
    summary = selectors.time_summaries(person_ids=[cert.person_id], start=q.start, end=q.end)
    return Figures(
        total=hours.total,
        billable=hours.billable,
        capacity=hours.capacity,
        utilization=hours.utilization,
        digest=rules.entries_digest(entries),
        changes=summary[cert.person_id].changes,
        missing_weeks=_missing_weeks([cert.person], q).get(cert.person_id, []),
        entries=entries,
    )


def _standing(steps: Iterable[CertificationStep], revision: int) -> list[CertificationStep]:
    """Of a certification's steps in order, the approvals of this revision's current round."""
    return rules.standing_approvals([s for s in steps if s.revision == revision])


def approvals_standing(cert: QuarterlyCertification) -> list[CertificationStep]:
    """The approvals of the current round, oldest first: those since the last rejection,
    change or reopening of this revision."""
    steps = CertificationStep.objects.filter(certification=cert, revision=cert.revision)
    return _standing(steps.order_by("at", "id"), cert.revision)


def _approved_entries(step: CertificationStep) -> dict[int, rules.EntryKey]:
    return {int(pk): (d, int(w), h) for pk, (d, w, h) in step.entries.items()}


def _untouched_since(approval: CertificationStep, figures: Figures) -> bool:
    # The change count only grows, one per write to the quarter: the same count means no
    # write since, so the entries are exactly those approved (approvals from before the
    # summary existed recorded none and are compared entry by entry).
    return approval.changes is not None and approval.changes == figures.changes


def _changes(
    approval: CertificationStep | None,
    figures: Figures,
    entries: Mapping[int, rules.EntryKey] | None,
) -> rules.EntryChanges:
    if approval is None or _untouched_since(approval, figures):
        return rules.EntryChanges()
    if entries is None:
        raise ValueError("comparing with an approval needs the entries")
    return rules.entry_changes(_approved_entries(approval), entries)


def changes_since_approval(cert: QuarterlyCertification, figures: Figures) -> rules.EntryChanges:
    """What changed in the entries since the step before approved them (nothing before the
    first approval of a round). `figures` from figures_of, with the entries."""
    standing = approvals_standing(cert)
    return _changes(standing[-1] if standing else None, figures, figures.entries)


@dataclass(frozen=True)
class CertificationView:
    """A certification as every step sees it: the live figures, the flags, what changed since
    the step before and its history (the API's CertificationOut and the pages read it)."""

    cert: QuarterlyCertification
    figures: Figures
    changes: rules.EntryChanges
    # Every step in order, without the entries an approval recorded (CertificationOut's
    # steps leave them out): read with those of the other certifications in one query.
    steps: list[CertificationStep] = field(default_factory=list)

    def __getattr__(self, name: str) -> object:  # id, status, person, ... of the row
        if name.startswith("__") or name == "cert":
            raise AttributeError(name)
        return getattr(self.cert, name)

    @property
    def total_hours(self) -> Decimal:
        return self.figures.total

    @property
    def billable_hours(self) -> Decimal:
        return self.figures.billable

    @property
    def capacity_hours(self) -> Decimal:
        return self.figures.capacity

    @property
    def utilization(self) -> Decimal | None:
        return self.figures.utilization

    @property
    def digest(self) -> str:
        return self.figures.digest

    @property
    def flags(self) -> list[str]:
        return self.figures.flags

    @property
    def missing_weeks(self) -> list[dt.date]:
        return self.figures.missing_weeks


def certification_views(certs: Sequence[QuarterlyCertification]) -> list[CertificationView]:
    """The views of many certifications with a fixed number of queries: their figures from
    the stored summary, all their steps at once, and only where a write touched the quarter
    since its standing approval, the entries that approval recorded and the entries now (the
    only ones compared entry by entry)."""
    figures = figures_for(certs)
    steps: dict[int, list[CertificationStep]] = defaultdict(list)
    ids = [c.pk for c in certs]
    for i in range(0, len(ids), report_selectors.CHUNK):
        chunk = CertificationStep.objects.filter(
            certification_id__in=ids[i : i + report_selectors.CHUNK]
        )
        for step in chunk.order_by("at", "id").defer("entries"):
            steps[step.certification_id].append(step)
    approvals: dict[int, CertificationStep] = {}
    for cert in certs:
        standing = _standing(steps[cert.pk], cert.revision)
        if standing:
            approvals[cert.pk] = standing[-1]
    compare = {
        step.pk: step
        for cert_id, step in approvals.items()
        if not _untouched_since(step, figures[cert_id])
    }
    needed = list(compare)
    for i in range(0, len(needed), report_selectors.CHUNK):
        recorded = CertificationStep.objects.filter(pk__in=needed[i : i + report_selectors.CHUNK])
        for pk, entries in recorded.values_list("pk", "entries"):
            compare[pk].entries = entries
    now = _entries_now([c for c in certs if c.pk in approvals and approvals[c.pk].pk in compare])
    return [
        CertificationView(
            cert,
            figures[cert.pk],
            _changes(approvals.get(cert.pk), figures[cert.pk], now.get(cert.pk)),
            steps[cert.pk],
        )
        for cert in certs
    ]


def _entries_now(certs: Sequence[QuarterlyCertification]) -> dict[int, dict[int, rules.EntryKey]]:
    """The entries of these certifications' quarters as they are, per certification."""
    found: dict[int, dict[int, rules.EntryKey]] = {}
    for q, group in _by_quarter(certs).items():
        keys = selectors.quarter_entry_keys(
            person_ids=[c.person_id for c in group], start=q.start, end=q.end
        )
        for cert in group:
            found[cert.pk] = keys[cert.person_id]
    return found


def certification_view(cert: QuarterlyCertification) -> CertificationView:
    return certification_views([cert])[0]


def may_resubmit(actor: Actor, cert: QuarterlyCertification) -> bool:
    """The person, their delivery manager (for them) or an administrator sends corrected
    hours back."""
    return actor.is_admin or (
        actor.person_id is not None and actor.person_id in (cert.person_id, cert.person.manager_id)
    )


def returned_to(person: Person) -> list[QuarterlyCertification]:
    """The person's certifications returned to them for correction, with the reason of each
    (`return_reason`), oldest quarter first."""
    certs = list(
        QuarterlyCertification.objects.filter(person=person, status=Status.RETURNED).order_by(
            "start_date"
        )
    )
    for cert in certs:
        last = (
            CertificationStep.objects.filter(certification=cert, approved=False)
            .exclude(step__in=[Step.CHANGED, Step.RESUBMIT, Step.REOPEN])
            .order_by("-at", "-id")
            .first()
        )
        cert.return_reason = last.reason if last else ""  # type: ignore[attr-defined]
    return certs


@dataclass(frozen=True)
class QueueSection:
    """One part of an approver's queue: the certifications waiting at a step of the chain
    (`step`, with where its rejections may go), the returned ones of a manager's reports, or
    the approved ones finance may reopen."""

    key: str
    title: str
    rows: list[CertificationView]  # the page asked for, QUEUE_PAGE at most
    step: str = ""
    back_to: tuple[str, ...] = ()
    reopen: bool = False
    count: int = 0  # in the whole section
    page: int = 1
    pages: int = 1


def may_see_queue(actor: Actor) -> bool:
    return actor.has_any(*rules.QUEUE_ROLES)


def queue_for(actor: Actor, *, pages: Mapping[str, str] | None = None) -> list[QueueSection]:
    """An approver's queue, derived from the chain: a section per step whose role the actor
    has (a delivery manager's only for their own reports), a manager's reports' returned
    certifications, and for finance the approved quarters it may reopen. Never one's own
    hours. Each section is paged (QUEUE_PAGE rows; `pages` names the page per section key,
    bad numbers give the first or last), and the live figures of a page's rows are read
    together (certification_views)."""
    sections = []
    wanted = pages or {}
    for key, title, mine, step, reopen in _queue_parts(actor):
        page = Paginator(mine, QUEUE_PAGE).get_page(wanted.get(key))
        sections.append(
            QueueSection(
                key=key,
                title=title,
                rows=certification_views(list(page.object_list)),
                step=step,
                back_to=rules.rejection_targets(step) if step else (),
                reopen=reopen,
                count=page.paginator.count,
                page=page.number,
                pages=page.paginator.num_pages,
            )
        )
    return sections


def waiting_for(actor: Actor) -> int:
    """How many certifications wait for the actor's decision at a step of the chain (the
    queue's decision sections, counted: the home page's to-do)."""
    return sum(rows.count() for _, _, rows, step, _ in _queue_parts(actor) if step)


def _queue_parts(
    actor: Actor,
) -> list[tuple[str, str, QuerySet[QuarterlyCertification], str, bool]]:
    """The queue's sections as (key, title, rows without the actor's own, step, reopen)."""
    own = actor.person_id
    found: list[tuple[str, str, QuerySet[QuarterlyCertification], str, bool]] = []
    for status, (step, role, _) in rules.CHAIN.items():
        if not actor.has_any(role):
            continue
        rows = certifications_for(actor=actor, status=status)
        if role == Role.DELIVERY_MANAGER:
            rows = rows.filter(person__manager_id=own) if own is not None else rows.none()
        found.append((role, Role(role).label, rows, step, False))
    if actor.has_any(Role.DELIVERY_MANAGER) and own is not None:
        returned = certifications_for(actor=actor, status=Status.RETURNED)
        found.append(
            ("returned", MSG_RETURNED_SECTION, returned.filter(person__manager_id=own), "", False)
        )
    if actor.has_any(Role.FINANCE_PARTNER):
        approved = certifications_for(actor=actor, status=Status.APPROVED)
        found.append(("approved", MSG_APPROVED_SECTION, approved, "", True))
    return [
        (key, title, rows.exclude(person_id=own) if own is not None else rows, step, reopen)
        for key, title, rows, step, reopen in found
    ]


def certifications_for(
    *, actor: Actor, status: str = "", person_id: int | None = None
) -> QuerySet[QuarterlyCertification]:
    """The certifications whose time the actor may read, newest quarter first."""
    qs = QuarterlyCertification.objects.select_related("person")
    visible = selectors.time_owners_visible_to(actor)
    if visible is not None:
        qs = qs.filter(visible)
    if status:
        qs = qs.filter(status__in=status.split(","))
    if person_id is not None:
        qs = qs.filter(person_id=person_id)
    return qs.order_by("-fiscal_year", "-quarter", "person__name", "pk")


# ------------------------------------------------------------------ approved time


@dataclass(frozen=True)
class ApprovedEntry:
    """An entry as finance's final approval of its quarter recorded it."""

    person_id: int
    entry_id: int
    date: dt.date
    work_item_id: int
    hours: Decimal


def _standing_final_approvals(cert_ids: Sequence[int]) -> dict[int, int]:
    """Per certification, its latest final approval (step pk) unless finance reopened the
    quarter after it."""
    standing: dict[int, int] = {}
    for i in range(0, len(cert_ids), report_selectors.CHUNK):
        steps = (
            CertificationStep.objects.filter(
                certification_id__in=cert_ids[i : i + report_selectors.CHUNK],
                step__in=[Step.FINANCE, Step.REOPEN],
            )
            .order_by("certification_id", "at", "id")
            .values_list("pk", "certification_id", "step", "approved")
        )
        for pk, cert_id, step, approved in steps:
            if step == Step.REOPEN:
                standing.pop(cert_id, None)
            elif approved:
                standing[cert_id] = pk
    return standing


def approved_entries(
    *, start: dt.date, end: dt.date, work_item_ids: Collection[int] | None = None
) -> list[ApprovedEntry]:
    """The entries of a period that finance finally approved: those the latest final approval
    of their quarter recorded, with the hours it recorded, unless finance has reopened the
    quarter since. An adjusting entry counts once the chain approves it again; until then
    the approval before it stands for what it approved. `work_item_ids`: only entries on
    these work items (the others are skipped before they are decoded)."""
    certs = QuarterlyCertification.objects.filter(start_date__lte=end, end_date__gte=start)
    people_of = dict(certs.values_list("pk", "person_id"))
    standing = _standing_final_approvals(sorted(people_of))
    found: list[ApprovedEntry] = []
    first, last = start.isoformat(), end.isoformat()
    step_ids = sorted(standing.values())
    for i in range(0, len(step_ids), report_selectors.CHUNK):
        rows = CertificationStep.objects.filter(
            pk__in=step_ids[i : i + report_selectors.CHUNK]
        ).values_list("certification_id", "entries")
        for cert_id, entries in rows:
            person_id = people_of[cert_id]
            for pk, (day, item, hours) in entries.items():
                # ISO days compare as strings: only the entries kept are parsed.
                if not first <= day <= last:
                    continue
                if work_item_ids is not None and int(item) not in work_item_ids:
                    continue
                found.append(
                    ApprovedEntry(
                        person_id, int(pk), dt.date.fromisoformat(day), int(item), Decimal(hours)
                    )
                )
    return found
