from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from psa.engagements.choices import Kind, Status

__all__ = ["BillRate", "Comment", "Customer", "Engagement", "Kind", "Milestone", "Status"]


class Customer(models.Model):
    name = models.CharField(max_length=200, unique=True)
    crm_account_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Engagement(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="engagements")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PIPELINE)
    sow_reference = models.CharField(max_length=64, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    contract_value = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    budget_hours = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0"))
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    probability = models.PositiveSmallIntegerField(default=100)  # percent, for pipeline work
    packaged_complete = models.BooleanField(default=False)
    # The day it was marked complete: a packaged engagement's revenue is recognised then.
    completed_on = models.DateField(null=True, blank=True)
    project_issue_url = models.URLField(blank=True)
    crm_opportunity_id = models.CharField(max_length=64, blank=True)
    owner = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_engagements",
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-start_date", "name"]
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["kind"]),
            models.Index(fields=["customer", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.customer.name} — {self.name}" if self.customer_id else self.name


class BillRate(models.Model):
    """What an hour on the engagement bills from a date on, until the next rate, in the
    engagement's currency (psa.core.rates)."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="bill_rates")
    effective_from = models.DateField()
    rate = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["engagement_id", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "effective_from"], name="bill_rate_one_per_day"
            ),
            models.CheckConstraint(condition=models.Q(rate__gte=0), name="bill_rate_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.rate} from {self.effective_from}"


class Milestone(models.Model):
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(max_length=200)
    weight = models.DecimalField(max_digits=5, decimal_places=2)  # percent of the SOW
    position = models.PositiveSmallIntegerField()
    reached_on = models.DateField(null=True, blank=True)

    class Meta:
        # By the id, not the relation: ordering by "engagement" would join the engagement
        # table only to sort by its own ordering.
        ordering = ["engagement_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["engagement", "position"], name="milestone_position")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight} %)"


class Comment(models.Model):
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=150)
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.body[:40]}"
