"""The demo data as plain tables: the delivery team, customers, engagements, the schedule and
the time they log (psa.demo.load turns them into records through the services).

Dates are offsets in days: from today for engagements, from this week's Monday for the
schedule and time off, so the demo is current on whatever day it is loaded.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from psa.core.roles import Role
from psa.engagements.models import Kind, Status

DEMO_PASSWORD = "psa-demo-2026"  # noqa: S105 - a published demo password, demo data only
DEMO_PASSWORD_NOTE = (
    f"demo team members sign in with their username (e.g. priya.raman) and {DEMO_PASSWORD}"
)

# ------------------------------------------------------------------ people


class Member(NamedTuple):
    name: str
    username: str
    title: str
    country: str
    subdivision: str
    timezone: str
    roles: list[str]
    weekly_hours: str | None  # None: the country's standard
    skills: list[str]
    manager: str | None  # a username further up the table


TEAM: list[Member] = [
    Member(
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
    Member(
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
    Member(
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
    Member(
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
    Member(
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
    Member(
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
    Member(
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
    Member(
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
    Member(
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
    Member(
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
    Member(
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
    Member(
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
    Member(
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
    Member(
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
    Member(
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
    Member(
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
    Member(
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
    Member(
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
    Member(
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
    Member(
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
    Member(
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
    Member(
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
    Member(
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
# Team members start 37 days apart from this date, in the table's order.
FIRST_START = dt.date(2019, 3, 1)
START_EVERY_DAYS = 37
# Working days other than Monday-Friday (ISO weekday numbers).
WORKING_DAYS = {"sam.patel": [1, 2, 3]}

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

# A new hire starting mid-week next week: not in TEAM, since her start date is relative to the
# day the demo is loaded and her cost rate is her own.
NEW_HIRE = Member(
    "Mia Kowalski",
    "mia.kowalski",
    "Professional Services Engineer",
    "US",
    "IL",
    "America/Chicago",
    [Role.PSE],
    None,
    ["CI/CD"],
    "marcus.chen",
)
NEW_HIRE_COST_RATE = ("90", "USD")
NEW_HIRE_STARTS = 9  # days after this week's Monday: next week's Wednesday

# username, days after this week's Monday, length in days, kind
TIME_OFF = [
    ("jordan.miller", 14, 5, "pto"),
    ("camille.dubois", 7, 3, "pto"),
    ("oliver.hughes", 2, 1, "sick"),
    ("noah.wilson", 21, 10, "pto"),
]
TIME_OFF_NOTE = "Demo time off"

# ------------------------------------------------------------------ customers and engagements

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


class Plan(NamedTuple):
    customer: str
    name: str
    kind: str
    status: str
    start: int  # days from today
    days: int  # its end, in days after its start
    value: str  # contract value, USD
    budget: str  # hours
    rate: str | None  # bill rate, USD per hour (embedded engineers)
    probability: int
    owner: str  # username
    reached: int  # milestones reached a week ago


ENGAGEMENTS = [
    Plan(
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
    Plan(
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
    Plan(
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
    Plan(
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
    Plan(
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
    Plan(
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
    Plan(
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
    Plan(
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
    Plan(
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
    Plan(
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
    Plan(
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
    Plan(
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
# SOWs that name their own milestones (name, weight in percent); the others get the default.
MILESTONES = {
    "Security Implementation": [
        ("Design sign-off", "20"),
        ("Pilot rollout", "30"),
        ("Full rollout", "40"),
        ("Handover", "10"),
    ],
}
CANCEL_REASON = "customer cancelled"
COMMENTS = {
    "GitLab Migration Services": (
        "@priya.raman please schedule Alex Rivera 3 days next week, 24 hours."
    ),
}

# ------------------------------------------------------------------ the schedule

COORDINATOR = "priya.raman"  # confirms and declines the requests


class Request(NamedTuple):
    requester: str
    person: str
    engagement: str
    start: int  # days after this week's Monday
    end: int
    hours: str
    per_day: bool = False  # hours on each working day, not in all
    confirm: bool = True  # False: left open for the coordinator's review
    skill: str = ""


# Confirmed by the coordinator, so the bookings have their history.
REQUESTS = [
    Request("marcus.chen", "alex.rivera", "GitLab Migration Services", 0, 11, "6", per_day=True),
    Request("sophie.laurent", "jordan.miller", "CI/CD Rapid Results", 7, 11, "40"),
    Request("sophie.laurent", "camille.dubois", "Migration from Jenkins", 0, 4, "7", per_day=True),
    Request(
        "sophie.laurent", "oliver.hughes", "Embedded DevOps Engineer", 7, 27, "8", per_day=True
    ),
    Request("sophie.laurent", "lena.fischer", "Security Implementation", 14, 25, "8", per_day=True),
    Request("priya.raman", "sam.patel", "GitLab with Git Basics training", 8, 9, "16"),
    Request("marcus.chen", "hugo.bernard", "Kubernetes Integration", 35, 39, "6", per_day=True),
]
# username, (major epic, category), task, first and last day after this week's Monday, hours a
# day
INTERNAL_TIME = [
    ("yuki.tanaka", ("Internal Assisted", "Practice Development"), "CI templates", 0, 4, "2"),
    ("amelia.clarke", ("PS Internal", "Personal Enablement"), "Kubernetes course", 1, 1, "4"),
    ("jordan.miller", ("Internal Assisted", "Mentoring"), "Mentoring new PSEs", 21, 25, "1"),
]
# Open for the coordinator: one that fits, one that collides with Noah's PTO.
OPEN_REQUESTS = [
    Request("priya.raman", "jonas.weber", "GitLab CI/CD training", 28, 29, "16", confirm=False),
    Request(
        "marcus.chen",
        "noah.wilson",
        "Dedicated Implementation Engineer",
        21,
        25,
        "38",
        confirm=False,
        skill="Kubernetes",
    ),
]
DECLINED = Request("marcus.chen", "olivia.tremblay", "GitLab Migration Services", 14, 16, "24")
DECLINE_REASON = "Olivia is reserved for the Wayne Energy kick-off"
FEED_OF = "jordan.miller"  # has a calendar feed of their bookings

# ------------------------------------------------------------------ time

WORK_ITEMS_BY = "priya.raman"
# Engagements with a project-hours work item; the PSEs log to them in turn.
PROJECT_ITEMS = [
    "GitLab Migration Services",
    "CI/CD Rapid Results",
    "Embedded DevOps Engineer",
    "Migration from Jenkins",
]
PROJECT_EPIC = ("Project Work", "All project hours")
# role in the loader: title, (major epic, category), labels
WORK_ITEMS = {
    "admin": (
        "Timesheets, expenses and e-mail",
        ("PS Internal", "General Administrative"),
        ["Internal"],
    ),
    "enablement": ("Kubernetes enablement", ("PS Internal", "Personal Enablement"), ["Internal"]),
    "holidays": ("Public holidays", ("PTO/Holidays", "PS Team Holidays"), []),
    "pto": ("PTO and sick days", ("PTO/Holidays", "PS Team PTO/Sick Days"), []),
}
TIME_WEEKS = 3  # weeks of time before this one
SUBMITTED_WEEKS = 2  # the first of them with their timesheet submitted
CUSTOMER_SHARE = Decimal("0.75")  # of a working day; the rest is admin (enablement on Fridays)
# The quarter's certification, as far as it goes before the quarter ends: generated by the
# head of PS; Camille's approved by her manager and the head of PS (final approval waits for the
# quarter's end), Jordan's by his manager, waiting for the head of PS.
CERTIFIED_BY = "dana.whitfield"
CERTIFICATIONS = {
    "camille.dubois": ("sophie.laurent", "dana.whitfield"),
    "jordan.miller": ("marcus.chen",),
}
CERTIFY_REASON = "Demo data: some weeks were never submitted."
TIMER = ("jordan.miller", "Pipeline migration pairing")  # running, on the first project item

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
LARGE_SKILLS = ("CI/CD", "Kubernetes", "Migration", "Security", "Training", "Agile")
