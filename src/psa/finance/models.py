from __future__ import annotations

from django.db import models


class UtilizationTarget(models.Model):
    """A person's billable utilization target from a date on, until the next one; without one
    the default (finance.rules.DEFAULT_TARGET) applies."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="utilization_targets"
    )
    effective_from = models.DateField()
    percent = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["person_id", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["person", "effective_from"], name="target_one_per_day"),
            models.CheckConstraint(
                condition=models.Q(percent__gte=0, percent__lte=100), name="target_a_percentage"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.percent} % from {self.effective_from}"
