from __future__ import annotations

from django.conf import settings
from django.db import models

from psa.core.roles import Role


def default_working_days() -> list[int]:
    return [1, 2, 3, 4, 5]  # ISO weekdays, Monday-Friday


class Skill(models.Model):
    name = models.CharField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    name = models.CharField(max_length=150)
    email = models.EmailField(unique=True)
    title = models.CharField(max_length=150, blank=True)
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    country = models.CharField(max_length=2)
    subdivision = models.CharField(max_length=10, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    # None: the country's standard week (psa.people.standards).
    weekly_hours = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    working_days = models.JSONField(default=default_working_days)
    skills = models.ManyToManyField(Skill, blank=True, related_name="people")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["country"]),
            models.Index(fields=["manager"]),
            models.Index(fields=["name", "id"]),  # the team list's order
        ]

    def __str__(self) -> str:
        return self.name


class CostRate(models.Model):
    """What an hour of the person costs from a date on, until the next rate (psa.core.rates).
    Pay data: selectors.may_read_pay decides who reads it."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="cost_rates")
    effective_from = models.DateField()
    rate = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["person_id", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "effective_from"], name="cost_rate_one_per_day"
            ),
            models.CheckConstraint(condition=models.Q(rate__gte=0), name="cost_rate_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.rate} {self.currency} from {self.effective_from}"


class PersonRole(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="role_rows")
    role = models.CharField(max_length=40, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "role"], name="person_role_unique")
        ]
        indexes = [models.Index(fields=["role"])]

    def __str__(self) -> str:
        return f"{self.person_id}:{self.role}"


class TimeOff(models.Model):
    class Kind(models.TextChoices):
        PTO = "pto", "PTO"
        SICK = "sick", "Sick day"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="time_off")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PTO)
    start_date = models.DateField()
    end_date = models.DateField()
    # None: whole working days; otherwise hours off on each working day of the range.
    hours_per_day = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["start_date"]
        indexes = [models.Index(fields=["person", "start_date", "end_date"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start_date}–{self.end_date}"


class Invitation(models.Model):
    """A one-time link e-mailed to a new login to set its password. Only the link's digest is
    stored; it works once, until it expires or a newer invitation replaces it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    digest = models.CharField(max_length=64, unique=True)  # SHA-256 of the link's secret
    created_at = models.DateTimeField()
    created_by_name = models.CharField(max_length=150)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    replaced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"invitation of {self.user_id} from {self.created_at:%Y-%m-%d}"
