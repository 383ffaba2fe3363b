"""Writes of the quarterly certification chain: generating a quarter's certification, each
step's decision, sending returned hours back, following a change of time already approved,
finance reopening a locked quarter, and correcting locked time with adjusting entries. Each
writes its certification step with its audit row in one transaction and tells who is next."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Sum

from psa.core import audit, clock, numbers, periods
from psa.core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from psa.core.notifications import notify
from psa.core.numbers import ZERO
from psa.core.roles import SYSTEM, Actor, Role
from psa.people import rules as people_rules
from psa.people import selectors as people
from psa.people import services as people_services
from psa.people.models import Person
from psa.timetracking import rollup, rules, selectors
from psa.timetracking.certification.selectors import (
    RECORD_CERTIFICATION,
    Figures,
    approvals_standing,
    changes_since_approval,
    figures_of,
    may_resubmit,
)
from psa.timetracking.models import (
    CertificationStep,
    Label,
    QuarterlyCertification,
    TimeEntry,
    WorkItem,
)

Status = QuarterlyCertification.Status
Step = CertificationStep.Step

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
ERR_STEP = "name the step you decide: one of {steps}"
ERR_FIGURES_CHANGED = (
    "the hours changed after this page was loaded: reload it and decide on the figures as "
    "they are now"
)
ERR_NOT_ENDED = "{quarter} ends on {end}: final approval waits until it has ended"
ERR_MISSING_WEEKS = (
    "weeks not submitted: {weeks}. Give the reason you approve without them (it is recorded)"
)
MSG_YOUR_STEP = "{name}'s {quarter} hours wait for your approval."
MSG_REJECTED = "{name}'s {quarter} hours were rejected: {reason}"
MSG_CHANGED = (
    "{name}'s {quarter} hours changed after your approval ({changes}): back to the manager."
)
ERR_NOT_THIS_STEP = "the {step} step is not the one waiting: this certification is now {status}"
ERR_BACK_TO = "a rejection at the {step} step goes back to one of: {targets}"
ERR_NOT_RETURNED = "only a certification returned for correction is sent back: this one is {status}"
ERR_NOT_YOURS_TO_RESUBMIT = "{name} or their delivery manager sends the corrected hours back"
MSG_RETURNED = (
    "Your {quarter} hours were returned by {who} for correction: {reason}. Correct them, then "
    "send them back from the certification page."
)
MSG_RESUBMITTED = "{name}'s {quarter} hours were corrected and wait for your certification."
MSG_ADJUSTED = "{name} corrected locked {quarter} hours ({reason}): certify them again."
ERR_CORRECTION_SAME = "{date} already has {hours} h on {item}: nothing to correct"


def _quarter(day: dt.date) -> periods.FiscalQuarter:
    return periods.fiscal_quarter(day)


def ensure_unlocked(*, person_id: int, day: dt.date) -> None:
    """Refuse (409) to change time on a locked date."""
    if selectors.locked_certification(person_id=person_id, day=day) is not None:
        raise Conflict(ERR_LOCKED.format(date=day, quarter=_quarter(day).label), field="date")


def _totals(person: Person, quarter: periods.FiscalQuarter) -> tuple[Decimal, Decimal, Decimal]:
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


def certification_generate(
    *, actor: Actor, person: Person, year: int, quarter: int
) -> QuarterlyCertification:
    """Create (or refresh, while nobody has certified it) a person's certification for a fiscal
    quarter, with its totals. Idempotent: the end-of-quarter job runs it for everyone."""
    if not actor.has_any(*rules.GENERATORS):
        raise PermissionDenied(ERR_MAY_NOT_GENERATE)
    try:
        q = periods.quarter_by_label(year, quarter)
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
    digest: str | None = None,
    back_to: str = rules.BACK_TO_PERSON,
) -> QuarterlyCertification:
    """The next step of the chain approves the quarter's figures as the entries give them now,
    or rejects them with a reason back to the step that owns the fix: the person (the
    certification is returned to them to correct the hours) or an earlier step (which decides
    again; the approvals before it stand). Either way it leaves the rejecter's queue.

    The decision names its step: a request that was sent for one step never decides the next
    one (two parallel approvals by someone holding two chain roles, or a double click). An
    approval names the digest of the figures it was shown (the pages and the API send it):
    if the entries changed since, it is refused, to be reloaded. It records the exact figures
    and entries it approved. Final approval waits for the quarter to end; weeks never
    submitted need a reason. The next approver is told; a rejection tells the person and
    whoever approved before."""
    if step not in rules.DECIDING_STEPS:
        raise ValidationFailed(ERR_STEP.format(steps=", ".join(rules.DECIDING_STEPS)), field="step")
    targets = rules.rejection_targets(step)
    if not approve and back_to not in targets:
        raise ValidationFailed(
            ERR_BACK_TO.format(step=Step(step).label, targets=", ".join(targets)), field="back_to"
        )
    with transaction.atomic():
        cert = _lock_with_person(certification)
        if cert.person_id == actor.person_id:
            raise PermissionDenied(ERR_OWN_HOURS)
        role = rules.STEP_ROLES[step]
        if not actor.has_any(role):
            raise PermissionDenied(ERR_WRONG_ROLE.format(role=Role(role).label.lower()))
        if cert.status not in rules.CHAIN or rules.CHAIN[cert.status][0] != step:
            raise Conflict(
                ERR_NOT_THIS_STEP.format(
                    step=Step(step).label, status=cert.get_status_display().lower()
                ),
                field="step",
            )
        next_status = rules.CHAIN[cert.status][2]
        if (
            step == Step.MANAGER
            and not actor.is_admin
            and cert.person.manager_id != actor.person_id
        ):
            raise PermissionDenied(ERR_NOT_THEIR_MANAGER.format(name=cert.person.name))
        if not approve and not reason.strip():
            raise ValidationFailed(ERR_REASON, field="reason")
        figures = figures_of(cert)
        if approve:
            _check_approvable(cert, step=step, figures=figures, reason=reason, digest=digest)
        earlier = approvals_standing(cert)
        before = {"status": cert.status}
        now = clock.now()
        if approve:
            cert.status = next_status
            if step == Step.MANAGER:
                cert.work_item = _certification_issue(actor, cert)
            if next_status == Status.APPROVED and cert.locked_at is None:
                cert.locked_at = now
        elif back_to == rules.BACK_TO_PERSON:
            cert.status = Status.RETURNED
        else:
            cert.status = rules.STEP_STATUS[back_to]
        cert.total_hours, cert.billable_hours = figures.total, figures.billable
        cert.capacity_hours = figures.capacity
        cert.save(
            update_fields=[
                "status",
                "work_item",
                "locked_at",
                "total_hours",
                "billable_hours",
                "capacity_hours",
            ]
        )
        _record_step(
            actor,
            cert,
            step=step,
            approved=approve,
            at=now,
            back_to="" if approve else back_to,
            figures=figures if approve else None,
            before=before,
            after={
                "status": cert.status,
                "approved": approve,
                "total_hours": figures.total,
                "billable_hours": figures.billable,
                "digest": figures.digest if approve else "",
                **({} if approve else {"back_to": back_to}),
            },
            reason=reason,
        )
        if approve:
            _tell_next_approvers(cert)
        else:
            # The step it goes back to approved before: it hears of it among them.
            _tell_rejected(cert, actor=actor, reason=reason.strip(), earlier=earlier)
    return cert


def _lock_with_person(certification: QuarterlyCertification) -> QuarterlyCertification:
    """The certification, locked, after its person: every time entry write takes the person's
    lock first, so the figures cannot change under a decision. Call in a transaction."""
    people_services.person_lock(person_id=certification.person_id)
    return (
        QuarterlyCertification.objects.select_for_update()
        .select_related("person")
        .get(pk=certification.pk)
    )


def certification_resubmit(
    *, actor: Actor, certification: QuarterlyCertification
) -> QuarterlyCertification:
    """Hours returned for correction go back to the person's delivery manager, who certifies
    them from the start. The person sends them (or their manager, for them)."""
    with transaction.atomic():
        cert = _lock_with_person(certification)
        if not may_resubmit(actor, cert):
            raise PermissionDenied(ERR_NOT_YOURS_TO_RESUBMIT.format(name=cert.person.name))
        if cert.status != Status.RETURNED:
            raise Conflict(
                ERR_NOT_RETURNED.format(status=cert.get_status_display().lower()), field="status"
            )
        figures = figures_of(cert)
        cert.status = Status.GENERATED
        cert.total_hours, cert.billable_hours = figures.total, figures.billable
        cert.save(update_fields=["status", "total_hours", "billable_hours"])
        _record_step(
            actor,
            cert,
            step=Step.RESUBMIT,
            before={"status": Status.RETURNED},
            after={"status": cert.status, "total_hours": figures.total},
        )
        _tell_next_approvers(cert, text=MSG_RESUBMITTED)
    return cert


def _check_approvable(
    cert: QuarterlyCertification, *, step: str, figures: Figures, reason: str, digest: str | None
) -> None:
    if digest is not None and digest != figures.digest:
        raise Conflict(ERR_FIGURES_CHANGED, field="digest")
    if step == Step.FINANCE and clock.today() <= cert.end_date:
        raise Conflict(ERR_NOT_ENDED.format(quarter=_label(cert), end=cert.end_date), field="step")
    if figures.missing_weeks and not reason.strip():
        weeks = ", ".join(w.isoformat() for w in figures.missing_weeks)
        raise ValidationFailed(ERR_MISSING_WEEKS.format(weeks=weeks), field="reason")


def _approved_figures(figures: Figures) -> dict[str, object]:
    if figures.entries is None:
        raise ValueError("an approval records its entries: read the figures with figures_of")
    return {
        "total_hours": figures.total,
        "billable_hours": figures.billable,
        "capacity_hours": figures.capacity,
        "digest": figures.digest,
        "changes": figures.changes,
        "entries": {str(pk): list(key) for pk, key in figures.entries.items()},
    }


def _record_step(
    actor: Actor,
    cert: QuarterlyCertification,
    *,
    step: str,
    before: dict[str, Any],
    after: dict[str, Any],
    reason: str = "",
    approved: bool = False,
    back_to: str = "",
    figures: Figures | None = None,
    at: dt.datetime | None = None,
) -> CertificationStep:
    """One step of a certification's history and its audit row (`certification.<step>`), in
    the caller's transaction. The step keeps the reason trimmed, the audit row as given; an
    approval passes the figures it approved, and its step records them."""
    row = CertificationStep.objects.create(
        certification=cert,
        step=step,
        approved=approved,
        reason=reason.strip(),
        actor_name=actor.username,
        revision=cert.revision,
        at=at or clock.now(),
        back_to=back_to,
        **(_approved_figures(figures) if figures is not None else {}),
    )
    audit.record(
        actor=actor,
        action=f"certification.{step}",
        target=cert,
        before=before,
        after=after,
        reason=reason,
    )
    return row


def _record(cert: QuarterlyCertification) -> tuple[str, int]:
    return (RECORD_CERTIFICATION, cert.pk)


def _users_named(names: Sequence[str]) -> list[User]:
    return list(User.objects.filter(username__in=set(names)).order_by("username"))


def _next_approvers(cert: QuarterlyCertification) -> list[User]:
    """Who decides the waiting step: the person's own delivery manager for the first (every
    delivery manager only when the person has none), everyone with the role after it."""
    if cert.status not in rules.CHAIN:
        return []
    if cert.status == Status.GENERATED and cert.person.manager_id is not None:
        manager = people.person_get(person_id=cert.person.manager_id)
        return [manager.user] if manager.user is not None else []
    role = rules.CHAIN[cert.status][1]
    return [
        p.user
        for p in people.person_list(role=role).filter(user__isnull=False)
        if p.user is not None and p.pk != cert.person_id
    ]


def _tell_next_approvers(
    cert: QuarterlyCertification, *, text: str = MSG_YOUR_STEP, reason: str = ""
) -> None:
    message = text.format(name=cert.person.name, quarter=_label(cert), reason=reason)
    url = f"/time/certifications/{cert.pk}/"
    for user in _next_approvers(cert):
        notify(user=user, text=message, url=url, subject=f"PSA: {message}", record=_record(cert))


def _tell_rejected(
    cert: QuarterlyCertification, *, actor: Actor, reason: str, earlier: list[CertificationStep]
) -> None:
    text = MSG_REJECTED.format(quarter=_label(cert), name=cert.person.name, reason=reason)
    url = f"/time/certifications/{cert.pk}/"
    for user in _users_named([s.actor_name for s in earlier if s.actor_name != actor.username]):
        notify(user=user, text=text, url=url, subject=f"PSA: {text}", record=_record(cert))
    if cert.person.user is not None:
        if cert.status == Status.RETURNED:
            mine = MSG_RETURNED.format(quarter=_label(cert), who=actor.username, reason=reason)
        else:
            mine = text
        notify(
            user=cert.person.user, text=mine, url=url, subject=f"PSA: {mine}", record=_record(cert)
        )


def certifications_follow_change(*, actor: Actor, person_id: int, days: Sequence[dt.date]) -> None:
    """Time changed on these days: a certification already approved by a step of its round
    goes back to the first step with the change listed, and whoever approved is told. Call in
    the writing transaction, under the person's lock."""
    if not days:
        return
    certs = list(
        QuarterlyCertification.objects.select_for_update()
        .select_related("person")
        .filter(
            person_id=person_id,
            status__in=[Status.MANAGER_CERTIFIED, Status.HEAD_APPROVED],
            start_date__lte=max(days),
            end_date__gte=min(days),
        )
    )
    for cert in certs:
        if not any(cert.start_date <= d <= cert.end_date for d in days):
            continue
        earlier = approvals_standing(cert)
        figures = figures_of(cert)
        changes = changes_since_approval(cert, figures)
        if not changes:
            continue  # e.g. an edit undone before anyone looked
        before = {"status": cert.status}
        cert.status = Status.GENERATED
        cert.total_hours, cert.billable_hours = figures.total, figures.billable
        cert.save(update_fields=["status", "total_hours", "billable_hours"])
        _record_step(
            actor,
            cert,
            step=Step.CHANGED,
            before=before,
            after={"status": cert.status},
            reason=changes.describe(),
        )
        text = MSG_CHANGED.format(
            quarter=_label(cert), name=cert.person.name, changes=changes.describe()
        )
        for user in _users_named([s.actor_name for s in earlier]):
            notify(
                user=user,
                text=text,
                url=f"/time/certifications/{cert.pk}/",
                subject=text,
                record=_record(cert),
            )


CERTIFICATION_EPIC_PURPOSE = "the managers' certifications are recorded under"


def _certification_issue(actor: Actor, cert: QuarterlyCertification) -> WorkItem:
    """The issue the manager's certification is recorded on: under the Time Tracking epic,
    labelled ManagerCertifiedTimesheet."""
    if cert.work_item_id:
        item = WorkItem.objects.get(pk=cert.work_item_id)
    else:
        item = WorkItem.objects.create(
            title=f"{cert.person.name}: {_label(cert)} hours certified",
            epic=selectors.epic_by_path(
                "PS Internal", "Time Tracking", purpose=CERTIFICATION_EPIC_PURPOSE
            ),
            author_id=actor.person_id,
            created_at=clock.now(),
        )
        item.assignees.add(cert.person)
    item.labels.add(Label.objects.get_or_create(name=rules.CERTIFIED_LABEL)[0])
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
        _record_step(
            actor,
            cert,
            step=Step.REOPEN,
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
    chain again (its delivery manager is told); the time stays locked."""
    _require_correcting(actor, entry.person_id)
    delta = _adjustment_hours(hours, reason)
    with transaction.atomic():
        people_services.person_lock(person_id=entry.person_id)
        return _adjust(
            actor,
            person=entry.person,
            work_item=entry.work_item,
            day=entry.date,
            delta=delta,
            reason=reason,
            original=entry,
        )


def locked_day_correct(
    *,
    actor: Actor,
    person: Person,
    work_item: WorkItem,
    day: dt.date,
    hours: Decimal | str,
    reason: str,
) -> TimeEntry:
    """Correct a locked day's hours on one work item to `hours` (what the day should say), as
    the week page offers it: an adjusting entry for the difference, with its reason, adjusting
    the day's original entry on that item (or standing alone when nothing was logged there)."""
    _require_correcting(actor, person.pk)
    errors: list[FieldError] = []
    try:
        wanted = numbers.parse_hours(hours)
    except ValueError as exc:
        errors.append(FieldError("hours", str(exc)))
        wanted = ZERO
    else:
        if wanted < 0:
            errors.append(FieldError("hours", rules.ERR_HOURS_NEGATIVE))
    if not reason.strip():
        errors.append(FieldError("reason", ERR_REASON))
    if errors:
        raise ValidationFailed.collect(errors)
    with transaction.atomic():
        people_services.person_lock(person_id=person.pk)
        entries = list(
            TimeEntry.objects.filter(person=person, work_item=work_item, date=day).order_by("pk")
        )
        logged = sum((e.hours for e in entries), ZERO)
        if wanted == logged:
            raise ValidationFailed(
                ERR_CORRECTION_SAME.format(
                    date=day, hours=numbers.fmt_hours(logged), item=work_item.title
                ),
                field="hours",
            )
        original = next((e for e in entries if e.adjusts_id is None), None)
        return _adjust(
            actor,
            person=person,
            work_item=work_item,
            day=day,
            delta=wanted - logged,
            reason=reason,
            original=original,
        )


def _require_correcting(actor: Actor, person_id: int) -> None:
    if actor.person_id != person_id and not actor.has_any(Role.HEAD_OF_PS):
        raise PermissionDenied("you may only correct your own time", field="person_id")


def _adjustment_hours(hours: Decimal | str, reason: str) -> Decimal:
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
    return delta


def _adjust(
    actor: Actor,
    *,
    person: Person,
    work_item: WorkItem,
    day: dt.date,
    delta: Decimal,
    reason: str,
    original: TimeEntry | None,
) -> TimeEntry:
    """Write one adjusting entry on a locked day (under the person's lock) and send the
    quarter's certification through the chain again."""
    cert = selectors.locked_certification(person_id=person.pk, day=day)
    if cert is None:
        raise Conflict(ERR_NOT_LOCKED.format(date=day), field="date")
    if original is not None:
        net = (
            original.hours
            + (TimeEntry.objects.filter(adjusts=original).aggregate(t=Sum("hours"))["t"] or ZERO)
            + delta
        )
        if net < 0:
            raise ValidationFailed(ERR_NEGATIVE.format(net=net), field="hours")
    problem = rules.day_total_error(selectors.day_total(person=person, day=day), delta)
    if problem:
        raise ValidationFailed(problem, field="hours")
    now = clock.now()
    adjustment = TimeEntry.objects.create(
        person_id=person.pk,
        work_item_id=work_item.pk,
        date=day,
        hours=delta,
        note=original.note if original is not None else "",
        source=TimeEntry.Source.MANUAL,
        adjusts=original,
        reason=reason.strip(),
        created_at=now,
        updated_at=now,
    )
    rollup.apply([rollup.added(adjustment)])
    cert = (
        QuarterlyCertification.objects.select_for_update().select_related("person").get(pk=cert.pk)
    )
    before = {"status": cert.status}
    cert.status = Status.GENERATED
    cert.revision += 1
    cert.total_hours += delta
    if work_item.engagement_id is not None:
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
    _tell_next_approvers(cert, text=MSG_ADJUSTED, reason=reason.strip())
    return adjustment
