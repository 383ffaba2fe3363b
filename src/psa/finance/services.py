"""Changes finance owns: utilization targets. Authorize → validate → write with its audit row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from psa.core import audit
from psa.core.errors import NotFound, PermissionDenied, ValidationFailed
from psa.core.roles import Actor, Role
from psa.finance.models import UtilizationTarget
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
