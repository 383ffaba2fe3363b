"""A fast smoke test of `psa bench`'s parts; the benchmark itself runs from the command line
(`uv run psa bench platform`). No timing is asserted here."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from psa import bench
from psa.bench import platform
from psa.core import clock, tokens
from psa.engagements.models import Engagement
from psa.people.models import Person
from psa.timetracking.models import CertificationStep, QuarterlyCertification, TimeEntry


def test_emit_prints_one_json_line(capsys: pytest.CaptureFixture[str]) -> None:
    bench.emit(
        bench="platform",
        metric="m",
        value=12.345,
        unit="ms",
        n=3,
        target=30,
        better="lower",
        db="sqlite",
    )

    line = capsys.readouterr().out
    assert line.count("\n") == 1
    assert json.loads(line) == {
        "bench": "platform",
        "metric": "m",
        "value": 12.35,
        "unit": "ms",
        "n": 3,
        "target": 30,
        "better": "lower",
        "db": "sqlite",
    }


def test_emit_runs_reports_the_median_with_the_spread_and_the_shape(
    capsys: pytest.CaptureFixture[str],
) -> None:
    median = bench.emit_runs(
        bench="scheduling",
        metric="weekly_review.300x12",
        samples=[40.0, 31.5, 90.25],
        unit="ms",
        n=300,
        target=None,
        better="lower",
        db="postgres",
        shape="300 people × 12 weeks",
        extra={"p95": 88.0},
    )

    assert median == 40.0
    assert json.loads(capsys.readouterr().out) == {
        "bench": "scheduling",
        "metric": "weekly_review.300x12",
        "value": 40.0,
        "unit": "ms",
        "n": 300,
        "target": None,
        "better": "lower",
        "db": "postgres",
        "min": 31.5,
        "max": 90.25,
        "runs": 3,
        "p95": 88.0,
        "shape": "300 people × 12 weeks",
    }


@pytest.mark.parametrize(("area", "size"), [("nowhere", "small"), ("platform", "huge")])
def test_run_refuses_an_unknown_area_or_size(area: str, size: str) -> None:
    assert bench.run(area=area, size=size, db="sqlite") == 2


@pytest.mark.parametrize(
    ("day", "start_month", "quarter"),
    [
        (dt.date(2026, 11, 25), 2, (dt.date(2026, 11, 1), dt.date(2027, 1, 31))),
        (dt.date(2026, 2, 1), 2, (dt.date(2026, 2, 1), dt.date(2026, 4, 30))),
        (dt.date(2026, 1, 31), 2, (dt.date(2025, 11, 1), dt.date(2026, 1, 31))),
        (dt.date(2026, 6, 30), 1, (dt.date(2026, 4, 1), dt.date(2026, 6, 30))),
    ],
)
def test_fiscal_quarter(day: dt.date, start_month: int, quarter: tuple[dt.date, dt.date]) -> None:
    assert platform.fiscal_quarter(day, start_month) == quarter


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert platform._percentile(values, 50) == 50.0
    assert platform._percentile(values, 95) == 95.0
    assert platform._percentile([7.0], 95) == 7.0


@pytest.fixture
def local_server() -> Iterator[int]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            status = 200 if self.headers["Authorization"] == "Bearer t" else 401
            body = b'{"ok": true}'
            self.send_response(404 if self.path == "/missing" else status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_drive_sends_each_request_once_and_counts_failures(local_server: int) -> None:
    paths = ["/ok"] * 30 + ["/missing"] * 2

    outcome = platform._drive(local_server, "t", paths, concurrency=3)

    assert len(outcome.ms) == 30
    assert outcome.errors == 2
    assert "404" in outcome.first_error
    assert outcome.rps > 0


def test_ensure_dataset_tops_up_once(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(bench.SIZES, "small", (6, 12))

    assert bench.ensure_dataset("small") == (6, 12)
    assert bench.ensure_dataset("small") == (6, 12)

    assert Person.objects.count() == 6
    assert Engagement.objects.count() == 12


def test_count_queries_of_the_measured_endpoints(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(bench.SIZES, "small", (6, 12))
    bench.ensure_dataset("small")
    secret = platform._admin_token()
    assert tokens.token_authenticate(secret) is not None
    samples = platform._samples("small")
    shapes = platform._shapes("small")

    assert set(samples) == set(shapes) == set(platform.TARGET_QUERIES)
    for name, endpoint in samples.items():
        assert len(endpoint.runs) == 2 * platform.RUNS, name
        assert {len(paths) for paths in endpoint.runs} == {platform.REQUESTS["small"]}, name
        assert len(endpoint.wrk) == platform.RUNS, name
        assert platform._count_queries(endpoint.runs[0][0], secret, cached=endpoint.cached) >= 1
    # the headline asks something new every time (until the distinct queries run out: 1 page ×
    # ACTIVE_ON_DAYS here), so the people cache cannot answer it
    uncached = [p for paths in samples["people_list"].runs for p in paths]
    assert len(set(uncached[: platform.ACTIVE_ON_DAYS - 20])) == platform.ACTIVE_ON_DAYS - 20
    assert all("active_on=" in p for p in uncached)
    # the cached figure asks the same pages over and over
    assert {p for paths in samples["people_list_cached"].runs for p in paths} == {
        "/api/v1/people?page=1"
    }


def test_time_bench_measures_the_certification_queue(
    db: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from psa.bench import timetracking as bench_time

    monkeypatch.setitem(bench.SIZES, "small", (10, 3))
    monkeypatch.setitem(bench_time.RUNS, "small", 2)
    bench.ensure_dataset("small")
    people = list(Person.objects.order_by("pk"))
    quarter = bench_time._quarters(clock.today(), 1)[-1]
    loaded = bench_time.load_time_entries(
        person_ids=[p.pk for p in people], start=quarter.start, end=quarter.end
    )

    bench_time._certification_queue("sqlite", "small", people, quarter)
    bench_time.ensure_certifications(people, quarter)  # once only

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(x["metric"], x["n"], x["runs"], x["target"]) for x in lines] == [
        ("certification_queue.views", 10, 2, 200),
        ("certification_queue.page", 10, 2, 200),
        ("certification_queue.api", 10, 2, 200),
    ]
    shape = (
        f"10 certifications of {quarter.label} (3 head_approved, 7 manager_certified; 1 with an "
        f"entry added since the standing approval), 15 steps, {loaded + 1} entries"
    )
    assert [x["shape"] for x in lines] == [
        shape,
        f"first page of each section (10 rows) of {shape}",
        f"a page of 10 of {shape}",
    ]
    assert all(x["min"] <= x["value"] <= x["max"] and x["queries"] > 0 for x in lines)
    statuses = QuarterlyCertification.objects.values_list("status", flat=True)
    assert Counter(statuses) == {"manager_certified": 7, "head_approved": 3}
    assert CertificationStep.objects.count() == 15
    assert TimeEntry.objects.count() == loaded  # the entry added past the chain is rolled back


def test_finance_bench_measures_utilization_and_rate_gaps(
    db: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from psa.bench import finance as bench_finance
    from psa.bench import timetracking as bench_time

    monkeypatch.setitem(bench.SIZES, "small", (6, 3))
    monkeypatch.setitem(bench_finance.RUNS, "small", 2)
    bench.ensure_dataset("small")
    quarter = bench_time._quarters(clock.today(), 1)[-1]
    loaded = bench_time.load_time_entries(
        person_ids=list(Person.objects.values_list("pk", flat=True)),
        start=quarter.start,
        end=quarter.end,
    )

    bench_finance._utilization("sqlite", "small", quarter)
    bench_finance._rate_gaps("sqlite", "small", quarter.start, quarter.end)
    bench_finance._forecast("sqlite", "small")
    bench_finance._revenue("sqlite", "small", quarter.start, quarter.end)
    bench_finance._margin("sqlite", "small", quarter.start, quarter.end)
    bench_finance._as_of("sqlite", "small", quarter)

    from psa.finance.models import FigureRecording, RecordedUtilization

    # The recording is timed and rolled back: the bench database keeps none.
    assert (FigureRecording.objects.count(), RecordedUtilization.objects.count()) == (0, 0)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(x["metric"], x["n"], x["target"]) for x in lines] == [
        ("utilization.quarter", 6, 1000),
        ("utilization.raw_sql_hours", 6, None),
        ("utilization.vs_raw_sql", 6, 1.5),
        ("rate_gaps.year", loaded, 1000),
        ("forecast.13_weeks", 0, 500),
        ("revenue.year", 0, 1000),
        ("margin.year", lines[6]["n"], 1000),
        ("margin.raw_sql_cost", lines[6]["n"], None),
        ("margin.vs_raw_sql", lines[6]["n"], 1.5),
        ("figures.record_all_months", lines[9]["n"], None),
        ("utilization.quarter_as_of", 0, 1000),
        ("margin.quarter_as_of", 0, 1000),
    ]
    assert lines[9]["n"] >= 6 * 3  # at least each person's three months
    shape = (
        f"6 people employed in {quarter.label} ({quarter.start}..{quarter.end}), "
        f"{loaded:,} entries, as of {clock.today()}"
    )
    assert [x["shape"] for x in lines[:2]] == [shape, shape]
    timed = [x for x in lines if x["unit"] == "ms" and x["runs"] > 1]
    assert all(x["min"] <= x["value"] <= x["max"] and x["queries"] > 0 for x in timed)
    assert lines[2]["value"] > 0
