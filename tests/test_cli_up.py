"""`psa up` in a subprocess on a free port: health, then the API with a CLI-made token."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, token: str = "") -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url)  # noqa: S310 - our own local server
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_psa_up_serves_health_and_the_api_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PSA_DATA_DIR": str(tmp_path)}
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
        deadline = time.monotonic() + 90
        status = 0
        while time.monotonic() < deadline:
            try:
                status, health = get(f"{base}/healthz")
                if status == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):  # still starting
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
    assert "no time zone" in result.stderr
