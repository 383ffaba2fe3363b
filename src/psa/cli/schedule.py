"""`psa schedule import` and `psa schedule export`: the schedule as a spreadsheet (XLSX or
CSV)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from psa.cli.common import acting_as, add_data_dir_arg, add_user_arg, data_dir, fail, setup_django
from psa.cli.progress import ProgressBar

if TYPE_CHECKING:
    from psa.cli.common import Commands


def register(commands: Commands) -> None:
    schedule = commands.add_parser("schedule", help="the schedule as a spreadsheet (XLSX or CSV)")
    schedule_commands = schedule.add_subparsers(dest="schedule_command", required=True)
    schedule_import = schedule_commands.add_parser(
        "import", help="import a scheduling spreadsheet, all or nothing; bad rows on stderr"
    )
    schedule_import.add_argument("file", help="an .xlsx or .csv file")
    schedule_import.add_argument(
        "--dry-run", action="store_true", help="check every row and report; write nothing"
    )
    schedule_import.add_argument(
        "--override-capacity", action="store_true", help="book rows over capacity anyway"
    )
    add_user_arg(schedule_import)
    add_data_dir_arg(schedule_import)
    schedule_import.set_defaults(func=cmd_schedule_import)
    schedule_export = schedule_commands.add_parser(
        "export", help="write the schedule to an .xlsx or .csv file in the import format"
    )
    schedule_export.add_argument("file", help="an .xlsx or .csv file")
    schedule_export.add_argument("--start", help="bookings ending on or after this date")
    schedule_export.add_argument("--end", help="bookings starting on or before this date")
    add_data_dir_arg(schedule_export)
    schedule_export.set_defaults(func=cmd_schedule_export)


def cmd_schedule_import(args: argparse.Namespace) -> int:
    """Import the scheduling spreadsheet (XLSX or CSV): every bad row on stderr, all or nothing."""
    data_dir(args)
    setup_django()
    from psa.core.errors import DomainError
    from psa.scheduling import imports, sheets

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        return fail("schedule import", str(exc))
    try:
        with ProgressBar("rows", stage_width=9) as bar:
            who = acting_as(args.user)
            sheet = sheets.read_sheet(data, progress=bar)
            report = imports.schedule_import(
                actor=who,
                rows=sheet,
                dry_run=args.dry_run,
                override_capacity=args.override_capacity,
                progress=bar,
                source=Path(args.file).name,
            )
    except DomainError as exc:
        return fail("schedule import", exc.message)
    for error in report.errors:
        print(f"{error.field}: {error.reason}", file=sys.stderr)
    for error in report.over_capacity:
        print(f"{error.field}: booked over capacity: {error.reason}", file=sys.stderr)
    if report.errors:
        print(report.problem().message, file=sys.stderr)
        return 1
    verb = "would import" if args.dry_run else "imported"
    print(
        f"{verb} {report.bookings:,} bookings ({report.hours} h, {report.people} people) "
        f"from {report.rows:,} rows",
        file=sys.stderr,
    )
    return 0


def cmd_schedule_export(args: argparse.Namespace) -> int:
    """Write the schedule to FILE (.xlsx or .csv) in the import format."""
    import datetime as dt

    data_dir(args)
    path = Path(args.file)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        return fail("schedule export", "FILE must end in .xlsx or .csv")
    try:
        start = dt.date.fromisoformat(args.start) if args.start else None
        end = dt.date.fromisoformat(args.end) if args.end else None
    except ValueError as exc:
        return fail("schedule export", f"--start/--end: {exc}")
    setup_django()
    from psa.scheduling import imports, sheets

    rows = imports.schedule_export(start=start, end=end)
    path.write_bytes(sheets.write_sheet(rows, fmt))
    print(f"wrote {len(rows):,} bookings to {path}", file=sys.stderr)
    return 0
