"""The quarterly certification chain and the lock it puts on time.

generated → (delivery manager certifies) manager_certified → (head of PS approves)
head_approved → (finance partner gives final approval) approved, and the quarter's time is
locked. Each step may reject back to generated with a reason. Nobody decides on their own hours;
steps happen in order only. Corrections to locked time are adjusting entries with a reason: they
send the certification through the chain again (the time stays locked). Finance may reopen a
certification with a reason, which unlocks it."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum

from psa.core import audit, clock, numbers
from psa.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from psa.core.notifications import notify
from psa.core.numbers import ZERO
from psa.core.roles import SYSTEM, Actor, Role
from psa.people import rules as people_rules
from psa.people import selectors as people
from psa.people import services as people_services
from psa.people.models import Person
from psa.timetracking import rollup, rules, selectors
from psa.timetracking.models import (
    CertificationStep,
    Label,
    QuarterlyCertification,
    TimeEntry,
    WorkItem,
)

CERTIFIED_LABEL = "ManagerCertifiedTimesheet"
Status = QuarterlyCertification.Status
Step = CertificationStep.Step

# Which step decides at which status, who may take it, and where approval leads.
CHAIN: dict[str, tuple[str, str, str]] = {
    Status.GENERATED: (Step.MANAGER, Role.DELIVERY_MANAGER, Status.MANAGER_CERTIFIED),
    Status.MANAGER_CERTIFIED: (Step.HEAD, Role.HEAD_OF_PS, Status.HEAD_APPROVED),
    Status.HEAD_APPROVED: (Step.FINANCE, Role.FINANCE_PARTNER, Status.APPROVED),
}
DECIDING_STEPS = tuple(step for step, _, _ in CHAIN.values())
STEP_ROLES = {step: role for step, role, _ in CHAIN.values()}
GENERATORS = (Role.DELIVERY_MANAGER, Role.HEAD_OF_PS, Role.FINANCE_PARTNER)

ERR_OWN_HOURS = "nobody approves their own hours"
ERR_WRONG_ROLE = "this step is for the {role}"
ERR_NOT_THEIR_MANAGER = "only {name}'s delivery manager certifies their hours"
ERR_REASON = "a reason is required"
ERR_LOCKED = (
    "{date} is in {quarter}, approved and locked: record a correction as an adjusting entry "
    "with a reason"
)
ERR_NOT_LOCKED = "{date} is not locked: change the entry itself"
ERR_NEGATIVE = "the adjusted entry cannot go below 0 hours ({net} h)"
ERR_NOT_APPROVED = "only an approved certification can be reopened"
ERR_MAY_NOT_GENERATE = "managers, the head of PS and finance generate certifications"
MSG_READY = "{quarter} timesheets are ready for you to certify: {count} of your team."
ERR_ADJUST_ZERO = "an adjustment changes the hours: give a number other than 0"
ERR_NO_CERTIFICATION = "certification {id} does not exist"
ERR_STEP = "name the step you decide: one of {steps}"
ERR_NOT_THIS_STEP = "the {step} step is not the one waiting: this certification is now {status}"


def _quarter(day: dt.date) -> rules.FiscalQuarter:
    return rules.fiscal_quarter(day, start_month=settings.PSA_FISCAL_YEAR_START_MONTH)


def locked_certification(*, person_id: int, day: dt.date) -> QuarterlyCertification | None:
    return QuarterlyCertification.objects.filter(
        person_id=person_id, start_date__lte=day, end_date__gte=day, locked_at__isnull=False
    ).first()


def is_locked(person_id: int, day: dt.date) -> bool:
    return locked_certification(person_id=person_id, day=day) is not None


def locked_days(*, person_id: int, start: dt.date, end: dt.date) -> set[dt.date]:
    """The dates from start to end that are locked for the person (one query)."""
    spans = QuarterlyCertification.objects.filter(
        person_id=person_id, start_date__lte=end, end_date__gte=start, locked_at__isnull=False
    ).values_list("start_date", "end_date")
    days: set[dt.date] = set()
    for first, last in spans:
        day = max(first, start)
        while day <= min(last, end):
            days.add(day)
            day += dt.timedelta(days=1)
    return days


def certification_steps(*, certification: QuarterlyCertification) -> list[CertificationStep]:
    return list(certification.steps.order_by("at", "id"))


def ensure_unlocked(*, person_id: int, day: dt.date) -> None:
    """Refuse (409) to change time on a locked date."""
    if locked_certification(person_id=person_id, day=day) is not None:
        raise Conflict(ERR_LOCKED.format(date=day, quarter=_quarter(day).label), field="date")


def certification_get(*, certification_id: int) -> QuarterlyCertification:
    row = (
        QuarterlyCertification.objects.select_related("person").filter(pk=certification_id).first()
    )
    if row is None:
        raise NotFound(ERR_NO_CERTIFICATION.format(id=certification_id), field="certification_id")
    return row


def access_certification(*, actor: Actor, certification_id: int) -> QuarterlyCertification:
    """A certification whose time the actor may read; anyone else's reads as missing."""
    row = certification_get(certification_id=certification_id)
    if not selectors.may_see_time_of(actor, row.person):
        raise NotFound(ERR_NO_CERTIFICATION.format(id=certification_id), field="certification_id")
    return row


def _totals(person: Person, quarter: rules.FiscalQuarter) -> tuple[Decimal, Decimal, Decimal]:
    entries = TimeEntry.objects.filter(
        person=person, date__gte=quarter.start, date__lte=quarter.end
    )
    total = entries.aggregate(t=Sum("hours"))["t"] or ZERO
    billable = (
        entries.filter(work_item__engagement__isnull=False).aggregate(t=Sum("hours"))["t"] or ZERO
    )
    capacity = people_rules.total_hours(
        people.capacity_calendar(person=person, start=quarter.start, end=quarter.end)
    )
    return total, billable, capacity


def utilization(certification: QuarterlyCertification) -> Decimal | None:
    """Productive utilization for the head of PS: billable hours over capacity, in percent."""
    if certification.capacity_hours <= 0:
        return None
    return (certification.billable_hours * 100 / certification.capacity_hours).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def certification_generate(
    *, actor: Actor, person: Person, year: int, quarter: int
) -> QuarterlyCertification:
    """Create (or refresh, while nobody has certified it) a person's certification for a fiscal
    quarter, with its totals. Idempotent: the end-of-quarter job runs it for everyone."""
    if not actor.has_any(*GENERATORS):
        raise PermissionDenied(ERR_MAY_NOT_GENERATE)
    try:
        q = rules.quarter_by_label(year, quarter, start_month=settings.PSA_FISCAL_YEAR_START_MONTH)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="quarter") from exc
    total, billable, capacity = _totals(person, q)
    with transaction.atomic():
        cert, created = QuarterlyCertification.objects.select_for_update().get_or_create(
            person=person,
            fiscal_year=q.year,
            quarter=q.quarter,
            defaults={
                "start_date": q.start,
                "end_date": q.end,
                "total_hours": total,
                "billable_hours": billable,
                "capacity_hours": capacity,
                "generated_at": clock.now(),
            },
        )
        if not created and cert.status == Status.GENERATED:
            cert.total_hours, cert.billable_hours, cert.capacity_hours = total, billable, capacity
            cert.generated_at = clock.now()
            cert.save(
                update_fields=["total_hours", "billable_hours", "capacity_hours", "generated_at"]
            )
        audit.record(
            actor=actor,
            action="certification.generate",
            target=cert,
            after={"total": total, "billable": billable, "capacity": capacity},
        )
    return cert


def certifications_generate_due(*, today: dt.date | None = None) -> int:
    """The end-of-quarter job: once a fiscal quarter is over, generate the certification of
    every PSE employed in it, and tell each delivery manager how many of their reports wait
    for them. Idempotent: people who already have one are left alone. Returns how many were
    generated."""
    today = today or clock.today()
    ended = _quarter(_quarter(today).start - dt.timedelta(days=1))
    have = set(
        QuarterlyCertification.objects.filter(
            fiscal_year=ended.year, quarter=ended.quarter
        ).values_list("person_id", flat=True)
    )
    due = [
        p
        for p in people.person_list(role=Role.PSE, employed_during=(ended.start, ended.end))
        if p.pk not in have
    ]
    waiting: dict[int, int] = {}
    for person in due:
        certification_generate(actor=SYSTEM, person=person, year=ended.year, quarter=ended.quarter)
        if person.manager_id is not None:
            waiting[person.manager_id] = waiting.get(person.manager_id, 0) + 1
    for manager in people.person_list().filter(pk__in=waiting, user__isnull=False):
        assert manager.user is not None  # noqa: S101 - filtered on it
        count = waiting[manager.pk]
        notify(
            user=manager.user,
            text=MSG_READY.format(count=count, quarter=ended.label),
            url="/time/certifications/",
            subject=f"PSA: {ended.label} timesheets to certify",
        )
    return len(due)


def certification_decide(
    *,
    actor: Actor,
    certification: QuarterlyCertification,
    step: str,
    approve: bool,
    reason: str = "",
) -> QuarterlyCertification:
    """The next step of the chain approves (or rejects back to the start, with a reason).

    The decision names its step: a request that was sent for one step never decides the next
    one (two parallel approvals by someone holding two chain roles, or a double click)."""
    if step not in DECIDING_STEPS:
        raise ValidationFailed(ERR_STEP.format(steps=", ".join(DECIDING_STEPS)), field="step")
    with transaction.atomic():
        cert = (
            QuarterlyCertification.objects.select_for_update()
            .select_related("person")
            .get(pk=certification.pk)
        )
        if cert.person_id == actor.person_id:
            raise PermissionDenied(ERR_OWN_HOURS)
        role = STEP_ROLES[step]
        if not actor.has_any(role):
            raise PermissionDenied(ERR_WRONG_ROLE.format(role=Role(role).label.lower()))
        if cert.status not in CHAIN or CHAIN[cert.status][0] != step:
            raise Conflict(
                ERR_NOT_THIS_STEP.format(
                    step=Step(step).label, status=cert.get_status_display().lower()
                ),
                field="step",
            )
        next_status = CHAIN[cert.status][2]
        if (
            step == Step.MANAGER
            and not actor.is_admin
            and cert.person.manager_id != actor.person_id
        ):
            raise PermissionDenied(ERR_NOT_THEIR_MANAGER.format(name=cert.person.name))
        if not approve and not reason.strip():
            raise ValidationFailed(ERR_REASON, field="reason")
        before = {"status": cert.status}
        now = clock.now()
        if approve:
            cert.status = next_status
            if step == Step.MANAGER:
                cert.work_item = _certification_issue(actor, cert)
            if next_status == Status.APPROVED and cert.locked_at is None:
                cert.locked_at = now
        else:
            cert.status = Status.GENERATED
        cert.save(update_fields=["status", "work_item", "locked_at"])
        CertificationStep.objects.create(
            certification=cert,
            step=step,
            approved=approve,
            reason=reason.strip(),
            actor_name=actor.username,
            revision=cert.revision,
            at=now,
        )
        audit.record(
            actor=actor,
            action=f"certification.{step}",
            target=cert,
            before=before,
            after={"status": cert.status, "approved": approve},
            reason=reason,
        )
    return cert


def _certification_issue(actor: Actor, cert: QuarterlyCertification) -> WorkItem:
    """The issue the manager's certification is recorded on: under the Time Tracking epic,
    labelled ManagerCertifiedTimesheet."""
    if cert.work_item_id:
        item = WorkItem.objects.get(pk=cert.work_item_id)
    else:
        item = WorkItem.objects.create(
            title=f"{cert.person.name}: {_label(cert)} hours certified",
            epic=selectors.epic_by_path("PS Internal", "Time Tracking"),
            author_id=actor.person_id,
            created_at=clock.now(),
        )
        item.assignees.add(cert.person)
    item.labels.add(Label.objects.get_or_create(name=CERTIFIED_LABEL)[0])
    return item


def _label(cert: QuarterlyCertification) -> str:
    return f"FY{cert.fiscal_year % 100:02d} Q{cert.quarter}"


def certification_reopen(
    *, actor: Actor, certification: QuarterlyCertification, reason: str
) -> QuarterlyCertification:
    """Finance reopens an approved quarter (with a reason): its time is unlocked."""
    if not actor.has_any(Role.FINANCE_PARTNER):
        raise PermissionDenied(ERR_WRONG_ROLE.format(role="finance partner"))
    if not reason.strip():
        raise ValidationFailed(ERR_REASON, field="reason")
    with transaction.atomic():
        cert = QuarterlyCertification.objects.select_for_update().get(pk=certification.pk)
        if cert.locked_at is None:
            raise Conflict(ERR_NOT_APPROVED, field="status")
        before = {"status": cert.status, "locked_at": cert.locked_at}
        cert.status = Status.GENERATED
        cert.locked_at = None
        cert.revision += 1
        cert.save(update_fields=["status", "locked_at", "revision"])
        CertificationStep.objects.create(
            certification=cert,
            step=Step.REOPEN,
            approved=False,
            reason=reason.strip(),
            actor_name=actor.username,
            revision=cert.revision,
            at=clock.now(),
        )
        audit.record(
            actor=actor,
            action="certification.reopen",
            target=cert,
            before=before,
            after={"status": cert.status, "locked_at": None},
            reason=reason,
        )
    return cert


def time_entry_adjust(
    *, actor: Actor, entry: TimeEntry, hours: Decimal | str, reason: str
) -> TimeEntry:
    """Correct locked time: a new entry on the same work item and date adjusting the original
    by `hours` (negative to remove time), with its reason. The certification goes through the
    chain again; the time stays locked."""
    if actor.person_id != entry.person_id and not actor.has_any(Role.HEAD_OF_PS):
        raise PermissionDenied("you may only correct your own time", field="person_id")
    errors: list[FieldError] = []
    try:
        delta = numbers.parse_hours(hours)
    except ValueError as exc:
        errors.append(FieldError("hours", str(exc)))
        delta = ZERO
    else:
        if delta == 0:
            errors.append(FieldError("hours", ERR_ADJUST_ZERO))
    if not reason.strip():
        errors.append(FieldError("reason", ERR_REASON))
    if errors:
        raise ValidationFailed.collect(errors)
    with transaction.atomic():
        people_services.person_lock(person_id=entry.person_id)
        cert = locked_certification(person_id=entry.person_id, day=entry.date)
        if cert is None:
            raise Conflict(ERR_NOT_LOCKED.format(date=entry.date), field="date")
        net = (
            entry.hours
            + (TimeEntry.objects.filter(adjusts=entry).aggregate(t=Sum("hours"))["t"] or ZERO)
            + delta
        )
        if net < 0:
            raise ValidationFailed(ERR_NEGATIVE.format(net=net), field="hours")
        day = selectors.day_total(person=entry.person, day=entry.date)
        problem = rules.day_total_error(day, delta)
        if problem:
            raise ValidationFailed(problem, field="hours")
        now = clock.now()
        adjustment = TimeEntry.objects.create(
            person_id=entry.person_id,
            work_item_id=entry.work_item_id,
            date=entry.date,
            hours=delta,
            note=entry.note,
            source=TimeEntry.Source.MANUAL,
            adjusts=entry,
            reason=reason.strip(),
            created_at=now,
            updated_at=now,
        )
        rollup.apply([rollup.added(adjustment)])
        cert = QuarterlyCertification.objects.select_for_update().get(pk=cert.pk)
        before = {"status": cert.status}
        cert.status = Status.GENERATED
        cert.revision += 1
        cert.total_hours += delta
        if entry.work_item.engagement_id is not None:
            cert.billable_hours += delta
        cert.save(update_fields=["status", "revision", "total_hours", "billable_hours"])
        audit.record(
            actor=actor,
            action="time.adjust",
            target=adjustment,
            after=audit.snapshot(adjustment),
            reason=reason,
        )
        audit.record(
            actor=actor,
            action="certification.amended",
            target=cert,
            before=before,
            after={"status": cert.status, "revision": cert.revision},
            reason=reason,
        )
    return adjustment


def certifications_for(
    *, actor: Actor, status: str = "", person_id: int | None = None
) -> list[QuarterlyCertification]:
    """The certifications whose time the actor may read, newest quarter first."""
    qs = QuarterlyCertification.objects.select_related("person", "work_item")
    visible = selectors.time_owners_visible_to(actor)
    if visible is not None:
        qs = qs.filter(visible)
    if status:
        qs = qs.filter(status__in=status.split(","))
    if person_id is not None:
        qs = qs.filter(person_id=person_id)
    return list(qs.order_by("-fiscal_year", "-quarter", "person__name"))
