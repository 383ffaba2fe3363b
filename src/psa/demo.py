"""Demo data: a realistic delivery team for first runs, and a large synthetic set for benchmarks.

The small set goes through the services (so it is validated and audited like real use); the large
set is bulk-inserted and recorded as one audit entry.
"""

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
from psa.engagements import services as engagement_services
from psa.engagements.models import Customer, Engagement, Kind, Milestone, Status
from psa.engagements.rules import MilestoneSpec
from psa.people import cache as people_cache
from psa.people import services as people_services
from psa.people.models import Person, PersonRole, Skill

Progress = Callable[[str], None]
DEMO_PASSWORD = "psa-demo-2026"  # noqa: S105 - a published demo password, demo data only
DEMO_PASSWORD_NOTE = (
    f"demo team members sign in with their username (e.g. priya.raman) and {DEMO_PASSWORD}"
)

# name, username, title, country, subdivision, tz, roles, weekly hours override, skills, manager
TEAM: list[tuple[str, str, str, str, str, str, list[str], str | None, list[str], str | None]] = [
    (
        "Dana Whitfield",
        "dana.whitfield",
        "Head of Professional Services",
        "US",
        "CA",
        "America/Los_Angeles",
        [Role.HEAD_OF_PS],
        None,
        [],
        None,
    ),
    (
        "Marcus Chen",
        "marcus.chen",
        "Delivery Manager, Americas",
        "US",
        "NY",
        "America/New_York",
        [Role.DELIVERY_MANAGER],
        None,
        ["Migration"],
        "dana.whitfield",
    ),
    (
        "Sophie Laurent",
        "sophie.laurent",
        "Delivery Manager, EMEA/APAC",
        "FR",
        "",
        "Europe/Paris",
        [Role.DELIVERY_MANAGER],
        None,
        ["CI/CD"],
        "dana.whitfield",
    ),
    (
        "Priya Raman",
        "priya.raman",
        "Sr. PS Project Coordinator",
        "US",
        "TX",
        "America/Chicago",
        [Role.PROJECT_COORDINATOR],
        None,
        [],
        "dana.whitfield",
    ),
    (
        "Ellen Okafor",
        "ellen.okafor",
        "PS Finance Partner",
        "GB",
        "",
        "Europe/London",
        [Role.FINANCE_PARTNER],
        None,
        [],
        None,
    ),
    (
        "Tom Becker",
        "tom.becker",
        "Controller",
        "US",
        "CA",
        "America/Los_Angeles",
        [Role.CONTROLLER],
        None,
        [],
        None,
    ),
    (
        "Aisha Bello",
        "aisha.bello",
        "Finance Business Partner, Sales",
        "US",
        "CA",
        "America/Los_Angeles",
        [Role.FINANCE_BUSINESS_PARTNER],
        None,
        [],
        None,
    ),
    (
        "Hannah Schmidt",
        "hannah.schmidt",
        "Education Practice Manager",
        "DE",
        "BY",
        "Europe/Berlin",
        [Role.EDUCATION_MANAGER],
        None,
        ["Training"],
        "dana.whitfield",
    ),
    (
        "Lucas Moreau",
        "lucas.moreau",
        "PS Instructional Designer",
        "FR",
        "",
        "Europe/Paris",
        [Role.INSTRUCTIONAL_DESIGNER],
        None,
        ["Training"],
        "hannah.schmidt",
    ),
    (
        "Kenji Watanabe",
        "kenji.watanabe",
        "Demo Systems Engineer",
        "JP",
        "",
        "Asia/Tokyo",
        [Role.DEMO_SYSTEMS_ENGINEER],
        None,
        ["Kubernetes"],
        None,
    ),
    (
        "Rachel Adams",
        "rachel.adams",
        "Strategic Account Executive",
        "US",
        "NY",
        "America/New_York",
        [Role.SALES],
        None,
        [],
        None,
    ),
    # PSEs
    (
        "Jordan Miller",
        "jordan.miller",
        "Sr. Professional Services Engineer",
        "US",
        "WA",
        "America/Los_Angeles",
        [Role.PSE],
        None,
        ["CI/CD", "Kubernetes", "Training: GitLab with Git Basics"],
        "marcus.chen",
    ),
    (
        "Alex Rivera",
        "alex.rivera",
        "Professional Services Engineer",
        "US",
        "TX",
        "America/Chicago",
        [Role.PSE],
        None,
        ["Migration", "Security"],
        "marcus.chen",
    ),
    (
        "Sam Patel",
        "sam.patel",
        "Professional Services Engineer (part-time)",
        "US",
        "NJ",
        "America/New_York",
        [Role.PSE],
        "24",
        ["Training: GitLab with Git Basics", "CI/CD"],
        "marcus.chen",
    ),
    (
        "Olivia Tremblay",
        "olivia.tremblay",
        "Professional Services Engineer",
        "CA",
        "ON",
        "America/Toronto",
        [Role.PSE],
        None,
        ["Migration", "Kubernetes"],
        "marcus.chen",
    ),
    (
        "Camille Dubois",
        "camille.dubois",
        "Sr. Professional Services Engineer",
        "FR",
        "",
        "Europe/Paris",
        [Role.PSE],
        None,
        ["Security", "Training: GitLab Security Essentials"],
        "sophie.laurent",
    ),
    (
        "Hugo Bernard",
        "hugo.bernard",
        "Professional Services Engineer",
        "FR",
        "",
        "Europe/Paris",
        [Role.PSE],
        None,
        ["Migration", "CI/CD"],
        "sophie.laurent",
    ),
    (
        "Lena Fischer",
        "lena.fischer",
        "Professional Services Engineer",
        "DE",
        "BE",
        "Europe/Berlin",
        [Role.PSE],
        None,
        ["Kubernetes", "CI/CD"],
        "sophie.laurent",
    ),
    (
        "Jonas Weber",
        "jonas.weber",
        "Professional Services Engineer",
        "DE",
        "BY",
        "Europe/Berlin",
        [Role.PSE],
        None,
        ["Training: GitLab CI/CD", "CI/CD"],
        "sophie.laurent",
    ),
    (
        "Oliver Hughes",
        "oliver.hughes",
        "Sr. Professional Services Engineer",
        "GB",
        "",
        "Europe/London",
        [Role.PSE],
        None,
        ["Migration", "Security"],
        "sophie.laurent",
    ),
    (
        "Amelia Clarke",
        "amelia.clarke",
        "Professional Services Engineer",
        "GB",
        "",
        "Europe/London",
        [Role.PSE],
        None,
        ["Training: GitLab with Git Basics", "Agile"],
        "sophie.laurent",
    ),
    (
        "Noah Wilson",
        "noah.wilson",
        "Professional Services Engineer",
        "AU",
        "NSW",
        "Australia/Sydney",
        [Role.PSE],
        None,
        ["Kubernetes", "Migration"],
        "sophie.laurent",
    ),
    (
        "Yuki Tanaka",
        "yuki.tanaka",
        "Professional Services Engineer",
        "JP",
        "",
        "Asia/Tokyo",
        [Role.PSE],
        None,
        ["CI/CD", "Training: GitLab CI/CD"],
        "sophie.laurent",
    ),
]

COST_RATES = {"US": "95", "CA": "85", "FR": "80", "DE": "82", "GB": "78", "AU": "88", "JP": "75"}
CURRENCY = {
    "US": "USD",
    "CA": "CAD",
    "FR": "EUR",
    "DE": "EUR",
    "GB": "GBP",
    "AU": "AUD",
    "JP": "JPY",
}

CUSTOMERS = [
    "Acme Logistics",
    "Globex Bank",
    "Initech Software",
    "Umbrella Health",
    "Stark Manufacturing",
    "Wayne Energy",
    "Tyrell Systems",
    "Soylent Foods",
]


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
    usernames = [member[1] for member in TEAM] + ["mia.kowalski"]  # the new hire, not in TEAM
    # Only the demo's own usernames are hashed against it: a real database has none, so this
    # costs one query, and a demo database stops at the first match.
    logins = User.objects.filter(username__in=usernames, is_active=True)
    for username, hashed in logins.values_list("username", "password"):
        if check_password(DEMO_PASSWORD, hashed):
            return str(username)
    return ""


def load_reference_data() -> None:
    """Data every installation needs: the epic tree (also seeded by its migration; this puts
    it back in a database emptied after migrating)."""
    from psa.timetracking import epics
    from psa.timetracking.models import Epic

    epics.seed(Epic)


def _monday(day: dt.date) -> dt.date:
    return periods.week_start(day)


def load_demo(*, size: str = "small", progress: Progress = lambda _: None) -> None:
    load_reference_data()
    if size == "large":
        load_large(progress=progress)
    else:
        load_small(progress=progress)


@transaction.atomic
def load_small(*, progress: Progress = lambda _: None) -> None:
    load_reference_data()
    today = clock.today()
    people: dict[str, Person] = {}
    for name, username, title, country, subdiv, tz, roles, weekly, skills, manager in TEAM:
        data = people_services.PersonInput(
            name=name,
            email=f"{username}@example.com",
            title=title,
            manager_id=people[manager].pk if manager else None,
            country=country,
            subdivision=subdiv,
            timezone=tz,
            weekly_hours=Decimal(weekly) if weekly else None,
            cost_rate=Decimal(COST_RATES[country]),
            cost_currency=CURRENCY[country],
            skills=skills,
            roles=[str(r) for r in roles],
            start_date=dt.date(2019, 3, 1) + dt.timedelta(days=37 * len(people)),
        )
        if username == "sam.patel":
            data.working_days = [1, 2, 3]
        people[username] = people_services.person_create(
            actor=SYSTEM, data=data, username=username, password=DEMO_PASSWORD
        )
    # A new hire starting mid-week next week.
    next_wed = _monday(today) + dt.timedelta(days=9)
    people["mia.kowalski"] = people_services.person_create(
        actor=SYSTEM,
        data=people_services.PersonInput(
            name="Mia Kowalski",
            email="mia.kowalski@example.com",
            title="Professional Services Engineer",
            manager_id=people["marcus.chen"].pk,
            country="US",
            subdivision="IL",
            timezone="America/Chicago",
            cost_rate=Decimal("90"),
            cost_currency="USD",
            skills=["CI/CD"],
            roles=[Role.PSE],
            start_date=next_wed,
        ),
        username="mia.kowalski",
        password=DEMO_PASSWORD,
    )
    progress(f"{len(people)} people")

    monday = _monday(today)
    for username, offset, length, kind in [
        ("jordan.miller", 14, 5, "pto"),
        ("camille.dubois", 7, 3, "pto"),
        ("oliver.hughes", 2, 1, "sick"),
        ("noah.wilson", 21, 10, "pto"),
    ]:
        people_services.time_off_create(
            actor=SYSTEM,
            person=people[username],
            kind=kind,
            start_date=monday + dt.timedelta(days=offset),
            end_date=monday + dt.timedelta(days=offset + length - 1),
            note="Demo time off",
        )

    customers = {n: engagement_services.customer_create(actor=SYSTEM, name=n) for n in CUSTOMERS}
    by_name: dict[str, Engagement] = {}
    plans = [
        (
            "Acme Logistics",
            "GitLab Migration Services",
            Kind.CUSTOM_SOW,
            Status.ACTIVE,
            -42,
            70,
            "86000",
            "480",
            None,
            100,
            "marcus.chen",
            2,
        ),
        (
            "Acme Logistics",
            "GitLab with Git Basics training",
            Kind.PACKAGED,
            Status.BOOKED,
            10,
            2,
            "9000",
            "16",
            None,
            100,
            "priya.raman",
            0,
        ),
        (
            "Globex Bank",
            "CI/CD Rapid Results",
            Kind.PACKAGED,
            Status.ACTIVE,
            -7,
            21,
            "24000",
            "120",
            None,
            100,
            "sophie.laurent",
            0,
        ),
        (
            "Globex Bank",
            "Embedded DevOps Engineer",
            Kind.EMBEDDED_ENGINEER,
            Status.ACTIVE,
            -60,
            120,
            "0",
            "960",
            "210",
            100,
            "sophie.laurent",
            0,
        ),
        (
            "Initech Software",
            "Security Implementation",
            Kind.CUSTOM_SOW,
            Status.BOOKED,
            14,
            56,
            "64000",
            "360",
            None,
            100,
            "sophie.laurent",
            0,
        ),
        (
            "Umbrella Health",
            "Kubernetes Integration",
            Kind.CUSTOM_SOW,
            Status.PIPELINE,
            35,
            42,
            "52000",
            "300",
            None,
            60,
            "marcus.chen",
            0,
        ),
        (
            "Umbrella Health",
            "GitLab CI/CD training",
            Kind.PACKAGED,
            Status.PIPELINE,
            28,
            2,
            "9000",
            "16",
            None,
            75,
            "priya.raman",
            0,
        ),
        (
            "Stark Manufacturing",
            "Implementation QuickStart",
            Kind.PACKAGED,
            Status.COMPLETE,
            -90,
            10,
            "18000",
            "80",
            None,
            100,
            "marcus.chen",
            0,
        ),
        (
            "Wayne Energy",
            "Dedicated Implementation Engineer",
            Kind.EMBEDDED_ENGINEER,
            Status.BOOKED,
            21,
            90,
            "0",
            "720",
            "195",
            100,
            "marcus.chen",
            0,
        ),
        (
            "Tyrell Systems",
            "Migration from Jenkins",
            Kind.CUSTOM_SOW,
            Status.ACTIVE,
            -21,
            49,
            "72000",
            "420",
            None,
            100,
            "sophie.laurent",
            1,
        ),
        (
            "Tyrell Systems",
            "Readiness Assessment",
            Kind.PACKAGED,
            Status.CANCELLED,
            -30,
            5,
            "12000",
            "40",
            None,
            100,
            "sophie.laurent",
            0,
        ),
        (
            "Soylent Foods",
            "Security Essentials training",
            Kind.PACKAGED,
            Status.PIPELINE,
            42,
            1,
            "6000",
            "8",
            None,
            40,
            "priya.raman",
            0,
        ),
    ]
    for (
        customer,
        name,
        kind,
        status,
        start,
        days,
        value,
        budget,
        rate,
        prob,
        owner,
        reached,
    ) in plans:
        start_date = today + dt.timedelta(days=start)
        milestones = None
        if kind == Kind.CUSTOM_SOW and name == "Security Implementation":
            milestones = [
                MilestoneSpec("Design sign-off", Decimal("20")),
                MilestoneSpec("Pilot rollout", Decimal("30")),
                MilestoneSpec("Full rollout", Decimal("40")),
                MilestoneSpec("Handover", Decimal("10")),
            ]
        engagement = engagement_services.engagement_create(
            actor=SYSTEM,
            data=engagement_services.EngagementInput(
                customer_id=customers[customer].pk,
                name=name,
                kind=kind,
                sow_reference=f"SOW-{start_date:%y%m}-{len(name):03d}",
                currency="USD",
                contract_value=Decimal(value),
                budget_hours=Decimal(budget),
                bill_rate=Decimal(rate) if rate else None,
                start_date=start_date,
                end_date=start_date + dt.timedelta(days=days),
                probability=prob,
                project_issue_url=f"https://gitlab.example.com/ps/{customer.split()[0].lower()}/-/issues/1",
                crm_opportunity_id=f"006{abs(hash(name)) % 10**12:012d}",
                owner_id=people[owner].pk,
            ),
            milestones=milestones,
        )
        path = {
            Status.PIPELINE: [],
            Status.BOOKED: [Status.BOOKED],
            Status.ACTIVE: [Status.BOOKED, Status.ACTIVE],
            Status.COMPLETE: [Status.BOOKED, Status.ACTIVE, Status.COMPLETE],
            Status.CANCELLED: [Status.BOOKED, Status.CANCELLED],
        }[status]
        for step in path:
            engagement = engagement_services.engagement_set_status(
                actor=SYSTEM,
                engagement=engagement,
                status=step,
                reason="customer cancelled" if step == Status.CANCELLED else "",
            )
        for milestone in list(engagement.milestones.order_by("position"))[:reached]:
            engagement_services.milestone_set_reached(
                actor=SYSTEM, milestone=milestone, reached_on=today - dt.timedelta(days=7)
            )
        if name == "GitLab Migration Services":
            engagement_services.comment_add(
                actor=SYSTEM,
                engagement=engagement,
                body="@priya.raman please schedule Alex Rivera 3 days next week, 24 hours.",
            )
        by_name[name] = engagement
    progress(f"{len(CUSTOMERS)} customers, {len(plans)} engagements")
    load_schedule(people, by_name, monday=monday)
    progress("schedule: bookings, tentative work, internal time and open requests")
    load_time(people, by_name, monday=monday)
    progress("time: work items, three weeks of time entries, timesheets, a running timer")


def load_schedule(
    people: dict[str, Person], engagements: dict[str, Engagement], *, monday: dt.date
) -> None:
    """Requests confirmed by the coordinator (so bookings have their history), tentative
    pipeline work, internal time, and a few requests left open for the review queue."""
    from psa.core.errors import DomainError
    from psa.people.selectors import actor_for
    from psa.scheduling import services as scheduling
    from psa.timetracking import flows as time_flows
    from psa.timetracking import selectors as time_selectors

    def actor(username: str) -> Actor:
        user = people[username].user
        return actor_for(user) if user else SYSTEM

    pc = actor("priya.raman")

    def request(
        requester: str,
        who: str,
        engagement: str,
        start: int,
        end: int,
        hours: str,
        *,
        per_day: bool = False,
        confirm: bool = True,
        skill: str = "",
    ) -> None:
        try:
            made = scheduling.request_create(
                actor=actor(requester),
                engagement=engagements[engagement],
                person=people[who],
                start_date=monday + dt.timedelta(days=start),
                end_date=monday + dt.timedelta(days=end),
                hours=Decimal(hours),
                per_day=per_day,
                skill=skill,
            )
            if confirm:
                scheduling.request_confirm(actor=pc, request=made)
        except DomainError:
            pass  # the demo runs on any date: a holiday may make a plan not fit; leave it open

    request("marcus.chen", "alex.rivera", "GitLab Migration Services", 0, 11, "6", per_day=True)
    request("sophie.laurent", "jordan.miller", "CI/CD Rapid Results", 7, 11, "40")
    request("sophie.laurent", "camille.dubois", "Migration from Jenkins", 0, 4, "7", per_day=True)
    request("sophie.laurent", "oliver.hughes", "Embedded DevOps Engineer", 7, 27, "8", per_day=True)
    request("sophie.laurent", "lena.fischer", "Security Implementation", 14, 25, "8", per_day=True)
    request("priya.raman", "sam.patel", "GitLab with Git Basics training", 8, 9, "16")
    request("marcus.chen", "hugo.bernard", "Kubernetes Integration", 35, 39, "6", per_day=True)
    for username, (major, category), task, start, end, hours in [
        ("yuki.tanaka", ("Internal Assisted", "Practice Development"), "CI templates", 0, 4, "2"),
        ("amelia.clarke", ("PS Internal", "Personal Enablement"), "Kubernetes course", 1, 1, "4"),
        ("jordan.miller", ("Internal Assisted", "Mentoring"), "Mentoring new PSEs", 21, 25, "1"),
    ]:
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
    # Open for the coordinator: one that fits, one that collides with Noah's PTO.
    request("priya.raman", "jonas.weber", "GitLab CI/CD training", 28, 29, "16", confirm=False)
    request(
        "marcus.chen",
        "noah.wilson",
        "Dedicated Implementation Engineer",
        21,
        25,
        "38",
        confirm=False,
        skill="Kubernetes",
    )
    declined = scheduling.request_create(
        actor=actor("marcus.chen"),
        engagement=engagements["GitLab Migration Services"],
        person=people["olivia.tremblay"],
        start_date=monday + dt.timedelta(days=14),
        end_date=monday + dt.timedelta(days=16),
        hours=Decimal("24"),
    )
    scheduling.request_decline(
        actor=pc, request=declined, reason="Olivia is reserved for the Wayne Energy kick-off"
    )
    scheduling.feed_create(actor=actor("jordan.miller"), person=people["jordan.miller"])


def load_time(
    people: dict[str, Person], engagements: dict[str, Engagement], *, monday: dt.date
) -> None:
    """Work items under the epic tree, the last three weeks of time for every PSE (customer
    work, internal work, holidays and PTO as time), timesheets for the two weeks before last,
    and one running timer."""
    from psa.people.rules import capacity_days
    from psa.people.selectors import actor_for, work_pattern
    from psa.timetracking import services as time
    from psa.timetracking.selectors import epic_by_path

    def actor(username: str) -> Actor:
        user = people[username].user
        return actor_for(user) if user else SYSTEM

    project = epic_by_path("Project Work", "All project hours")
    items = {
        name: time.work_item_create(
            actor=actor("priya.raman"),
            title=f"{name}: project hours",
            epic=project,
            engagement=engagements[name],
            labels=["ProjectWork"],
        )
        for name in (
            "GitLab Migration Services",
            "CI/CD Rapid Results",
            "Embedded DevOps Engineer",
            "Migration from Jenkins",
        )
    }
    admin = time.work_item_create(
        actor=actor("priya.raman"),
        title="Timesheets, expenses and e-mail",
        epic=epic_by_path("PS Internal", "General Administrative"),
        labels=["Internal"],
    )
    enablement = time.work_item_create(
        actor=actor("priya.raman"),
        title="Kubernetes enablement",
        epic=epic_by_path("PS Internal", "Personal Enablement"),
        labels=["Internal"],
    )
    holidays = time.work_item_create(
        actor=actor("priya.raman"),
        title="Public holidays",
        epic=epic_by_path("PTO/Holidays", "PS Team Holidays"),
    )
    pto = time.work_item_create(
        actor=actor("priya.raman"),
        title="PTO and sick days",
        epic=epic_by_path("PTO/Holidays", "PS Team PTO/Sick Days"),
    )
    customer_items = list(items.values())
    pses = [t[1] for t in TEAM if Role.PSE in t[6]]
    first = monday - dt.timedelta(weeks=3)
    for n, username in enumerate(pses):
        person = people[username]
        customer = customer_items[n % len(customer_items)]
        customer.assignees.add(person)
        for week in range(3):
            start = first + dt.timedelta(weeks=week)
            for day in capacity_days(work_pattern(person), start, start + dt.timedelta(days=6)):
                if day.base <= 0:
                    continue
                if day.holiday:
                    entries = [(holidays, day.base)]
                elif day.time_off:
                    entries = [(pto, day.base)]
                else:
                    work = (day.base * Decimal("0.75")).quantize(Decimal("0.01"))
                    other = enablement if day.date.weekday() == 4 else admin
                    entries = [(customer, work), (other, day.base - work)]
                for item, hours in entries:
                    time.time_entry_create(
                        actor=actor(username),
                        person=person,
                        work_item=item,
                        date=day.date,
                        hours=hours,
                    )
            if week < 2:
                time.timesheet_submit(actor=actor(username), person=person, week=start)
    _certify(people, actor, first)
    # Last week is not submitted yet: its Friday reminders went out on Saturday.
    from psa.timetracking.reminders import timesheet_reminders_send

    saturday = monday - dt.timedelta(days=2)
    timesheet_reminders_send(now=dt.datetime.combine(saturday, dt.time(12), tzinfo=dt.UTC))
    time.timer_start(
        actor=actor("jordan.miller"),
        person=people["jordan.miller"],
        work_item=customer_items[0],
        note="Pipeline migration pairing",
    )


def _certify(people: dict[str, Person], actor: Callable[[str], Actor], day: dt.date) -> None:
    """The quarter of `day` through the chain as far as it goes before the quarter ends:
    Camille's hours approved by her manager and the head of PS (final approval waits for the
    quarter's end), Jordan's certified by his manager and waiting for the head of PS."""

    from psa.core.periods import fiscal_quarter
    from psa.timetracking import certification as chain

    q = fiscal_quarter(day)
    steps = {
        "camille.dubois": ("sophie.laurent", "dana.whitfield"),
        "jordan.miller": ("marcus.chen",),
    }
    for username, deciders in steps.items():
        cert = chain.certification_generate(
            actor=actor("dana.whitfield"), person=people[username], year=q.year, quarter=q.quarter
        )
        for decider, step in zip(deciders, chain.DECIDING_STEPS, strict=False):
            cert = chain.certification_decide(
                actor=actor(decider),
                certification=cert,
                step=step,
                approve=True,
                reason="Demo data: some weeks were never submitted.",
            )


# ------------------------------------------------------------------ large synthetic set

LARGE_PEOPLE = 3000
LARGE_ENGAGEMENTS = 30000
LARGE_COUNTRIES = [
    ("US", "CA"),
    ("US", "NY"),
    ("US", "TX"),
    ("FR", ""),
    ("DE", "BY"),
    ("GB", ""),
    ("AU", "NSW"),
    ("JP", ""),
    ("CA", "ON"),
    ("NL", ""),
]


def load_large(
    *,
    progress: Progress = lambda _: None,
    people: int = LARGE_PEOPLE,
    engagements: int = LARGE_ENGAGEMENTS,
    seed: int = 7,
) -> None:
    """Bulk-insert a synthetic organisation: `people` people and `engagements` engagements."""
    rng = random.Random(seed)
    today = clock.today()
    now = clock.now()
    with transaction.atomic():
        skills = [
            Skill.objects.get_or_create(name=n)[0]
            for n in ("CI/CD", "Kubernetes", "Migration", "Security", "Training", "Agile")
        ]
        base = Person.objects.count()
        batch = [
            Person(
                name=f"Synthetic Person {base + i:05d}",
                email=f"synthetic{base + i:05d}@example.com",
                title="Professional Services Engineer",
                country=LARGE_COUNTRIES[i % len(LARGE_COUNTRIES)][0],
                subdivision=LARGE_COUNTRIES[i % len(LARGE_COUNTRIES)][1],
                timezone="UTC",
                cost_rate=Decimal(rng.randrange(60, 120)),
                cost_currency="USD",
                start_date=dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(0, 1500)),
                working_days=[1, 2, 3, 4, 5],
            )
            for i in range(people)
        ]
        created = Person.objects.bulk_create(batch, batch_size=1000)
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
                    bill_rate=Decimal("200") if kind == Kind.EMBEDDED_ENGINEER else None,
                    start_date=start,
                    end_date=start + dt.timedelta(days=rng.randrange(1, 180)),
                    probability=rng.choice([25, 50, 75, 100]),
                    owner=created[i % len(created)] if created else None,
                    created_at=now,
                    updated_at=now,
                )
            )
        created_engagements = Engagement.objects.bulk_create(rows, batch_size=1000)
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
