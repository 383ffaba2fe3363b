from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Firmness(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    TENTATIVE = "tentative", "Tentative"


class Booking(models.Model):
    """Hours of a person on dates: engagement work (confirmed or tentative) or internal time
    (a task name, no engagement). The hours per date are in BookingDay."""

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        CANCELLED = "cancelled", "Cancelled"

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="bookings")
    engagement = models.ForeignKey(
        "engagements.Engagement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bookings",
    )
    task_name = models.CharField(max_length=200, blank=True)  # internal time
    firmness = models.CharField(max_length=10, choices=Firmness.choices)
    probability = models.PositiveSmallIntegerField(default=100)  # percent, tentative work
    start_date = models.DateField()
    end_date = models.DateField()
    hours = models.DecimalField(max_digits=8, decimal_places=2)  # total of its days
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    over_capacity_reason = models.TextField(blank=True)  # the override, when booked over
    request = models.ForeignKey(
        "AssignmentRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bookings",
    )
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # iCalendar UID
    sequence = models.PositiveIntegerField(default=0)  # iCalendar SEQUENCE, bumped on change
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["start_date", "id"]
        indexes = [
            models.Index(fields=["person", "start_date", "end_date"]),
            models.Index(fields=["engagement", "state"]),
        ]

    def __str__(self) -> str:
        what = self.task_name if self.is_internal else f"engagement {self.engagement_id}"
        return f"{what}: {self.hours} h {self.start_date}–{self.end_date}"

    @property
    def is_internal(self) -> bool:
        return self.engagement_id is None


class BookingDay(models.Model):
    """One date of a booking. `kind` repeats the booking's category so that loads aggregate from
    this one table (kept in step by scheduling.services only)."""

    class Kind(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        TENTATIVE = "tentative", "Tentative"
        INTERNAL = "internal", "Internal"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="days")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    hours = models.DecimalField(max_digits=5, decimal_places=2)
    kind = models.CharField(max_length=10, choices=Kind.choices)

    class Meta:
        ordering = ["date"]
        # By person for one calendar; by date for everyone in a period (review, proposals).
        indexes = [models.Index(fields=["person", "date"]), models.Index(fields=["date", "person"])]
        constraints = [
            models.UniqueConstraint(fields=["booking", "date"], name="booking_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.hours} h"


class AssignmentRequest(models.Model):
    """A request for a person's time on an engagement, reviewed by the project coordinator."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Action(models.TextChoices):
        BOOK = "book", "New booking"
        CHANGE = "change", "Change a booking"
        CANCEL = "cancel", "Cancel a booking"

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="assignment_requests"
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="assignment_requests"
    )
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.BOOK)
    booking = models.ForeignKey(  # the booking a change or cancellation is about
        Booking, null=True, blank=True, on_delete=models.PROTECT, related_name="change_requests"
    )
    start_date = models.DateField()
    end_date = models.DateField()
    # A total spread over the working days, or (per_day) the hours on each working day.
    hours = models.DecimalField(max_digits=8, decimal_places=2)
    per_day = models.BooleanField(default=False)
    skill = models.CharField(max_length=80, blank=True)  # for proposing other people
    note = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by_name = models.CharField(max_length=150)
    comment = models.ForeignKey(
        "engagements.Comment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_name = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["person", "status"]),
        ]

    def __str__(self) -> str:
        return f"request {self.pk}: person {self.person_id} {self.start_date}–{self.end_date}"


class CalendarFeed(models.Model):
    """A secret-token iCalendar feed of a person's or an engagement's bookings."""

    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    engagement = models.ForeignKey(
        "engagements.Engagement",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    token = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(person__isnull=False, engagement__isnull=True)
                | models.Q(person__isnull=True, engagement__isnull=False),
                name="feed_for_person_or_engagement",
            )
        ]

    def __str__(self) -> str:
        return f"feed {self.pk}"
