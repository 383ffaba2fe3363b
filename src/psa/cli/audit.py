"""`psa audit verify` and `psa audit checkpoint`: the audit log's hash chain and its signed
checkpoints."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from psa.cli.common import add_data_dir_arg, data_dir, fail, setup_django

if TYPE_CHECKING:
    from psa.cli.common import Commands


def register(commands: Commands) -> None:
    audit = commands.add_parser("audit", help="audit log tools")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_commands.add_parser(
        "verify", help="check the audit log's keyed hash chain and its signed checkpoints"
    )
    verify.add_argument(
        "--checkpoints",
        action="append",
        default=[],
        metavar="FILE",
        help="also compare with this checkpoint file (a copy made with checkpoint --export)",
    )
    add_data_dir_arg(verify)
    verify.set_defaults(func=cmd_audit_verify)
    checkpoint = audit_commands.add_parser(
        "checkpoint", help="verify the audit log and sign its head into the checkpoint file"
    )
    checkpoint.add_argument("--export", metavar="FILE", help="append the checkpoint here too")
    add_data_dir_arg(checkpoint)
    checkpoint.set_defaults(func=cmd_audit_checkpoint)


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Check the audit log: every entry's HMAC and link, and the signed checkpoints (deleted
    entries at the end, rewritten heads). An intact log gets a new checkpoint."""
    data_dir(args)
    setup_django()
    from django.core.exceptions import ImproperlyConfigured

    from psa.core.audit import audit_verify

    try:
        result = audit_verify(
            extra_checkpoints=[Path(p) for p in args.checkpoints], write_checkpoint=True
        )
    except ImproperlyConfigured as exc:
        return fail("audit verify", str(exc))
    if not result.intact:
        n = len(result.findings)
        print(f"audit chain BROKEN: {n} finding{'' if n == 1 else 's'} ({result.count} entries)")
        for finding in result.findings:
            print(f"  {finding}")
        for note in result.notes:
            print(f"  note: {note}")
        return 1
    print(
        f"audit chain intact: {result.count} entries, compared with "
        f"{result.checkpoints} checkpoints"
    )
    if result.written is not None:
        print(
            f"  checkpoint written: head id {result.written.head_id}, "
            f"{result.written.count} entries"
        )
    for note in result.notes:
        print(f"  note: {note}")
    return 0


def cmd_audit_checkpoint(args: argparse.Namespace) -> int:
    """Verify the audit log and sign its head into <data dir>/audit-checkpoints.jsonl (and
    --export FILE, a copy kept elsewhere)."""
    data_dir(args)
    setup_django()
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from psa.core.audit import AuditLogNotIntact, audit_checkpoint

    try:
        checkpoint = audit_checkpoint(export=Path(args.export) if args.export else None)
    except ImproperlyConfigured as exc:
        return fail("audit checkpoint", str(exc))
    except AuditLogNotIntact as exc:
        return fail("audit checkpoint", str(exc), code=1)
    sys.stdout.write(checkpoint.line())
    where = settings.PSA_AUDIT_CHECKPOINTS
    also = f" and {args.export}" if args.export else ""
    print(
        f"checkpoint of {checkpoint.count} entries (head id {checkpoint.head_id}) "
        f"appended to {where}{also}",
        file=sys.stderr,
    )
    return 0
