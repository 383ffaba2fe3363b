"""`psa bench time`: bulk import of time entries, hours totals for 500 engagements, quarterly
hours reports (XLSX) for every person, hours per person per week through the ORM against
one raw SQL query, and the certification queue with its live totals.

The synthetic time set (loaded once, topped up by `load_time_entries`): large is 500 people ×
the four fiscal quarters before the current one (one year, ~520,000 entries: four entries a
weekday, 8 hours, on their engagements' work items and internal ones); small is 50 people × the
last complete quarter.

Bulk import writes with the fastest path each database has: PostgreSQL's COPY (psycopg 3),
one prepared INSERT run over all rows (executemany) on SQLite. The import metric imports a
separate batch (dated after the data set) in a transaction that is rolled back, so every run
measures it and the data set stays as it was.

The certification queue: every bench person's certification of the last complete quarter,
decided once through the chain (CERT_PLAN), so that most have a standing approval whose
entries the live figures are compared with. Timed: `certification_views` of them all, the
queue page as an approver holding the head-of-PS and finance roles sees it (every one of
them, rendered through Django), and the API list. Each line gives the median of the repeated
runs with their min and max, the first (uncached) run beside them, the queries of one run and
the data shape.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from psa.bench import emit, emit_runs, ensure_dataset, note, prepare, timed
from psa.core import periods

BENCH = "time"
SIZES = {"small": (50, 1), "large": (500, 4)}  # (people, fiscal quarters of entries)
ENGAGEMENTS = 500
IMPORT_ROWS = {"small": 20_000, "large": 200_000}
RUNS = {"small": 10, "large": 20}
REPORT_RUNS = 3  # the team bundle: about a minute each for 500 people
TITLE = "Bench "  # the prefix of the benchmark's work items
ENTRY_COLUMNS = (
    "person_id",
    "work_item_id",
    "date",
    "hours",
    "note",
    "source",
    "reason",
    "created_at",
    "updated_at",
)
# A day's 8 hours in four entries: (billable?, hours).
DAY = (
    (True, Decimal("4.00")),
    (True, Decimal("2.00")),
    (False, Decimal("1.50")),
    (False, Decimal("0.50")),
)

Progress = Callable[[str], None]

# How each bench person's certification goes through the chain, by person number modulo 10:
# the decisions taken once when it is generated (every approval gives a reason, as the
# synthetic people submit no timesheets). Seven of ten wait for the head of PS, three for
# finance; one of ten had its first round rejected by the head of PS, so its standing approval
# is the manager's second one.
MANAGER_ONLY = (("manager", True),)
REJECTED_ROUND = (("manager", True), ("head", False), ("manager", True))
CERT_PLAN: dict[int, tuple[tuple[str, bool], ...]] = {
    n: (REJECTED_ROUND if n == 3 else MANAGER_ONLY) + ((("head", True),) if n >= 7 else ())
    for n in range(10)
}
CERT_REASON = "bench: weeks not submitted"
APPROVER = "bench-approver"  # head of PS and finance partner: sees both queues
QUEUE_TARGET_MS = 200


def bench_work_items() -> tuple[list[int], list[int], list[int]]:
    """The benchmark's work items, created once: one on each of the first 500 synthetic
    engagements (billable) and one under every other epic category (internal). Returns
    (engagement ids, billable work item ids, internal work item ids)."""
    from django.db import transaction

    from psa.core import clock
    from psa.engagements.models import Engagement
    from psa.timetracking.models import Epic, WorkItem

    engagements = list(
        Engagement.objects.filter(name__startswith="Engagement ")
        .order_by("pk")
        .values_list("pk", flat=True)[:ENGAGEMENTS]
    )
    project = Epic.objects.get(parent__name="Project Work", name="All project hours")
    internal_epics = list(
        Epic.objects.filter(parent__isnull=False).exclude(parent__name="Project Work")
    )
    now = clock.now()
    with transaction.atomic():
        have = set(
            WorkItem.objects.filter(
                title__startswith=TITLE, engagement_id__in=engagements
            ).values_list("engagement_id", flat=True)
        )
        WorkItem.objects.bulk_create(
            [
                WorkItem(
                    title=f"{TITLE}engagement work {pk}",
                    epic=project,
                    engagement_id=pk,
                    web_url=f"https://gitlab.example.com/ps/bench/-/issues/{pk}",
                    created_at=now,
                )
                for pk in engagements
                if pk not in have
            ],
            batch_size=1000,
        )
        have_internal = set(
            WorkItem.objects.filter(title__startswith=f"{TITLE}internal: ").values_list(
                "epic_id", flat=True
            )
        )
        WorkItem.objects.bulk_create(
            [
                WorkItem(title=f"{TITLE}internal: {e.name}", epic=e, created_at=now)
                for e in internal_epics
                if e.pk not in have_internal
            ]
        )
    billable = list(
        WorkItem.objects.filter(title__startswith=TITLE, engagement_id__in=engagements)
        .order_by("engagement_id")
        .values_list("pk", flat=True)
    )
    internal = list(
        WorkItem.objects.filter(title__startswith=f"{TITLE}internal: ")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return engagements, billable, internal


def entry_rows(
    *,
    person_ids: Sequence[int],
    start: dt.date,
    end: dt.date,
    billable: Sequence[int],
    internal: Sequence[int],
    seed: int = 11,
    limit: int | None = None,
    first: int = 0,
) -> list[tuple[Any, ...]]:
    """Synthetic entries (columns ENTRY_COLUMNS): four a weekday for each person, 8 hours, the
    billable ones on two engagements' work items (person number `first + i` gets work items
    i and i + 1, so 500 people cover 500 engagements)."""
    from psa.core import clock

    rng = random.Random(seed)  # noqa: S311 - reproducible data, not a secret
    now = clock.now()
    rows: list[tuple[Any, ...]] = []
    days = [
        start + dt.timedelta(days=i)
        for i in range((end - start).days + 1)
        if (start + dt.timedelta(days=i)).weekday() < 5
    ]
    for n, pid in enumerate(person_ids, start=first):
        mine = (billable[n % len(billable)], billable[(n + 1) % len(billable)])
        for day in days:
            for slot, (is_billable, hours) in enumerate(DAY):
                item = mine[slot] if is_billable else internal[rng.randrange(len(internal))]
                rows.append((pid, item, day, hours, "", "manual", "", now, now))
                if limit is not None and len(rows) >= limit:
                    return rows
    return rows


def bulk_insert_entries(rows: Sequence[tuple[Any, ...]]) -> int:
    """Insert time entries (tuples in ENTRY_COLUMNS order) through the product's bulk write
    (psa.timetracking.bulk, the rollup kept), their rules taken as checked: the data set's
    loader, not a measurement (`_import` times the import with its rules)."""
    from psa.core import clock
    from psa.timetracking import bulk

    bulk.entries_insert(
        [
            bulk.NewEntry(person_id=pid, work_item_id=item, date=day, hours=hours, note=note_)
            for pid, item, day, hours, note_, *_ in rows
        ],
        now=clock.now(),
    )
    return len(rows)


def load_time_entries(
    *,
    person_ids: Sequence[int],
    start: dt.date,
    end: dt.date,
    progress: Progress = lambda _: None,
) -> int:
    """Load the synthetic time set for these people from start to end (skipping people who
    already have entries there); returns how many entries were inserted."""
    from django.db import transaction

    from psa.timetracking.models import TimeEntry

    _, billable, internal = bench_work_items()
    done = set(
        TimeEntry.objects.filter(person_id__in=person_ids, date__gte=start, date__lte=end)
        .values_list("person_id", flat=True)
        .distinct()
    )
    todo = [p for p in person_ids if p not in done]
    inserted = 0
    for i in range(0, len(todo), 50):
        chunk = todo[i : i + 50]
        rows = entry_rows(
            person_ids=chunk,
            start=start,
            end=end,
            billable=billable,
            internal=internal,
            seed=i,
            first=i,
        )
        with transaction.atomic():
            inserted += bulk_insert_entries(rows)
        progress(f"{min(i + 50, len(todo))}/{len(todo)} people, {inserted:,} entries")
    return inserted


def _quarters(today: dt.date, count: int) -> list[Any]:
    """The `count` fiscal quarters before today's, oldest first."""
    from django.conf import settings

    month = settings.PSA_FISCAL_YEAR_START_MONTH
    q = periods.fiscal_quarter(today, start_month=month)
    result = []
    for _ in range(count):
        q = periods.fiscal_quarter(q.start - dt.timedelta(days=1), start_month=month)
        result.append(q)
    return list(reversed(result))


def run(*, size: str, db: str) -> int:
    prepare(size=size, db=db)
    ensure_dataset(size)
    from django.db import connection

    from psa.core import clock
    from psa.people.models import Person

    want_people, quarter_count = SIZES[size]
    quarters = _quarters(clock.today(), quarter_count)
    start, end = quarters[0].start, quarters[-1].end
    people = list(Person.objects.filter(email__startswith="synthetic").order_by("pk")[:want_people])
    t0 = time.perf_counter()
    loaded = load_time_entries(
        person_ids=[p.pk for p in people], start=start, end=end, progress=lambda m: note(f"  {m}")
    )
    if loaded:
        note(f"loaded {loaded:,} time entries in {time.perf_counter() - t0:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh planner statistics after the bulk load
    _import(db, size, people, before=start)
    _engagement_totals(db, size)
    _reports(db, people, quarters[-1])
    _person_weeks(db, size, people, quarters[-1])
    _my_week(db, people[0], quarters[-1].start)
    _certification_queue(db, size, people, quarters[-1])
    return 0


def _my_week(db: str, person: Any, day: dt.date) -> None:
    """The "my week" page of a person with a full week of entries, rendered through Django."""
    from django.test import Client

    user = _bench_user(person)
    client = Client()
    client.force_login(user)
    monday = day - dt.timedelta(days=day.weekday())
    url = f"/time/?week={monday.isoformat()}"
    status = client.get(url).status_code  # warm up
    if status != 200:
        note(f"my week page answered {status}: skipped")
        return
    samples = timed(lambda: client.get(url), 20)
    emit_runs(
        bench=BENCH,
        metric="my_week_page",
        samples=samples,
        unit="ms",
        n=len(samples),
        target=100,
        better="lower",
        db=db,
        shape=f"the My week page of a person with a full week of entries ({monday})",
    )


IMPORT_RUNS = {"small": 3, "large": 3}
SINGLE_ENTRIES = {"small": 100, "large": 300}


def _import_file(rows: Sequence[tuple[Any, ...]], emails: dict[int, str]) -> bytes:
    """The rows as the CSV a team would bring: e-mail, date, work item id, hours, note."""
    lines = ["Person,Date,Work item,Hours,Note"]
    lines += [
        f"{emails[pid]},{day.isoformat()},#{item},{hours},{note_}"
        for pid, item, day, hours, note_, *_ in rows
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def _undo_import(start: dt.date, end: dt.date) -> None:
    """Take the timed import's entries away again, through the rollup (not timed)."""
    from django.db import transaction

    from psa.timetracking import rollup
    from psa.timetracking.models import TimeEntry

    with transaction.atomic():
        entries = TimeEntry.objects.filter(date__gte=start, date__lte=end)
        rollup.apply([rollup.removed(e) for e in entries.iterator(chunk_size=5000)])
        entries.delete()


def _import(db: str, size: str, people: Sequence[Any], *, before: dt.date) -> None:
    """The import of historical time as a team moving off its spreadsheets runs it: a CSV file
    read (`read_entries`), then every row checked against the rules (people, work items, the
    24-hour day across the file and the database, locks) and written in one committed
    transaction with the rollup (`time_import`). Dated in the year before the data set, so the
    24-hour checks read real days; each run's entries are taken away again after it. Beside
    it, the single-entry service (one committed transaction an entry)."""
    from psa.core.roles import SYSTEM
    from psa.timetracking import entry_files, imports, services
    from psa.timetracking.models import WorkItem

    _, billable, internal = bench_work_items()
    n = IMPORT_ROWS[size]
    end = before - dt.timedelta(days=1)
    start = end - dt.timedelta(days=400)
    rows = entry_rows(
        person_ids=[p.pk for p in people],
        start=start,
        end=end,
        billable=billable,
        internal=internal,
        limit=n,
    )
    _undo_import(start, end)  # what an interrupted run left behind
    data = _import_file(rows, {p.pk: p.email for p in people})
    shape = (
        f"{len(rows):,} rows ({len(data) / 1e6:.1f} MB CSV), {len({r[0] for r in rows})} people, "
        f"{len({r[1] for r in rows})} work items, {rows[0][2]} to {rows[-1][2]}, into "
        f"a database of {_entry_count():,} entries"
    )
    reads: list[float] = []
    writes: list[float] = []
    totals: list[float] = []
    for _ in range(IMPORT_RUNS[size]):
        t0 = time.perf_counter()
        parsed = entry_files.read_entries(data)
        t1 = time.perf_counter()
        report = imports.time_import(actor=SYSTEM, rows=parsed, dry_run=False)
        t2 = time.perf_counter()
        if not report.written:
            note(f"the import was refused: {report.errors[:3]}")
            return
        reads.append(t1 - t0)
        writes.append(t2 - t1)
        totals.append(t2 - t0)
        _undo_import(start, end)
    for metric, samples in (
        ("import.committed_rate", writes),
        ("import.file_to_commit_rate", totals),
        ("import.read_file_rate", reads),
    ):
        emit(
            bench=BENCH,
            metric=metric,
            value=len(rows) / statistics.median(samples),
            unit="entries/s",
            n=len(rows),
            target=35_000,
            better="higher",
            db=db,
            extra={
                "min": round(len(rows) / max(samples)),
                "max": round(len(rows) / min(samples)),
                "runs": len(samples),
                "shape": shape,
            },
        )
    raw = _raw_insert_seconds(rows, start, end)
    emit(
        bench=BENCH,
        metric="import.raw_insert_seconds",
        value=statistics.median(raw),
        unit="s",
        n=len(rows),
        target=None,
        better="lower",
        db=db,
        extra={
            "min": round(min(raw), 2),
            "max": round(max(raw), 2),
            "runs": len(raw),
            "shape": "the same rows, ids taken and inserted (COPY / one prepared INSERT) and "
            "committed: no file, no rules, no rollup, no audit (the database's own floor)",
        },
    )
    emit(
        bench=BENCH,
        metric="import.vs_raw_insert",
        value=statistics.median(writes) / statistics.median(raw),
        unit="ratio",
        n=len(rows),
        target=None,
        better="lower",
        db=db,
    )
    emit_runs(
        bench=BENCH,
        metric="import.committed_seconds",
        samples=writes,
        unit="s",
        n=len(rows),
        target=6,
        better="lower",
        db=db,
        shape=shape,
    )
    person = people[0]
    user_actor = _bench_actor(person)
    item = WorkItem.objects.get(pk=internal[0])
    count = SINGLE_ENTRIES[size]
    days = [end - dt.timedelta(days=i) for i in range(count)]
    t0 = time.perf_counter()
    for day in days:
        services.time_entry_create(
            actor=user_actor, person=person, work_item=item, date=day, hours="1"
        )
    seconds = time.perf_counter() - t0
    _undo_import(start, end)
    emit(
        bench=BENCH,
        metric="single_entry.rate",
        value=count / seconds,
        unit="entries/s",
        n=count,
        target=None,
        better="higher",
        db=db,
        extra={"shape": f"{count} entries of one person, one committed transaction each"},
    )


def _raw_insert_seconds(
    rows: Sequence[tuple[Any, ...]], start: dt.date, end: dt.date
) -> list[float]:
    from django.db import transaction

    from psa.core import clock
    from psa.timetracking import bulk
    from psa.timetracking.models import TimeEntry

    entries = [
        bulk.NewEntry(person_id=pid, work_item_id=item, date=day, hours=hours, note=note_)
        for pid, item, day, hours, note_, *_ in rows
    ]
    samples = []
    for _ in range(IMPORT_RUNS["small"]):
        t0 = time.perf_counter()
        with transaction.atomic():
            ids = bulk._reserve_ids(len(entries))
            bulk._write(ids, entries, clock.now())
        samples.append(time.perf_counter() - t0)
        TimeEntry.objects.filter(date__gte=start, date__lte=end).delete()  # no rollup to undo
    return samples


def _entry_count() -> int:
    from psa.timetracking.models import TimeEntry

    return TimeEntry.objects.count()


def _bench_user(person: Any) -> Any:
    """A login for a bench person (created once)."""
    from django.contrib.auth import get_user_model

    from psa.people.models import Person

    user, _ = get_user_model().objects.get_or_create(username=f"bench-{person.pk}")
    Person.objects.filter(pk=person.pk, user__isnull=True).update(user=user)
    return user


def _bench_actor(person: Any) -> Any:
    from psa.people.selectors import actor_for

    return actor_for(_bench_user(person))


def _engagement_totals(db: str, size: str) -> None:
    from psa.timetracking import selectors

    engagements, _, _ = bench_work_items()
    selectors.engagement_hours(engagement_ids=engagements)  # warm up
    samples = timed(lambda: selectors.engagement_hours(engagement_ids=engagements), RUNS[size])
    emit_runs(
        bench=BENCH,
        metric=f"engagement_totals.{len(engagements)}",
        samples=samples,
        unit="ms",
        n=len(engagements),
        target=50,
        better="lower",
        db=db,
        shape=f"hours totals of {len(engagements)} engagements over all their entries",
    )


def _reports(db: str, people: Sequence[Any], quarter: Any) -> None:
    """Every person's quarterly report: what the team-reports job makes (a ZIP of a workbook
    per person and the team workbook), with its progress bar."""
    import sys

    from psa.timetracking import report_files

    def bar(done: int, total: int, stage: str) -> None:
        filled = 30 * done // total
        end = "\n" if done == total else ""
        text = f"  [{'#' * filled}{' ' * (30 - filled)}] {done}/{total} {stage:<32}"
        print(f"\r{text}", end=end, file=sys.stderr, flush=True)

    runs = []
    for _ in range(REPORT_RUNS):
        t0 = time.perf_counter()
        bundle = report_files.team_bundle(
            people=people, quarter=quarter, stem="bench-team", progress=bar
        )
        runs.append(time.perf_counter() - t0)
    size = f"{len(bundle.data) / 1e6:.1f} MB ZIP"
    note(f"  {bundle.people} people, {bundle.entries:,} entries, {size}")
    emit_runs(
        bench=BENCH,
        metric=f"quarterly_reports_xlsx.{bundle.people}",
        samples=runs,
        unit="s",
        n=bundle.entries,
        target=45,
        better="lower",
        db=db,
        shape=(
            f"{bundle.people} people × {quarter.label}, {bundle.entries:,} entries: a workbook "
            f"each and the team workbook, in one {size}"
        ),
    )


def _raw_person_weeks(
    person_ids: Sequence[int], start: dt.date, end: dt.date
) -> list[tuple[Any, ...]]:
    from django.db import connection

    ids = ", ".join(str(int(i)) for i in person_ids)
    if connection.vendor == "postgresql":
        week = "date_trunc('week', date)::date"
    else:
        week = "date(date, '-' || ((CAST(strftime('%%w', date) AS INTEGER) + 6) %% 7) || ' days')"
    sql = (
        f"SELECT person_id, {week} AS week, SUM(hours) FROM timetracking_timeentry "  # noqa: S608
        f"WHERE person_id IN ({ids}) AND date >= %s AND date <= %s GROUP BY person_id, week"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end])
        return list(cursor.fetchall())


def _person_weeks(db: str, size: str, people: Sequence[Any], quarter: Any) -> None:
    from psa.timetracking import report_selectors

    ids = [p.pk for p in people]
    orm = report_selectors.hours_by_person_week(
        person_ids=ids, start=quarter.start, end=quarter.end
    )
    raw = _raw_person_weeks(ids, quarter.start, quarter.end)
    weeks = sum(len(w) for w in orm.values())
    if weeks != len(raw):
        note(f"  person-weeks differ: ORM {weeks}, raw SQL {len(raw)}")
    runs = RUNS[size]
    orm_samples = timed(
        lambda: report_selectors.hours_by_person_week(
            person_ids=ids, start=quarter.start, end=quarter.end
        ),
        runs,
    )
    raw_samples = timed(lambda: _raw_person_weeks(ids, quarter.start, quarter.end), runs)
    shape = f"{len(ids)} people × {quarter.label} ({quarter.start}..{quarter.end}), {weeks} weeks"
    orm_ms, raw_ms = (
        emit_runs(
            bench=BENCH,
            metric=metric,
            samples=samples,
            unit="ms",
            n=weeks,
            target=None,
            better="lower",
            db=db,
            shape=shape,
        )
        for metric, samples in (
            ("person_weeks.orm", orm_samples),
            ("person_weeks.raw_sql", raw_samples),
        )
    )
    emit(
        bench=BENCH,
        metric="person_weeks.orm_vs_raw",
        value=orm_ms / raw_ms,
        unit="ratio",
        n=weeks,
        target=1.5,
        better="lower",
        db=db,
    )


def _approver() -> Any:
    """The login of a person who is head of PS and finance partner (created once)."""
    from django.contrib.auth import get_user_model

    from psa.core.roles import Role
    from psa.people.models import Person, PersonRole

    user, _ = get_user_model().objects.get_or_create(username=APPROVER)
    person, _ = Person.objects.get_or_create(
        email=f"{APPROVER}@example.com",
        defaults={
            "name": "Bench Approver",
            "country": "US",
            "start_date": dt.date(2020, 1, 1),
            "user": user,
        },
    )
    for role in (Role.HEAD_OF_PS, Role.FINANCE_PARTNER):
        PersonRole.objects.get_or_create(person=person, role=role)
    return user


def ensure_certifications(people: Sequence[Any], quarter: Any) -> None:
    """Generate and decide (CERT_PLAN) the quarter's certification of each person who has
    none yet; people who have one keep it as it is."""
    from psa.core.roles import Actor
    from psa.timetracking.certification import services as cert_services
    from psa.timetracking.models import QuarterlyCertification

    have = set(
        QuarterlyCertification.objects.filter(
            person__in=people, fiscal_year=quarter.year, quarter=quarter.quarter
        ).values_list("person_id", flat=True)
    )
    todo = [(n, p) for n, p in enumerate(people) if p.pk not in have]
    if not todo:
        return
    # Admin logins with no person: the chain lets them take any step for anyone.
    by_step = {
        step: Actor(user_id=None, username=f"bench-{step}", is_admin=True)
        for step in ("manager", "head")
    }
    t0 = time.perf_counter()
    for done, (n, person) in enumerate(todo, start=1):
        cert = cert_services.certification_generate(
            actor=by_step["manager"], person=person, year=quarter.year, quarter=quarter.quarter
        )
        for step, approve in CERT_PLAN[n % 10]:
            cert = cert_services.certification_decide(
                actor=by_step[step],
                certification=cert,
                step=step,
                approve=approve,
                reason=CERT_REASON if approve else "bench: sent back once",
                back_to="manager",  # back to the manager, who certifies again (CERT_PLAN)
            )
        if done % 50 == 0 or done == len(todo):
            note(f"  {done}/{len(todo)} certifications generated and decided")
    note(f"decided {len(todo)} certifications in {time.perf_counter() - t0:.1f} s")


def _change_past_the_chain(people: Sequence[Any], quarter: Any) -> int:
    """One more entry for one person in ten (number 5 modulo 10, an approval of the manager's
    standing), written past the chain as a direct import would: so the queue lists changes
    since an approval. The caller rolls it back. Returns how many certifications it touches."""
    _, billable, internal = bench_work_items()
    touched = [p.pk for n, p in enumerate(people) if n % 10 == 5]
    day = quarter.start + dt.timedelta(days=(7 - quarter.start.weekday()) % 7)  # a Monday
    rows = entry_rows(
        person_ids=touched, start=day, end=day, billable=billable, internal=internal, limit=None
    )
    bulk_insert_entries(rows[:: len(DAY)])  # each person's first entry of that day, again
    return len(touched)


def _shape(certs: Sequence[Any], quarter: Any, changed: int) -> str:
    from collections import Counter

    from psa.timetracking.models import CertificationStep, TimeEntry

    statuses = Counter(c.status for c in certs)
    steps = CertificationStep.objects.filter(certification__in=certs).count()
    entries = TimeEntry.objects.filter(
        person_id__in=[c.person_id for c in certs], date__gte=quarter.start, date__lte=quarter.end
    ).count()
    by_status = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
    return (
        f"{len(certs)} certifications of {quarter.label} ({by_status}; {changed} with an entry "
        f"added since the standing approval), {steps} steps, {entries} entries"
    )


def _emit_runs(
    *,
    metric: str,
    call: Callable[[], Any],
    check: Callable[[Any], str],
    runs: int,
    n: int,
    db: str,
    shape: str,
) -> None:
    """Time `call`: its first run (nothing cached yet) apart, then the median, min and max of
    `runs` more, with the queries one run makes. `check` reads the first answer: a problem it
    names skips the metric."""
    from django.db import connection

    t0 = time.perf_counter()
    answer = call()
    first = (time.perf_counter() - t0) * 1000
    problem = check(answer)
    if problem:
        note(f"  {metric}: {problem}: skipped")
        return
    queries = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    # Counted on the connection: the test client's request_started signal empties
    # connection.queries, which CaptureQueriesContext reads.
    with connection.execute_wrapper(count):
        call()
    emit_runs(
        bench=BENCH,
        metric=metric,
        samples=timed(call, runs),
        unit="ms",
        n=n,
        target=QUEUE_TARGET_MS,
        better="lower",
        db=db,
        shape=shape,
        extra={"first": round(first, 2), "queries": queries},
    )


def _certification_queue(db: str, size: str, people: Sequence[Any], quarter: Any) -> None:
    """The certification queue with its live totals: the views of every certification, the
    queue page and the API list, as an approver holding the head-of-PS and finance roles.
    Measured in a transaction rolled back afterwards (see _change_past_the_chain)."""
    from django.db import transaction

    from psa.bench.platform import _note_load

    ensure_certifications(people, quarter)
    user = _approver()
    _note_load("before the certification queue")
    with transaction.atomic():
        changed = _change_past_the_chain(people, quarter)
        _measure_queue(db, size, user, quarter, changed)
        transaction.set_rollback(True)
    _note_load("after the certification queue")


def _measure_queue(db: str, size: str, user: Any, quarter: Any, changed: int) -> None:
    import json

    from django.test import Client

    from psa.people.selectors import actor_for
    from psa.timetracking.certification import selectors as cert_selectors

    me = actor_for(user)
    waiting = "manager_certified,head_approved"
    certs = list(cert_selectors.certifications_for(actor=me, status=waiting))
    n = len(certs)
    shape = _shape(certs, quarter, changed)
    note(f"  certification queue: {shape}")
    runs = RUNS[size]

    def counted(what: str, got: int, want: int, status: int = 200) -> str:
        return "" if status == 200 and got == want else f"answered {status} with {got} {what}"

    _emit_runs(
        metric="certification_queue.views",
        call=lambda: cert_selectors.certification_views(
            list(cert_selectors.certifications_for(actor=me, status=waiting))
        ),
        check=lambda views: counted("views", len(views), n),
        runs=runs,
        n=n,
        db=db,
        shape=shape,
    )
    client = Client()
    client.force_login(user)
    # The page shows the first QUEUE_PAGE rows of each section; the API a page of 50.
    shown = sum(len(section.rows) for section in cert_selectors.queue_for(me))
    _emit_runs(
        metric="certification_queue.page",
        call=lambda: client.get("/time/certifications/"),
        check=lambda page: counted(
            "rows", page.content.decode().count('<tr id="cert-'), shown, page.status_code
        ),
        runs=runs,
        n=shown,
        db=db,
        shape=f"first page of each section ({shown} rows) of {shape}",
    )
    listed = min(n, 50)
    _emit_runs(
        metric="certification_queue.api",
        call=lambda: client.get(f"/api/v1/time/certifications?status={waiting}&page_size=50"),
        check=lambda answer: counted(
            "certifications",
            len(json.loads(answer.content)["items"]) if answer.status_code == 200 else 0,
            listed,
            answer.status_code,
        ),
        runs=runs,
        n=listed,
        db=db,
        shape=f"a page of {listed} of {shape}",
    )
