"""The demo data sets row by row: the same people, engagements, schedule and time on every load
on the same day, wherever the tables and loaders live (psa.demo.data, psa.demo.load)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.db.models import QuerySet, Sum

from psa import demo
from psa.core import clock
from psa.people.models import Person
from psa.scheduling.models import Booking
from psa.timetracking.models import TimeEntry

# A Wednesday with Thanksgiving the next day: the holiday shapes the schedule and the time.
DAY = dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC)
APPS = ("core", "people", "engagements", "scheduling", "timetracking")


def rows_per_table() -> dict[str, int]:
    """Rows in each of PSA's tables and the logins, leaving out the empty ones."""
    ours = [
        model
        for model in apps.get_models()
        if model._meta.app_label in APPS or model._meta.label_lower == "auth.user"
    ]
    counts = {model._meta.label_lower: model._base_manager.count() for model in ours}
    return {label: n for label, n in counts.items() if n}


def hours(queryset: QuerySet[Any]) -> Decimal:
    return Decimal(queryset.aggregate(total=Sum("hours"))["total"])


@pytest.mark.django_db
def test_the_small_set_is_the_same_team_and_rows() -> None:
    with clock.frozen(DAY):
        demo.load_small()
    assert rows_per_table() == {
        "auth.user": 24,
        "core.auditentry": 523,
        "core.generation": 1,
        "core.notification": 37,
        "engagements.billrate": 2,
        "engagements.comment": 19,
        "engagements.customer": 8,
        "engagements.engagement": 12,
        "engagements.milestone": 16,
        "people.costrate": 24,
        "people.person": 24,
        "people.personrole": 24,
        "people.skill": 9,
        "people.timeoff": 4,
        "scheduling.assignmentrequest": 10,
        "scheduling.booking": 10,
        "scheduling.bookingday": 59,
        "scheduling.calendarfeed": 1,
        "timetracking.certificationstep": 3,
        "timetracking.epic": 28,
        "timetracking.internaltimecategory": 3,
        "timetracking.label": 3,
        "timetracking.personmonth": 12,
        "timetracking.quarterlycertification": 2,
        "timetracking.timeentry": 341,
        "timetracking.timer": 1,
        "timetracking.timesheet": 24,
        "timetracking.timesheetreminder": 12,
        "timetracking.workitem": 25,
        "timetracking.workitemweek": 20,
    }
    assert list(Person.objects.order_by("pk").values_list("user__username", flat=True)) == [
        "dana.whitfield",
        "marcus.chen",
        "sophie.laurent",
        "priya.raman",
        "ellen.okafor",
        "tom.becker",
        "aisha.bello",
        "hannah.schmidt",
        "lucas.moreau",
        "kenji.watanabe",
        "rachel.adams",
        "jordan.miller",
        "alex.rivera",
        "sam.patel",
        "olivia.tremblay",
        "camille.dubois",
        "hugo.bernard",
        "lena.fischer",
        "jonas.weber",
        "oliver.hughes",
        "amelia.clarke",
        "noah.wilson",
        "yuki.tanaka",
        "mia.kowalski",
    ]
    assert hours(TimeEntry.objects.all()) == Decimal("1356")
    assert hours(Booking.objects.all()) == Decimal("380")


@pytest.mark.django_db
def test_the_large_set_is_the_same_synthetic_organisation() -> None:
    with clock.frozen(DAY):
        demo.load_reference_data()
        demo.load_large(people=40, engagements=120)
        assert demo.load_large_schedule(bookings=300, start=DAY.date()) == 300
    assert rows_per_table() == {
        "core.auditentry": 2,
        "core.generation": 1,
        "engagements.billrate": 40,
        "engagements.customer": 12,
        "engagements.engagement": 120,
        "engagements.milestone": 160,
        "people.costrate": 40,
        "people.person": 40,
        "people.personrole": 40,
        "people.skill": 6,
        "scheduling.booking": 300,
        "scheduling.bookingday": 910,
        "timetracking.epic": 28,
        "timetracking.workitem": 15,
    }
    assert hours(Booking.objects.all()) == Decimal("4803")
