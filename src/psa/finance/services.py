"""Changes finance owns: utilization targets, closed periods and close-out filings.
Authorize → validate → write with its audit row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from psa.core import audit, clock, periods
from psa.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from psa.core.jobs import ERR_WORKER_STOPPED
from psa.core.roles import SYSTEM, Actor, Role
from psa.engagements import services as engagement_services
from psa.finance import files, rules, selectors, tasks
from psa.finance.models import (
    ClosedFigure,
    CloseOutFiling,
    FigureRecording,
    FiscalPeriod,
    RecordedFigure,
    RecordedForecast,
    RecordedUtilization,
    UtilizationTarget,
)
from psa.integrations.salesforce import SalesforceError, is_salesforce_id, salesforce_settings
from psa.people import selectors as people_selectors
from psa.people import services as people_services
from psa.people.models import Person

TARGET_SETTERS = (Role.HEAD_OF_PS,)
ERR_MAY_NOT_SET_TARGET = "only an admin or the head of PS sets utilization targets"
ERR_TARGET = "a target is a percentage from 0 to 100, with at most two decimals"
ERR_NO_TARGET = "no utilization target takes effect on {day}"
TARGET_DAY = "the target in force from {day}"


def may_set_targets(actor: Actor) -> bool:
    return actor.has_any(*TARGET_SETTERS)


def _snapshot(target: UtilizationTarget) -> dict[str, Any]:
    return {"effective_from": target.effective_from, "utilization_target": str(target.percent)}


def target_set(
    *, actor: Actor, person: Person, effective_from: dt.date, percent: Decimal
) -> UtilizationTarget:
    """The person's billable utilization target from `effective_from` on (until their next):
    a new target, or the one taking effect that day replaced."""
    if not may_set_targets(actor):
        raise PermissionDenied(ERR_MAY_NOT_SET_TARGET, field="percent")
    if not (
        percent.is_finite() and 0 <= percent <= 100 and percent == percent.quantize(Decimal("0.01"))
    ):
        raise ValidationFailed(ERR_TARGET, field="percent")
    with transaction.atomic():
        person = people_services.person_lock(person_id=person.pk)
        row = UtilizationTarget.objects.filter(person=person, effective_from=effective_from).first()
        before = _snapshot(row) if row else None
        if row is None:
            row = UtilizationTarget(person=person, effective_from=effective_from)
        row.percent = percent.quantize(Decimal("0.01"))
        row.save()
        audit.record(
            actor=actor,
            action="person.utilization_target_set",
            target=person,
            before=before,
            after=_snapshot(row),
            reason=TARGET_DAY.format(day=effective_from.isoformat()),
        )
    return row


def target_delete(*, actor: Actor, person: Person, effective_from: dt.date) -> None:
    """Take back the target taking effect that day: the one before (or the default) stays."""
    if not may_set_targets(actor):
        raise PermissionDenied(ERR_MAY_NOT_SET_TARGET, field="effective_from")
    with transaction.atomic():
        person = people_services.person_lock(person_id=person.pk)
        row = UtilizationTarget.objects.filter(person=person, effective_from=effective_from).first()
        if row is None:
            raise NotFound(
                ERR_NO_TARGET.format(day=effective_from.isoformat()), field="effective_from"
            )
        audit.record(
            actor=actor,
            action="person.utilization_target_delete",
            target=person,
            before=_snapshot(row),
        )
        row.delete()


# ------------------------------------------------------------------ period close

CLOSERS = (Role.FINANCE_PARTNER,)
ERR_MAY_NOT_CLOSE = "only the finance partner closes and reopens periods"
ERR_NOT_A_PERIOD = "a closed period is a calendar month or a fiscal quarter"
ERR_NOT_ENDED = "a period can be closed once it has ended ({end})"
ERR_OVERLAPS = "{label} overlaps {other}, which is closed"
ERR_REOPEN_REASON = "reopening a closed period needs a reason"
ERR_CLOSED_RATE = "{day} is in {label}, which is closed: date the rate from {first_open} or later"


_PG_PERIODS_LOCK = 0x5053_4150  # "PSAP": one closing or reopening at a time


def _lock_periods() -> None:
    # Two closes at once (the same quarter, or a month inside it) must not both pass the
    # overlap check: PostgreSQL serialises them on an advisory lock; SQLite has one writer.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_PERIODS_LOCK])


def may_close_periods(actor: Actor) -> bool:
    return actor.has_any(*CLOSERS)


def period_close(
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    figures: Iterable[tuple[int, str, Decimal, Decimal]],
) -> FiscalPeriod:
    """Close a month or fiscal quarter that has ended, freezing its figures ((engagement,
    currency, revenue, cost), as finance.flows reads them): they never change afterwards."""
    if not may_close_periods(actor):
        raise PermissionDenied(ERR_MAY_NOT_CLOSE, field="start")
    label = rules.closable_label(start, end)
    if label is None:
        raise ValidationFailed(ERR_NOT_A_PERIOD, field="start")
    if end >= clock.today():
        raise ValidationFailed(ERR_NOT_ENDED.format(end=end.isoformat()), field="end")
    with transaction.atomic():
        _lock_periods()
        overlapping = FiscalPeriod.objects.filter(start__lte=end, end__gte=start).first()
        if overlapping is not None:
            raise Conflict(ERR_OVERLAPS.format(label=label, other=overlapping.label), field="start")
        period = FiscalPeriod.objects.create(
            label=label, start=start, end=end, closed_at=clock.now(), closed_by=actor.label
        )
        ClosedFigure.objects.bulk_create(
            ClosedFigure(
                period=period, engagement_id=eid, currency=currency, revenue=revenue, cost=cost
            )
            for eid, currency, revenue, cost in figures
        )
        audit.record(
            actor=actor,
            action="finance.period_close",
            target=period,
            after={"label": label, "start": start, "end": end, "figures": period.figures.count()},
        )
    return period


def period_reopen(*, actor: Actor, period: FiscalPeriod, reason: str) -> None:
    """Reopen a closed period, with the reason: its figures are live again."""
    if not may_close_periods(actor):
        raise PermissionDenied(ERR_MAY_NOT_CLOSE, field="period_id")
    if not reason.strip():
        raise ValidationFailed(ERR_REOPEN_REASON, field="reason")
    with transaction.atomic():
        _lock_periods()
        audit.record(
            actor=actor,
            action="finance.period_reopen",
            target=period,
            before={"label": period.label, "closed_at": period.closed_at},
            reason=reason.strip(),
        )
        period.delete()


# ------------------------------------------------------------------ close-out filing

ERR_FILED_ALREADY = "the close-out of this engagement was filed on {day} ({channel})"
ERR_NO_OPPORTUNITY = (
    "the engagement has no CRM opportunity id: set it before filing the close-out to Salesforce"
)
ERR_BAD_OPPORTUNITY = "the engagement's CRM opportunity id {value!r} is not a Salesforce id"
ERR_NO_RECIPIENTS = (
    "no CRM is configured, so the close-out is e-mailed to the controller and the finance "
    "business partner, and PSA has no one in either role"
)
ERR_CRM_SETTINGS = "{message}; the close-out is not filed until it is"
ERR_NOT_FAILED = "the close-out filing is {status}: only a failed filing is tried again"
CLOSE_OUT_RECIPIENTS = (Role.CONTROLLER, Role.FINANCE_BUSINESS_PARTNER)
_Filing = CloseOutFiling.Status


def close_out_file(*, actor: Actor, engagement_id: int) -> CloseOutFiling:
    """File the engagement's close-out: the PDF and a Chatter post mentioning the controller
    and the finance business partner on its Salesforce opportunity, or an e-mail to both when
    no CRM is configured; the worker delivers it (finance.filing). Refused like the close-out
    itself while time is unapproved. Asking again while it is on its way changes nothing; a
    failed filing is tried again at once; a filed one is refused."""
    close = selectors.close_out(actor=actor, engagement_id=engagement_id)
    try:
        crm = salesforce_settings()
    except SalesforceError as exc:
        raise Conflict(ERR_CRM_SETTINGS.format(message=exc.message), field="crm") from exc
    with transaction.atomic():
        engagement = engagement_services.engagement_lock(engagement_id=engagement_id)
        existing = CloseOutFiling.objects.filter(engagement=engagement).first()
        if existing is not None:
            if existing.status == _Filing.FILED:
                filed = existing.filed_at or existing.requested_at
                raise Conflict(
                    ERR_FILED_ALREADY.format(
                        day=filed.date().isoformat(),
                        channel=existing.get_channel_display(),
                    ),
                    field="engagement_id",
                )
            if existing.status == _Filing.FAILED:
                return close_out_file_again(actor=actor, filing=existing)
            return existing  # queued or being sent: on its way already
        opportunity = ""
        recipients: list[str] = []
        if crm is not None:
            opportunity = engagement.crm_opportunity_id.strip()
            if not opportunity:
                raise Conflict(ERR_NO_OPPORTUNITY, field="crm_opportunity_id")
            if not is_salesforce_id(opportunity):
                raise Conflict(
                    ERR_BAD_OPPORTUNITY.format(value=opportunity), field="crm_opportunity_id"
                )
        else:
            recipients = people_selectors.emails_with_roles(
                roles=CLOSE_OUT_RECIPIENTS, on=clock.today()
            )
            if not recipients:
                raise Conflict(ERR_NO_RECIPIENTS, field="engagement_id")
        now = clock.now()
        figures = dict(files.summary(close))
        filing = CloseOutFiling.objects.create(
            engagement=engagement,
            channel=CloseOutFiling.Channel.SALESFORCE if crm else CloseOutFiling.Channel.EMAIL,
            requested_by=actor.label,
            requested_at=now,
            figures=figures,
            pdf=files.close_out_pdf(close, prepared_by=actor.label, prepared_at=now),
            opportunity_id=opportunity,
            recipients=recipients,
        )
        audit.record(
            actor=actor,
            action="engagement.close_out_requested",
            target=engagement,
            after={"channel": filing.channel, "recipients": recipients, **figures},
        )
        tasks.close_out_filing_task.enqueue(filing_id=filing.pk)
    filing.refresh_from_db()
    return filing


def close_out_file_again(*, actor: Actor, filing: CloseOutFiling) -> CloseOutFiling:
    """Try a failed filing again now (the same document, finishing what was not done)."""
    if not selectors.may_read_finance(actor):
        raise PermissionDenied(selectors.ERR_MAY_NOT_READ)
    with transaction.atomic():
        updated = CloseOutFiling.objects.filter(pk=filing.pk, status=_Filing.FAILED).update(
            status=_Filing.QUEUED, next_attempt_at=None
        )
        if not updated:
            filing.refresh_from_db()
            raise Conflict(
                ERR_NOT_FAILED.format(status=filing.get_status_display().lower()), field="status"
            )
        audit.record(
            actor=actor,
            action="engagement.close_out_retried",
            target=filing.engagement,
            before={"attempts": filing.attempts, "last_error": filing.last_error},
        )
        tasks.close_out_filing_task.enqueue(filing_id=filing.pk)
    filing.refresh_from_db()
    return filing


def filings_retry_due(*, now: dt.datetime) -> int:
    """The periodic runner's part: failed filings whose wait is over go back to the worker,
    and one whose worker died mid-way (sending past PSA_JOB_STALE_SECONDS) counts as failed.
    Returns how many were queued again."""
    stale = now - dt.timedelta(seconds=settings.PSA_JOB_STALE_SECONDS)
    CloseOutFiling.objects.filter(status=_Filing.SENDING, attempt_started_at__lt=stale).update(
        status=_Filing.FAILED, last_error=ERR_WORKER_STOPPED, next_attempt_at=now
    )
    due = list(
        CloseOutFiling.objects.filter(status=_Filing.FAILED, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)
    )
    for filing_id in due:
        if CloseOutFiling.objects.filter(pk=filing_id, status=_Filing.FAILED).update(
            status=_Filing.QUEUED
        ):
            tasks.close_out_filing_task.enqueue(filing_id=filing_id)
    return len(due)


# ------------------------------------------------------------------ recorded figures

_PG_FIGURES_LOCK = 0x5053_4146  # "PSAF": one recording at a time


def figures_record(*, now: dt.datetime, unless_since: dt.datetime | None = None) -> int:
    """Record every month's revenue and cost per engagement and currency (as the margin report
    shows them now) and each person's utilization figures of the month, where they differ from
    those recorded last: the old row is closed at `now`, a new one opens. Returns how many
    figures were new or changed. Rows are never altered otherwise, so a report as of an
    earlier moment reads the same rows every time. `unless_since`: record nothing (0) if a
    recording ran at or after that moment, decided under the lock."""
    first = selectors.first_figure_month()
    months: list[periods.Period] = []
    if first is not None:
        month = periods.month(first)
        last = periods.month(now.date())
        while month.start <= last.start:
            months.append(month)
            month = periods.month(month.end + dt.timedelta(days=1))
    money_live: dict[tuple[Any, ...], dict[str, Any]] = {}
    people_live: dict[tuple[Any, ...], dict[str, Any]] = {}
    for month in months:
        for (eid, currency), (revenue, cost) in selectors.figures_of_month(month).items():
            money_live[(eid, month.start, currency)] = {"revenue": revenue, "cost": cost}
        for pid, f in selectors.utilization_of_month(month).items():
            people_live[(pid, month.start)] = {
                "capacity": f.capacity,
                "hours": f.hours,
                "billable": f.billable,
                "productive": f.productive,
                "target_hours": f.target_hours,
                "booked": f.booked,
                "by_major": {m: str(h) for m, h in sorted(f.by_major.items()) if h},
            }
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_FIGURES_LOCK])
        # Checked again here: two runners that both found none before the lock record once.
        if unless_since is not None and _recorded_since(unless_since):
            return 0
        changed = _record(
            RecordedFigure, ("engagement_id", "month", "currency"), money_live, now
        ) + _record(RecordedUtilization, ("person_id", "month"), people_live, now)
        _forecast_record(now)
        FigureRecording.objects.create(ran_at=now, months=len(months), changed=changed)
    return changed


def _forecast_record(now: dt.datetime) -> None:
    f = selectors.forecast(actor=SYSTEM, start=now.date())
    RecordedForecast.objects.create(
        recorded_at=now,
        start=f.start,
        end=f.end,
        weeks=[
            {
                "monday": w.monday.isoformat(),
                **{
                    k: str(getattr(w, k))
                    for k in (
                        "capacity",
                        "confirmed",
                        "tentative",
                        "tentative_weighted",
                        "internal",
                        "time_off",
                        "holidays",
                    )
                },
                "over_days": [d.isoformat() for d in w.over_days],
            }
            for w in f.weeks
        ],
        people=[
            [p.person_id, p.name, [d.isoformat() for d in p.over], [d.isoformat() for d in p.under]]
            for p in f.people
        ],
        revenue=[
            [r.engagement_id, r.name, r.kind, r.currency, str(r.amount), r.basis] for r in f.revenue
        ],
    )


def _record(
    model: Any,
    keys: tuple[str, ...],
    live: dict[tuple[Any, ...], dict[str, Any]],
    now: dt.datetime,
) -> int:
    """Close the open rows whose values differ from (or are missing in) `live`, and open a
    row for each new or changed value."""
    fields = sorted({f for values in live.values() for f in values}) or [
        f.attname
        for f in model._meta.concrete_fields
        if f.attname not in {"id", "recorded_from", "recorded_to", *keys}
    ]
    current: dict[tuple[Any, ...], tuple[int, dict[str, Any]]] = {}
    for row in model.objects.filter(recorded_to__isnull=True).values("pk", *keys, *fields):
        current[tuple(row[k] for k in keys)] = (row["pk"], {f: row[f] for f in fields})
    closing = [pk for key, (pk, values) in current.items() if live.get(key) != values]
    new = [
        model(**dict(zip(keys, key, strict=True)), **values, recorded_from=now)
        for key, values in sorted(live.items())
        if key not in current or current[key][1] != values
    ]
    for i in range(0, len(closing), 500):
        model.objects.filter(pk__in=closing[i : i + 500]).update(recorded_to=now)
    model.objects.bulk_create(new, batch_size=1000)
    return len(new)


def figures_record_daily(*, now: dt.datetime) -> int:
    """The periodic runner's part: record the figures once a day (the first run after
    midnight UTC); 0 on the other runs."""
    midnight = dt.datetime.combine(now.date(), dt.time(), tzinfo=dt.UTC)
    if _recorded_since(midnight):  # the cheap check of every other run, before any reading
        return 0
    return figures_record(now=now, unless_since=midnight)


def _recorded_since(moment: dt.datetime) -> bool:
    return FigureRecording.objects.filter(ran_at__gte=moment).exists()
