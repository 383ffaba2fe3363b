"""`psa bench finance`: quarterly utilization for everyone and the fiscal year's rate gaps,
beside the same hour sums written as one raw SQL query, on the time benchmark's synthetic
organisation (large: 2,000 people with four fiscal quarters of entries, about 2 million).

Each figure is the median of its runs, with the first run (nothing cached) apart, the min and
max, the queries one run makes and its peak Python memory (tracemalloc).
"""

from __future__ import annotations

import datetime as dt
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from psa.bench import emit, emit_runs, ensure_dataset, note, prepare, timed

BENCH = "finance"
SIZES = {"small": (50, 1), "large": (2000, 4)}  # (people with time, fiscal quarters of it)
RUNS = {"small": 5, "large": 7}
TARGET_MS = 1000
FORECAST_TARGET_MS = 500
RAW_RATIO_TARGET = 1.5


def run(*, size: str, db: str) -> int:
    prepare(size=size, db=db)
    ensure_dataset(size)
    from django.db import connection

    from psa.bench.timetracking import _quarters, load_time_entries
    from psa.core import clock
    from psa.people.models import Person

    want_people, quarter_count = SIZES[size]
    quarters = _quarters(clock.today(), quarter_count)
    people = list(Person.objects.filter(email__startswith="synthetic").order_by("pk")[:want_people])
    t0 = time.perf_counter()
    loaded = load_time_entries(
        person_ids=[p.pk for p in people],
        start=quarters[0].start,
        end=quarters[-1].end,
        progress=lambda m: note(f"  {m}"),
    )
    if loaded:
        note(f"loaded {loaded:,} time entries in {time.perf_counter() - t0:.1f} s")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    # Revenue reads finally approved time: a quarter before the time benchmark's is approved
    # through the whole chain for a quarter of the people (kept in the bench database).
    _ensure_final_approvals(people[: max(1, len(people) // 4)], quarters[-2])
    # SQLite plans from the statistics the periodic runner keeps (core.database): as deployed.
    from psa.core import database

    if database.statistics_refresh():
        note("SQLite statistics written (ANALYZE), as the periodic runner does")
    _utilization(db, size, quarters[-1])
    _rate_gaps(db, size, quarters[0].start, quarters[-1].end)
    _forecast(db, size)
    _revenue(db, size, quarters[0].start, quarters[-1].end)
    _margin(db, size, quarters[0].start, quarters[-1].end)
    _as_of(db, size, quarters[-1])
    return 0


def _ensure_final_approvals(people: Any, quarter: Any) -> None:
    from psa.core.roles import Actor
    from psa.timetracking.certification import services as cert_services
    from psa.timetracking.models import QuarterlyCertification

    have = set(
        QuarterlyCertification.objects.filter(
            person__in=people, fiscal_year=quarter.year, quarter=quarter.quarter
        ).values_list("person_id", flat=True)
    )
    todo = [p for p in people if p.pk not in have]
    if not todo:
        return
    t0 = time.perf_counter()
    for done, person in enumerate(todo, start=1):
        cert = cert_services.certification_generate(
            actor=Actor(user_id=None, username="bench-manager", is_admin=True),
            person=person,
            year=quarter.year,
            quarter=quarter.quarter,
        )
        for step in ("manager", "head", "finance"):
            cert = cert_services.certification_decide(
                actor=Actor(user_id=None, username=f"bench-{step}", is_admin=True),
                certification=cert,
                step=step,
                approve=True,
                reason="bench: weeks not submitted",
            )
        if done % 100 == 0 or done == len(todo):
            note(f"  {done}/{len(todo)} quarters of {quarter.label} finally approved")
    note(f"approved {len(todo)} quarters in {time.perf_counter() - t0:.1f} s")


def _actor() -> Any:
    from psa.core.roles import Actor

    return Actor(user_id=None, username="bench", is_admin=True)


def _measure(
    *,
    metric: str,
    call: Callable[[], Any],
    runs: int,
    n: int,
    db: str,
    shape: str,
    target: float | None,
) -> float:
    from django.db import connection

    tracemalloc.start()
    t0 = time.perf_counter()
    call()
    first = (time.perf_counter() - t0) * 1000
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    queries = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        call()
    return emit_runs(
        bench=BENCH,
        metric=metric,
        samples=timed(call, runs),
        unit="ms",
        n=n,
        target=target,
        better="lower",
        db=db,
        shape=shape,
        extra={
            "first": round(first, 2),
            "queries": queries,
            "peak_python_mb": round(peak / 2**20, 1),
        },
    )


def _raw_hours(start: dt.date, end: dt.date) -> list[tuple[Any, ...]]:
    """What utilization sums, as one query: hours per person and major epic, with the
    billable and the productive ones (billable or in a productive category)."""
    from django.db import connection

    from psa.finance import rules

    productive = sorted(rules.PRODUCTIVE_CATEGORIES)
    marks = ", ".join(["%s"] * len(productive))
    # Only placeholders are formatted in; the names travel as parameters.
    sql = (
        "SELECT e.person_id, major.name, SUM(e.hours), "  # noqa: S608
        "COALESCE(SUM(e.hours) FILTER (WHERE w.engagement_id IS NOT NULL), 0), "
        "COALESCE(SUM(e.hours) FILTER "
        f"(WHERE w.engagement_id IS NOT NULL OR cat.name IN ({marks})), 0) "
        "FROM timetracking_timeentry e "
        "JOIN timetracking_workitem w ON w.id = e.work_item_id "
        "JOIN timetracking_epic cat ON cat.id = w.epic_id "
        "LEFT JOIN timetracking_epic major ON major.id = cat.parent_id "
        "WHERE e.date >= %s AND e.date <= %s "
        "GROUP BY e.person_id, major.name"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*productive, start, end])
        return list(cursor.fetchall())


def _entries(start: dt.date, end: dt.date) -> int:
    from psa.timetracking.models import TimeEntry

    return TimeEntry.objects.filter(date__gte=start, date__lte=end).count()


def _utilization(db: str, size: str, quarter: Any) -> None:
    from psa.core import clock
    from psa.finance import selectors

    actor = _actor()
    report = selectors.utilization(actor=actor, start=quarter.start, end=quarter.end)
    people = len(report.rows)
    entries = _entries(quarter.start, quarter.end)
    shape = (
        f"{people} people employed in {quarter.label} ({quarter.start}..{quarter.end}), "
        f"{entries:,} entries, as of {clock.today()}"
    )
    note(f"  utilization: {shape}")
    runs = RUNS[size]
    orm = _measure(
        metric="utilization.quarter",
        call=lambda: selectors.utilization(actor=actor, start=quarter.start, end=quarter.end),
        runs=runs,
        n=people,
        db=db,
        shape=shape,
        target=TARGET_MS,
    )
    raw = _measure(
        metric="utilization.raw_sql_hours",
        call=lambda: _raw_hours(quarter.start, quarter.end),
        runs=runs,
        n=people,
        db=db,
        shape=shape,
        target=None,
    )
    emit(
        bench=BENCH,
        metric="utilization.vs_raw_sql",
        value=orm / raw,
        unit="ratio",
        n=people,
        target=RAW_RATIO_TARGET,
        better="lower",
        db=db,
        extra={"shape": "the whole report (capacity, targets, bookings) over the hours query"},
    )


def _rate_gaps(db: str, size: str, start: dt.date, end: dt.date) -> None:
    from psa.finance import selectors

    actor = _actor()
    entries = _entries(start, end)
    shape = f"{start}..{end}, {entries:,} entries priced a person-day at a time"
    _measure(
        metric="rate_gaps.year",
        call=lambda: selectors.rate_gaps(actor=actor, start=start, end=end),
        runs=RUNS[size],
        n=entries,
        db=db,
        shape=shape,
        target=TARGET_MS,
    )


def _forecast(db: str, size: str) -> None:
    from psa.finance import selectors
    from psa.scheduling.models import BookingDay

    actor = _actor()
    result = selectors.forecast(actor=actor)
    days = BookingDay.objects.filter(date__gte=result.start, date__lte=result.end).count()
    shape = (
        f"{selectors.FORECAST_WEEKS} weeks from {result.start}, {days:,} booked person-days, "
        f"{len(result.revenue)} engagements with revenue expected"
    )
    _measure(
        metric="forecast.13_weeks",
        call=lambda: selectors.forecast(actor=actor),
        runs=RUNS[size],
        n=days,
        db=db,
        shape=shape,
        target=FORECAST_TARGET_MS,
    )


def _revenue(db: str, size: str, start: dt.date, end: dt.date) -> None:
    from psa.engagements.models import Engagement
    from psa.finance import selectors
    from psa.timetracking.models import CertificationStep

    actor = _actor()
    result = selectors.revenue(actor=actor, start=start, end=end)
    finals = CertificationStep.objects.filter(step="finance", approved=True).count()
    shape = (
        f"{start}..{end}, {Engagement.objects.count():,} engagements, {finals} final approvals, "
        f"{len(result.rows)} engagements with revenue"
    )
    _measure(
        metric="revenue.year",
        call=lambda: selectors.revenue(actor=actor, start=start, end=end),
        runs=RUNS[size],
        n=len(result.rows),
        db=db,
        shape=shape,
        target=TARGET_MS,
    )


def _raw_cost(start: dt.date, end: dt.date) -> list[tuple[Any, ...]]:
    """The margin's cost as one query: each engagement's hours joined to the cost rate in
    force on their day (a rate holds until the next), summed × rate per currency."""
    from django.db import connection

    sql = (
        "WITH spans AS (SELECT person_id, rate, currency, effective_from AS first_day, "
        "LEAD(effective_from) OVER (PARTITION BY person_id ORDER BY effective_from) AS next_day "
        "FROM people_costrate) "
        "SELECT w.engagement_id, s.currency, SUM(e.hours * s.rate) "
        "FROM timetracking_timeentry e "
        "JOIN timetracking_workitem w ON w.id = e.work_item_id "
        "JOIN spans s ON s.person_id = e.person_id AND e.date >= s.first_day "
        "AND (s.next_day IS NULL OR e.date < s.next_day) "
        "WHERE e.date >= %s AND e.date <= %s AND w.engagement_id IS NOT NULL "
        "GROUP BY w.engagement_id, s.currency"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end])
        return list(cursor.fetchall())


def _margin(db: str, size: str, start: dt.date, end: dt.date) -> None:
    from psa.finance import selectors

    actor = _actor()
    result = selectors.margin(actor=actor, start=start, end=end)
    shape = f"{start}..{end}, {len(result.rows)} engagements with revenue or cost"
    orm = _measure(
        metric="margin.year",
        call=lambda: selectors.margin(actor=actor, start=start, end=end),
        runs=RUNS[size],
        n=len(result.rows),
        db=db,
        shape=shape,
        target=TARGET_MS,
    )
    raw = _measure(
        metric="margin.raw_sql_cost",
        call=lambda: _raw_cost(start, end),
        runs=RUNS[size],
        n=len(result.rows),
        db=db,
        shape=shape,
        target=None,
    )
    emit(
        bench=BENCH,
        metric="margin.vs_raw_sql",
        value=orm / raw,
        unit="ratio",
        n=len(result.rows),
        target=RAW_RATIO_TARGET,
        better="lower",
        db=db,
        extra={"shape": "the whole report (revenue, cost, gaps, names) over the cost query"},
    )


def _as_of(db: str, size: str, quarter: Any) -> None:
    """The daily recording of every month's figures (timed once: it writes), then reports of
    the quarter as of the day it ran."""
    from django.db import transaction

    from psa.core import clock
    from psa.finance import selectors, services
    from psa.finance.models import RecordedFigure, RecordedUtilization

    actor = _actor()
    now = clock.now()
    with transaction.atomic():
        t0 = time.perf_counter()
        changed = services.figures_record(now=now)
        record_ms = (time.perf_counter() - t0) * 1000
        shape = (
            f"{changed:,} figures recorded ({RecordedFigure.objects.count():,} engagement-months, "
            f"{RecordedUtilization.objects.count():,} person-months)"
        )
        emit(
            bench=BENCH,
            metric="figures.record_all_months",
            value=record_ms,
            unit="ms",
            n=changed,
            target=None,
            better="lower",
            db=db,
            extra={"runs": 1, "shape": shape},
        )
        # As of "yesterday" for the reads: the recording is moved back a day.
        from psa.finance.models import FigureRecording

        before = now - dt.timedelta(days=1)
        FigureRecording.objects.filter(ran_at=now).update(ran_at=before)
        RecordedFigure.objects.filter(recorded_from=now).update(recorded_from=before)
        RecordedUtilization.objects.filter(recorded_from=now).update(recorded_from=before)
        day = before.date()
        for metric, call in (
            (
                "utilization.quarter_as_of",
                lambda: selectors.utilization_as_of(
                    actor=actor, start=quarter.start, end=quarter.end, as_of=day
                ),
            ),
            (
                "margin.quarter_as_of",
                lambda: selectors.margin_as_of(
                    actor=actor, start=quarter.start, end=quarter.end, as_of=day
                ),
            ),
        ):
            _measure(
                metric=metric,
                call=call,
                runs=RUNS[size],
                n=0,
                db=db,
                shape=f"{quarter.label} as of {day}, from the recorded figures",
                target=TARGET_MS,
            )
        transaction.set_rollback(True)  # the bench database keeps no recording
