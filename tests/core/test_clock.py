from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time

import pytest

from psa import production
from psa.core import clock
from tests.helpers import exactly


def test_parse_instant_requires_a_time_zone() -> None:
    assert clock.parse_instant("2026-11-23T08:00Z") == dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC)
    assert clock.parse_instant("2026-11-23T09:00+01:00") == dt.datetime(
        2026, 11, 23, 8, tzinfo=dt.UTC
    )
    with pytest.raises(
        ValueError, match=exactly(clock.ERR_NO_ZONE.format(text="2026-11-23T08:00"))
    ):
        clock.parse_instant("2026-11-23T08:00")


def test_environment_clock_starts_at_the_instant_and_runs_forward(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    start = dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC)
    anchor = 1_000_000.0
    monkeypatch.setenv("PSA_CLOCK", clock.encode_clock(start, real_epoch=anchor))
    monkeypatch.setattr(time, "time", lambda: anchor + 90)  # what clock.now() offsets
    assert clock.now() == start + dt.timedelta(seconds=90)
    assert clock.today("Asia/Tokyo") == dt.date(2026, 11, 23)
    assert clock.today("Pacific/Honolulu") == dt.date(2026, 11, 22)


def test_frozen_overrides_and_restores() -> None:
    instant = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    with clock.frozen(instant):
        assert clock.now() == instant
    assert clock.now() != instant
    with pytest.raises(ValueError, match=exactly(clock.ERR_NAIVE)):
        clock.frozen(dt.datetime(2027, 1, 1))  # noqa: DTZ001 - the point of the test


def test_production_settings_refuse_a_clock(tmp_path: object) -> None:
    code = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='psa.settings'; django.setup()"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={
            "PSA_ENV": "production",
            "PSA_SECRET_KEY": "x" * 50,
            "PSA_CLOCK": "2026-11-23T08:00Z",
            "PSA_DATA_DIR": str(tmp_path),
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert f"- {production.ERR_CLOCK}" in result.stderr.splitlines()
