"""Benchmarks behind `psa bench AREA [--size small|large] [--db sqlite|postgres]`.

Each area is a module here with `run(*, size: str, db: str) -> int` (the `time` area lives in
`timetracking`). Every measurement is one JSON line on stdout (see `emit`); progress and
diagnostics go to stderr. Timing is for the benchmark, never a test assertion.

The benchmark never touches the application's own database: SQLite runs use
`<data dir>/bench/<size>/psa.sqlite3`; PostgreSQL runs use $PSA_BENCH_DATABASE_URL, by default
the `psa_bench` database on 127.0.0.1 (created if missing), never $DATABASE_URL.
"""

from __future__ import annotations

import importlib
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

AREAS = {
    "platform": "platform",
    "scheduling": "scheduling",
    "time": "timetracking",
    "education": "education",
    "finance": "finance",
}

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/psa_bench"

# (people, engagements) of the synthetic organisation each size runs against.
SIZES = {"small": (1000, 5000), "large": (3000, 30000)}


def emit(
    *,
    bench: str,
    metric: str,
    value: float,
    unit: str,
    n: int,
    target: float | None,
    better: str,
    db: str,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Print one measurement as a JSON line on stdout (and return it); `extra` adds keys after
    the standard ones (the spread of the runs, the data shape)."""
    line: dict[str, Any] = {
        "bench": bench,
        "metric": metric,
        "value": round(value, 2),
        "unit": unit,
        "n": n,
        "target": target,
        "better": better,
        "db": db,
        **(extra or {}),
    }
    print(json.dumps(line), flush=True)
    return line


def emit_runs(
    *,
    bench: str,
    metric: str,
    samples: list[float],
    unit: str,
    n: int,
    target: float | None,
    better: str,
    db: str,
    shape: str,
    extra: dict[str, Any] | None = None,
) -> float:
    """Emit the median of `samples` (one per run) with their min, max and count and the data
    shape it was measured on; return the median. Every figure of every area goes through here,
    so none reports a best run where the others report a typical one."""
    median = statistics.median(samples)
    emit(
        bench=bench,
        metric=metric,
        value=median,
        unit=unit,
        n=n,
        target=target,
        better=better,
        db=db,
        extra={
            "min": round(min(samples), 2),
            "max": round(max(samples), 2),
            "runs": len(samples),
            **(extra or {}),
            "shape": shape,
        },
    )
    return median


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds of each of `runs` calls."""
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(*, size: str, db: str) -> None:
    """Point settings at the benchmark database, set Django up and migrate."""
    os.environ.pop("PSA_ENV", None)  # development settings: no HTTPS-only cookies, no key needed
    data_dir = Path(os.environ.get("PSA_DATA_DIR") or "psa-data").resolve()
    bench_dir = data_dir / "bench" / size
    bench_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PSA_DATA_DIR"] = str(bench_dir)
    if db == "sqlite":
        os.environ.pop("DATABASE_URL", None)
    else:
        url = os.environ.get("PSA_BENCH_DATABASE_URL") or DEFAULT_POSTGRES_URL
        os.environ["DATABASE_URL"] = url
        _create_postgres_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psa.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _create_postgres_database(url: str) -> None:
    import dj_database_url
    import psycopg
    from psycopg import sql

    conf = dj_database_url.parse(url)
    name = str(conf["NAME"])
    params = {
        "dbname": "postgres",
        "host": conf.get("HOST") or "127.0.0.1",
        "port": conf.get("PORT") or 5432,
        "user": conf.get("USER") or "postgres",
    }
    if conf.get("PASSWORD"):
        params["password"] = conf["PASSWORD"]
    with psycopg.connect(**params, autocommit=True) as conn:  # type: ignore[arg-type]
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            note(f"creating PostgreSQL database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def ensure_dataset(size: str) -> tuple[int, int]:
    """Top the database up to the synthetic organisation of this size; return what it has
    (synthetic people, synthetic engagements)."""
    from psa import demo
    from psa.engagements.models import Engagement
    from psa.people.models import Person

    want_people, want_engagements = SIZES[size]
    have_people = Person.objects.filter(email__startswith="synthetic").count()
    have_engagements = Engagement.objects.filter(name__startswith="Engagement ").count()
    if have_people < want_people or have_engagements < want_engagements:
        note(f"loading the synthetic set ({want_people} people, {want_engagements} engagements)…")
        demo.load_large(
            people=max(0, want_people - have_people),
            engagements=max(0, want_engagements - have_engagements),
            progress=lambda msg: note(f"  {msg}"),
        )
        have_people = max(have_people, want_people)
        have_engagements = max(have_engagements, want_engagements)
        _refresh_statistics()
    return have_people, have_engagements


def _refresh_statistics() -> None:
    """Planner statistics for the rows just loaded, as autovacuum (PostgreSQL) or the periodic
    runner (SQLite) would write them soon after a deployment's own bulk load: plans made from
    an empty table's statistics would measure a state no installation stays in."""
    from django.db import connection

    from psa.core import database

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        database.statistics_refresh()


def run(area: str, size: str, db: str) -> int:
    if size not in SIZES:
        note(f"psa bench: unknown size {size!r} (small or large)")
        return 2
    module_name = AREAS.get(area)
    if module_name is None:
        note(f"psa bench: unknown area {area!r} ({', '.join(AREAS)})")
        return 2
    try:
        module = importlib.import_module(f"psa.bench.{module_name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"psa.bench.{module_name}":
            raise
        note(f"psa bench: no benchmarks for {area} yet")
        return 2
    return int(module.run(size=size, db=db))
