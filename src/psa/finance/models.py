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


class FiscalPeriod(models.Model):
    """A month or fiscal quarter finance has closed: its revenue, cost and margin are those
    frozen in its figures; a later change to it shows in the first open period."""

    label = models.CharField(max_length=20)
    start = models.DateField()
    end = models.DateField()
    closed_at = models.DateTimeField()
    closed_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["start", "end"]
        constraints = [models.UniqueConstraint(fields=["start", "end"], name="period_once")]

    def __str__(self) -> str:
        return self.label


class ClosedFigure(models.Model):
    """An engagement's revenue and cost in one currency, as they stood when its period closed."""

    period = models.ForeignKey(FiscalPeriod, on_delete=models.CASCADE, related_name="figures")
    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="+"
    )
    currency = models.CharField(max_length=3)
    revenue = models.DecimalField(max_digits=16, decimal_places=2)
    cost = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["period_id", "engagement_id", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "engagement", "currency"], name="closed_figure_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.period_id}/{self.engagement_id} {self.currency}"


class CloseOutFiling(models.Model):
    """An engagement's close-out filed to the CRM (or e-mailed to the controller and the finance
    business partner): the document as prepared, where its delivery stands, and what the CRM
    gave back, so a retry finishes the filing instead of starting a second one."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        FAILED = "failed", "Failed"
        FILED = "filed", "Filed"

    class Channel(models.TextChoices):
        SALESFORCE = "salesforce", "Salesforce"
        EMAIL = "email", "E-mail"

    engagement = models.OneToOneField(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="close_out_filing"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.CharField(max_length=150)
    requested_at = models.DateTimeField()
    # The summary as filed (money and hours as strings): what the PDF says, readable without it.
    figures = models.JSONField(default=dict)
    pdf = models.BinaryField()
    opportunity_id = models.CharField(max_length=18, blank=True)
    recipients = models.JSONField(default=list)  # the e-mail channel's addresses
    attempts = models.PositiveIntegerField(default=0)
    attempt_started_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    crm_file_id = models.CharField(max_length=18, blank=True)
    crm_post_id = models.CharField(max_length=18, blank=True)
    filed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"close-out of {self.engagement_id}: {self.status}"


class RecordedFigure(models.Model):
    """An engagement's revenue and cost of one month in one currency, as PSA recorded them
    from `recorded_from` until they changed (`recorded_to`): what an as-of report reads.
    Rows are only ever added and closed, never changed, so a report as of a past day reads
    the same rows every time."""

    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField()  # its first day
    currency = models.CharField(max_length=3)
    revenue = models.DecimalField(max_digits=16, decimal_places=2)
    cost = models.DecimalField(max_digits=16, decimal_places=2)
    recorded_from = models.DateTimeField()
    recorded_to = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["month", "engagement_id", "currency", "recorded_from"]
        indexes = [
            models.Index(fields=["month", "recorded_from"]),
            models.Index(fields=["recorded_to"]),
        ]

    def __str__(self) -> str:
        return f"{self.engagement_id} {self.month:%Y-%m} {self.currency}"


class FigureRecording(models.Model):
    """One run of the recording of the figures (services.figures_record)."""

    ran_at = models.DateTimeField(unique=True)
    months = models.PositiveIntegerField()
    changed = models.PositiveIntegerField()  # figures that were new or differed

    class Meta:
        ordering = ["ran_at"]

    def __str__(self) -> str:
        return f"{self.ran_at:%Y-%m-%d %H:%M}"


class RecordedUtilization(models.Model):
    """A person's utilization figures of one month as PSA recorded them from `recorded_from`
    until they changed (`recorded_to`); a month in progress, to the day it was recorded."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    month = models.DateField()  # its first day
    capacity = models.DecimalField(max_digits=9, decimal_places=2)
    hours = models.DecimalField(max_digits=9, decimal_places=2)
    billable = models.DecimalField(max_digits=9, decimal_places=2)
    productive = models.DecimalField(max_digits=9, decimal_places=2)
    target_hours = models.DecimalField(max_digits=16, decimal_places=6)  # exact: capacity × %
    booked = models.DecimalField(max_digits=9, decimal_places=2)
    by_major = models.JSONField(default=dict)  # major epic → hours, as strings
    recorded_from = models.DateTimeField()
    recorded_to = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["month", "person_id", "recorded_from"]
        indexes = [
            models.Index(fields=["month", "recorded_from"]),
            models.Index(fields=["recorded_to"]),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.month:%Y-%m}"


class RecordedForecast(models.Model):
    """The forecast as it stood when the daily recording ran (its weeks, who was over- or
    under-booked, the revenue expected): what the forecast as of a past day reads."""

    recorded_at = models.DateTimeField(unique=True)
    start = models.DateField()
    end = models.DateField()
    weeks = models.JSONField()  # WeekFigures' numbers as strings, week by week
    people = models.JSONField()  # [person_id, name, over Mondays, under Mondays]
    revenue = models.JSONField()  # [engagement_id, name, kind, currency, amount, basis]

    class Meta:
        ordering = ["recorded_at"]

    def __str__(self) -> str:
        return f"forecast of {self.recorded_at:%Y-%m-%d %H:%M}"
