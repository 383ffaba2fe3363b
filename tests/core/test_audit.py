"""The audit log: a chain keyed with a secret outside the database, and signed checkpoints
outside the table, so that rewriting entries and cutting off the end are both found."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from psa import cli, periodic
from psa.core import audit
from psa.core.models import AuditEntry
from psa.core.roles import SYSTEM
from psa.engagements import services
from tests.engagements.factories import EngagementFactory
from tests.helpers import unchanged

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def audit_files(settings: Any, tmp_path: Path) -> dict[str, Path]:
    """A key file and a checkpoint file of this test's own (the key is made on first use)."""
    settings.PSA_AUDIT_KEY = ""
    settings.PSA_AUDIT_KEY_FILE = tmp_path / "audit.key"
    settings.PSA_AUDIT_CHECKPOINTS = tmp_path / "audit-checkpoints.jsonl"
    return {"key": tmp_path / "audit.key", "checkpoints": tmp_path / "audit-checkpoints.jsonl"}


def make_entries(*names: str) -> list[AuditEntry]:
    for name in names:
        services.customer_create(actor=SYSTEM, name=name)
    return list(AuditEntry.objects.order_by("id"))


def checkpoint_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# ------------------------------------------------------------------ the chain


def test_each_entry_links_to_the_one_before_and_the_chain_verifies() -> None:
    services.customer_create(actor=SYSTEM, name="A")
    services.customer_create(actor=SYSTEM, name="B")
    first, second = AuditEntry.objects.order_by("id")
    assert first.prev_hash == audit.GENESIS
    assert second.prev_hash == first.hash
    assert audit.verify_chain() == (2, [])


def test_entries_are_signed_with_the_key_file_made_on_first_use(
    audit_files: dict[str, Path],
) -> None:
    # given: no key yet
    assert not audit_files["key"].exists()

    # when
    (entry,) = make_entries("A")

    # then: a 0600 key file, and the hash is an HMAC under it, not a plain SHA-256
    assert audit_files["key"].stat().st_mode & 0o777 == 0o600
    key = audit_files["key"].read_text().strip().encode()
    assert len(key) == 64
    assert entry.key_version == AuditEntry.KeyVersion.HMAC
    fields = audit._keyed_fields(entry)
    message = b"psa-audit-entry:1\n" + (audit.GENESIS + audit._canonical(fields)).encode()
    assert entry.hash == hmac.new(key, message, hashlib.sha256).hexdigest()
    assert entry.hash != audit._entry_hash(audit.GENESIS, fields)


def test_psa_audit_key_overrides_the_key_file(settings: Any, audit_files: dict[str, Path]) -> None:
    settings.PSA_AUDIT_KEY = "k" * 40
    make_entries("A", "B")

    assert not audit_files["key"].exists()
    assert audit.verify_chain() == (2, [])

    # the same entries under another key: none of them verifies
    settings.PSA_AUDIT_KEY = "other-" * 8
    assert audit.verify_chain() == (2, [e.pk for e in AuditEntry.objects.order_by("id")])


def test_a_short_key_is_refused(settings: Any) -> None:
    settings.PSA_AUDIT_KEY = "secret"

    with unchanged(), pytest.raises(ImproperlyConfigured) as refused:
        services.customer_create(actor=SYSTEM, name="A")

    assert str(refused.value) == audit.ERR_KEY_SHORT.format(n=audit.KEY_MIN_LENGTH)


def test_a_keyed_log_without_its_key_refuses_to_write_and_to_verify(
    audit_files: dict[str, Path],
) -> None:
    # given: keyed entries, then the key file is gone (a new data folder, say)
    make_entries("A", "B")
    audit_files["key"].unlink()
    audit._keys.clear()

    # then: no new key is made behind the log's back, and nothing is written
    with unchanged(), pytest.raises(ImproperlyConfigured) as refused:
        services.customer_create(actor=SYSTEM, name="C")
    assert str(refused.value) == audit.ERR_KEY_MISSING.format(path=audit_files["key"])
    assert not audit_files["key"].exists()
    result = audit.audit_verify(write_checkpoint=True)
    assert result.findings == [audit.ERR_KEY_MISSING.format(path=audit_files["key"])]
    assert result.written is None
    assert not audit_files["key"].exists()


@pytest.mark.parametrize("field", ["after", "actor_name", "action", "reason", "target_label"])
def test_editing_an_entry_in_place_breaks_the_chain(field: str) -> None:
    for name in ("A", "B", "C"):
        services.customer_create(actor=SYSTEM, name=name)
    middle = AuditEntry.objects.order_by("id")[1]
    value = {"name": "Z"} if field == "after" else "tampered"
    AuditEntry.objects.filter(pk=middle.pk).update(**{field: value})
    count, broken = audit.verify_chain()
    assert count == 3
    assert broken == [middle.pk]


def test_deleting_an_entry_breaks_the_chain_at_the_next_one() -> None:
    for name in ("A", "B", "C"):
        services.customer_create(actor=SYSTEM, name=name)
    entries = list(AuditEntry.objects.order_by("id"))
    entries[1].delete()
    assert audit.verify_chain()[1] == [entries[2].pk]
    assert audit.audit_verify().findings[1] == audit.ERR_ENTRY_LINK.format(id=entries[2].pk)


def _plain_sha256(prev: str, entry: AuditEntry) -> str:
    return audit._entry_hash(prev, audit._keyed_fields(entry))


def _wrong_key(prev: str, entry: AuditEntry) -> str:
    return audit._entry_mac(b"not-the-key-" * 4, prev, audit._keyed_fields(entry))


def rewrite_from(index: int, hasher: Callable[[str, AuditEntry], str], downgrade: bool) -> None:
    """What someone with the database but not the key can do: edit entry `index`, then
    recompute every hash from it on so that each links to the one before."""
    entries = list(AuditEntry.objects.order_by("id"))
    prev = entries[index - 1].hash if index else audit.GENESIS
    for i, entry in enumerate(entries[index:]):
        if i == 0:
            entry.reason = "nothing happened here"
        if downgrade:
            entry.key_version = AuditEntry.KeyVersion.LEGACY
        entry.prev_hash = prev
        entry.hash = hasher(prev, entry)
        AuditEntry.objects.filter(pk=entry.pk).update(
            reason=entry.reason,
            key_version=entry.key_version,
            prev_hash=entry.prev_hash,
            hash=entry.hash,
        )
        prev = entry.hash


@pytest.mark.parametrize(
    ("hasher", "downgrade", "reason"),
    [
        (_plain_sha256, False, audit.ERR_ENTRY_MAC),
        (_wrong_key, False, audit.ERR_ENTRY_MAC),
        (_plain_sha256, True, audit.ERR_ENTRY_LEGACY),
    ],
    ids=["sha256", "wrong-key", "sha256-relabelled-legacy"],
)
def test_rewriting_an_entry_and_recomputing_the_hashes_after_it_is_detected(
    hasher: Callable[[str, AuditEntry], str], downgrade: bool, reason: str
) -> None:
    # given: five keyed entries; the third is rewritten and the chain recomputed from it on
    entries = make_entries("A", "B", "C", "D", "E")
    rewrite_from(2, hasher, downgrade)

    result = audit.audit_verify(write_checkpoint=True)

    # then: every rewritten entry is broken, the first one named with its reason
    rewritten = [e.pk for e in entries[2:]]
    assert result.broken == rewritten
    assert result.findings[:2] == [
        audit.ERR_BROKEN.format(n=3, count=5, ids=", ".join(map(str, rewritten))),
        reason.format(id=rewritten[0]),
    ]
    assert result.written is None  # a tampered log never gets a checkpoint


def test_relabelling_the_whole_log_as_legacy_is_caught_by_the_checkpoint() -> None:
    # given: a checkpoint, then the whole log rewritten as if it predated the key
    entries = make_entries("A", "B", "C")
    checkpoint = audit.audit_checkpoint()
    rewrite_from(0, _plain_sha256, downgrade=True)

    result = audit.audit_verify()

    assert result.broken == [e.pk for e in entries]
    assert result.findings == [
        audit.ERR_BROKEN.format(n=3, count=3, ids=", ".join(str(e.pk) for e in entries)),
        *[
            audit.ERR_ENTRY_LEGACY_CHECKPOINT.format(id=e.pk, at=checkpoint.at, upto=0)
            for e in entries
        ],
        audit.ERR_HEAD_DIFFERS.format(
            head_id=entries[-1].pk,
            at=checkpoint.at,
            actual=AuditEntry.objects.get(pk=entries[-1].pk).hash,
            expected=entries[-1].hash,
        ),
    ]


# ------------------------------------------------------------------ legacy entries


def legacy_entries(*names: str) -> list[AuditEntry]:
    """Entries as PSA wrote them before the chain had a key: a plain SHA-256 chain."""
    from psa.core import clock

    prev = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
    made = []
    for name in names:
        entry = AuditEntry(
            at=clock.now(),
            actor_name="system",
            action="customer.create",
            target_type="engagements.customer",
            target_id=name,
            after={"name": name},
            prev_hash=prev or audit.GENESIS,
            key_version=AuditEntry.KeyVersion.LEGACY,
        )
        entry.hash = audit._entry_hash(entry.prev_hash, audit._hashed_fields(entry))
        entry.save()
        prev = entry.hash
        made.append(entry)
    return made


def test_entries_from_before_the_key_still_verify_and_keyed_ones_continue_the_chain(
    audit_files: dict[str, Path],
) -> None:
    # given: an upgraded installation: legacy entries, no key yet
    old = legacy_entries("Old A", "Old B")
    assert not audit_files["key"].exists()

    # when: PSA writes again
    services.customer_create(actor=SYSTEM, name="New")

    # then: the new entry is keyed and links to the last legacy one; everything verifies
    new = AuditEntry.objects.order_by("-id").first()
    assert new is not None
    assert new.key_version == AuditEntry.KeyVersion.HMAC
    assert new.prev_hash == old[-1].hash
    result = audit.audit_verify(write_checkpoint=True)
    assert result.findings == []
    assert (result.count, result.legacy, result.legacy_upto) == (3, 2, old[-1].pk)
    assert audit.NOTE_LEGACY.format(n=2, upto=old[-1].pk) in result.notes
    assert result.written is not None
    assert result.written.legacy_upto == old[-1].pk


def test_a_rewritten_legacy_entry_is_caught_by_the_keyed_entry_after_it() -> None:
    # given: legacy entries followed by a keyed one; the first legacy entry is edited and the
    # legacy hashes recomputed (anyone can: they need no key)
    old = legacy_entries("Old A", "Old B")
    services.customer_create(actor=SYSTEM, name="New")
    new = AuditEntry.objects.order_by("-id").first()
    assert new is not None
    prev = audit.GENESIS
    for i, entry in enumerate(old):
        if i == 0:
            entry.reason = "rewritten"
        entry.prev_hash = prev
        entry.hash = audit._entry_hash(prev, audit._hashed_fields(entry))
        AuditEntry.objects.filter(pk=entry.pk).update(
            reason=entry.reason, prev_hash=entry.prev_hash, hash=entry.hash
        )
        prev = entry.hash

    # then: the keyed entry's link covers the old last hash, which it cannot be made to match
    result = audit.audit_verify()
    assert result.broken == [new.pk]
    assert result.findings[1] == audit.ERR_ENTRY_LINK.format(id=new.pk)


def test_a_legacy_entry_added_after_keyed_ones_is_detected() -> None:
    make_entries("A", "B")
    (forged,) = legacy_entries("Forged")

    result = audit.audit_verify()

    assert result.broken == [forged.pk]
    assert result.findings[1] == audit.ERR_ENTRY_LEGACY.format(id=forged.pk)


# ------------------------------------------------------------------ checkpoints


def test_an_intact_log_verifies_and_gets_one_checkpoint_per_new_head(
    audit_files: dict[str, Path],
) -> None:
    entries = make_entries("A", "B")

    first = audit.audit_verify(write_checkpoint=True)
    again = audit.audit_verify(write_checkpoint=True)

    assert first.intact
    assert again.intact
    assert first.written is not None
    assert (first.written.head_id, first.written.head_hash, first.written.count) == (
        entries[-1].pk,
        entries[-1].hash,
        2,
    )
    assert again.written is None  # nothing new to sign
    assert again.checkpoints == 1
    (line,) = checkpoint_lines(audit_files["checkpoints"])
    assert line["head_id"] == entries[-1].pk
    assert line["kind"] == "checkpoint"
    assert audit_files["checkpoints"].stat().st_mode & 0o777 == 0o600


def test_an_intact_log_verifies_on_the_command_line(
    audit_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    entries = make_entries("A", "B", "C")

    assert cli.main(["audit", "verify"]) == 0

    assert capsys.readouterr().out.splitlines() == [
        "audit chain intact: 3 entries, compared with 0 checkpoints",
        f"  checkpoint written: head id {entries[-1].pk}, 3 entries",
        "  note: " + audit.NOTE_NO_CHECKPOINT.format(path=audit_files["checkpoints"]),
    ]
    assert cli.main(["audit", "verify"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "audit chain intact: 3 entries, compared with 1 checkpoints"
    ]


def test_deleting_the_last_three_entries_after_a_checkpoint_is_detected(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # given: five entries and a checkpoint of them
    entries = make_entries("A", "B", "C", "D", "E")
    checkpoint = audit.audit_checkpoint()

    # when: the last three are deleted (the chain that is left is a valid chain)
    AuditEntry.objects.filter(pk__in=[e.pk for e in entries[-3:]]).delete()

    # then
    result = audit.audit_verify(write_checkpoint=True)
    assert result.broken == []
    tail = audit.ERR_TAIL.format(
        at=checkpoint.at, count=5, head_id=entries[-1].pk, end=entries[1].pk, now=2
    )
    assert result.findings == [tail]
    assert result.written is None
    assert cli.main(["audit", "verify"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "audit chain BROKEN: 1 finding (2 entries)",
        f"  {tail}",
    ]
    with pytest.raises(audit.AuditLogNotIntact) as refused:
        audit.audit_checkpoint()
    assert str(refused.value) == audit.ERR_NOT_INTACT.format(detail=tail)


def test_deleting_the_end_and_writing_on_is_detected() -> None:
    # given: a checkpoint, the last three entries deleted, then new entries chained onto
    # what was left (as PSA itself would write them)
    entries = make_entries("A", "B", "C", "D", "E")
    checkpoint = audit.audit_checkpoint()
    AuditEntry.objects.filter(pk__in=[e.pk for e in entries[-3:]]).delete()
    make_entries("F", "G")

    result = audit.audit_verify()

    assert result.broken == []
    assert result.findings == [
        audit.ERR_HEAD_GONE.format(head_id=entries[-1].pk, at=checkpoint.at, count=5)
    ]


def _edit_count(line: dict[str, Any]) -> dict[str, Any]:
    return {**line, "count": 2}


def _edit_head(line: dict[str, Any]) -> dict[str, Any]:
    return {**line, "head_hash": "f" * 64}


def _resign_with_another_key(line: dict[str, Any]) -> dict[str, Any]:
    other = b"another-key-" * 4
    checkpoint = audit.Checkpoint(**{**line, "key_id": audit.key_id(other), "sig": ""})
    resigned: dict[str, Any] = json.loads(checkpoint.signed(other).line())
    return resigned


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (_edit_count, audit.ERR_CHECKPOINT_SIGNATURE),
        (_edit_head, audit.ERR_CHECKPOINT_SIGNATURE),
        (_resign_with_another_key, audit.ERR_CHECKPOINT_OTHER_KEY),
    ],
    ids=["count", "head", "other-key"],
)
def test_a_tampered_checkpoint_is_detected(
    audit_files: dict[str, Path],
    tamper: Callable[[dict[str, Any]], dict[str, Any]],
    message: str,
) -> None:
    # given: two checkpoints; the second is edited (say, to hide entries deleted after it)
    make_entries("A", "B")
    audit.audit_checkpoint()
    make_entries("C")
    audit.audit_checkpoint()
    lines = checkpoint_lines(audit_files["checkpoints"])
    lines[1] = tamper(lines[1])
    audit_files["checkpoints"].write_text("".join(json.dumps(x) + "\n" for x in lines))

    result = audit.audit_verify(write_checkpoint=True)

    key = audit.audit_key()
    assert result.findings == [
        message.format(
            path=audit_files["checkpoints"],
            line=2,
            theirs=lines[1]["key_id"],
            ours=audit.key_id(key),
        )
    ]
    assert result.checkpoints == 1
    assert result.written is None


@pytest.mark.parametrize(
    ("line", "detail"),
    [
        ('{"head_id": 99}', "fields missing"),
        ("not json", "Expecting value: line 1 column 1 (char 0)"),
        (
            '{"kind": "checkpoint", "head_id": "99", "head_hash": "", "count": 1, '
            '"legacy_upto": 0, "at": "", "key_id": "", "sig": ""}',
            "head_id, count and legacy_upto must be whole numbers",
        ),
        (
            '{"kind": "checkpoint", "head_id": 99, "head_hash": "", "count": 1, '
            '"legacy_upto": 0, "at": "", "key_id": "", "sig": 5}',
            "kind, head_hash, at, key_id, note and sig must be text",
        ),
    ],
    ids=["fields", "json", "number", "text"],
)
def test_a_line_that_is_no_checkpoint_is_reported(
    audit_files: dict[str, Path], line: str, detail: str
) -> None:
    make_entries("A")
    audit.audit_checkpoint()
    with audit_files["checkpoints"].open("a") as f:
        f.write(line + "\n")

    result = audit.audit_verify()

    assert result.findings == [
        audit.ERR_CHECKPOINT_UNREADABLE.format(
            path=audit_files["checkpoints"], line=2, detail=detail
        )
    ]


def test_an_exported_checkpoint_still_finds_a_deleted_end_when_the_data_folder_copy_is_gone(
    audit_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given: a checkpoint exported elsewhere; then the end of the log and the data folder's
    # checkpoint file are both deleted
    entries = make_entries("A", "B", "C", "D")
    exported = tmp_path / "elsewhere" / "checkpoints.jsonl"
    assert cli.main(["audit", "checkpoint", "--export", str(exported)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert checkpoint_lines(exported) == [printed]
    assert checkpoint_lines(audit_files["checkpoints"]) == [printed]
    AuditEntry.objects.filter(pk__in=[e.pk for e in entries[-2:]]).delete()
    audit_files["checkpoints"].unlink()

    # then: the log alone looks intact (the limit of a chain without its checkpoints) ...
    alone = audit.audit_verify()
    assert alone.findings == []
    assert audit.NOTE_NO_CHECKPOINT.format(path=audit_files["checkpoints"]) in alone.notes
    # ... and the exported copy tells
    assert cli.main(["audit", "verify", "--checkpoints", str(exported)]) == 1
    tail = audit.ERR_TAIL.format(
        at=printed["at"],
        count=len(entries),
        head_id=entries[-1].pk,
        end=entries[-3].pk,
        now=len(entries) - 2,
    )
    assert f"  {tail}" in capsys.readouterr().out.splitlines()


def test_a_missing_exported_checkpoint_file_is_a_finding(tmp_path: Path) -> None:
    make_entries("A")

    result = audit.audit_verify(extra_checkpoints=[tmp_path / "nowhere.jsonl"])

    assert result.findings == [
        audit.ERR_CHECKPOINT_FILE.format(path=tmp_path / "nowhere.jsonl", detail="no such file")
    ]


def test_the_periodic_checkpoint_signs_new_heads_and_refuses_a_cut_log() -> None:
    # given: the periodic job is one of the periodic runner's
    assert periodic.JOBS["audit checkpoints written"] is audit.audit_checkpoint_periodic
    entries = make_entries("A", "B")

    # then: the first run verifies everything and signs; a run with nothing new signs nothing
    assert audit.audit_checkpoint_periodic() == 1
    assert audit.audit_checkpoint_periodic() == 0
    more = make_entries("C", "D")
    assert audit.audit_checkpoint_periodic() == 1
    latest = audit.audit_verify().latest
    assert latest is not None
    assert latest.head_id == more[-1].pk

    # when: the end is cut off, the next run refuses and signs nothing
    AuditEntry.objects.filter(pk__in=[e.pk for e in more[-2:]]).delete()
    with unchanged(), pytest.raises(audit.AuditLogNotIntact) as refused:
        audit.audit_checkpoint_periodic()
    assert str(refused.value) == audit.ERR_TAIL.format(
        at=latest.at, count=4, head_id=more[-1].pk, end=entries[-1].pk, now=2
    )


def test_the_periodic_checkpoint_refuses_a_forged_entry_after_the_last_checkpoint() -> None:
    make_entries("A", "B")
    audit.audit_checkpoint_periodic()
    (forged,) = legacy_entries("Forged")

    with unchanged(), pytest.raises(audit.AuditLogNotIntact) as refused:
        audit.audit_checkpoint_periodic()
    assert str(refused.value) == audit.ERR_ENTRY_LEGACY.format(id=forged.pk)


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_extend_one_keyed_chain_on_postgresql() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's; SQLite serialises writers itself")

    def write(prefix: str) -> None:
        try:
            for i in range(10):
                services.customer_create(actor=SYSTEM, name=f"{prefix} {i}")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(write, ["A", "B", "C"]))

    result = audit.audit_verify(write_checkpoint=True)
    assert (result.count, result.broken, result.findings) == (30, [], [])


def test_history_for_a_record_is_newest_first() -> None:
    engagement = EngagementFactory.create()
    services.engagement_set_status(actor=SYSTEM, engagement=engagement, status="booked")
    services.engagement_set_status(actor=SYSTEM, engagement=engagement, status="active")
    history = audit.history_for(actor=SYSTEM, target=engagement)
    assert [h.after for h in history] == [{"status": "active"}, {"status": "booked"}]
    assert history[0].before == {"status": "booked"}


# ------------------------------------------------------------------ the log as people read it


def test_the_log_reads_in_labels_and_names_not_columns_and_ids(
    make_person: Callable[..., Any],
) -> None:
    from psa.core.roles import Role
    from psa.people.models import Person, TimeOff

    old = make_person(Role.DELIVERY_MANAGER, name="Dana Old")
    new = make_person(Role.DELIVERY_MANAGER, name="Erin New")
    gone = make_person(Role.PSE, name="Gone Soon")
    gone_id = gone.pk
    Person.objects.filter(pk=gone_id).delete()
    pse = make_person(Role.PSE, name="Alex Rivera", manager=old)
    audit.record(
        actor=SYSTEM,
        action="person.update",
        target=pse,
        before={"manager_id": old.pk, "working_days": [0, 1, 2, 3, 4], "weekly_hours": None},
        after={"manager_id": new.pk, "working_days": [0, 1, 2, 3], "weekly_hours": "32.00"},
        reason="part-time",
    )
    off = TimeOff.objects.create(
        person=pse, kind="sick", start_date="2026-12-01", end_date="2026-12-01"
    )
    audit.record(
        actor=SYSTEM,
        action="time_off.create",
        target=off,
        after={"person_id": gone_id, "kind": "sick", "user": "alex", "hidden": True},
    )

    pto, update = audit.audit_list(actor=SYSTEM, limit=2)

    assert update.before_shown == [  # type: ignore[attr-defined]
        audit.ShownField("Manager", "Dana Old"),
        audit.ShownField("Weekly hours", "—"),
        audit.ShownField("Working days", "0, 1, 2, 3, 4"),
    ]
    assert update.after_shown == [  # type: ignore[attr-defined]
        audit.ShownField("Manager", "Erin New"),
        audit.ShownField("Weekly hours", "32.00"),
        audit.ShownField("Working days", "0, 1, 2, 3"),
    ]
    # in the record's field order, then other keys by name (the same on both databases): a
    # deleted record by its id, a choice by its label, a key that is no field humanized
    assert pto.after_shown == [  # type: ignore[attr-defined]
        audit.ShownField("Person", f"#{gone_id} (deleted)"),
        audit.ShownField("Kind", "Sick day"),
        audit.ShownField("Hidden", "yes"),
        audit.ShownField("User", "alex"),
    ]
    # what is stored (and hashed) is unchanged
    stored = AuditEntry.objects.get(pk=update.pk).before
    assert stored is not None
    assert stored["manager_id"] == old.pk
    assert audit.audit_verify().broken == []
