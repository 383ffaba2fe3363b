"""`psa bench scheduling`: availability, conflict analysis with proposals, the weekly review,
the schedule board page, on a synthetic schedule (large: 2,000 people, 200,000 bookings over two
years).

Everything runs in-process against the benchmark database (see psa.bench); each figure is the
median (and p95 where it says so) of repeated runs on random people and dates.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Sequence
from decimal import Decimal
from functools import partial
from typing import Any

from psa.bench import emit_runs, ensure_dataset, note, p95, prepare, timed

BENCH = "scheduling"
SIZES = {"small": (300, 20_000), "large": (2000, 200_000)}  # (people, bookings)
RUNS = {"small": 30, "large": 100}


def run(*, size: str, db: str) -> int:
    prepare(size=size, db=db)
    ensure_dataset(size)
    from psa import demo
    from psa.core import clock
    from psa.people.models import Person
    from psa.scheduling import selectors
    from psa.scheduling.models import Booking

    want_people, want_bookings = SIZES[size]
    _team_of(want_people)
    today = clock.today()
    start = today - dt.timedelta(days=365)
    have = Booking.objects.filter(person__email__startswith="synthetic").count()
    if have < want_bookings:
        note(f"loading {want_bookings - have} synthetic bookings…")
        t0 = time.perf_counter()
        demo.load_large_schedule(
            bookings=want_bookings - have, start=start, progress=lambda m: note(f"  {m}")
        )
        note(f"  loaded in {time.perf_counter() - t0:.1f} s")
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh planner statistics after the bulk load
    people = list(Person.objects.filter(email__startswith="synthetic").order_by("pk")[:want_people])
    rng = random.Random(3)  # noqa: S311 - reproducible sample, not a secret
    runs = RUNS[size]

    def some_ask(hours: str = "8", per_day: bool = True) -> selectors.Ask:
        person = rng.choice(people)
        first = today + dt.timedelta(days=rng.randrange(0, 300))
        return selectors.Ask(
            person=person,
            start=first,
            end=first + dt.timedelta(days=4),
            hours=Decimal(hours),
            per_day=per_day,
        )

    bookings = Booking.objects.count()
    shape = (
        f"{len(people)} PSEs, {bookings:,} bookings over two years; a random PSE and 5 days "
        f"within {today}..+300 days each run"
    )
    samples = timed(lambda: selectors.availability(ask=some_ask(), with_proposals=False), runs)
    emit_runs(
        bench=BENCH,
        metric="availability.p50",
        samples=samples,
        unit="ms",
        n=runs,
        target=5,
        better="lower",
        db=db,
        shape=shape,
        extra={"p95": round(p95(samples), 2)},
    )

    conflicts = 0

    def analyse() -> None:
        nonlocal conflicts
        result = selectors.availability(ask=some_ask("10"), with_proposals=True)
        conflicts += 1 if result.proposals else 0

    analyse()  # warm up: the first call imports the holiday calendars
    samples = timed(analyse, max(10, runs // 5))
    emit_runs(
        bench=BENCH,
        metric="conflict_with_proposals.p50",
        samples=samples,
        unit="ms",
        n=len(samples),
        target=50,
        better="lower",
        db=db,
        shape=f"{shape}; 10 h a day asked (over capacity), so proposals are computed",
        extra={"p95": round(p95(samples), 2), "with_proposals": conflicts},
    )
    _weekly_review(db, people, today)
    _board(db, people[:50])
    _import(db, size, people)
    return 0


REVIEW_TEAMS = (300, 2000)  # the per-person cost should stay flat from the one to the other
REVIEW_RUNS = 5


def _weekly_review(db: str, people: Sequence[Any], today: dt.date) -> None:
    """The weekly review of 12 weeks for a team of 300 and of 2,000 (as many as the data set
    has): its total and its cost per person, which stays flat if the review is linear."""
    from psa.scheduling import review
    from psa.scheduling.models import BookingDay

    end = today + dt.timedelta(weeks=12)
    for size in sorted({min(n, len(people)) for n in REVIEW_TEAMS}):
        team = list(people[:size])
        days = BookingDay.objects.filter(person__in=team, date__gte=today, date__lt=end).count()
        shape = f"{size} people × 12 weeks from {today}, {days:,} booked person-days"
        review.weekly_review(people_list=team, start=today, weeks=12)  # warm: calendars
        samples = timed(
            partial(review.weekly_review, people_list=team, start=today, weeks=12), REVIEW_RUNS
        )
        emit_runs(
            bench=BENCH,
            metric=f"weekly_review.{size}x12",
            samples=samples,
            unit="ms",
            n=size,
            target=1000 if size >= 2000 else None,
            better="lower",
            db=db,
            shape=shape,
        )
        emit_runs(
            bench=BENCH,
            metric=f"weekly_review.{size}x12.per_person",
            samples=[s / size for s in samples],
            unit="ms",
            n=size,
            target=None,
            better="lower",
            db=db,
            shape=shape,
        )


IMPORT_ROWS = {"small": 5_000, "large": 50_000}


def _import(db: str, size: str, people: Sequence[Any]) -> None:
    """A spreadsheet of internal-time rows (3 working days each, far in the future so nothing
    collides), read and imported for real, then rolled back so the data set stays as it was."""
    from django.db import transaction

    from psa.core import clock
    from psa.core.roles import SYSTEM
    from psa.scheduling import imports, sheets

    n = IMPORT_ROWS[size]
    monday = clock.today() + dt.timedelta(days=400)
    monday -= dt.timedelta(days=monday.weekday())
    rows = []
    per_person = -(-n // len(people))  # rounded up, so the file has n rows
    for person in people:
        for i in range(per_person):
            start = monday + dt.timedelta(weeks=i)  # Monday to Wednesday
            rows.append(
                sheets.ScheduleRow(
                    0,
                    person.email,
                    "",
                    "Imported task",
                    start,
                    start + dt.timedelta(days=2),
                    Decimal("2"),
                    "internal",
                )
            )
            if len(rows) == n:
                break
        if len(rows) == n:
            break
    data = sheets.write_xlsx(rows)
    t0 = time.perf_counter()
    with transaction.atomic():
        sheet = sheets.read_sheet(data)
        report = imports.schedule_import(
            actor=SYSTEM, rows=sheet, dry_run=False, override_capacity=True
        )
        seconds = time.perf_counter() - t0
        transaction.set_rollback(True)
    if report.errors:
        note(f"import refused: {report.errors[:3]}")
        return
    emit_runs(
        bench=BENCH,
        metric=f"import.{len(rows)}_rows",
        samples=[seconds],
        unit="s",
        n=len(rows),
        target=30,
        better="lower",
        db=db,
        shape=f"{len(rows):,} internal-time rows (3 days each) of {len(people)} people, XLSX",
    )


def _team_of(size: int) -> None:
    """The issue's team: `size` PSEs. The shared synthetic set has more people; the rest become
    sales people (they stay in the people list, but are not proposed for work)."""
    from psa.core.roles import Role
    from psa.people.models import Person, PersonRole

    synthetic = Person.objects.filter(email__startswith="synthetic").order_by("pk")
    extra = list(synthetic.values_list("pk", flat=True)[size:])
    PersonRole.objects.filter(person_id__in=extra, role=Role.PSE).update(role=Role.SALES)
    note(f"team: {synthetic.count() - len(extra)} PSEs of {synthetic.count()} synthetic people")


def _board(db: str, people: Sequence[object]) -> None:
    """The schedule board page for 50 people × 12 weeks, rendered through Django."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    try:
        url = reverse("schedule_board")
    except NoReverseMatch:
        note("schedule board page not built yet: skipped")
        return
    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(user)
    query: dict[str, str | int] = {"weeks": 12, "role": "pse", "limit": 50}
    client.get(url, query)  # warm the template cache
    samples = timed(lambda: client.get(url, query), 10)
    emit_runs(
        bench=BENCH,
        metric="board.50x12",
        samples=samples,
        unit="ms",
        n=len(people),
        target=150,
        better="lower",
        db=db,
        shape="the board page: 50 PSEs × 12 weeks, rendered through Django",
    )
