"""The `psa` command: run the system, manage tokens, demo data, backups and benchmarks."""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from psa import production

# gunicorn's request-line limit, in bytes: 0 lifts its 4094-byte default (it allows at most
# 8190 otherwise) to its own 1 MB ceiling, for the 500 engagement ids of one GET
# /time/engagement-hours (about 10 KB); Django still caps the number of parameters.
REQUEST_LINE_LIMIT = 0


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psa.settings")
    import django

    django.setup()


def _data_dir(args: argparse.Namespace) -> Path:
    path = Path(
        getattr(args, "data_dir", None) or os.environ.get("PSA_DATA_DIR") or "psa-data"
    ).resolve()
    path.mkdir(parents=True, exist_ok=True)
    os.environ["PSA_DATA_DIR"] = str(path)
    return path


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _ensure_admin(data_dir: Path) -> tuple[str, str]:
    """Create the admin login on first start; its password is kept in the data folder."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    password_file = data_dir / "initial_admin_password"
    if not User.objects.filter(username="admin").exists():
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser("admin", "admin@localhost", password)
        password_file.write_text(password + "\n")
        password_file.chmod(0o600)
        return "admin", password
    if password_file.exists():
        return "admin", password_file.read_text().strip()
    return "admin", "(set earlier; not stored)"


def cmd_up(args: argparse.Namespace) -> int:
    data_dir = _data_dir(args)
    if args.clock:
        from psa.core.clock import encode_clock, parse_instant

        try:
            start = parse_instant(args.clock)
        except ValueError as exc:
            print(f"psa up: --clock: {exc}", file=sys.stderr)
            return 2
        os.environ["PSA_CLOCK"] = encode_clock(start)
    _setup_django()
    from django.core.management import call_command

    from psa import demo

    if not _port_free(args.host, args.port):
        print(
            f"psa up: {args.host}:{args.port} is already in use; pick another with --port",
            file=sys.stderr,
        )
        return 2
    from django.conf import settings

    # Production never runs with the demo team: it is not loaded, and a database that has it
    # (a development data folder switched to production) is refused before anything changes.
    if settings.PRODUCTION and (left := demo.demo_login_left()):
        print(f"psa up: {production.ERR_DEMO_LOGINS.format(username=left)}", file=sys.stderr)
        return 2
    with_demo = not (args.no_demo or settings.PRODUCTION)
    call_command("migrate", interactive=False, verbosity=0)
    if demo.database_is_empty():
        if with_demo:
            print("Loading the demo data set…", flush=True)
            demo.load_demo(size="small", progress=lambda msg: print(f"  {msg}", flush=True))
        else:
            demo.load_reference_data()
    username, password = _ensure_admin(data_dir)

    db = settings.DATABASES["default"]
    where = db["NAME"] if db["ENGINE"].endswith("sqlite3") else f"{db['ENGINE']} {db['NAME']}"
    url = f"http://{args.host}:{args.port}"
    print(f"PSA is starting on {url}", flush=True)
    print(f"  database: {where}\n  sign in as {username} / {password}", flush=True)
    if with_demo:
        print(f"  {demo.DEMO_PASSWORD_NOTE}", flush=True)
    if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
        print(f"  e-mail is written to {settings.EMAIL_FILE_PATH} (set PSA_SMTP_HOST to send it)")
    print("  Ctrl-C stops the web server and the worker.", flush=True)
    env = dict(os.environ)
    gunicorn = [
        *("-m", "gunicorn", "psa.wsgi:application"),
        *("--bind", f"{args.host}:{args.port}", "--workers", str(args.workers)),
        *("--access-logfile", "-" if args.access_log else "/dev/null"),
        *("--graceful-timeout", "5", "--log-level", "warning"),
        *("--limit-request-line", str(REQUEST_LINE_LIMIT)),
    ]
    return supervise(
        [
            Supervised("web server", gunicorn, restart=False),
            Supervised("worker", ["-m", "psa.cli", "worker"], restart=True),
            Supervised("periodic runner", ["-m", "psa.cli", "periodic"], restart=True),
        ],
        env=env,
    )


# ------------------------------------------------------------------ the process supervisor

RESTART_FIRST_DELAY = 1.0  # seconds
RESTART_MAX_DELAY = 30.0


def restart_delay(previous: float | None, ran_for: float) -> float:
    """How long to wait before restarting a background process that exited after running
    `ran_for` seconds: 1 s, doubling up to 30 s while it keeps dying at once (a broken database
    URL must not spin), back to 1 s once it had run for longer than the longest wait."""
    if previous is None or ran_for > RESTART_MAX_DELAY:
        return RESTART_FIRST_DELAY
    return min(previous * 2, RESTART_MAX_DELAY)


def _exit_text(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


class Supervised:
    """One child process of `psa up`. The web server is essential: when it exits, everything
    stops. The worker and the periodic runner are restarted (with a backoff), since the web
    server goes on serving without them and their work is idempotent."""

    def __init__(self, name: str, argv: list[str], *, restart: bool) -> None:
        self.name = name
        self.argv = [sys.executable, *argv]
        self.restart = restart
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.delay: float | None = None  # the last restart's wait
        self.restart_at = 0.0

    def start(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(self.argv, env=env)  # noqa: S603 - our interpreter, our args
        self.started = time.monotonic()
        print(f"psa up: {self.name} running (pid {self.proc.pid})", file=sys.stderr, flush=True)


def supervise(children: list[Supervised], *, env: dict[str, str]) -> int:
    """Run the children until Ctrl-C, SIGTERM or an essential child's exit; then stop them all
    (SIGTERM, then SIGKILL after 10 s). Returns the exit status for `psa up`."""
    stopping = False

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for child in children:
        child.start(env)
    code = 0
    while not stopping:
        now = time.monotonic()
        for child in children:
            if child.proc is None:  # waiting for its restart
                if now >= child.restart_at:
                    child.start(env)
                continue
            status = child.proc.poll()
            if status is None:
                continue
            if not child.restart:
                print(f"psa up: the {child.name} {_exit_text(status)}; stopping", file=sys.stderr)
                code = status or 1
                stopping = True
                break
            child.delay = restart_delay(child.delay, now - child.started)
            child.proc = None
            child.restart_at = now + child.delay
            print(
                f"psa up: the {child.name} {_exit_text(status)}; "
                f"restarting it in {child.delay:g} s",
                file=sys.stderr,
                flush=True,
            )
        time.sleep(0.2)
    print("Stopping…", flush=True)
    for child in children:
        if child.proc is not None and child.proc.poll() is None:
            child.proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for child in children:
        if child.proc is None:
            continue
        try:
            child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.proc.kill()
    print("Stopped.", flush=True)
    return code


def cmd_periodic(args: argparse.Namespace) -> int:
    """The periodic jobs (idempotent; see psa.periodic): timesheet reminders, the end-of-quarter
    certifications, purging old jobs. `--once` runs them once (cron)."""
    _data_dir(args)
    _setup_django()
    from django.db import close_old_connections

    from psa.periodic import run_once

    stop = False

    def handle(signum: int, frame: Any) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    while True:
        for name, count in run_once().items():
            if count:
                what = "FAILED (see the log)" if count < 0 else str(count)
                print(f"psa periodic: {name}: {what}", file=sys.stderr, flush=True)
        close_old_connections()
        if args.once:
            return 0
        for _ in range(int(args.every)):
            if stop:
                return 0
            time.sleep(1)


def cmd_worker(args: argparse.Namespace) -> int:
    _data_dir(args)
    _setup_django()
    from django.core.management import call_command

    call_command("db_worker", interval=1.0)
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    _data_dir(args)
    _setup_django()
    from psa.core import tokens
    from psa.core.errors import DomainError
    from psa.core.roles import SYSTEM

    try:
        user = tokens.user_by_username(args.user)
        issued = tokens.token_create(actor=SYSTEM, user=user, name=args.name, days=args.days)
    except DomainError as exc:
        print(f"psa token create: {exc.message}", file=sys.stderr)
        return 2
    print(issued.secret)
    print(
        f"expires {issued.token.expires_at:%Y-%m-%d %H:%M} UTC; shown once, keep it safe",
        file=sys.stderr,
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    _data_dir(args)
    _setup_django()
    from django.conf import settings
    from django.core.management import call_command

    from psa import demo

    if settings.PRODUCTION:
        print(f"psa demo: {production.ERR_DEMO}", file=sys.stderr)
        return 2
    call_command("migrate", interactive=False, verbosity=0)
    demo.load_demo(size=args.size, progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """Check the audit log: every entry's HMAC and link, and the signed checkpoints (deleted
    entries at the end, rewritten heads). An intact log gets a new checkpoint."""
    _data_dir(args)
    _setup_django()
    from django.core.exceptions import ImproperlyConfigured

    from psa.core.audit import audit_verify

    try:
        result = audit_verify(
            extra_checkpoints=[Path(p) for p in args.checkpoints], write_checkpoint=True
        )
    except ImproperlyConfigured as exc:
        print(f"psa audit verify: {exc}", file=sys.stderr)
        return 2
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
    _data_dir(args)
    _setup_django()
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from psa.core.audit import AuditLogNotIntact, audit_checkpoint

    try:
        checkpoint = audit_checkpoint(export=Path(args.export) if args.export else None)
    except ImproperlyConfigured as exc:
        print(f"psa audit checkpoint: {exc}", file=sys.stderr)
        return 2
    except AuditLogNotIntact as exc:
        print(f"psa audit checkpoint: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(checkpoint.line())
    where = settings.PSA_AUDIT_CHECKPOINTS
    also = f" and {args.export}" if args.export else ""
    print(
        f"checkpoint of {checkpoint.count} entries (head id {checkpoint.head_id}) "
        f"appended to {where}{also}",
        file=sys.stderr,
    )
    return 0


def cmd_time_rollup(args: argparse.Namespace) -> int:
    """Compare the stored hours rollup with the time entries; --rebuild recomputes it."""
    _data_dir(args)
    _setup_django()
    from psa.timetracking import rollup

    if args.rebuild:
        print(f"hours rollup rebuilt: {rollup.rebuild()} work item weeks")
        return 0
    problems = rollup.verify()
    for problem in problems[:50]:
        print(problem)
    if problems:
        print(f"hours rollup DIFFERS from the entries in {len(problems)} work item weeks")
        return 1
    print("hours rollup matches the time entries")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    _data_dir(args)
    _setup_django()
    from psa import backup
    from psa.core.errors import DomainError

    try:
        count = backup.backup(Path(args.file))
    except DomainError as exc:
        print(f"psa backup: {exc.message}", file=sys.stderr)
        return 2
    print(f"wrote {count} rows to {args.file}", file=sys.stderr)
    print(backup.audit_key_note(), file=sys.stderr)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    _data_dir(args)
    _setup_django()
    from psa import backup
    from psa.core.errors import DomainError

    try:
        if args.check:
            print(backup.check(Path(args.file)))
            return 0
        count = backup.restore(Path(args.file), replace=args.replace)
    except DomainError as exc:
        print(f"psa restore: {exc.message}", file=sys.stderr)
        return 2
    print(f"restored {count} rows from {args.file}", file=sys.stderr)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    _data_dir(args)
    if args.db == "postgres":
        # Never the application's own DATABASE_URL: the benchmark loads a synthetic organisation.
        os.environ["DATABASE_URL"] = (
            os.environ.get("PSA_BENCH_DATABASE_URL")
            or "postgres://postgres@127.0.0.1:5432/psa_bench"
        )
    from psa.bench import run

    return run(area=args.area, size=args.size, db=args.db)


def cmd_openapi(args: argparse.Namespace) -> int:
    _data_dir(args)
    _setup_django()
    from psa.api import openapi_json

    text = openapi_json()
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_schedule_import(args: argparse.Namespace) -> int:
    """Import the scheduling spreadsheet (XLSX or CSV): every bad row on stderr, all or nothing."""
    _data_dir(args)
    _setup_django()
    from psa.core.errors import DomainError
    from psa.core.roles import SYSTEM
    from psa.scheduling import imports, sheets

    def bar(stage: str, done: int, total: int) -> None:
        if total:
            filled = 30 * done // total
            text = f"{stage:<9}[{'#' * filled}{' ' * (30 - filled)}] {done:,}/{total:,} rows"
        else:
            text = f"{stage:<9}{done:,} rows"
        end = "\n" if done == total else ""
        print(f"\r{text}", end=end, file=sys.stderr, flush=True)

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"psa schedule import: {exc}", file=sys.stderr)
        return 2
    try:
        who = SYSTEM
        if args.user:
            from psa.core import tokens
            from psa.people.selectors import actor_for

            who = actor_for(tokens.user_by_username(args.user))
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
        print(f"psa schedule import: {exc.message}", file=sys.stderr)
        return 2
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

    _data_dir(args)
    path = Path(args.file)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        print("psa schedule export: FILE must end in .xlsx or .csv", file=sys.stderr)
        return 2
    try:
        start = dt.date.fromisoformat(args.start) if args.start else None
        end = dt.date.fromisoformat(args.end) if args.end else None
    except ValueError as exc:
        print(f"psa schedule export: --start/--end: {exc}", file=sys.stderr)
        return 2
    _setup_django()
    from psa.scheduling import imports, sheets

    rows = imports.schedule_export(start=start, end=end)
    path.write_bytes(sheets.write_sheet(rows, fmt))
    print(f"wrote {len(rows):,} bookings to {path}", file=sys.stderr)
    return 0


def cmd_gitlab_sync(args: argparse.Namespace) -> int:
    """Sync a GitLab group's epics, labels, issues and time logs; reported items on stderr."""
    _data_dir(args)
    _setup_django()
    from psa.core.errors import DomainError
    from psa.core.roles import SYSTEM
    from psa.integrations.gitlab import GitLabClient, gitlab_settings
    from psa.timetracking.gitlab_sync import gitlab_sync

    def progress(stage: str, done: int, total: int) -> None:
        text = f"{stage:<13}{done:,}/{total:,}" if total else f"{stage:<13}{done:,}"
        print(f"\r{text}", end="\n" if total and done == total else "", file=sys.stderr, flush=True)

    try:
        settings = gitlab_settings(require_group=not args.group)

        who = SYSTEM
        if args.user:
            from psa.core import tokens
            from psa.people.selectors import actor_for

            who = actor_for(tokens.user_by_username(args.user))
        with GitLabClient.from_settings(settings) as client:
            report = gitlab_sync(
                actor=who,
                client=client,
                group=args.group or settings.group,
                progress=progress,
            )
    except DomainError as exc:
        print(f"psa gitlab sync: {exc.message}", file=sys.stderr)
        return 2
    for item in report.reported:
        print(f"{item.code}: {item.message}", file=sys.stderr)
    print(
        f"{report.group}: {report.entries_created} time entries created, "
        f"{report.entries_updated} updated, {report.entries_removed} removed, "
        f"{report.entries_unchanged} unchanged; {report.work_items_created} work items created, "
        f"{report.work_items_updated} updated; {report.epics_created} epic categories created; "
        f"{len(report.reported)} reported",
        file=sys.stderr,
    )
    return 0


def cmd_time_report(args: argparse.Namespace) -> int:
    """Quarterly hours reports as XLSX files: one a person (and the team workbook when no
    --person is given), with a progress bar on stderr."""
    _data_dir(args)
    _setup_django()
    from django.conf import settings

    from psa.core.errors import DomainError
    from psa.people import selectors as people_selectors
    from psa.timetracking import report

    try:
        quarter = report.report_quarter(args.year, args.quarter)
    except DomainError as exc:
        print(f"psa time report: {exc.message}", file=sys.stderr)
        return 2
    if args.person:
        try:
            chosen = [people_selectors.person_by_email(email=args.person)]
        except DomainError as exc:
            print(f"psa time report: {exc.message}", file=sys.stderr)
            return 2
    else:
        chosen = report.team_people(quarter=quarter)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start_month = settings.PSA_FISCAL_YEAR_START_MONTH

    def bar(stage: str, done: int, total: int) -> None:
        filled = 30 * done // total if total else 30
        end = "\n" if done == total else ""
        text = f"{stage:<8}[{'#' * filled}{' ' * (30 - filled)}] {done:,}/{total:,} people"
        print(f"\r{text}", end=end, file=sys.stderr, flush=True)

    print(
        f"{quarter.label} ({quarter.start} to {quarter.end}, fiscal year from month "
        f"{start_month}): {len(chosen):,} people",
        file=sys.stderr,
    )
    reports = report.team_reports(
        people=chosen, quarter=quarter, progress=lambda d, t: bar("read", d, t)
    )
    for done, result in enumerate(reports, start=1):
        (out / report.person_file_name(result)).write_bytes(report.report_xlsx(result))
        bar("write", done, len(reports))
    if not args.person:
        team = report.team_xlsx(reports, progress=lambda d, t: bar("team", d, t))
        (out / f"{report.team_file_stem(quarter, None)}.xlsx").write_bytes(team)
    print(f"wrote {len(reports):,} reports to {out}", file=sys.stderr)
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    _data_dir(args)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psa.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["psa manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="psa", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def data_dir_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-dir", help="data folder (default ./psa-data or $PSA_DATA_DIR)")

    up = sub.add_parser("up", help="set up and run PSA: web server and background worker")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--port", type=int, default=8000)
    up.add_argument("--workers", type=int, default=2, help="web server processes")
    up.add_argument("--no-demo", action="store_true", help="start empty (admin only)")
    up.add_argument(
        "--clock", help="run on a clock starting at this instant, e.g. 2026-11-23T08:00Z"
    )
    up.add_argument("--access-log", action="store_true")
    data_dir_arg(up)
    up.set_defaults(func=cmd_up)

    periodic = sub.add_parser(
        "periodic", help="run the periodic jobs (reminders, quarter-end certifications, purges)"
    )
    periodic.add_argument("--once", action="store_true", help="run once and exit (for cron)")
    periodic.add_argument("--every", type=int, default=300, help="seconds between runs")
    data_dir_arg(periodic)
    periodic.set_defaults(func=cmd_periodic)

    worker = sub.add_parser("worker", help="run the background worker only")
    data_dir_arg(worker)
    worker.set_defaults(func=cmd_worker)

    token = sub.add_parser("token", help="API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    create = token_sub.add_parser("create", help="print a new API token for a user")
    create.add_argument("--user", required=True)
    create.add_argument("--name", default="cli")
    create.add_argument("--days", type=int, default=None)
    data_dir_arg(create)
    create.set_defaults(func=cmd_token)

    demo = sub.add_parser("demo", help="load demo data (large: a synthetic set for benchmarks)")
    demo.add_argument("--size", choices=["small", "large"], default="small")
    data_dir_arg(demo)
    demo.set_defaults(func=cmd_demo)

    audit = sub.add_parser("audit", help="audit log tools")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser(
        "verify", help="check the audit log's keyed hash chain and its signed checkpoints"
    )
    verify.add_argument(
        "--checkpoints",
        action="append",
        default=[],
        metavar="FILE",
        help="also compare with this checkpoint file (a copy made with checkpoint --export)",
    )
    data_dir_arg(verify)
    verify.set_defaults(func=cmd_audit)
    checkpoint = audit_sub.add_parser(
        "checkpoint", help="verify the audit log and sign its head into the checkpoint file"
    )
    checkpoint.add_argument("--export", metavar="FILE", help="append the checkpoint here too")
    data_dir_arg(checkpoint)
    checkpoint.set_defaults(func=cmd_audit_checkpoint)

    backup = sub.add_parser("backup", help="write every table to a file")
    backup.add_argument("file")
    data_dir_arg(backup)
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser("restore", help="load a backup into an empty database")
    restore.add_argument("file")
    restore.add_argument("--replace", action="store_true", help="erase existing data first")
    restore.add_argument(
        "--check", action="store_true", help="only verify the file and report; change nothing"
    )
    data_dir_arg(restore)
    restore.set_defaults(func=cmd_restore)

    bench = sub.add_parser("bench", help="benchmarks; one JSON line per measurement")
    bench.add_argument("area", choices=["platform", "scheduling", "time", "education", "finance"])
    bench.add_argument("--size", choices=["small", "large"], default="small")
    bench.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    data_dir_arg(bench)
    bench.set_defaults(func=cmd_bench)

    openapi = sub.add_parser("openapi", help="print the API's OpenAPI schema (docs/openapi.json)")
    openapi.add_argument("--output", "-o", help="write to this file instead of stdout")
    data_dir_arg(openapi)
    openapi.set_defaults(func=cmd_openapi)

    schedule = sub.add_parser("schedule", help="the schedule as a spreadsheet (XLSX or CSV)")
    schedule_sub = schedule.add_subparsers(dest="schedule_command", required=True)
    schedule_import = schedule_sub.add_parser(
        "import", help="import a scheduling spreadsheet, all or nothing; bad rows on stderr"
    )
    schedule_import.add_argument("file", help="an .xlsx or .csv file")
    schedule_import.add_argument(
        "--dry-run", action="store_true", help="check every row and report; write nothing"
    )
    schedule_import.add_argument(
        "--override-capacity", action="store_true", help="book rows over capacity anyway"
    )
    schedule_import.add_argument("--user", help="act as this login (default: system)")
    data_dir_arg(schedule_import)
    schedule_import.set_defaults(func=cmd_schedule_import)
    schedule_export = schedule_sub.add_parser(
        "export", help="write the schedule to an .xlsx or .csv file in the import format"
    )
    schedule_export.add_argument("file", help="an .xlsx or .csv file")
    schedule_export.add_argument("--start", help="bookings ending on or after this date")
    schedule_export.add_argument("--end", help="bookings starting on or before this date")
    data_dir_arg(schedule_export)
    schedule_export.set_defaults(func=cmd_schedule_export)

    gitlab_cmd = sub.add_parser("gitlab", help="GitLab import (PSA_GITLAB_URL, PSA_GITLAB_TOKEN)")
    gitlab_sub = gitlab_cmd.add_subparsers(dest="gitlab_command", required=True)
    gitlab_sync = gitlab_sub.add_parser(
        "sync", help="sync a group's epics, labels, issues and time logs; reports on stderr"
    )
    gitlab_sync.add_argument("--group", help="group id or full path (default $PSA_GITLAB_GROUP)")
    gitlab_sync.add_argument("--user", help="act as this login (default: system)")
    data_dir_arg(gitlab_sync)
    gitlab_sync.set_defaults(func=cmd_gitlab_sync)

    time_cmd = sub.add_parser("time", help="time tracking: reports, the hours rollup")
    time_sub = time_cmd.add_subparsers(dest="time_command", required=True)
    time_report = time_sub.add_parser(
        "report", help="write quarterly hours reports (XLSX), one a person, plus the team's"
    )
    time_report.add_argument("--year", type=int, help="fiscal year, e.g. 2027 (default: current)")
    time_report.add_argument("--quarter", type=int, help="1-4 (default: the current quarter)")
    time_report.add_argument("--person", help="only this person (e-mail)")
    time_report.add_argument("--out", default=".", help="folder to write to (default: .)")
    data_dir_arg(time_report)
    time_report.set_defaults(func=cmd_time_report)

    time_rollup = time_sub.add_parser(
        "rollup", help="check (or rebuild) the stored hours per work item and week"
    )
    time_rollup.add_argument(
        "--rebuild", action="store_true", help="recompute it from the time entries"
    )
    data_dir_arg(time_rollup)
    time_rollup.set_defaults(func=cmd_time_rollup)

    manage = sub.add_parser("manage", help="Django management commands")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    data_dir_arg(manage)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    from django.core.exceptions import ImproperlyConfigured

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ImproperlyConfigured as exc:
        # Settings refused to load (production without a proper key, with debug, ...): the
        # reason, not a traceback, and nothing has started.
        print(f"psa {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
