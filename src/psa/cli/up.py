"""`psa up` (set up and run everything under one supervisor), and the two background processes
it runs: `psa worker` and `psa periodic`."""

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
from typing import TYPE_CHECKING, Any

from psa import production
from psa.cli.common import add_data_dir_arg, data_dir, fail, setup_django

if TYPE_CHECKING:
    from psa.cli.common import Commands

# gunicorn's request-line limit, in bytes: 0 lifts its 4094-byte default (it allows at most
# 8190 otherwise) to its own 1 MB ceiling, for the 500 engagement ids of one GET
# /time/engagement-hours (about 10 KB); Django still caps the number of parameters.
REQUEST_LINE_LIMIT = 0


def register(commands: Commands) -> None:
    up = commands.add_parser("up", help="set up and run PSA: web server and background worker")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--port", type=int, default=8000)
    up.add_argument("--workers", type=int, default=2, help="web server processes")
    up.add_argument("--no-demo", action="store_true", help="start empty (admin only)")
    up.add_argument(
        "--clock", help="run on a clock starting at this instant, e.g. 2026-11-23T08:00Z"
    )
    up.add_argument("--access-log", action="store_true")
    add_data_dir_arg(up)
    up.set_defaults(func=cmd_up)

    periodic = commands.add_parser(
        "periodic", help="run the periodic jobs (reminders, quarter-end certifications, purges)"
    )
    periodic.add_argument("--once", action="store_true", help="run once and exit (for cron)")
    periodic.add_argument("--every", type=int, default=300, help="seconds between runs")
    add_data_dir_arg(periodic)
    periodic.set_defaults(func=cmd_periodic)

    worker = commands.add_parser("worker", help="run the background worker only")
    add_data_dir_arg(worker)
    worker.set_defaults(func=cmd_worker)


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
    folder = data_dir(args)
    if args.clock:
        from psa.core.clock import encode_clock, parse_instant

        try:
            start = parse_instant(args.clock)
        except ValueError as exc:
            return fail("up", f"--clock: {exc}")
        os.environ["PSA_CLOCK"] = encode_clock(start)
    # The links in its e-mails lead here (the worker, started below, inherits it).
    os.environ.setdefault("PSA_BASE_URL", f"http://{args.host}:{args.port}")
    setup_django()
    from django.core.management import call_command

    from psa import demo

    if not _port_free(args.host, args.port):
        return fail("up", f"{args.host}:{args.port} is already in use; pick another with --port")
    from django.conf import settings

    # Production never runs with the demo team: it is not loaded, and a database that has it
    # (a development data folder switched to production) is refused before anything changes.
    if settings.PRODUCTION and (left := demo.demo_login_left()):
        return fail("up", production.ERR_DEMO_LOGINS.format(username=left))
    with_demo = not (args.no_demo or settings.PRODUCTION)
    call_command("migrate", interactive=False, verbosity=0)
    if demo.database_is_empty():
        if with_demo:
            print("Loading the demo data set…", flush=True)
            demo.load_demo(size="small", progress=lambda msg: print(f"  {msg}", flush=True))
        else:
            demo.load_reference_data()
    username, password = _ensure_admin(folder)

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


# ------------------------------------------------------------------ the supervised processes


def cmd_periodic(args: argparse.Namespace) -> int:
    """The periodic jobs (idempotent; see psa.periodic): timesheet reminders, the end-of-quarter
    certifications, purging old jobs. `--once` runs them once (cron)."""
    data_dir(args)
    setup_django()
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
    data_dir(args)
    setup_django()
    from django.core.management import call_command

    call_command("db_worker", interval=1.0)
    return 0
