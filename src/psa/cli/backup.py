"""`psa backup` and `psa restore`: every table to one file and back."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from psa.cli.common import add_data_dir_arg, data_dir, fail, setup_django

if TYPE_CHECKING:
    from psa.cli.common import Commands


def register(commands: Commands) -> None:
    backup = commands.add_parser("backup", help="write every table to a file")
    backup.add_argument("file")
    add_data_dir_arg(backup)
    backup.set_defaults(func=cmd_backup)

    restore = commands.add_parser("restore", help="load a backup into an empty database")
    restore.add_argument("file")
    restore.add_argument("--replace", action="store_true", help="erase existing data first")
    restore.add_argument(
        "--check", action="store_true", help="only verify the file and report; change nothing"
    )
    add_data_dir_arg(restore)
    restore.set_defaults(func=cmd_restore)


def cmd_backup(args: argparse.Namespace) -> int:
    data_dir(args)
    setup_django()
    from psa import backup
    from psa.core.errors import DomainError

    try:
        count = backup.backup(Path(args.file))
    except DomainError as exc:
        return fail("backup", exc.message)
    print(f"wrote {count} rows to {args.file}", file=sys.stderr)
    print(backup.audit_key_note(), file=sys.stderr)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    data_dir(args)
    setup_django()
    from psa import backup
    from psa.core.errors import DomainError

    try:
        if args.check:
            print(backup.check(Path(args.file)))
            return 0
        count = backup.restore(Path(args.file), replace=args.replace)
    except DomainError as exc:
        return fail("restore", exc.message)
    print(f"restored {count} rows from {args.file}", file=sys.stderr)
    return 0
