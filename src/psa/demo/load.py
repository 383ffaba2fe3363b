"""The demo loaders: the small set (psa.demo.data's tables) through the services, so it is
validated and audited like real use; the large synthetic set bulk-inserted and recorded as one
audit entry."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from psa.core import audit, clock, periods
from psa.core.roles import SYSTEM, Actor, Role
from psa.demo import data
from psa.engagements import services as engagement_services
from psa.engagements.models import BillRate, Customer, Engagement, Kind, Milestone, Status
from psa.engagements.rules import MilestoneSpec
from psa.people import cache as people_cache
from psa.people import services as people_services
from psa.people.models import CostRate, Person, PersonRole, Skill

Progress = Callable[[str], None]

# The status changes that take a new engagement to its planned status.
STATUS_PATH = {
    Status.PIPELINE: [],
    Status.BOOKED: [Status.BOOKED],
    Status.ACTIVE: [Status.BOOKED, Status.ACTIVE],
    Status.COMPLETE: [Status.BOOKED, Status.ACTIVE, Status.COMPLETE],
    Status.CANCELLED: [Status.BOOKED, Status.CANCELLED],
}


def database_is_empty() -> bool:
    return not Person.objects.exists() and not get_user_model().objects.exists()


def demo_login_left() -> str:
    """A demo team member's username that still signs in with the published DEMO_PASSWORD
    ("" when none does, or before the tables exist). Production refuses such a database."""
    from django.contrib.auth.hashers import check_password
    from django.db import connection

    User = get_user_model()
    if User._meta.db_table not in connection.introspection.table_names():
        return ""
    usernames = [member.username for member in [*data.TEAM, data.NEW_HIRE]]
    # Only the demo's own usernames are hashed against it: a real database has none, so this
    # costs one query, and a demo database stops at the first match.
    logins = User.objects.filter(username__in=usernames, is_active=True)
    for username, hashed in logins.values_list("username", "password"):
        if check_password(data.DEMO_PASSWORD, hashed):
            return str(username)
    return ""


def load_reference_data() -> None:
    """Data every installation needs: the epic tree and its categories' standing work items
    (also made by the migrations; this puts them back in a database emptied after migrating)."""
    from psa.timetracking import epics
    from psa.timetracking.models import Epic, WorkItem

    epics.seed(Epic, WorkItem)


def load_demo(*, size: str = "small", progress: Progress = lambda _: None) -> None:
    load_reference_data()
    if size == "large":
        load_large(progress=progress)
    else:
        load_small(progress=progress)


# ------------------------------------------------------------------ the small set


def _actors(people: dict[str, Person]) -> Callable[[str], Actor]:
    """Who acts for a username: that team member's login, with their roles."""
    from psa.people.selectors import actor_for

    def actor(username: str) -> Actor:
        user = people[username].user
        return actor_for(user) if user else SYSTEM

    return actor


@transaction.atomic
def load_small(*, progress: Progress = lambda _: None) -> None:
    load_reference_data()
    today = clock.today()
    monday = periods.week_start(today)
    people = load_people(monday=monday)
    progress(f"{len(people)} people")
    engagements = load_engagements(people, today=today)
    progress(f"{len(data.CUSTOMERS)} customers, {len(data.ENGAGEMENTS)} engagements")
    load_schedule(people, engagements, monday=monday)
    progress("schedule: bookings, tentative work, internal time and open requests")
    load_time(people, engagements, monday=monday)
    progress("time: work items, three weeks of time entries, timesheets, a running timer")


def load_people(*, monday: dt.date) -> dict[str, Person]:
    """The team, the new hire and their time off; by username."""
    people: dict[str, Person] = {}
    for member in data.TEAM:
        person = people_services.PersonInput(
            name=member.name,
            email=f"{member.username}@example.com",
            title=member.title,
            manager_id=people[member.manager].pk if member.manager else None,
            country=member.country,
            subdivision=member.subdivision,
            timezone=member.timezone,
            weekly_hours=Decimal(member.weekly_hours) if member.weekly_hours else None,
            cost_rate=Decimal(data.COST_RATES[member.country]),
            cost_currency=data.CURRENCY[member.country],
            skills=member.skills,
            roles=[str(r) for r in member.roles],
            start_date=data.FIRST_START + dt.timedelta(days=data.START_EVERY_DAYS * len(people)),
        )
        if member.username in data.WORKING_DAYS:
            person.working_days = data.WORKING_DAYS[member.username]
        people[member.username] = people_services.person_create(
            actor=SYSTEM, data=person, username=member.username, password=data.DEMO_PASSWORD
        )
    hire = data.NEW_HIRE
    rate, currency = data.NEW_HIRE_COST_RATE
    people[hire.username] = people_services.person_create(
        actor=SYSTEM,
        data=people_services.PersonInput(
            name=hire.name,
            email=f"{hire.username}@example.com",
            title=hire.title,
            manager_id=people[hire.manager].pk if hire.manager else None,
            country=hire.country,
            subdivision=hire.subdivision,
            timezone=hire.timezone,
            cost_rate=Decimal(rate),
            cost_currency=currency,
            skills=hire.skills,
            roles=hire.roles,
            start_date=monday + dt.timedelta(days=data.NEW_HIRE_STARTS),
        ),
        username=hire.username,
        password=data.DEMO_PASSWORD,
    )
    for username, offset, length, kind in data.TIME_OFF:
        people_services.time_off_create(
            actor=SYSTEM,
            person=people[username],
            kind=kind,
            start_date=monday + dt.timedelta(days=offset),
            end_date=monday + dt.timedelta(days=offset + length - 1),
            note=data.TIME_OFF_NOTE,
        )
    return people


def load_engagements(people: dict[str, Person], *, today: dt.date) -> dict[str, Engagement]:
    """The customers and their engagements, each taken to its status; by name."""
    customers = {
        n: engagement_services.customer_create(actor=SYSTEM, name=n) for n in data.CUSTOMERS
    }
    by_name: dict[str, Engagement] = {}
    for plan in data.ENGAGEMENTS:
        start_date = today + dt.timedelta(days=plan.start)
        milestones = None
        if plan.kind == Kind.CUSTOM_SOW and plan.name in data.MILESTONES:
            milestones = [
                MilestoneSpec(name, Decimal(weight)) for name, weight in data.MILESTONES[plan.name]
            ]
        engagement = engagement_services.engagement_create(
            actor=SYSTEM,
            data=engagement_services.EngagementInput(
                customer_id=customers[plan.customer].pk,
                name=plan.name,
                kind=plan.kind,
                sow_reference=f"SOW-{start_date:%y%m}-{len(plan.name):03d}",
                currency="USD",
                contract_value=Decimal(plan.value),
                budget_hours=Decimal(plan.budget),
                bill_rate=Decimal(plan.rate) if plan.rate else None,
                start_date=start_date,
                end_date=start_date + dt.timedelta(days=plan.days),
                probability=plan.probability,
                project_issue_url=f"https://gitlab.example.com/ps/{plan.customer.split()[0].lower()}/-/issues/1",
                crm_opportunity_id=f"006{abs(hash(plan.name)) % 10**12:012d}",
                owner_id=people[plan.owner].pk,
            ),
            milestones=milestones,
        )
        for step in STATUS_PATH[Status(plan.status)]:
            engagement = engagement_services.engagement_set_status(
                actor=SYSTEM,
                engagement=engagement,
                status=step,
                reason=data.CANCEL_REASON if step == Status.CANCELLED else "",
            )
        for milestone in list(engagement.milestones.order_by("position"))[: plan.reached]:
            engagement_services.milestone_set_reached(
                actor=SYSTEM, milestone=milestone, reached_on=today - dt.timedelta(days=7)
            )
        if plan.name in data.COMMENTS:
            engagement_services.comment_add(
                actor=SYSTEM, engagement=engagement, body=data.COMMENTS[plan.name]
            )
        by_name[plan.name] = engagement
    return by_name


def load_schedule(
    people: dict[str, Person], engagements: dict[str, Engagement], *, monday: dt.date
) -> None:
    """Requests confirmed by the coordinator (so bookings have their history), tentative
    pipeline work, internal time, and a few requests left open for the review queue."""
    from psa.core.errors import DomainError
    from psa.scheduling import services as scheduling
    from psa.timetracking import flows as time_flows
    from psa.timetracking import selectors as time_selectors

    actor = _actors(people)
    pc = actor(data.COORDINATOR)

    def request(plan: data.Request) -> None:
        try:
            made = scheduling.request_create(
                actor=actor(plan.requester),
                engagement=engagements[plan.engagement],
                person=people[plan.person],
                start_date=monday + dt.timedelta(days=plan.start),
                end_date=monday + dt.timedelta(days=plan.end),
                hours=Decimal(plan.hours),
                per_day=plan.per_day,
                skill=plan.skill,
            )
            if plan.confirm:
                scheduling.request_confirm(actor=pc, request=made)
        except DomainError:
            pass  # the demo runs on any date: a holiday may make a plan not fit; leave it open

    for plan in data.REQUESTS:
        request(plan)
    for username, (major, category), task, start, end, hours in data.INTERNAL_TIME:
        with contextlib.suppress(DomainError):
            time_flows.internal_time_plan(
                actor=actor(username),
                person=people[username],
                category=time_selectors.epic_by_path(major, category),
                task_name=task,
                start_date=monday + dt.timedelta(days=start),
                end_date=monday + dt.timedelta(days=end),
                hours=Decimal(hours),
                per_day=True,
            )
    for plan in data.OPEN_REQUESTS:
        request(plan)
    declined = data.DECLINED
    made = scheduling.request_create(
        actor=actor(declined.requester),
        engagement=engagements[declined.engagement],
        person=people[declined.person],
        start_date=monday + dt.timedelta(days=declined.start),
        end_date=monday + dt.timedelta(days=declined.end),
        hours=Decimal(declined.hours),
    )
    scheduling.request_decline(actor=pc, request=made, reason=data.DECLINE_REASON)
    scheduling.feed_create(actor=actor(data.FEED_OF), person=people[data.FEED_OF])


def load_time(
    people: dict[str, Person], engagements: dict[str, Engagement], *, monday: dt.date
) -> None:
    """Work items under the epic tree, the last three weeks of time for every PSE (customer
    work, internal work, holidays and PTO as time), timesheets for the two weeks before last,
    and one running timer."""
    from psa.people.rules import capacity_days
    from psa.people.selectors import work_pattern
    from psa.timetracking import services as time
    from psa.timetracking.selectors import epic_by_path

    actor = _actors(people)
    project = epic_by_path(*data.PROJECT_EPIC)
    customer_items = [
        time.work_item_create(
            actor=actor(data.WORK_ITEMS_BY),
            title=f"{name}: project hours",
            epic=project,
            engagement=engagements[name],
            labels=["ProjectWork"],
        )
        for name in data.PROJECT_ITEMS
    ]
    items = {
        role: time.work_item_create(
            actor=actor(data.WORK_ITEMS_BY), title=title, epic=epic_by_path(*epic), labels=labels
        )
        for role, (title, epic, labels) in data.WORK_ITEMS.items()
    }
    pses = [member.username for member in data.TEAM if Role.PSE in member.roles]
    first = monday - dt.timedelta(weeks=data.TIME_WEEKS)
    for n, username in enumerate(pses):
        person = people[username]
        customer = customer_items[n % len(customer_items)]
        customer.assignees.add(person)
        for week in range(data.TIME_WEEKS):
            start = first + dt.timedelta(weeks=week)
            for day in capacity_days(work_pattern(person), start, start + dt.timedelta(days=6)):
                if day.base <= 0:
                    continue
                if day.holiday:
                    entries = [(items["holidays"], day.base)]
                elif day.time_off:
                    entries = [(items["pto"], day.base)]
                else:
                    work = (day.base * data.CUSTOMER_SHARE).quantize(Decimal("0.01"))
                    other = items["enablement"] if day.date.weekday() == 4 else items["admin"]
                    entries = [(customer, work), (other, day.base - work)]
                for item, hours in entries:
                    time.time_entry_create(
                        actor=actor(username),
                        person=person,
                        work_item=item,
                        date=day.date,
                        hours=hours,
                    )
            if week < data.SUBMITTED_WEEKS:
                time.timesheet_submit(actor=actor(username), person=person, week=start)
    _certify(people, actor, first)
    # Last week is not submitted yet: its Friday reminders went out on Saturday.
    from psa.timetracking.reminders import timesheet_reminders_send

    saturday = monday - dt.timedelta(days=2)
    timesheet_reminders_send(now=dt.datetime.combine(saturday, dt.time(12), tzinfo=dt.UTC))
    username, note = data.TIMER
    time.timer_start(
        actor=actor(username), person=people[username], work_item=customer_items[0], note=note
    )


def _certify(people: dict[str, Person], actor: Callable[[str], Actor], day: dt.date) -> None:
    """The quarter of `day` through the chain as far as data.CERTIFICATIONS takes it."""

    from psa.core.periods import fiscal_quarter
    from psa.timetracking import rules as time_rules
    from psa.timetracking.certification import services as cert_services

    q = fiscal_quarter(day)
    for username, deciders in data.CERTIFICATIONS.items():
        cert = cert_services.certification_generate(
            actor=actor(data.CERTIFIED_BY), person=people[username], year=q.year, quarter=q.quarter
        )
        for decider, step in zip(deciders, time_rules.DECIDING_STEPS, strict=False):
            cert = cert_services.certification_decide(
                actor=actor(decider),
                certification=cert,
                step=step,
                approve=True,
                reason=data.CERTIFY_REASON,
            )


# ------------------------------------------------------------------ the large synthetic set


def load_large(
    *,
    progress: Progress = lambda _: None,
    people: int = data.LARGE_PEOPLE,
    engagements: int = data.LARGE_ENGAGEMENTS,
    seed: int = 7,
) -> None:
    """Bulk-insert a synthetic organisation: `people` people and `engagements` engagements."""
    rng = random.Random(seed)
    today = clock.today()
    now = clock.now()
    countries = data.LARGE_COUNTRIES
    with transaction.atomic():
        skills = [Skill.objects.get_or_create(name=n)[0] for n in data.LARGE_SKILLS]
        base = Person.objects.count()
        batch, rates = [], []
        for i in range(people):
            rates.append(Decimal(rng.randrange(60, 120)))  # drawn first, as the set always was
            batch.append(
                Person(
                    name=f"Synthetic Person {base + i:05d}",
                    email=f"synthetic{base + i:05d}@example.com",
                    title="Professional Services Engineer",
                    country=countries[i % len(countries)][0],
                    subdivision=countries[i % len(countries)][1],
                    timezone="UTC",
                    start_date=dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(0, 1500)),
                    working_days=[1, 2, 3, 4, 5],
                )
            )
        created = Person.objects.bulk_create(batch, batch_size=1000)
        CostRate.objects.bulk_create(
            [
                CostRate(person=p, effective_from=p.start_date, rate=rate, currency="USD")
                for p, rate in zip(created, rates, strict=True)
            ],
            batch_size=2000,
        )
        people_cache.changed()  # bulk writes send no signals
        PersonRole.objects.bulk_create(
            [PersonRole(person=p, role=Role.PSE) for p in created], batch_size=2000
        )
        through = Person.skills.through
        through.objects.bulk_create(
            [
                through(person_id=p.pk, skill_id=skills[i % len(skills)].pk)
                for i, p in enumerate(created)
            ],
            batch_size=2000,
        )
        progress(f"{people} people")
        first_customer = Customer.objects.count()
        customers = Customer.objects.bulk_create(
            [
                Customer(name=f"Synthetic Customer {first_customer + i:05d}", created_at=now)
                for i in range(max(1, engagements // 10))
            ],
            batch_size=1000,
        )
        kinds = [Kind.PACKAGED, Kind.CUSTOM_SOW, Kind.EMBEDDED_ENGINEER]
        statuses = [Status.PIPELINE, Status.BOOKED, Status.ACTIVE, Status.COMPLETE]
        rows = []
        for i in range(engagements):
            start = today + dt.timedelta(days=rng.randrange(-700, 365))
            kind = kinds[i % 3]
            rows.append(
                Engagement(
                    customer=customers[i % len(customers)],
                    name=f"Engagement {i:06d}",
                    kind=kind,
                    status=statuses[rng.randrange(4)],
                    currency="USD",
                    contract_value=Decimal(rng.randrange(5, 200) * 1000),
                    budget_hours=Decimal(rng.randrange(8, 800)),
                    start_date=start,
                    end_date=start + dt.timedelta(days=rng.randrange(1, 180)),
                    probability=rng.choice([25, 50, 75, 100]),
                    owner=created[i % len(created)] if created else None,
                    created_at=now,
                    updated_at=now,
                )
            )
        created_engagements = Engagement.objects.bulk_create(rows, batch_size=1000)
        BillRate.objects.bulk_create(
            [
                BillRate(engagement=e, effective_from=e.start_date, rate=Decimal("200"))
                for e in created_engagements
                if e.kind == Kind.EMBEDDED_ENGINEER and e.start_date is not None
            ],
            batch_size=2000,
        )
        Milestone.objects.bulk_create(
            [
                Milestone(engagement=e, name=f"{p} % complete", weight=Decimal("25"), position=j)
                for e in created_engagements
                if e.kind == Kind.CUSTOM_SOW
                for j, p in enumerate((25, 50, 75, 100), start=1)
            ],
            batch_size=2000,
        )
        progress(f"{engagements} engagements")
        audit.record(
            actor=SYSTEM,
            action="demo.load_large",
            target_type="demo",
            target_id="large",
            after={"people": people, "engagements": engagements},
        )


def load_large_schedule(
    *,
    bookings: int,
    start: dt.date,
    days: int = 730,
    seed: int = 11,
    progress: Progress = lambda _: None,
) -> int:
    """Bulk-insert `bookings` synthetic bookings (with their days) for the synthetic people over
    `days` days from `start`: 70 % confirmed, 15 % tentative, 15 % internal time; 1-5 working
    days of 2-8 hours each. Returns how many were written."""
    from psa.scheduling.models import Booking, BookingDay, Firmness

    rng = random.Random(seed)
    people_ids = list(
        Person.objects.filter(email__startswith="synthetic").values_list("pk", flat=True)
    )
    engagement_ids = list(
        Engagement.objects.filter(name__startswith="Engagement ")
        .exclude(status__in=[Status.COMPLETE, Status.CANCELLED])
        .values_list("pk", flat=True)[:5000]
    )
    if not people_ids or not engagement_ids:
        return 0
    now = clock.now()
    written = 0
    batch = 5000
    while written < bookings:
        n = min(batch, bookings - written)
        rows: list[Booking] = []
        plans: list[list[tuple[dt.date, Decimal]]] = []
        for _ in range(n):
            first = start + dt.timedelta(days=rng.randrange(days))
            while first.weekday() >= 5:
                first += dt.timedelta(days=1)
            length = rng.randrange(1, 6)
            dates: list[dt.date] = []
            day = first
            while len(dates) < length:
                if day.weekday() < 5:
                    dates.append(day)
                day += dt.timedelta(days=1)
            per_day = Decimal(rng.randrange(2, 9))
            roll = rng.random()
            internal = roll >= 0.85
            tentative = 0.70 <= roll < 0.85
            rows.append(
                Booking(
                    person_id=rng.choice(people_ids),
                    engagement_id=None if internal else rng.choice(engagement_ids),
                    task_name="Synthetic internal task" if internal else "",
                    firmness=Firmness.TENTATIVE if tentative else Firmness.CONFIRMED,
                    probability=rng.choice([25, 50, 75]) if tentative else 100,
                    start_date=dates[0],
                    end_date=dates[-1],
                    hours=per_day * len(dates),
                    created_at=now,
                    updated_at=now,
                )
            )
            plans.append([(d, per_day) for d in dates])
        with transaction.atomic():
            created = Booking.objects.bulk_create(rows, batch_size=1000)
            BookingDay.objects.bulk_create(
                [
                    BookingDay(
                        booking_id=b.pk,
                        person_id=b.person_id,
                        date=d,
                        hours=h,
                        kind="internal" if b.engagement_id is None else b.firmness,
                    )
                    for b, plan in zip(created, plans, strict=True)
                    for d, h in plan
                ],
                batch_size=5000,
            )
        written += n
        progress(f"{written} of {bookings} bookings")
    with transaction.atomic():
        audit.record(
            actor=SYSTEM,
            action="demo.load_large_schedule",
            target_type="demo",
            target_id="schedule",
            after={"bookings": bookings},
        )
    return written
