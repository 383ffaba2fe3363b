"""Changes finance owns: utilization targets. Authorize → validate → write with its audit row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from psa.core import audit, clock
from psa.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from psa.core.roles import Actor, Role
from psa.finance import rules
from psa.finance.models import ClosedFigure, FiscalPeriod, UtilizationTarget
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
