"""`psa bench platform`: the API under load, and capacity for a thousand people.

1. Migrate, top the database up to the synthetic organisation (psa.demo.load_large).
2. Count the database queries of each measured endpoint in-process (an N+1 shows here first).
3. Capacity for 1,000 people over a fiscal quarter, in-process (median of several runs).
4. Start gunicorn (2 sync workers) on a free 127.0.0.1 port and drive a bounded number of
   requests from a thread pool with an API token, RUNS times per endpoint (each figure is the
   median of the runs, with their min and max):
   - latency (p50, p95): as many client threads as web workers, so requests do not queue;
   - throughput (requests/second): twice as many client threads as workers;
   - throughput again with wrk (when it is installed: `apt-get install wrk`), a load generator
     in C whose own CPU use is a fraction of the Python client's: `api.NAME.rps_wrk`.
   Then stop gunicorn.

The endpoints: `people_list`, the headline, asks a different query of every request (a page
and an `active_on` day never asked before in the run), so the people cache never answers;
`people_list_cached` asks the same 60 pages over and over, each answered from memory after
its first request (what a team reloading the list sees); `engagement_detail` asks random
engagements (the API caches none).

Client and server share the machine; on a small machine the client's own CPU use lowers the
throughput figure (much less so with wrk).
"""

from __future__ import annotations

import datetime as dt
import http.client
import itertools
import math
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from psa.bench import emit, emit_runs, ensure_dataset, note, prepare

BENCH = "platform"
WORKERS = 2
HOST = "127.0.0.1"
PAGE_SIZE = 50  # the API's default page size
REQUESTS = {"small": 400, "large": 2000}  # per endpoint, phase and run
RUNS = 3
CACHED_PAGES = 60
PHASE_SECONDS = 60.0  # a phase stops after this long even if requests are left
CAPACITY_PEOPLE = 1000
CAPACITY_RUNS = {"small": 5, "large": 9}

TARGET_P95_MS = 30.0
TARGET_RPS = 500.0
TARGET_CAPACITY_MS = 200.0
# The queries one request should need, whatever the page size (more means an N+1):
# people list, uncached: actor (person and roles: who may see cost rates), generation, count,
# page, labels (roles, skills, manager, login); engagement detail: token, engagement with
# customer and owner, milestones.
# (A token verified in the last few seconds needs no query: PSA_TOKEN_CACHE_SECONDS.)
TARGET_QUERIES: dict[str, int | None] = {
    "people_list": 7,
    "people_list_cached": None,
    "engagement_detail": 3,
}
WRK_SECONDS = 15
WRK_CONNECTIONS = 8


def run(*, size: str, db: str) -> int:
    started = time.monotonic()
    _note_load("before")
    prepare(size=size, db=db)
    people, engagements = ensure_dataset(size)
    note(f"dataset: {people} synthetic people, {engagements} synthetic engagements ({db})")
    token = _admin_token()
    samples = _samples(size)
    shapes = _shapes(size)

    for name, endpoint in samples.items():
        queries = _count_queries(endpoint.runs[0][0], token, cached=endpoint.cached)
        emit(
            bench=BENCH,
            metric=f"api.{name}.queries",
            value=queries,
            unit="queries",
            n=1,
            target=TARGET_QUERIES[name],
            better="lower",
            db=db,
            extra={"shape": shapes[name]},
        )

    _people_list_cold(samples["people_list"].runs[0], token, db, shapes["people_list"])
    _capacity(size, db)

    port = _free_port()
    server = _start_gunicorn(port)
    try:
        _wait_healthy(server, port)
        for name, endpoint in samples.items():
            _load(name, endpoint, port, token, db, shapes[name])
    finally:
        _stop(server)
    _note_load("after")
    note(f"platform benchmark done in {time.monotonic() - started:.0f} s")
    return 0


def _load(name: str, endpoint: Endpoint, port: int, token: str, db: str, shape: str) -> None:
    """Latency and throughput of one endpoint, RUNS times each; the median run of each."""
    _warm_up(port, token, endpoint.warm)
    p50s, p95s, rps, served = [], [], [], 0
    for run_paths, load_paths in zip(endpoint.runs[::2], endpoint.runs[1::2], strict=True):
        latency = _drive(port, token, run_paths, concurrency=WORKERS)
        load = _drive(port, token, load_paths, concurrency=2 * WORKERS)
        for outcome in (latency, load):
            if outcome.errors:
                note(f"{name}: {outcome.errors} failed requests, e.g. {outcome.first_error}")
        p50s.append(_percentile(latency.ms, 50))
        p95s.append(_percentile(latency.ms, 95))
        rps.append(load.rps)
        served += len(latency.ms) + len(load.ms)
    for metric, values, target in (("p50", p50s, None), ("p95", p95s, TARGET_P95_MS)):
        emit_runs(
            bench=BENCH,
            metric=f"api.{name}.{metric}",
            samples=values,
            unit="ms",
            n=served,
            target=target,
            better="lower",
            db=db,
            shape=f"{shape}; {WORKERS} client threads (no queueing)",
        )
    emit_runs(
        bench=BENCH,
        metric=f"api.{name}.rps",
        samples=rps,
        unit="req/s",
        n=served,
        target=TARGET_RPS,
        better="higher",
        db=db,
        shape=f"{shape}; {2 * WORKERS} Python client threads",
    )
    wrk = shutil.which("wrk")
    if wrk:
        wrk_rps = [_wrk(wrk, port, token, paths) for paths in endpoint.wrk]
        emit_runs(
            bench=BENCH,
            metric=f"api.{name}.rps_wrk",
            samples=wrk_rps,
            unit="req/s",
            n=int(sum(wrk_rps) * WRK_SECONDS),
            target=TARGET_RPS,
            better="higher",
            db=db,
            shape=f"{shape}; wrk, {WRK_CONNECTIONS} connections, {WRK_SECONDS} s",
        )


# ------------------------------------------------------------------ set-up


def _note_load(when: str) -> None:
    """Other work on the machine skews every figure: say how busy it was."""
    if hasattr(os, "getloadavg"):
        one, five, _ = os.getloadavg()
        note(f"load average {when}: {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs")


def _admin_token() -> str:
    from django.contrib.auth import get_user_model

    from psa.core import tokens
    from psa.core.roles import SYSTEM

    User = get_user_model()
    user = User.objects.filter(username="bench-admin").first()
    if user is None:
        user = User.objects.create_user("bench-admin", "bench-admin@localhost")
        user.set_unusable_password()
        user.is_superuser = user.is_staff = True
        user.save()
    return tokens.token_create(actor=SYSTEM, user=user, name="bench", days=1).secret


@dataclass
class Endpoint:
    """One measured endpoint's requests: warm-up, then a latency and a load phase per run (the
    lists alternate), and one list per wrk run."""

    cached: bool
    warm: list[str]
    runs: list[list[str]]
    wrk: list[list[str]]


FIRST_ACTIVE_ON = dt.date(2024, 3, 1)  # after every synthetic person started: full pages
ACTIVE_ON_DAYS = 1000
WRK_PATHS = WRK_SECONDS * 800  # distinct paths per wrk run: more than it sends at 500 req/s


def _samples(size: str) -> dict[str, Endpoint]:
    """The requests of each measured endpoint, the same on every run of the benchmark."""
    from psa.engagements.models import Engagement
    from psa.people.models import Person

    count = REQUESTS[size]
    rng = random.Random(11)  # noqa: S311 - a repeatable sample, not a secret
    pages = max(1, math.ceil(Person.objects.count() / PAGE_SIZE))
    # Every (page, day) once, shuffled: no request repeats another, so none is a cache hit.
    distinct = [
        f"/api/v1/people?page={page}&active_on={FIRST_ACTIVE_ON + dt.timedelta(days=day)}"
        for page in range(1, pages + 1)
        for day in range(ACTIVE_ON_DAYS)
    ]
    rng.shuffle(distinct)
    fresh = iter(distinct)

    def uncached(n: int) -> list[str]:
        taken = list(itertools.islice(fresh, n))
        if len(taken) < n:
            note(f"people_list: only {len(taken)} distinct queries left of {n}: repeats follow")
            taken += [rng.choice(distinct) for _ in range(n - len(taken))]
        return taken

    cached_pages = [f"/api/v1/people?page={p}" for p in range(1, min(pages, CACHED_PAGES) + 1)]
    ids = list(Engagement.objects.values_list("id", flat=True))

    def engagements(n: int) -> list[str]:
        return [f"/api/v1/engagements/{rng.choice(ids)}" for _ in range(n)]

    phases = 2 * RUNS
    return {
        "people_list": Endpoint(
            cached=False,
            warm=uncached(20),
            runs=[uncached(count) for _ in range(phases)],
            wrk=[uncached(WRK_PATHS) for _ in range(RUNS)],
        ),
        "people_list_cached": Endpoint(
            cached=True,
            warm=cached_pages * 3,  # each page reaches both workers' memory
            runs=[[rng.choice(cached_pages) for _ in range(count)] for _ in range(phases)],
            wrk=[cached_pages] * RUNS,
        ),
        "engagement_detail": Endpoint(
            cached=False,
            warm=engagements(20),
            runs=[engagements(count) for _ in range(phases)],
            wrk=[engagements(WRK_PATHS) for _ in range(RUNS)],
        ),
    }


def _shapes(size: str) -> dict[str, str]:
    """What each endpoint's figures were measured on, printed with each figure."""
    from psa.engagements.models import Engagement, Milestone
    from psa.people.models import Person

    people = Person.objects.count()
    pages = math.ceil(people / PAGE_SIZE)
    engagements = Engagement.objects.count()
    milestones = Milestone.objects.count()
    per_run = REQUESTS[size]
    return {
        "people_list": (
            f"{people:,} people, pages of {PAGE_SIZE}; every request a page and an active_on day "
            f"not asked before (uncached); {per_run} requests a phase"
        ),
        "people_list_cached": (
            f"{people:,} people; the first {min(pages, CACHED_PAGES)} pages of {PAGE_SIZE} "
            f"asked over and over (from memory after warm-up); {per_run} requests a phase"
        ),
        "engagement_detail": (
            f"{engagements:,} engagements ({milestones:,} milestones), a random one per request "
            f"(not cached); {per_run} requests a phase"
        ),
    }


def _count_queries(path: str, token: str, *, cached: bool) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from psa.people.cache import people_pages

    client = Client(headers={"Authorization": f"Bearer {token}"})
    client.get(path)  # the token's last-used time is written on first use, not measured
    if not cached:
        people_pages.clear()  # count what a page costs when people have just changed
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}: {response.content!r}")
    return len(ctx.captured_queries)


def _people_list_cold(paths: Sequence[str], token: str, db: str, shape: str) -> None:
    """The people list right after people changed (nothing cached), in-process: what each
    change costs the first request for each page, and the figure without the cache."""
    from django.test import Client

    from psa.people.cache import people_pages

    client = Client(headers={"Authorization": f"Bearer {token}"})
    samples = []
    for path in paths[:50]:
        people_pages.clear()
        t0 = time.perf_counter()
        client.get(path)
        samples.append((time.perf_counter() - t0) * 1000)
    emit_runs(
        bench=BENCH,
        metric="api.people_list.in_process_ms",
        samples=samples,
        unit="ms",
        n=len(samples),
        target=None,
        better="lower",
        db=db,
        shape=f"{shape}; in-process through Django's test client, no HTTP",
    )


# ------------------------------------------------------------------ capacity


def fiscal_quarter(day: dt.date, start_month: int) -> tuple[dt.date, dt.date]:
    """The fiscal quarter containing `day`, for fiscal years starting in `start_month`."""
    months_in = (day.month - start_month) % 3
    month0 = day.year * 12 + day.month - 1 - months_in
    start = dt.date(month0 // 12, month0 % 12 + 1, 1)
    end_month0 = month0 + 3
    end = dt.date(end_month0 // 12, end_month0 % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def _capacity(size: str, db: str) -> None:
    from django.conf import settings

    from psa.core import clock
    from psa.people.models import Person
    from psa.people.selectors import capacity_for_people

    people = list(Person.objects.order_by("id")[:CAPACITY_PEOPLE])
    start, end = fiscal_quarter(clock.today(), settings.PSA_FISCAL_YEAR_START_MONTH)
    capacity_for_people(people=people, start=start, end=end)  # warm: holiday calendars cached
    runs = []
    for _ in range(CAPACITY_RUNS[size]):
        t0 = time.perf_counter()
        result = capacity_for_people(people=people, start=start, end=end)
        runs.append((time.perf_counter() - t0) * 1000)
    if len(result) != len(people):  # a broken selector must not look fast
        raise RuntimeError(f"capacity_for_people returned {len(result)} of {len(people)} people")
    note(f"capacity: {len(people)} people, {start}..{end}, runs {[round(r) for r in runs]} ms")
    emit_runs(
        bench=BENCH,
        metric="capacity_for_people.1000_quarter",
        samples=runs,
        unit="ms",
        n=len(people),
        target=TARGET_CAPACITY_MS,
        better="lower",
        db=db,
        shape=f"{len(people)} people × {start}..{end}: holidays, time off, part-time",
    )


# ------------------------------------------------------------------ web server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _start_gunicorn(port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.pop("PSA_ENV", None)
    hosts = env.get("PSA_ALLOWED_HOSTS", "127.0.0.1,localhost")
    if HOST not in hosts.split(","):
        env["PSA_ALLOWED_HOSTS"] = f"{hosts},{HOST}"
    note(f"starting gunicorn ({WORKERS} workers) on {HOST}:{port}")
    return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "psa.wsgi:application",
            "--workers",
            str(WORKERS),
            "--bind",
            f"{HOST}:{port}",
            "--access-logfile",
            "/dev/null",
            "--log-level",
            "warning",
            "--graceful-timeout",
            "5",
        ],
        env=env,
        stdout=sys.stderr,
        stderr=sys.stderr,
    )


def _wait_healthy(server: subprocess.Popen[bytes], port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode} before it was ready")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
            conn.close()
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within {timeout:.0f} s")


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    note("gunicorn stopped")


# ------------------------------------------------------------------ load


@dataclass
class Outcome:
    ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    seconds: float = 0.0

    @property
    def rps(self) -> float:
        return len(self.ms) / self.seconds if self.seconds else 0.0


def _warm_up(port: int, token: str, paths: Sequence[str]) -> None:
    outcome = _drive(port, token, paths, concurrency=WORKERS)
    if outcome.errors:
        raise RuntimeError(f"warm-up requests failed: {outcome.first_error}")


def _drive(port: int, token: str, paths: Sequence[str], *, concurrency: int) -> Outcome:
    """Send each request once from `concurrency` threads (keep-alive where the server allows);
    stop early after PHASE_SECONDS."""
    outcome = Outcome()
    lock = threading.Lock()
    position = iter(range(len(paths)))
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    deadline = time.monotonic() + PHASE_SECONDS

    def client() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        try:
            while time.monotonic() < deadline:
                with lock:
                    index = next(position, None)
                if index is None:
                    return
                t0 = time.perf_counter()
                try:
                    conn.request("GET", paths[index], headers=headers)
                    response = conn.getresponse()
                    body = response.read()
                    status = response.status
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    status, body = 0, str(exc).encode()
                elapsed = (time.perf_counter() - t0) * 1000
                with lock:
                    if status == 200:
                        outcome.ms.append(elapsed)
                    else:
                        outcome.errors += 1
                        outcome.first_error = outcome.first_error or (
                            f"GET {paths[index]}: {status} {body[:200]!r}"
                        )
        finally:
            conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcome.seconds = time.perf_counter() - t0
    return outcome


def _wrk(wrk: str, port: int, token: str, paths: Sequence[str]) -> float:
    """Requests/second from wrk, cycling through the sample's paths (non-2xx counted out)."""
    listed = ", ".join(f'"{p}"' for p in paths)
    script = (
        f"local paths = {{{listed}}}\nlocal i = 0\n"
        "request = function()\n  i = i % #paths + 1\n"
        "  return wrk.format(nil, paths[i])\nend\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run(  # noqa: S603 - our own arguments
            [
                wrk,
                "-t2",
                f"-c{WRK_CONNECTIONS}",
                f"-d{WRK_SECONDS}s",
                "-s",
                f.name,
                "-H",
                f"Authorization: Bearer {token}",
                f"http://{HOST}:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(f.name)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        note(f"wrk: {bad.group(1)} requests failed")
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(found.group(1)) if found else 0.0


def _percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        raise RuntimeError("no request succeeded")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]
