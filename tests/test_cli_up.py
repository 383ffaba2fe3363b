"""`psa up` in a subprocess on a free port: health, then the API with a CLI-made token; what
production refuses at start; the supervisor restarting a dead worker."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import string
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from psa import production
from psa.cli import up
from psa.core import clock
from psa.demo import DEMO_PASSWORD

pytestmark = pytest.mark.slow
PSA = [sys.executable, "-m", "psa.cli"]
GOOD_KEY = secrets.token_urlsafe(50)
# A first `psa up` migrates and loads the demo before it serves: about a minute on two cores
# when the machine is busy (on PostgreSQL, beside another test process, it took over 90 s).
# Only a hang waits this long; a process that dies fails the test at once.
FIRST_START_SECONDS = 240


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, token: str = "") -> tuple[int, Any]:
    """The status and the JSON body (an object or a list, as the endpoint answers)."""
    request = urllib.request.Request(url)  # noqa: S310 - our own local server
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def own_database() -> Iterator[dict[str, str]]:
    """The environment `psa up` runs in: on PostgreSQL a database of its own, created empty and
    dropped after, as an operator's first run would find it. (The shared test database keeps
    what earlier runs left, audit entries signed with another data folder's key included.)"""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield {}
        return
    import psycopg

    base, _, _ = url.rpartition("/")
    name = f"psa_up_{os.getpid()}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {"DATABASE_URL": f"{base}/{name}"}
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_psa_up_serves_health_and_the_api_and_stops_on_ctrl_c(
    tmp_path: Path, own_database: dict[str, str]
) -> None:
    port = free_port()
    env = {**os.environ, "PSA_DATA_DIR": str(tmp_path), **own_database}
    env.pop("PSA_SMTP_HOST", None)  # no SMTP server: e-mail goes to the outbox folder
    psa = [sys.executable, "-m", "psa.cli"]
    proc = subprocess.Popen(
        [*psa, "up", "--port", str(port), "--clock", "2026-11-23T08:00Z"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + FIRST_START_SECONDS
        status = 0
        while time.monotonic() < deadline:
            try:
                status, health = get(f"{base}/healthz")
                if status == 200:
                    break
            except OSError:  # not listening yet, or a first request slow on a busy machine
                pass
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            time.sleep(0.5)
        assert status == 200
        assert health["database"] == "ok"
        assert str(health["time"]).startswith("2026-11-23T08:")  # the --clock instant
        token = subprocess.run(
            [*psa, "token", "create", "--user", "priya.raman"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        status, people = get(f"{base}/api/v1/people?role=pse", token)
        assert status == 200
        assert int(str(people["count"])) >= 12
        status, problem = get(f"{base}/api/v1/people", "psa_bad_token")
        assert status == 401
        assert problem["errors"]
        # A 9 KB request line (500 ids) reaches PSA, not gunicorn's own HTML 414.
        status, listed = get(f"{base}/api/v1/engagements?page_size=1", token)
        first = listed["items"][0]["id"]
        ids = "&".join([f"engagement_id={first:05d}"] * 500)
        assert len(ids) > 4094
        status, totals = get(f"{base}/api/v1/time/engagement-hours?{ids}", token)
        assert status == 200
        assert [row["engagement_id"] for row in totals] == [first]
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "sign in as admin / " in out
    assert f"e-mail is written to {tmp_path / 'outbox'}" in out
    assert "state=FAILED" not in out  # no task failed, the Monday reminders' e-mail included
    assert "Stopped." in out


def test_psa_up_refuses_a_clock_without_time_zone(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "psa.cli",
            "up",
            "--clock",
            "2026-11-23T08:00",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    refusal = clock.ERR_NO_ZONE.format(text="2026-11-23T08:00")
    assert result.stderr.splitlines()[-1] == f"psa up: --clock: {refusal}"


# ------------------------------------------------------------------ production refuses at start


def production_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    """Production settings on a fresh SQLite data folder, with exactly these PSA_ variables."""
    env = {**os.environ, "PSA_ENV": "production", "PSA_DATA_DIR": str(tmp_path), **variables}
    for name in ("PSA_DEBUG", "PSA_CLOCK", "PSA_SECRET_KEY", "DATABASE_URL"):
        if name not in variables:
            env.pop(name, None)
    return env


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"PSA_SECRET_KEY": GOOD_KEY, "PSA_DEBUG": "1"}, production.ERR_DEBUG),
        ({}, production.ERR_NO_SECRET_KEY),
        (
            {"PSA_SECRET_KEY": string.ascii_letters[:49]},
            production.ERR_SHORT_SECRET_KEY.format(length=50, unique=5, has=49, has_unique=49),
        ),
        (
            {"PSA_SECRET_KEY": "abcd" * 20},
            production.ERR_SHORT_SECRET_KEY.format(length=50, unique=5, has=80, has_unique=4),
        ),
        (
            {"PSA_SECRET_KEY": "django-insecure-" + "x1y2z3" * 8},
            production.ERR_SHORT_SECRET_KEY.format(length=50, unique=5, has=64, has_unique=19),
        ),
    ],
    ids=["debug", "no key", "49 characters", "4 different characters", "insecure prefix"],
)
def test_production_refuses_to_start_with_the_reason(
    tmp_path: Path, variables: dict[str, str], message: str
) -> None:
    port = free_port()
    result = subprocess.run(
        [*PSA, "up", "--port", str(port)],
        env=production_env(tmp_path, **variables),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert f"- {message}\n" in result.stderr
    assert "Traceback" not in result.stderr
    # nothing started: no database, no server, nothing printed as running
    assert not (tmp_path / "psa.sqlite3").exists()
    assert port_is_free(port)
    assert result.stdout == ""


def test_production_names_every_reason_at_once(tmp_path: Path) -> None:
    result = subprocess.run(
        [*PSA, "worker"],
        env=production_env(tmp_path, PSA_SECRET_KEY="short", PSA_DEBUG="1"),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "psa worker: production settings refused (PSA_ENV=production):\n"
        f"- {production.ERR_SHORT_SECRET_KEY.format(length=50, unique=5, has=5, has_unique=5)}\n"
        f"- {production.ERR_DEBUG}\n"
    )


def test_psa_demo_is_refused_in_production(tmp_path: Path) -> None:
    result = subprocess.run(
        [*PSA, "demo"],
        env=production_env(tmp_path, PSA_SECRET_KEY=GOOD_KEY),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert (result.returncode, result.stderr) == (2, f"psa demo: {production.ERR_DEMO}\n")
    assert not (tmp_path / "psa.sqlite3").exists()


def test_production_refuses_a_database_with_the_demo_team(tmp_path: Path) -> None:
    # given a development data folder whose demo login still has the published password
    setup = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'psa.settings'; django.setup()\n"
        "from django.core.management import call_command\n"
        "from django.contrib.auth.models import User\n"
        "call_command('migrate', verbosity=0)\n"
        "User.objects.create_user('someone.real', password='another-password-2026')\n"
        f"User.objects.create_user('priya.raman', password={DEMO_PASSWORD!r})\n"
    )
    dev_env = {**os.environ, "PSA_DATA_DIR": str(tmp_path)}
    for name in ("PSA_ENV", "DATABASE_URL"):
        dev_env.pop(name, None)
    subprocess.run([sys.executable, "-c", setup], env=dev_env, check=True, timeout=120)
    before = (tmp_path / "psa.sqlite3").stat().st_mtime_ns
    port = free_port()
    # when it is started in production
    result = subprocess.run(
        [*PSA, "up", "--port", str(port)],
        env=production_env(tmp_path, PSA_SECRET_KEY=GOOD_KEY),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    # then it refuses, and names the login
    assert result.returncode == 2
    assert result.stderr == (
        f"psa up: {production.ERR_DEMO_LOGINS.format(username='priya.raman')}\n"
    )
    assert result.stdout == ""
    assert port_is_free(port)
    assert (tmp_path / "psa.sqlite3").stat().st_mtime_ns == before


# ------------------------------------------------------------------ the supervisor


@pytest.mark.parametrize(
    ("previous", "ran_for", "delay"),
    [
        (None, 0.5, 1.0),
        (1.0, 1.2, 2.0),
        (2.0, 2.5, 4.0),
        (16.0, 17.0, 30.0),
        (30.0, 30.0, 30.0),
        (30.0, 31.0, 1.0),  # it had run for a while: start again from 1 s
    ],
)
def test_restart_delay_doubles_to_30_seconds(
    previous: float | None, ran_for: float, delay: float
) -> None:
    assert up.restart_delay(previous, ran_for) == delay


class Output:
    """Collects a process's output lines as they come, so a test can wait for one."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._proc = proc
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self.lines.append(line)

    def wait_for(self, pattern: str, *, after: int = 0, timeout: float = 60) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines[after:]:
                if match := re.search(pattern, line):
                    return match
            time.sleep(0.1)
        pytest.fail(f"no line matching {pattern!r} in:\n{''.join(self.lines)}")

    @property
    def text(self) -> str:
        self._thread.join(timeout=30)
        return "".join(self.lines)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_healthy(base: str, proc: subprocess.Popen[str], out: Output) -> dict[str, object]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            status, health = get(f"{base}/healthz")
            if status == 200:
                assert isinstance(health, dict)
                return health
        except OSError:  # not listening yet, or a first request slow on a busy machine
            pass
        assert proc.poll() is None, out.text
        time.sleep(0.5)
    pytest.fail(f"not healthy in 90 s:\n{out.text}")


def test_production_up_has_no_demo_restarts_a_dead_worker_and_stops_with_the_web_server(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = production_env(tmp_path, PSA_SECRET_KEY=GOOD_KEY)
    proc = subprocess.Popen(
        [*PSA, "up", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    out = Output(proc)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc, out)
        web_pid = int(out.wait_for(r"web server running \(pid (\d+)\)").group(1))
        worker_pid = int(out.wait_for(r"worker running \(pid (\d+)\)").group(1))
        periodic_pid = int(out.wait_for(r"periodic runner running \(pid (\d+)\)").group(1))
        # production loaded no demo team
        refused = subprocess.run(
            [*PSA, "token", "create", "--user", "priya.raman"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert refused.returncode == 2, refused.stdout

        # when the worker dies
        seen = len(out.lines)
        os.kill(worker_pid, signal.SIGKILL)
        # then psa up says so and starts a new one a second later; the web server goes on
        out.wait_for(r"the worker was killed by SIGKILL; restarting it in 1 s", after=seen)
        new_pid = int(out.wait_for(r"worker running \(pid (\d+)\)", after=seen).group(1))
        assert new_pid != worker_pid
        assert pid_alive(new_pid)
        assert get(f"{base}/healthz")[0] == 200
        assert proc.poll() is None

        # when the web server dies, everything stops
        os.kill(web_pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
    text = out.text
    assert proc.returncode != 0, text
    assert "the web server was killed by SIGKILL; stopping" in text
    assert "Stopped." in text
    assert not pid_alive(new_pid)
    assert not pid_alive(periodic_pid)
    assert "Loading the demo" not in text
    assert DEMO_PASSWORD not in text
