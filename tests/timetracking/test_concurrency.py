"""Rules that must hold under parallel requests (PostgreSQL row locks): the 24-hour day with
updates as well as creates, one decision per certification step, one running timer a person.

Each test starts its calls together behind a barrier and asserts the one outcome the rule
allows; without the person lock (updates) or the named step (decisions) they fail."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from django.db import connection, connections
from django.db.models import Sum

from psa.core import clock
from psa.core.errors import DomainError
from psa.core.roles import Actor, Role
from psa.people.models import Person
from psa.timetracking import entry_files, epics, imports, rollup, rules, selectors, services
from psa.timetracking.certification import selectors as cert_selectors
from psa.timetracking.certification import services as cert_services
from psa.timetracking.entry_files import TimeRow
from psa.timetracking.models import (
    CertificationStep,
    Epic,
    PersonMonth,
    QuarterlyCertification,
    TimeEntry,
    Timer,
)
from tests.timetracking.factories import WorkItemFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]
D = Decimal
DAY = dt.date(2026, 11, 16)  # FY27 Q4: 1 Nov 2026 - 31 Jan 2027
NOW = dt.datetime(2026, 11, 18, 9, tzinfo=dt.UTC)
AFTER_QUARTER = dt.datetime(2027, 2, 3, 9, tzinfo=dt.UTC)
NO_SHEETS = "no timesheets in this test"  # weeks never submitted need a reason


@pytest.fixture(autouse=True)
def _epic_tree(transactional_db: None) -> None:
    # A transactional test before this one flushed the tree its migration seeds.
    epics.seed(Epic)


def run_together(calls: list[Callable[[], Any]], *, now: dt.datetime = NOW) -> list[str]:
    """Run the calls in parallel threads released at once; each outcome is "ok" or the name of
    the domain error it raised (any other exception fails the test: it would be a 500)."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    unexpected: list[BaseException] = []

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            call()
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(type(exc).__name__)
        except BaseException as exc:  # noqa: BLE001 - reported below, with the test failing
            unexpected.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    # Frozen once around all threads: frozen() sets a process-wide value.
    with clock.frozen(now):
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert unexpected == []
    return sorted(outcomes)


def day_total(person: Person) -> Decimal:
    totals = TimeEntry.objects.filter(person=person, date=DAY).aggregate(t=Sum("hours"))
    total: Decimal = totals["t"]
    return total


@pytest.fixture
def pse(make_person: Callable[..., Person]) -> Person:
    return make_person(Role.PSE)


def log(actor: Actor, person: Person, hours: str) -> TimeEntry:
    with clock.frozen(NOW):
        return services.time_entry_create(
            actor=actor, person=person, work_item=WorkItemFactory.create(), date=DAY, hours=hours
        )


def test_two_parallel_updates_on_one_day_never_pass_24_hours(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    me = actor_of(pse)
    first, second = log(me, pse, "8"), log(me, pse, "8")

    outcomes = run_together(
        [
            lambda: services.time_entry_update(actor=me, entry=first, hours="14"),
            lambda: services.time_entry_update(actor=me, entry=second, hours="14"),
        ]
    )

    assert outcomes == ["ValidationFailed", "ok"]
    assert day_total(pse) == D("22.00")


def test_a_parallel_update_and_create_never_pass_24_hours(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    me = actor_of(pse)
    entry = log(me, pse, "8")
    item = WorkItemFactory.create()

    outcomes = run_together(
        [
            lambda: services.time_entry_update(actor=me, entry=entry, hours="20"),
            lambda: services.time_entry_create(
                actor=me, person=pse, work_item=item, date=DAY, hours="12"
            ),
        ]
    )

    assert outcomes == ["ValidationFailed", "ok"]
    assert day_total(pse) == D("20.00")  # either order: 20 + 12 would be 32


def test_an_import_and_a_single_entry_at_once_never_pass_24_hours(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    me = actor_of(pse)
    item = WorkItemFactory.create()
    rows = [
        TimeRow(2, "", DAY, f"#{item.pk}", "", D("8"), ""),
        TimeRow(3, "", DAY, f"#{item.pk}", "", D("6"), ""),
    ]

    def import_rows() -> None:
        report = imports.time_import(actor=me, rows=rows, dry_run=False)
        if report.errors:
            raise report.problem()

    outcomes = run_together(
        [
            import_rows,
            lambda: services.time_entry_create(
                actor=me, person=pse, work_item=item, date=DAY, hours="12"
            ),
        ]
    )

    assert outcomes == ["ValidationFailed", "ok"]
    assert day_total(pse) in (D("14.00"), D("12.00"))  # whichever came first
    assert rollup.verify() == []


def test_the_same_file_imported_twice_at_once_is_written_once(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    me = actor_of(pse)
    item = WorkItemFactory.create()
    data = f"Date,Work item,Hours\r\n{DAY},#{item.pk},2\r\n".encode()

    def import_file() -> None:
        report = imports.time_import(
            actor=me,
            rows=entry_files.read_entries(data),
            dry_run=False,
            digest=imports.file_digest(data),
        )
        if report.errors:
            raise report.problem()

    assert run_together([import_file, import_file]) == ["ValidationFailed", "ok"]
    assert day_total(pse) == D("2.00")


def test_parallel_deletes_of_one_entry_remove_it_once(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    me = actor_of(pse)
    entry = log(me, pse, "8")

    outcomes = run_together([lambda: services.time_entry_delete(actor=me, entry=entry)] * 3)

    assert outcomes == ["NotFound", "NotFound", "ok"]
    assert TimeEntry.objects.filter(person=pse).count() == 0


def test_parallel_timer_starts_leave_one_timer_and_refuse_the_rest(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    me = actor_of(pse)
    item = WorkItemFactory.create()

    outcomes = run_together(
        [lambda: services.timer_start(actor=me, person=pse, work_item=item)] * 6
    )

    assert outcomes == ["Conflict"] * 5 + ["ok"]
    assert Timer.objects.filter(person=pse).count() == 1


@pytest.fixture
def cert(
    make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> QuarterlyCertification:
    manager = make_person(Role.DELIVERY_MANAGER)
    pse = make_person(Role.PSE, manager=manager)
    log(actor_of(pse), pse, "8")
    with clock.frozen(AFTER_QUARTER):
        return cert_services.certification_generate(
            actor=actor_of(manager), person=pse, year=2027, quarter=4
        )


def test_ten_parallel_admin_approvals_decide_one_step(cert: QuarterlyCertification) -> None:
    """An administrator holds every chain role: ten clicks on the manager step approve it once
    and never run on into the head and finance steps (which would lock the quarter)."""
    admin = Actor(user_id=None, username="root", is_admin=True)

    outcomes = run_together(
        [
            lambda: cert_services.certification_decide(
                actor=admin, certification=cert, step="manager", approve=True, reason=NO_SHEETS
            )
        ]
        * 10,
        now=AFTER_QUARTER,
    )

    assert outcomes == ["Conflict"] * 9 + ["ok"]
    cert.refresh_from_db()
    assert (cert.status, cert.locked_at) == ("manager_certified", None)
    assert list(CertificationStep.objects.values_list("step", "approved")) == [("manager", True)]


def test_two_chain_roles_approving_in_parallel_skip_no_step(
    cert: QuarterlyCertification,
    make_person: Callable[..., Person],
    actor_of: Callable[[Person], Actor],
) -> None:
    """The head of PS and an administrator both take the head step at once: one decides it,
    the other is told the certification moved on; finance's step is still to come."""
    with clock.frozen(AFTER_QUARTER):
        cert = cert_services.certification_decide(
            actor=Actor(user_id=None, username="root", is_admin=True),
            certification=cert,
            step="manager",
            approve=True,
            reason=NO_SHEETS,
        )
    head = actor_of(make_person(Role.HEAD_OF_PS))
    admin = Actor(user_id=None, username="root", is_admin=True)

    outcomes = run_together(
        [
            partial(
                cert_services.certification_decide,
                actor=who,
                certification=cert,
                step="head",
                approve=True,
                reason=NO_SHEETS,
            )
            for who in (head, admin)
        ],
        now=AFTER_QUARTER,
    )

    assert outcomes == ["Conflict", "ok"]
    cert.refresh_from_db()
    assert (cert.status, cert.locked_at) == ("head_approved", None)
    assert list(CertificationStep.objects.order_by("id").values_list("step", flat=True)) == [
        "manager",
        "head",
    ]


def test_an_approval_racing_an_entry_never_stands_on_stale_figures(
    cert: QuarterlyCertification, actor_of: Callable[[Person], Actor]
) -> None:
    """The decision locks the person as entry writes do: either the entry comes first and the
    approval (sent with the figures it was shown) is refused, or the approval comes first and
    the entry sends it back to the manager. Never an approval of figures that are not true."""
    with clock.frozen(AFTER_QUARTER):
        shown = cert_selectors.certification_view(cert).digest
    pse = cert.person
    manager = Actor(user_id=None, username="root", is_admin=True)
    item = WorkItemFactory.create()

    outcomes = run_together(
        [
            lambda: cert_services.certification_decide(
                actor=manager,
                certification=cert,
                step="manager",
                approve=True,
                reason=NO_SHEETS,
                digest=shown,
            ),
            lambda: services.time_entry_create(
                actor=actor_of(pse), person=pse, work_item=item, date=DAY, hours="1"
            ),
        ],
        now=AFTER_QUARTER,
    )

    cert.refresh_from_db()
    assert outcomes in (["Conflict", "ok"], ["ok", "ok"])
    assert cert.status == "generated"  # refused, or approved and sent back by the change
    with clock.frozen(AFTER_QUARTER):
        assert cert_selectors.certification_view(cert).total_hours == D("9.00")


def test_parallel_resubmits_send_returned_hours_back_once(cert: QuarterlyCertification) -> None:
    """The person and their manager both send returned hours back: one does, the other is
    told it is no longer returned."""
    admin = Actor(user_id=None, username="root", is_admin=True)
    with clock.frozen(AFTER_QUARTER):
        cert_services.certification_decide(
            actor=admin, certification=cert, step="manager", approve=False, reason="Add Friday"
        )

    outcomes = run_together(
        [lambda: cert_services.certification_resubmit(actor=admin, certification=cert)] * 6,
        now=AFTER_QUARTER,
    )

    assert outcomes == ["Conflict"] * 5 + ["ok"]
    cert.refresh_from_db()
    assert cert.status == "generated"
    assert CertificationStep.objects.filter(step="resubmit").count() == 1


def test_parallel_corrections_of_a_locked_day_adjust_it_once(
    cert: QuarterlyCertification, actor_of: Callable[[Person], Actor]
) -> None:
    """Four clicks on "Record the adjusting entry" (8 h should be 6 h): one adjusting entry of
    -2 h; the others find the day says 6 h already and change nothing."""
    admin = Actor(user_id=None, username="root", is_admin=True)
    for step in ("manager", "head", "finance"):
        with clock.frozen(AFTER_QUARTER):
            cert_services.certification_decide(
                actor=admin, certification=cert, step=step, approve=True, reason=NO_SHEETS
            )
    pse = cert.person
    entry = TimeEntry.objects.get(person=pse)

    outcomes = run_together(
        [
            lambda: cert_services.locked_day_correct(
                actor=actor_of(pse),
                person=pse,
                work_item=entry.work_item,
                day=DAY,
                hours="6",
                reason="two calls were shorter",
            )
        ]
        * 4,
        now=AFTER_QUARTER,
    )

    assert outcomes == ["ValidationFailed"] * 3 + ["ok"]
    assert day_total(pse) == D("6.00")
    assert list(TimeEntry.objects.filter(adjusts=entry).values_list("hours", flat=True)) == [
        D("-2.00")
    ]


def test_parallel_writes_keep_the_month_summary_exact(
    make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    """Eight writers at once, four for each of two people, on one month: the summary's first
    row is inserted by one and added to by the rest, never losing a write or its hash."""
    people = [make_person(Role.PSE) for _ in range(2)]
    items = [WorkItemFactory.create() for _ in range(4)]

    def write(p: Person, k: int) -> Callable[[], TimeEntry]:
        return lambda: services.time_entry_create(
            actor=actor_of(p),
            person=p,
            work_item=items[k],
            date=DAY + dt.timedelta(days=k % 2),
            hours="1.25",
        )

    calls = [write(p, k) for p in people for k in range(4)]

    assert run_together(calls) == ["ok"] * 8

    november = dt.date(2026, 11, 1)
    for person in people:
        row = PersonMonth.objects.get(person=person, month=november)
        assert (row.hundredths, row.entries, row.changes) == (500, 4, 4)
        keys = selectors.quarter_entry_keys(
            person_ids=[person.pk], start=november, end=dt.date(2026, 11, 30)
        )[person.pk]
        limbs = [getattr(row, name) for name in PersonMonth.DIGEST_FIELDS]
        assert rules.digest_of(limbs) == rules.entries_digest(keys)
    assert rollup.verify() == []


def test_a_clean_check_confirmed_twice_at_once_starts_one_import(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    from psa.core.models import Job
    from psa.timetracking import tasks

    me = actor_of(pse)
    item = WorkItemFactory.create()
    data = f"Date,Work item,Hours\r\n{DAY},#{item.pk},2\r\n".encode()
    assert pse.user is not None
    check = Job.objects.create(
        user=pse.user,
        kind=tasks.TIME_IMPORT,
        title="Time import check of hours.csv",
        params={"dry_run": True},
        task=tasks.time_import_task.module_path,
        status=Job.Status.DONE,
        result={"bad_rows": 0},
        file=data,
        file_name="hours.csv",
        content_type="text/csv",
        created_at=NOW,
    )

    outcomes = run_together([partial(services.time_import_confirm, actor=me, job_id=check.pk)] * 2)

    # the lock on the check makes the second press see the first import
    assert outcomes == ["Conflict", "ok"]
    assert Job.objects.filter(kind=tasks.TIME_IMPORT, params__checked=check.pk).count() == 1
    assert day_total(pse) == D("2.00")
