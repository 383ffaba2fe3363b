"""Fuzz the API with schemathesis against a throwaway PostgreSQL database loaded with the demo data.

    uv run python bench/fuzz.py [--max-examples N] [--max-time SECONDS] [--keep]

Steps: create a fresh database, migrate, load the demo data (`psa demo`), make an admin and
API tokens for the admin and a PSE, start gunicorn on a free port, then run schemathesis over
every operation of /api/v1/openapi.json once as each of them. A run fails on any server error
(5xx) and on any response that does not match the published schema (status code, content type,
body). The admin's run creates and deletes data: that is what the throwaway database is for.

Prints, per identity and in all: operations tested, test cases, failures, server errors, and
the wall time. Exit status 0 only when every run is clean. DATABASE_URL's server is used
(default postgres://postgres@127.0.0.1:5432); the database name is psa_fuzz_<pid>.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PSE_USERNAME = "jordan.miller"  # a PSE of the demo team
ADMIN_USERNAME = "fuzz-admin"
# What "clean" means: no 5xx, and every answer is one the schema documents, in its shape.
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _print_tracebacks(log: Path, limit: int = 3) -> None:
    """The server's own account of its 500s (the work folder is removed after the run)."""
    if not log.exists():
        return
    text = log.read_text(errors="replace")
    found = [m.start() for m in re.finditer("Traceback", text)]
    for start in found[:limit]:
        end = text.find("\n\n", start)
        print(f"\nfuzz: the server's traceback\n{text[start : end if end > 0 else None][:6000]}")


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def _admin_sql(server: str, sql: str) -> None:
    # The maintenance database only hosts CREATE/DROP DATABASE; the fuzz run never touches it.
    import psycopg

    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _psa(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "psa.cli", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def _wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local server
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"fuzz: the server did not answer {url} within {timeout:.0f} s")


def _figures(report_dir: Path) -> dict[str, int]:
    """Operations, cases, failed checks and server errors from schemathesis's ndjson events."""
    operations: set[str] = set()
    cases = failures = server_errors = errors = 0
    for path in report_dir.glob("*.ndjson"):
        for line in path.read_text().splitlines():
            event = json.loads(line)
            if "NonFatalError" in event or "FatalError" in event:
                errors += 1
            recorder = event.get("ScenarioFinished", {}).get("recorder", {})
            if "cases" not in recorder:
                continue
            operations.add(recorder["label"])
            cases += len(recorder["cases"])
            for checks in recorder.get("checks", {}).values():
                for check in checks:
                    if check.get("status") == "failure":
                        failures += 1
                        server_errors += check.get("name") == "not_a_server_error"
    return {
        "operations": len(operations),
        "cases": cases,
        "failures": failures,
        "server_errors": server_errors,
        "errors": errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=8, help="cases per operation")
    parser.add_argument("--max-time", type=int, default=100, help="seconds per identity")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--workers", default="1", help="schemathesis workers")
    parser.add_argument("--keep", action="store_true", help="keep the database and reports")
    parser.add_argument("--as", dest="who", choices=("admin", "pse", "both"), default="both")
    args = parser.parse_args()

    started = time.monotonic()
    server = _server_url()
    db_name = f"psa_fuzz_{os.getpid()}"
    work = Path(tempfile.mkdtemp(prefix="psa-fuzz-"))
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"{server}/{db_name}",
        PSA_DATA_DIR=str(work / "data"),
        DJANGO_SETTINGS_MODULE="psa.settings",
    )
    # Jobs the API starts run in the gunicorn process (no worker runs here), so a job that
    # fails on bad data shows as a failed job, not as a lost one.
    env.setdefault("PSA_TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend")
    _admin_sql(server, f'DROP DATABASE IF EXISTS "{db_name}"')
    _admin_sql(server, f'CREATE DATABASE "{db_name}"')
    web: subprocess.Popen[bytes] | None = None
    results: dict[str, dict[str, int]] = {}
    code = 0
    try:
        print(f"fuzz: database {db_name}: migrate and load the demo data", flush=True)
        _psa(env, "demo")
        # One interpreter for the admin and both tokens: each start of Django costs seconds.
        made = _psa(
            env,
            "manage",
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model\n"
            "from psa.core import tokens\n"
            "from psa.core.roles import SYSTEM\n"
            f"admin = get_user_model().objects.create_superuser({ADMIN_USERNAME!r}, "
            "'fuzz@localhost', None)\n"
            f"pse = tokens.user_by_username({PSE_USERNAME!r})\n"
            "for user in (admin, pse):\n"
            "    print(tokens.token_create(actor=SYSTEM, user=user, name='fuzz').secret)\n",
        ).split()
        tokens = {"admin": made[-2], "pse": made[-1]}
        print(f"fuzz: set up in {time.monotonic() - started:.0f} s", flush=True)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        log = (work / "gunicorn.log").open("wb")
        web = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "psa.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--log-level",
                "warning",
                # gunicorn answers a request line past 4094 bytes with its own HTML 414 before
                # PSA sees it (docs/api.md says so); lifted here so that long query strings
                # (many engagement_id values) reach PSA, which must answer them itself.
                "--limit-request-line",
                "0",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _wait_for(f"{base}/healthz")
        identities = ["pse", "admin"] if args.who == "both" else [args.who]
        for who in identities:
            report_dir = work / f"report-{who}"
            command = [
                str(Path(sys.executable).with_name("schemathesis")),
                "run",
                f"{base}/api/v1/openapi.json",
                "--url",
                base,  # the schema's paths start with /api/v1/
                "-H",
                f"Authorization: Bearer {tokens[who]}",
                "--checks",
                CHECKS,
                "--max-examples",
                str(args.max_examples),
                "--max-time",
                str(args.max_time),
                "--workers",
                args.workers,
                "--phases",
                "examples,coverage,fuzzing",
                "--generation-database",
                "none",
                # Our token on every request: generated credentials only test the 401 path.
                "--generation-with-security-parameters",
                "false",
                "--suppress-health-check",
                "all",
                "--request-timeout",
                "30",
                "--report",
                "ndjson",
                "--report-dir",
                str(report_dir),
                "--no-color",
                # Revoking its own token would end the run: every later request would be 401.
                "--exclude-operation-id",
                "psa_core_api_revoke_token",
            ]
            if args.seed is not None:
                command += ["--seed", str(args.seed)]
            print(f"\nfuzz: schemathesis as the {who}", flush=True)
            t0 = time.monotonic()
            # In the work folder: schemathesis keeps a cache (.schemathesis/) where it runs.
            rc = subprocess.run(command, env=env, cwd=work, check=False).returncode  # noqa: S603
            figures = _figures(report_dir)
            figures["seconds"] = round(time.monotonic() - t0)
            figures["exit"] = rc
            results[who] = figures
            if rc != 0:
                code = 1
    finally:
        if web is not None:
            web.terminate()
            try:
                web.wait(timeout=10)
            except subprocess.TimeoutExpired:
                web.kill()
        if code != 0:
            _print_tracebacks(work / "gunicorn.log")
        if not args.keep:
            _admin_sql(server, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"fuzz: kept database {db_name} and {work}")
    total = {
        k: sum(r[k] for r in results.values())
        for k in ("cases", "failures", "server_errors", "errors")
    }
    print("\nfuzz figures")
    for who, r in results.items():
        print(
            f"  {who:5}  operations {r['operations']}  cases {r['cases']}  failures "
            f"{r['failures']}  server errors {r['server_errors']}  {r['seconds']} s"
        )
    print(
        f"  all    cases {total['cases']}  failures {total['failures']}  server errors "
        f"{total['server_errors']}  wall {time.monotonic() - started:.0f} s"
    )
    print("fuzz: " + ("clean" if code == 0 else "FAILED"))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
