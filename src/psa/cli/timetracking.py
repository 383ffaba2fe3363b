"""`psa time report` (quarterly hours workbooks), `psa time import` (historical time from a
spreadsheet) and `psa time rollup` (the stored hours per work item and week)."""

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
    time = commands.add_parser("time", help="time tracking: reports, the hours rollup")
    time_commands = time.add_subparsers(dest="time_command", required=True)
    report = time_commands.add_parser(
        "report", help="write quarterly hours reports (XLSX), one a person, plus the team's"
    )
    report.add_argument("--year", type=int, help="fiscal year, e.g. 2027 (default: current)")
    report.add_argument("--quarter", type=int, help="1-4 (default: the current quarter)")
    report.add_argument("--person", help="only this person (e-mail)")
    report.add_argument("--out", default=".", help="folder to write to (default: .)")
    add_data_dir_arg(report)
    report.set_defaults(func=cmd_time_report)

    time_import = time_commands.add_parser(
        "import",
        help="import time entries from an .xlsx or .csv file, all or nothing; bad rows on stderr",
    )
    time_import.add_argument("file", help="an .xlsx or .csv file (see docs/time-import.md)")
    time_import.add_argument(
        "--dry-run", action="store_true", help="check every row and report; write nothing"
    )
    add_user_arg(time_import)
    add_data_dir_arg(time_import)
    time_import.set_defaults(func=cmd_time_import)

    rollup = time_commands.add_parser(
        "rollup",
        help="check (or rebuild) the stored hours per work item and week and per person and month",
    )
    rollup.add_argument("--rebuild", action="store_true", help="recompute it from the time entries")
    add_data_dir_arg(rollup)
    rollup.set_defaults(func=cmd_time_rollup)


def cmd_time_report(args: argparse.Namespace) -> int:
    """Quarterly hours reports as XLSX files: one a person (and the team workbook when no
    --person is given), with a progress bar on stderr."""
    data_dir(args)
    setup_django()
    from django.conf import settings

    from psa.core.errors import DomainError
    from psa.people import selectors as people_selectors
    from psa.timetracking import report_files, report_selectors

    try:
        quarter = report_selectors.report_quarter(args.year, args.quarter)
    except DomainError as exc:
        return fail("time report", exc.message)
    if args.person:
        try:
            chosen = [people_selectors.person_by_email(email=args.person)]
        except DomainError as exc:
            return fail("time report", exc.message)
    else:
        chosen = report_selectors.team_people(quarter=quarter)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start_month = settings.PSA_FISCAL_YEAR_START_MONTH
    print(
        f"{quarter.label} ({quarter.start} to {quarter.end}, fiscal year from month "
        f"{start_month}): {len(chosen):,} people",
        file=sys.stderr,
    )
    with ProgressBar("people", stage_width=8) as bar:
        reports = report_selectors.team_reports(
            people=chosen, quarter=quarter, progress=lambda d, t: bar("read", d, t)
        )
        for done, result in enumerate(reports, start=1):
            (out / report_files.person_file_name(result)).write_bytes(
                report_files.report_xlsx(result)
            )
            bar("write", done, len(reports))
        if not args.person:
            team = report_files.team_xlsx(reports, progress=lambda d, t: bar("team", d, t))
            (out / f"{report_files.team_file_stem(quarter, None)}.xlsx").write_bytes(team)
    print(f"wrote {len(reports):,} reports to {out}", file=sys.stderr)
    return 0


def cmd_time_rollup(args: argparse.Namespace) -> int:
    """Compare the stored hours rollup with the time entries; --rebuild recomputes it."""
    data_dir(args)
    setup_django()
    from psa.timetracking import rollup

    if args.rebuild:
        print(f"hours rollup rebuilt: {rollup.rebuild()} work item weeks and person months")
        return 0
    problems = rollup.verify()
    for problem in problems[:50]:
        print(problem)
    if problems:
        print(f"hours rollup DIFFERS from the entries in {len(problems)} weeks or months")
        return 1
    print("hours rollup matches the time entries")
    return 0


def cmd_time_import(args: argparse.Namespace) -> int:
    """Import time entries (XLSX or CSV): every bad row on stderr, all or nothing."""
    data_dir(args)
    setup_django()
    from psa.core.errors import DomainError
    from psa.timetracking import entry_files, imports

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        return fail("time import", str(exc))
    try:
        with ProgressBar("rows", stage_width=9) as bar:
            who = acting_as(args.user)
            imports.require_importer(who)
            parsed = entry_files.read_entries(data, progress=bar)
            report = imports.time_import(
                actor=who,
                rows=parsed,
                dry_run=args.dry_run,
                progress=bar,
                source=Path(args.file).name,
                digest=imports.file_digest(data),
            )
    except DomainError as exc:
        return fail("time import", exc.message)
    for error in report.errors:
        print(f"{error.field}: {error.reason}", file=sys.stderr)
    if report.errors:
        print(report.problem().message, file=sys.stderr)
        return 1
    verb = "would import" if args.dry_run else "imported"
    span = f", {report.first_date} to {report.last_date}" if report.first_date else ""
    entries = f"{report.entries:,} time entr{'y' if report.entries == 1 else 'ies'}"
    people = f"{report.people} {'person' if report.people == 1 else 'people'}"
    rows = f"{report.rows:,} row{'' if report.rows == 1 else 's'}"
    print(f"{verb} {entries} ({report.hours} h, {people}{span}) from {rows}", file=sys.stderr)
    return 0
