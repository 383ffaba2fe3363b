"""The audit log: record a change in the same transaction as the change itself."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction

from psa.core import clock
from psa.core.errors import PermissionDenied
from psa.core.models import AuditEntry
from psa.core.roles import Actor, Role

GENESIS = "0" * 64
_PG_AUDIT_LOCK = 7_100_001  # advisory lock key: one writer extends the chain at a time


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: models.Model, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The concrete field values of a row, JSON-ready (foreign keys as ids)."""
    data: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        if f.name in exclude:
            continue
        data[f.attname] = _jsonable(getattr(obj, f.attname))
    return data


def _entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _hashed_fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "before": entry.before,
        "after": entry.after,
        "reason": entry.reason,
    }


def record(
    *,
    actor: Actor,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append an audit entry. Call inside the transaction that makes the change."""
    if target is not None:
        target_type = target._meta.label_lower
        target_id = str(target.pk)
    changed_before, changed_after = _diff(before, after)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_AUDIT_LOCK])
        last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
        entry = AuditEntry(
            at=clock.now(),
            actor_id=actor.user_id,
            actor_name=actor.username,
            action=action,
            target_type=target_type,
            target_id=target_id,
            target_label=str(target)[:200] if target is not None else "",
            before=_jsonable(changed_before),
            after=_jsonable(changed_after),
            reason=reason,
            prev_hash=last or GENESIS,
        )
        entry.hash = _entry_hash(entry.prev_hash, _hashed_fields(entry))
        entry.save()
    return entry


def _diff(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Keep only the fields that changed (both sides), so the history reads as a change list."""
    if before is None or after is None:
        return before, after
    keys = [k for k in after if before.get(k) != after.get(k)]
    keys += [k for k in before if k not in after]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def verify_chain() -> tuple[int, list[int]]:
    """Walk the whole log; return (entries checked, ids whose hash or link is broken)."""
    broken: list[int] = []
    prev = GENESIS
    count = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        count += 1
        # Re-read values through JSON so stored and recomputed forms match.
        expected = _entry_hash(entry.prev_hash, _hashed_fields(entry))
        if entry.prev_hash != prev or entry.hash != expected:
            broken.append(entry.pk)
        prev = entry.hash
    return count, broken


# ------------------------------------------------------------------ reading the log

# The roles that audit: they read the whole log. Everyone else sees the history of a record
# only on the page of a record they may open, with the fields they may see.
AUDIT_READERS = (Role.HEAD_OF_PS, Role.FINANCE_PARTNER, Role.CONTROLLER)
ERR_NOT_AUDITOR = "the audit log is for administrators, the head of PS, finance and controllers"
HIDDEN = "(hidden)"

# target_type -> (fields, may_see(actor, target_id)): a domain registers the fields of its
# records that only some readers may see (pay data), so the log never shows more than the record.
FieldMask = tuple[frozenset[str], Callable[[Actor, str], bool]]
_masks: dict[str, FieldMask] = {}


def register_mask(
    target_type: str, fields: Iterable[str], may_see: Callable[[Actor, str], bool]
) -> None:
    """Hide `fields` of `target_type` records from readers for whom may_see(actor, id) is false."""
    _masks[target_type] = (frozenset(fields), may_see)


def may_read_log(actor: Actor) -> bool:
    return actor.has_any(*AUDIT_READERS)


def _masked(actor: Actor, entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    result = []
    for entry in entries:
        mask = _masks.get(entry.target_type)
        if mask is not None and not mask[1](actor, entry.target_id):
            fields = mask[0]
            shown = copy.copy(entry)  # never saved: the stored row keeps its values and hash
            for side in ("before", "after"):
                values = getattr(entry, side)
                if isinstance(values, dict):
                    setattr(
                        shown, side, {k: HIDDEN if k in fields else v for k, v in values.items()}
                    )
            entry = shown
        result.append(entry)
    return result


def history_for(*, actor: Actor, target: models.Model, limit: int = 200) -> list[AuditEntry]:
    """A record's history for someone who may see the record (the caller has checked that),
    with the fields they may not see hidden."""
    rows = AuditEntry.objects.filter(
        target_type=target._meta.label_lower, target_id=str(target.pk)
    ).order_by("-id")[:limit]
    return _masked(actor, rows)


def audit_list(
    *,
    actor: Actor,
    target_type: str = "",
    target_id: str = "",
    action: str = "",
    limit: int = 100,
) -> list[AuditEntry]:
    """The latest entries of the whole log that match, for the roles that audit."""
    if not may_read_log(actor):
        raise PermissionDenied(ERR_NOT_AUDITOR)
    qs = AuditEntry.objects.all()
    if target_type:
        qs = qs.filter(target_type=target_type)
    if target_id:
        qs = qs.filter(target_id=target_id)
    if action:
        qs = qs.filter(action=action)
    return _masked(actor, qs.order_by("-id")[:limit])
