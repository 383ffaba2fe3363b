"""Time entries, the timer and weekly timesheets: rules, refusals and what they change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from psa.core import clock, numbers
from psa.core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from psa.core.models import AuditEntry
from psa.core.roles import Actor, Role
from psa.people.models import Person
from psa.timetracking import rules, selectors, services
from psa.timetracking.models import Epic, TimeEntry, WorkItem
from tests.engagements.factories import EngagementFactory
from tests.helpers import unchanged
from tests.timetracking.factories import WorkItemFactory, category

pytestmark = pytest.mark.django_db
D = Decimal
MONDAY = dt.date(2026, 11, 16)
# Wednesday 25 Nov 2026, 09:00 UTC: the week of 16 Nov was due on Monday 23 Nov.
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def pse(make_person: Callable[..., Person]) -> Person:
    return make_person(Role.PSE, timezone="America/New_York")


def log(actor: Actor, person: Person, day: dt.date, hours: str, **kw: Any) -> TimeEntry:
    item = kw.pop("work_item", None) or WorkItemFactory.create()
    return services.time_entry_create(
        actor=actor, person=person, work_item=item, date=day, hours=hours, **kw
    )


def test_an_entry_on_an_engagement_work_item_is_billable(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    billable = WorkItemFactory.create(
        engagement=EngagementFactory.create(), epic=category("Project Work", "All project hours")
    )
    entry = log(actor_of(pse), pse, MONDAY, "7.5", work_item=billable)
    assert entry.hours == D("7.50")
    assert entry.work_item.billable
    assert not WorkItemFactory.create().billable
    assert AuditEntry.objects.filter(action="time.create", target_id=str(entry.pk)).exists()


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("8hrs", numbers.ERR_HOURS_TEXT.format(value="8hrs")),
        ("eight", numbers.ERR_HOURS_TEXT.format(value="eight")),
        ("-1", rules.ERR_HOURS_POSITIVE),
        ("0", rules.ERR_HOURS_POSITIVE),
        ("NaN", numbers.ERR_HOURS_TEXT.format(value="NaN")),
        ("24.01", rules.ERR_HOURS_DAY.format(total="24.01")),
    ],
)
def test_bad_hours_are_refused_and_nothing_is_written(
    pse: Person, actor_of: Callable[[Person], Actor], hours: str, message: str
) -> None:
    item = WorkItemFactory.create()
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        log(actor_of(pse), pse, MONDAY, hours, work_item=item)
    assert exc.value.errors == [FieldError("hours", message)]


def test_more_than_24_hours_in_a_day_is_refused(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    log(actor_of(pse), pse, MONDAY, "20")
    item = WorkItemFactory.create()
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        log(actor_of(pse), pse, MONDAY, "4.5", work_item=item)
    assert exc.value.errors == [FieldError("hours", rules.ERR_HOURS_DAY.format(total="24.50"))]


def test_future_dates_only_for_planned_pto(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    later = dt.date(2026, 12, 24)
    item = WorkItemFactory.create()
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        log(actor_of(pse), pse, later, "8", work_item=item)
    assert exc.value.errors == [FieldError("date", services.ERR_FUTURE.format(date=later))]
    pto = WorkItemFactory.create(epic=category("PTO/Holidays", "PS Team PTO/Sick Days"))
    assert log(actor_of(pse), pse, later, "8", work_item=pto).date == later


def test_nobody_logs_someone_elses_time(
    pse: Person, make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    other = make_person(Role.PSE)
    item = WorkItemFactory.create()
    with unchanged(), pytest.raises(PermissionDenied) as exc:
        log(actor_of(other), pse, MONDAY, "8", work_item=item)
    assert exc.value.errors == [FieldError("person_id", services.ERR_NOT_YOUR_TIME)]


def test_work_items_attach_to_a_category_not_a_major_epic(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    major = Epic.objects.get(name="Project Work", parent=None)
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.work_item_create(actor=actor_of(pse), title="Kick-off", epic=major)
    assert exc.value.errors == [FieldError("epic_id", services.ERR_MAJOR_EPIC)]
    item = services.work_item_create(
        actor=actor_of(pse),
        title="Kick-off",
        epic=category("Project Work", "All project hours"),
        labels=["ProjectWork", "ProjectWork"],
    )
    assert item.author == pse
    assert [label.name for label in item.labels.all()] == ["ProjectWork"]


def test_editing_an_entry_rechecks_the_day_limit(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    entry = log(actor_of(pse), pse, MONDAY, "8")
    log(actor_of(pse), pse, MONDAY, "10")
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.time_entry_update(actor=actor_of(pse), entry=entry, hours="15")
    assert exc.value.errors == [FieldError("hours", rules.ERR_HOURS_DAY.format(total="25.00"))]
    services.time_entry_update(actor=actor_of(pse), entry=entry, hours="14", note="go-live")
    entry.refresh_from_db()
    assert (entry.hours, entry.note) == (D("14.00"), "go-live")


def fill_week(actor: Actor, person: Person, per_day: str = "8", days: int = 5) -> None:
    item = WorkItemFactory.create()
    for i in range(days):
        log(actor, person, MONDAY + dt.timedelta(days=i), per_day, work_item=item)


def test_a_full_week_is_submitted_and_late_after_monday_noon(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    fill_week(actor_of(pse), pse)
    sheet = services.timesheet_submit(actor=actor_of(pse), person=pse, week=MONDAY)
    assert (sheet.hours, sheet.late) == (D("40.00"), True)
    with unchanged(), pytest.raises(Conflict) as exc:
        services.timesheet_submit(actor=actor_of(pse), person=pse, week=MONDAY)
    message = services.ERR_SUBMITTED_TWICE.format(week=MONDAY, at=NOW)
    assert exc.value.errors == [FieldError("week", message)]


def test_on_time_when_submitted_by_monday_morning(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    fill_week(actor_of(pse), pse)
    with clock.frozen(dt.datetime(2026, 11, 23, 16, 59, tzinfo=dt.UTC)):  # 11:59 in New York
        sheet = services.timesheet_submit(actor=actor_of(pse), person=pse, week=MONDAY)
    assert sheet.late is False


def test_a_short_week_is_refused_with_the_days_missing(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    fill_week(actor_of(pse), pse, days=4)
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.timesheet_submit(actor=actor_of(pse), person=pse, week=MONDAY)
    assert exc.value.message == services.ERR_SHORT_WEEK.format(
        logged="32.00", required="40.00", days="Fri 20 Nov 8.00 h"
    )
    friday = MONDAY + dt.timedelta(days=4)
    assert exc.value.errors == [
        FieldError("hours", services.ERR_DAY_MISSING.format(date=friday, missing="8.00"))
    ]


def test_pto_and_holidays_logged_as_time_count(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    fill_week(actor_of(pse), pse, days=4)
    pto = WorkItemFactory.create(epic=category("PTO/Holidays", "PS Team PTO/Sick Days"))
    log(actor_of(pse), pse, MONDAY + dt.timedelta(days=4), "8", work_item=pto)
    assert services.timesheet_submit(actor=actor_of(pse), person=pse, week=MONDAY).hours == D(
        "40.00"
    )


def test_a_french_week_needs_35_hours(
    make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    fr = make_person(Role.PSE, country="FR", timezone="Europe/Paris")
    fill_week(actor_of(fr), fr, per_day="7")
    assert services.timesheet_submit(actor=actor_of(fr), person=fr, week=MONDAY).hours == D("35.00")


def test_the_current_week_cannot_be_submitted_before_friday_noon(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    week = dt.date(2026, 11, 23)
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.timesheet_submit(actor=actor_of(pse), person=pse, week=week)
    assert exc.value.errors == [FieldError("week", services.ERR_WEEK_FUTURE.format(week=week))]


def test_the_timer_logs_elapsed_time_on_the_day_it_started(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    item = WorkItemFactory.create()
    start = dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC)  # Monday 22:00 in New York
    with clock.frozen(start):
        services.timer_start(actor=actor_of(pse), person=pse, work_item=item)
        with unchanged(), pytest.raises(Conflict) as running:
            services.timer_start(actor=actor_of(pse), person=pse, work_item=item)
    message = services.ERR_TIMER_RUNNING.format(item=item)
    assert running.value.errors == [FieldError("work_item_id", message)]
    with clock.frozen(start + dt.timedelta(hours=1, minutes=30)):
        entry = services.timer_stop(actor=actor_of(pse), person=pse)
    assert entry is not None
    assert (entry.date, entry.hours, entry.source) == (dt.date(2026, 11, 23), D("1.50"), "timer")
    with unchanged(), pytest.raises(Conflict) as stopped:
        services.timer_stop(actor=actor_of(pse), person=pse)
    assert stopped.value.errors == [FieldError("timer", services.ERR_NO_TIMER)]


def test_week_grid_sums_per_work_item_and_day(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    item = WorkItemFactory.create()
    log(actor_of(pse), pse, MONDAY, "3", work_item=item)
    log(actor_of(pse), pse, MONDAY, "2", work_item=item)
    other = WorkItemFactory.create(title="zz asked for")
    grid = selectors.week_grid(
        person=pse, week=MONDAY + dt.timedelta(days=3), extra_items=[other.pk, 2**61]
    )
    assert grid.monday == MONDAY
    assert [r.item for r in grid.rows] == [item, other]  # by title; an unknown id is left out
    assert [c.total for c in grid.rows[0].cells] == [D("5.00")] + [D("0.00")] * 6
    assert grid.day_totals[0] == grid.total == D("5.00")
    cell = grid.cell(item.pk, MONDAY)
    assert cell is not None
    assert (len(cell.entries), cell.locked, cell.editable) == (2, False, False)  # two entries
    other_cell = grid.cell(other.pk, MONDAY)
    assert other_cell is not None
    assert other_cell.editable


def test_saving_a_week_writes_each_cell_and_keeps_the_refused_ones_reasons(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    a, b = WorkItemFactory.create(title="a"), WorkItemFactory.create(title="b")
    log(actor_of(pse), pse, MONDAY, "3", work_item=a)
    tuesday = MONDAY + dt.timedelta(days=1)
    result = services.week_save(
        actor=actor_of(pse),
        person=pse,
        week=MONDAY,
        typed={
            (a.pk, MONDAY): "",  # removed
            (a.pk, tuesday): "7,5",  # created
            (b.pk, MONDAY): "1.5.0",  # refused
            (b.pk, tuesday): "",  # nothing there: nothing to do
        },
    )
    assert result.saved == 2
    assert list(result.refused) == [(b.pk, MONDAY)]
    assert result.refused[(b.pk, MONDAY)].message == numbers.ERR_HOURS_TEXT.format(value="1.5.0")
    assert list(TimeEntry.objects.values_list("work_item_id", "date", "hours")) == [
        (a.pk, tuesday, D("7.50"))
    ]


def test_my_week_is_prefilled_from_confirmed_bookings_and_internal_time(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    from psa.core.roles import SYSTEM
    from psa.engagements.models import Status
    from psa.scheduling import services as scheduling

    engagement = EngagementFactory.create(status=Status.ACTIVE)
    project = WorkItemFactory.create(
        engagement=engagement, epic=category("Project Work", "All project hours")
    )
    week = dt.date(2026, 12, 7)
    request = scheduling.request_create(
        actor=SYSTEM,
        engagement=engagement,
        person=pse,
        start_date=week,
        end_date=week + dt.timedelta(days=1),
        hours=D("12"),
    )
    scheduling.request_confirm(actor=SYSTEM, request=request)
    scheduling.internal_time_create(
        actor=actor_of(pse),
        person=pse,
        task_name="Mentoring",
        start_date=week + dt.timedelta(days=2),
        end_date=week + dt.timedelta(days=2),
        hours=D("2"),
    )
    tentative = EngagementFactory.create(status=Status.PIPELINE)
    scheduling.request_confirm(
        actor=SYSTEM,
        request=scheduling.request_create(
            actor=SYSTEM,
            engagement=tentative,
            person=pse,
            start_date=week + dt.timedelta(days=3),
            end_date=week + dt.timedelta(days=3),
            hours=D("4"),
        ),
    )
    suggestions = selectors.week_from_schedule(person=pse, week=week + dt.timedelta(days=4))
    assert [(s.date.day, s.hours, s.work_item, s.task_name) for s in suggestions] == [
        (7, D("6.00"), project, ""),
        (8, D("6.00"), project, ""),
        # Internal time named like a category goes on that category's standing work item.
        (9, D("2.00"), WorkItem.objects.get(standing=True, epic__name="Mentoring"), "Mentoring"),
    ]  # the tentative booking is not time to log
    assert TimeEntry.objects.count() == 0


def test_missing_timesheets_lists_unsubmitted_weeks_with_hours_so_far(
    pse: Person, make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    done = make_person(Role.PSE, name="Done")
    fill_week(actor_of(done), done)
    services.timesheet_submit(actor=actor_of(done), person=done, week=MONDAY)
    log(actor_of(pse), pse, MONDAY, "8")
    missing = selectors.missing_timesheets(people=[pse, done], weeks=[MONDAY])
    assert [(m.person, m.week_start, m.logged, m.required) for m in missing] == [
        (pse, MONDAY, D("8.00"), D("40.00"))
    ]
    assert missing[0].due.isoformat() == "2026-11-23T12:00:00-05:00"


def test_a_timer_whose_time_cannot_be_logged_can_be_discarded(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    from psa.timetracking.models import Timer

    services.timer_start(actor=actor_of(pse), person=pse, work_item=WorkItemFactory.create())
    services.timer_discard(actor=actor_of(pse), person=pse)
    assert Timer.objects.count() == 0
    assert TimeEntry.objects.count() == 0
    with unchanged(), pytest.raises(Conflict) as exc:
        services.timer_discard(actor=actor_of(pse), person=pse)
    assert exc.value.errors == [FieldError("timer", services.ERR_NO_TIMER)]
