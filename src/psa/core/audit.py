"""The audit log: record a change in the same transaction as the change itself.

Each entry's hash covers its content and the hash of the entry before it, so the entries form a
chain. The chain is keyed: the hash is an HMAC-SHA256 under a secret that is not in the
database (PSA_AUDIT_KEY, or `<data dir>/audit.key`), so someone who can write the database but
has not the key cannot edit an entry and recompute the hashes after it. What the chain alone
cannot show is entries cut off at its end; for that, signed checkpoints (head id, head hash,
count, time) are appended to a file outside the database (`<data dir>/audit-checkpoints.jsonl`)
by `psa audit checkpoint`, by `psa audit verify` when the log is intact, by the periodic runner
and after a restore. `audit_verify` checks the entries against the chain and the checkpoints.

Entries written before the chain had a key (key_version 0) keep their plain SHA-256 hash; the
first keyed entry after them covers their last hash, so they cannot be rewritten either.
docs/decisions/0003-audit-chain-key.md explains the choices and their limits.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction
from django.db.models import Max

from psa.core import clock
from psa.core.errors import PermissionDenied
from psa.core.models import AuditEntry
from psa.core.roles import Actor, Role

GENESIS = "0" * 64
_PG_AUDIT_LOCK = 7_100_001  # advisory lock key: one writer extends the chain at a time
LEGACY = AuditEntry.KeyVersion.LEGACY
KEYED = AuditEntry.KeyVersion.HMAC
KEY_MIN_LENGTH = 32
CHECKPOINT_VERSION = 1
# Domain separation: an entry's MAC can never be taken for a checkpoint's signature.
_ENTRY_CONTEXT = b"psa-audit-entry:1\n"
_CHECKPOINT_CONTEXT = b"psa-audit-checkpoint:1\n"
_KEY_ID_CONTEXT = b"psa-audit-key-id"
SHOWN = 20  # broken entry ids listed in one message

ERR_KEY_SHORT = (
    "PSA_AUDIT_KEY is too short: use at least {n} characters, for example the output of "
    "python3 -c 'import secrets; print(secrets.token_hex(32))'"
)
ERR_KEY_FILE_SHORT = "{path} holds no usable audit key (fewer than {n} characters)"
ERR_KEY_MISSING = (
    "the audit log has entries signed with a key, but there is no key here: {path} does not "
    "exist and PSA_AUDIT_KEY is not set. Put back the audit.key the log was signed with (from "
    "the old data folder or its backup), or set PSA_AUDIT_KEY to it; PSA does not make a new "
    "key for a log signed with another"
)
ERR_ENTRY_MAC = (
    "entry {id}: its HMAC does not match its content (edited, or its hash recomputed without "
    "the key)"
)
ERR_ENTRY_HASH = "entry {id}: its hash does not match its content (edited)"
ERR_ENTRY_LINK = (
    "entry {id}: it does not link to the entry before it (that entry was deleted, or its hash "
    "changed)"
)
ERR_ENTRY_LEGACY = (
    "entry {id}: an unkeyed (legacy) entry after keyed ones: written or rewritten without the key"
)
ERR_ENTRY_LEGACY_CHECKPOINT = (
    "entry {id}: an unkeyed (legacy) entry, but the checkpoint of {at} recorded that unkeyed "
    "entries end at id {upto}: written or rewritten without the key"
)
ERR_ENTRY_VERSION = "entry {id}: unknown key_version {version}"
ERR_BROKEN = "{n} of {count} entries are broken: ids {ids}"
ERR_TAIL = (
    "entries deleted at the end of the log: the checkpoint of {at} recorded {count} entries up "
    "to id {head_id}; the log now ends at id {end} with {now} entries"
)
ERR_HEAD_GONE = (
    "entry {head_id} is missing: the checkpoint of {at} recorded it as the last of {count} "
    "entries (deleted, and entries were added after it)"
)
ERR_HEAD_DIFFERS = (
    "entry {head_id} is not the one the checkpoint of {at} recorded: its hash is {actual}, the "
    "checkpoint has {expected} (the entry was rewritten)"
)
ERR_COUNT_DIFFERS = (
    "the checkpoint of {at} recorded {count} entries up to id {head_id}; the log holds {now} up "
    "to that id (entries deleted or inserted before it)"
)
ERR_CHECKPOINT_SIGNATURE = (
    "{path} line {line}: the checkpoint's signature does not match its content (the line was "
    "edited)"
)
ERR_CHECKPOINT_OTHER_KEY = (
    "{path} line {line}: the checkpoint was signed with another key (key id {theirs}; this "
    "key's id is {ours})"
)
ERR_CHECKPOINT_UNREADABLE = "{path} line {line}: not a checkpoint ({detail})"
ERR_CHECKPOINT_FILE = "{path} cannot be read: {detail}"
ERR_CHECKPOINTS_UNCHECKED = "{path}: {n} checkpoints cannot be checked without the key"
ERR_NOT_INTACT = "the audit log is not intact, so no checkpoint was written: {detail}"
NOTE_NO_CHECKPOINT = (
    "no checkpoint yet in {path}: entries deleted from the end of the log before the first "
    "checkpoint cannot be noticed"
)
NOTE_LEGACY = (
    "{n} entries from before the audit key (up to id {upto}) carry a plain SHA-256 hash; the "
    "keyed entries after them cover them"
)
NOTE_RESTORE = "the log was restored on {at} ({note}); checkpoints before that are not compared"


class AuditLogNotIntact(Exception):
    """The chain or its checkpoints show a change that did not come through `record`."""


# ------------------------------------------------------------------ the key

_keys: dict[str, bytes] = {}  # key file path -> key, read once per process


def _key_file() -> Path:
    return Path(settings.PSA_AUDIT_KEY_FILE)


def _checkpoint_file() -> Path:
    return Path(settings.PSA_AUDIT_CHECKPOINTS)


def audit_key() -> bytes:
    """The chain's HMAC key: PSA_AUDIT_KEY, else the key file, which is generated (mode 0600)
    when missing, unless the log already holds keyed entries: a new key could only make them
    all look forged (ImproperlyConfigured, then)."""
    key = _load_key(create=True)
    if key is None:  # _load_key(create=True) makes one or raises
        raise ImproperlyConfigured(_key_missing_message())
    return key


def existing_audit_key() -> bytes | None:
    """The key if there is one; never makes one (verifying must not invent a key)."""
    return _load_key(create=False)


def _load_key(*, create: bool) -> bytes | None:
    if configured := settings.PSA_AUDIT_KEY.strip():
        if len(configured) < KEY_MIN_LENGTH:
            raise ImproperlyConfigured(ERR_KEY_SHORT.format(n=KEY_MIN_LENGTH))
        return configured.encode()
    path = _key_file()
    if (known := _keys.get(str(path))) is not None:
        return known
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        if not create:
            return None
        if AuditEntry.objects.filter(key_version=KEYED).exists():
            raise ImproperlyConfigured(ERR_KEY_MISSING.format(path=path)) from None
        text = _create_key_file(path)
    if len(text) < KEY_MIN_LENGTH:
        raise ImproperlyConfigured(ERR_KEY_FILE_SHORT.format(path=path, n=KEY_MIN_LENGTH))
    _keys[str(path)] = text.encode()
    return _keys[str(path)]


def _create_key_file(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".audit.key.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        # link() never replaces: when two processes race, both end up using the first key.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return path.read_text().strip()


def key_id(key: bytes) -> str:
    """A short name for a key that gives nothing away: tells "signed with another key" apart
    from "edited"."""
    return hmac.new(key, _KEY_ID_CONTEXT, hashlib.sha256).hexdigest()[:16]


def _key_missing_message() -> str:
    return ERR_KEY_MISSING.format(path=_key_file())


# ------------------------------------------------------------------ entries


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


def _canonical(fields: dict[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)


def _entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """The legacy (key_version 0) hash: plain SHA-256, which anyone can recompute."""
    return hashlib.sha256((prev_hash + _canonical(fields)).encode()).hexdigest()


def _entry_mac(key: bytes, prev_hash: str, fields: dict[str, Any]) -> str:
    message = _ENTRY_CONTEXT + (prev_hash + _canonical(fields)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


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


def _keyed_fields(entry: AuditEntry) -> dict[str, Any]:
    # The legacy hash left out the label; the version is covered so that no one can relabel
    # a keyed entry as a legacy one and recompute a plain hash for it.
    return {
        **_hashed_fields(entry),
        "target_label": entry.target_label,
        "key_version": entry.key_version,
    }


def _expected_hash(entry: AuditEntry, key: bytes | None) -> str | None:
    """What the entry's hash must be; None when it cannot be known (no key, unknown scheme)."""
    if entry.key_version == LEGACY:
        return _entry_hash(entry.prev_hash, _hashed_fields(entry))
    if entry.key_version == KEYED and key is not None:
        return _entry_mac(key, entry.prev_hash, _keyed_fields(entry))
    return None


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
        key = audit_key()
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
            key_version=KEYED,
        )
        entry.hash = _entry_mac(key, entry.prev_hash, _keyed_fields(entry))
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


# ------------------------------------------------------------------ checkpoints


@dataclass(frozen=True)
class Checkpoint:
    """The log's head at one moment, signed with the key: a record outside the database of
    how long the chain was and how it ended."""

    kind: str  # "checkpoint", or "restore": the log was replaced by a backup's at that moment
    head_id: int  # 0: the log was empty
    head_hash: str
    count: int
    legacy_upto: int  # the last id of an entry from before the key (0: none)
    at: str
    key_id: str
    note: str = ""
    version: int = CHECKPOINT_VERSION
    sig: str = ""

    def signed(self, key: bytes) -> Checkpoint:
        return Checkpoint(**{**asdict(self), "sig": _checkpoint_signature(key, self)})

    def line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")) + "\n"


def _checkpoint_signature(key: bytes, checkpoint: Checkpoint) -> str:
    body = {k: v for k, v in asdict(checkpoint).items() if k != "sig"}
    return hmac.new(key, _CHECKPOINT_CONTEXT + _canonical(body).encode(), "sha256").hexdigest()


@dataclass
class CheckpointFile:
    path: Path
    valid: list[Checkpoint] = field(default_factory=list)  # in the order they were written
    findings: list[str] = field(default_factory=list)
    unchecked: int = 0  # lines that could not be checked (no key)

    @property
    def current(self) -> list[Checkpoint]:
        """The checkpoints that describe this log: those since its last restore (a restore
        replaces the log, so what came before describes a log that is gone)."""
        starts = [i for i, c in enumerate(self.valid) if c.kind == "restore"]
        return self.valid[starts[-1] :] if starts else list(self.valid)


_FIELDS = {"kind", "head_id", "head_hash", "count", "legacy_upto", "at", "key_id", "sig"}


def read_checkpoints(path: Path, key: bytes | None, *, required: bool = False) -> CheckpointFile:
    """Every line of a checkpoint file, each checked against its signature."""
    result = CheckpointFile(path=path)
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        if required:
            result.findings.append(ERR_CHECKPOINT_FILE.format(path=path, detail="no such file"))
        return result
    except (OSError, UnicodeDecodeError) as exc:
        result.findings.append(ERR_CHECKPOINT_FILE.format(path=path, detail=exc))
        return result
    ours = key_id(key) if key is not None else ""
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or not set(data) >= _FIELDS:
                raise ValueError("fields missing")
            checkpoint = Checkpoint(**data)
            numbers = (checkpoint.head_id, checkpoint.count, checkpoint.legacy_upto)
            texts = (checkpoint.kind, checkpoint.head_hash, checkpoint.at, checkpoint.key_id)
            if not all(type(n) is int for n in numbers):
                raise ValueError("head_id, count and legacy_upto must be whole numbers")
            if not all(isinstance(t, str) for t in (*texts, checkpoint.note, checkpoint.sig)):
                raise ValueError("kind, head_hash, at, key_id, note and sig must be text")
        except (ValueError, TypeError) as exc:
            result.findings.append(
                ERR_CHECKPOINT_UNREADABLE.format(path=path, line=number, detail=exc)
            )
            continue
        if key is None:
            result.unchecked += 1
            continue
        if not hmac.compare_digest(checkpoint.sig, _checkpoint_signature(key, checkpoint)):
            if checkpoint.key_id != ours:
                message = ERR_CHECKPOINT_OTHER_KEY.format(
                    path=path, line=number, theirs=checkpoint.key_id, ours=ours
                )
            else:
                message = ERR_CHECKPOINT_SIGNATURE.format(path=path, line=number)
            result.findings.append(message)
            continue
        result.valid.append(checkpoint)
    return result


def _append(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # One write in append mode: concurrent writers (verify from cron, the periodic runner) add
    # whole lines and never interleave within one.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


# ------------------------------------------------------------------ verification


@dataclass
class Verification:
    """What `audit_verify` found. The log is intact when there are no findings."""

    count: int = 0
    head_id: int = 0
    head_hash: str = GENESIS
    legacy: int = 0
    legacy_upto: int = 0
    broken: list[int] = field(default_factory=list)  # entries whose hash or link fails
    findings: list[str] = field(default_factory=list)  # every problem, in words
    notes: list[str] = field(default_factory=list)  # worth saying, not a problem
    checkpoints: int = 0  # valid checkpoints the log was compared with
    latest: Checkpoint | None = None  # the latest of those in the data folder's file
    written: Checkpoint | None = None  # the checkpoint this run wrote, if any

    @property
    def intact(self) -> bool:
        return not self.findings


def _walk(
    entries: Iterable[AuditEntry],
    *,
    key: bytes | None,
    prev: str,
    count: int,
    seen_keyed: bool,
    legacy_limit: Checkpoint | None,
    heads: dict[int, list[Checkpoint]],
    result: Verification,
) -> list[str]:
    """Check entries in id order, continuing a chain that ended in `prev` after `count`
    entries; fills `result` and returns one reason for each broken entry."""
    reasons: list[str] = []
    for entry in entries:
        count += 1
        why = ""
        if entry.key_version == LEGACY:
            result.legacy += 1
            result.legacy_upto = entry.pk
            if seen_keyed:
                why = ERR_ENTRY_LEGACY.format(id=entry.pk)
            elif legacy_limit is not None and entry.pk > legacy_limit.legacy_upto:
                why = ERR_ENTRY_LEGACY_CHECKPOINT.format(
                    id=entry.pk, at=legacy_limit.at, upto=legacy_limit.legacy_upto
                )
        elif entry.key_version == KEYED:
            seen_keyed = True
        else:
            why = ERR_ENTRY_VERSION.format(id=entry.pk, version=entry.key_version)
        expected = _expected_hash(entry, key)
        if not why and expected is not None and not hmac.compare_digest(entry.hash, expected):
            why = (ERR_ENTRY_HASH if entry.key_version == LEGACY else ERR_ENTRY_MAC).format(
                id=entry.pk
            )
        if not why and entry.prev_hash != prev:
            why = ERR_ENTRY_LINK.format(id=entry.pk)
        if why:
            result.broken.append(entry.pk)
            reasons.append(why)
        for checkpoint in heads.get(entry.pk, ()):
            if entry.hash != checkpoint.head_hash:
                result.findings.append(
                    ERR_HEAD_DIFFERS.format(
                        head_id=entry.pk,
                        at=checkpoint.at,
                        actual=entry.hash,
                        expected=checkpoint.head_hash,
                    )
                )
            elif count != checkpoint.count:
                result.findings.append(
                    ERR_COUNT_DIFFERS.format(
                        at=checkpoint.at, count=checkpoint.count, head_id=entry.pk, now=count
                    )
                )
        prev = entry.hash
        result.count = count
        result.head_id = entry.pk
        result.head_hash = entry.hash
    return reasons


def _broken_finding(result: Verification, reasons: list[str]) -> None:
    if not result.broken:
        return
    shown = result.broken[:SHOWN]
    ids = ", ".join(map(str, shown)) + (" …" if len(result.broken) > SHOWN else "")
    result.findings.insert(0, ERR_BROKEN.format(n=len(result.broken), count=result.count, ids=ids))
    for position, reason in enumerate(reasons[:5], start=1):
        result.findings.insert(position, reason)


def _check_heads_present(result: Verification, checkpoints: Sequence[Checkpoint]) -> None:
    seen_to = result.head_id
    for checkpoint in checkpoints:
        if checkpoint.head_id == 0:
            continue  # a checkpoint of an empty log claims nothing that can go missing
        if checkpoint.head_id > seen_to:
            result.findings.append(
                ERR_TAIL.format(
                    at=checkpoint.at,
                    count=checkpoint.count,
                    head_id=checkpoint.head_id,
                    end=seen_to,
                    now=result.count,
                )
            )
        elif not AuditEntry.objects.filter(pk=checkpoint.head_id).exists():
            result.findings.append(
                ERR_HEAD_GONE.format(
                    head_id=checkpoint.head_id, at=checkpoint.at, count=checkpoint.count
                )
            )


def audit_verify(
    *, extra_checkpoints: Sequence[Path] = (), write_checkpoint: bool = False
) -> Verification:
    """Walk the whole log and compare it with every checkpoint since the last restore (the data
    folder's file and `extra_checkpoints`, e.g. exported copies). With `write_checkpoint`, an
    intact log gets a new checkpoint when its head moved since the latest one."""
    result = Verification()
    key = existing_audit_key()
    has_keyed = AuditEntry.objects.filter(key_version=KEYED).exists()
    if key is None and has_keyed:
        result.findings.append(_key_missing_message())
    files = [read_checkpoints(_checkpoint_file(), key)]
    files += [read_checkpoints(Path(p), key, required=True) for p in extra_checkpoints]
    heads: dict[int, list[Checkpoint]] = defaultdict(list)
    current: list[Checkpoint] = []
    for checkpoint_file in files:
        result.findings.extend(checkpoint_file.findings)
        if checkpoint_file.unchecked:
            result.findings.append(
                ERR_CHECKPOINTS_UNCHECKED.format(
                    path=checkpoint_file.path, n=checkpoint_file.unchecked
                )
            )
        for checkpoint in checkpoint_file.current:
            current.append(checkpoint)
            heads[checkpoint.head_id].append(checkpoint)
    main = files[0].current
    result.latest = main[-1] if main else None
    result.checkpoints = len(current)
    # Legacy entries end where the latest checkpoint says: a legacy entry after that point was
    # written without the key, whatever the entries around it say.
    legacy_limit = max(current, key=lambda c: (c.head_id, c.count), default=None)
    reasons = _walk(
        AuditEntry.objects.order_by("id").iterator(chunk_size=2000),
        key=key,
        prev=GENESIS,
        count=0,
        seen_keyed=False,
        legacy_limit=legacy_limit,
        heads=heads,
        result=result,
    )
    _check_heads_present(result, current)
    _broken_finding(result, reasons)
    _notes(result, files[0], main)
    latest = result.latest
    head = (result.head_id, result.head_hash, result.count)
    moved = latest is None or (latest.head_id, latest.head_hash, latest.count) != head
    if write_checkpoint and result.intact and moved:
        result.written = _write(result, kind="checkpoint")
    return result


def _notes(result: Verification, main: CheckpointFile, current: list[Checkpoint]) -> None:
    if not current and not main.findings:
        result.notes.append(NOTE_NO_CHECKPOINT.format(path=main.path))
    if current and current[0].kind == "restore":
        result.notes.append(NOTE_RESTORE.format(at=current[0].at, note=current[0].note))
    if result.legacy:
        result.notes.append(NOTE_LEGACY.format(n=result.legacy, upto=result.legacy_upto))


def _write(
    state: Verification, *, kind: str, note: str = "", export: Path | None = None
) -> Checkpoint:
    key = audit_key()
    checkpoint = Checkpoint(
        kind=kind,
        head_id=state.head_id,
        head_hash=state.head_hash,
        count=state.count,
        legacy_upto=state.legacy_upto,
        at=clock.now().isoformat(),
        key_id=key_id(key),
        note=note,
    ).signed(key)
    _append(_checkpoint_file(), checkpoint.line())
    if export is not None:
        _append(export, checkpoint.line())
    return checkpoint


def audit_checkpoint(*, export: Path | None = None) -> Checkpoint:
    """Verify the whole log and, if it is intact, sign its head into the checkpoint file (and
    `export`). Raises AuditLogNotIntact (naming every finding) otherwise: a checkpoint of a
    tampered log would vouch for the tampering."""
    result = audit_verify()
    if not result.intact:
        raise AuditLogNotIntact(ERR_NOT_INTACT.format(detail="; ".join(result.findings)))
    return _write(result, kind="checkpoint", export=export)


def audit_checkpoint_periodic() -> int:
    """For the periodic runner: sign the head if it moved since the latest checkpoint, checking
    only the entries after it (a full walk is `psa audit verify`'s). Returns 1 when it wrote a
    checkpoint, 0 when nothing changed; raises AuditLogNotIntact on a finding."""
    key = audit_key()
    checkpoints = read_checkpoints(_checkpoint_file(), key)
    if checkpoints.findings:
        raise AuditLogNotIntact("; ".join(checkpoints.findings))
    current = checkpoints.current
    if not current:
        full = audit_verify(write_checkpoint=True)
        if not full.intact:
            raise AuditLogNotIntact("; ".join(full.findings))
        return 1 if full.written else 0
    latest = current[-1]
    result = Verification(
        count=latest.count,
        head_id=latest.head_id,
        head_hash=latest.head_hash,
        legacy_upto=latest.legacy_upto,
    )
    if latest.head_id:
        head = AuditEntry.objects.filter(pk=latest.head_id).values_list("hash", flat=True)
        found = head.first()
        if found is None:
            last = AuditEntry.objects.aggregate(last=Max("id"))["last"] or 0
            raise AuditLogNotIntact(
                ERR_TAIL.format(
                    at=latest.at,
                    count=latest.count,
                    head_id=latest.head_id,
                    end=last,
                    now=AuditEntry.objects.count(),
                )
                if last < latest.head_id
                else ERR_HEAD_GONE.format(head_id=latest.head_id, at=latest.at, count=latest.count)
            )
        if found != latest.head_hash:
            raise AuditLogNotIntact(
                ERR_HEAD_DIFFERS.format(
                    head_id=latest.head_id,
                    at=latest.at,
                    actual=found,
                    expected=latest.head_hash,
                )
            )
    newer = AuditEntry.objects.filter(id__gt=latest.head_id).order_by("id")
    reasons = _walk(
        newer.iterator(chunk_size=2000),
        key=key,
        prev=latest.head_hash,
        count=latest.count,
        seen_keyed=latest.legacy_upto < latest.head_id,
        legacy_limit=latest,
        heads={},
        result=result,
    )
    if reasons:
        raise AuditLogNotIntact("; ".join(reasons[:5]))
    if result.head_id == latest.head_id:
        return 0
    _write(result, kind="checkpoint")
    return 1


def checkpoint_after_restore(*, note: str) -> Checkpoint:
    """After a restore replaced the log: sign its new head as a "restore" checkpoint, so that
    the checkpoints of the log it replaced are no longer compared with it. Raises
    ImproperlyConfigured when there is no key to sign with (the restored entries are keyed
    with one that is elsewhere)."""
    audit_key()
    head = AuditEntry.objects.order_by("-id").values_list("id", "hash").first()
    legacy_upto = (
        AuditEntry.objects.filter(key_version=LEGACY).aggregate(last=Max("id"))["last"] or 0
    )
    state = Verification(
        count=AuditEntry.objects.count(),
        head_id=head[0] if head else 0,
        head_hash=head[1] if head else GENESIS,
        legacy_upto=legacy_upto,
    )
    return _write(state, kind="restore", note=note)


def verify_chain() -> tuple[int, list[int]]:
    """Walk the whole log; return (entries checked, ids whose hash or link is broken)."""
    result = audit_verify()
    return result.count, result.broken


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
    return readable(_masked(actor, rows))


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
    return readable(_masked(actor, qs.order_by("-id")[:limit]))


# ------------------------------------------------------------------ the log as people read it


@dataclass(frozen=True)
class ShownField:
    """One field of an entry's before or after, as a person reads it: the field's label and
    its value (a related record by name, a choice by its label, none as a dash)."""

    label: str
    value: str


def _model_of(target_type: str) -> type[models.Model] | None:
    from django.apps import apps

    try:
        return apps.get_model(target_type)
    except (LookupError, ValueError):
        return None


def _field_of(model: type[models.Model] | None, key: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    try:
        found = model._meta.get_field(key)  # the name or, for a foreign key, its column
    except Exception:  # noqa: BLE001 - not a field of the record (an action's own detail)
        return None
    return found if isinstance(found, models.Field) else None


def _label(field_: models.Field[Any, Any] | None, key: str) -> str:
    if field_ is not None:
        return str(field_.verbose_name)[:1].upper() + str(field_.verbose_name)[1:]
    text = key.removesuffix("_id").replace("_", " ")
    return text[:1].upper() + text[1:]


def _pk_of(model: type[models.Model], value: Any) -> Any:
    """`value` as the model's primary key, or None when it cannot be one."""
    from django.core.exceptions import ValidationError

    pk_field = model._meta.pk
    if pk_field is None or isinstance(value, bool | dict | list):
        return None
    try:
        return pk_field.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return None


def _text(value: Any, field_: models.Field[Any, Any] | None, names: dict[str, str]) -> str:
    if value is None or value == "":
        return "—"
    if value == HIDDEN:
        return HIDDEN
    if field_ is not None and field_.many_to_one and isinstance(field_.related_model, type):
        if _pk_of(field_.related_model, value) is None:
            return str(value)  # not an id (an older entry's own detail): shown as it is
        return names.get(str(value), f"#{value} (deleted)")
    if field_ is not None and field_.choices:
        return str(dict(field_.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def readable(entries: Sequence[AuditEntry]) -> list[AuditEntry]:
    """Attach `before_shown` and `after_shown` (lists of ShownField) to each entry: field
    labels rather than column names, related records by name (one query per kind of record
    named), choices by label. The stored values, and so the hash chain, are untouched."""
    plans: list[tuple[AuditEntry, str, list[tuple[str, Any, models.Field[Any, Any] | None]]]] = []
    wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
    for entry in entries:
        model = _model_of(entry.target_type)
        # The record's own field order, then other keys by name: the same on both databases
        # (PostgreSQL's jsonb keeps keys in an order of its own).
        order = {f.attname: i for i, f in enumerate(model._meta.concrete_fields)} if model else {}
        for side in ("before", "after"):
            values = getattr(entry, side)
            pairs = sorted(
                values.items() if isinstance(values, dict) else (),
                key=lambda kv: (order.get(kv[0], order.get(f"{kv[0]}_id", len(order))), kv[0]),
            )
            items = []
            for key, value in pairs:
                field_ = _field_of(model, key)
                related = field_.related_model if field_ is not None else None
                named = field_ is not None and field_.many_to_one and isinstance(related, type)
                if named and value not in (None, "", HIDDEN):
                    pk = _pk_of(related, value)  # type: ignore[arg-type]
                    if pk is not None:
                        wanted[related].add(pk)  # type: ignore[index]
                items.append((key, value, field_))
            plans.append((entry, side, items))
    names: dict[type[models.Model], dict[str, str]] = {
        model: {str(pk): str(obj) for pk, obj in model._base_manager.in_bulk(list(ids)).items()}
        for model, ids in wanted.items()
    }
    for entry, side, items in plans:
        shown = []
        for key, value, field_ in items:
            related = field_.related_model if field_ is not None else None
            known = names.get(related, {}) if isinstance(related, type) else {}
            shown.append(ShownField(_label(field_, key), _text(value, field_, known)))
        setattr(entry, f"{side}_shown", shown)
    return list(entries)
