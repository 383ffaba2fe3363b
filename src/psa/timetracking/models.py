from __future__ import annotations

from django.db import models


class Epic(models.Model):
    """The fixed tree of epic categories: major epics, each with categories. Work items attach to
    a category (never to a major epic)."""

    name = models.CharField(max_length=120)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    position = models.PositiveSmallIntegerField(default=0)
    description = models.CharField(max_length=300, blank=True)
    gitlab_id = models.BigIntegerField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["parent_id", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="epic_name_unique"),
            models.UniqueConstraint(
                fields=["name"], condition=models.Q(parent__isnull=True), name="major_epic_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_major(self) -> bool:
        return self.parent_id is None


class Label(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkItem(models.Model):
    """An issue. Billable when it belongs to an engagement's SOW."""

    title = models.CharField(max_length=255)
    epic = models.ForeignKey(Epic, on_delete=models.PROTECT, related_name="work_items")
    engagement = models.ForeignKey(
        "engagements.Engagement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_items",
    )
    author = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignees = models.ManyToManyField("people.Person", blank=True, related_name="work_items")
    labels = models.ManyToManyField(Label, blank=True, related_name="work_items")
    gitlab_id = models.BigIntegerField(null=True, blank=True, unique=True)
    web_url = models.URLField(blank=True)
    created_at = models.DateTimeField()
    # The category's own issue (the handbook keeps one per category): anyone logs on it.
    standing = models.BooleanField(default=False)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def billable(self) -> bool:
        return self.engagement_id is not None


class TimeEntry(models.Model):
    class Source(models.TextChoices):
        MANUAL = "manual", "Manual"
        TIMER = "timer", "Timer"
        GITLAB = "gitlab", "GitLab"
        SCHEDULE = "schedule", "From the schedule"
        IMPORT = "import", "Imported"

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    work_item = models.ForeignKey(WorkItem, on_delete=models.PROTECT, related_name="entries")
    date = models.DateField()
    hours = models.DecimalField(max_digits=5, decimal_places=2)  # may be negative: adjustments
    note = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    # A correction to locked time is a new entry that adjusts another, with its reason.
    adjusts = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="adjustments"
    )
    reason = models.CharField(max_length=500, blank=True)
    gitlab_id = models.BigIntegerField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["date", "id"]
        indexes = [
            models.Index(fields=["person", "date"]),
            models.Index(fields=["work_item", "date"]),
            models.Index(fields=["date"]),
        ]
        verbose_name_plural = "time entries"

    def __str__(self) -> str:
        return f"{self.date} {self.hours} h"


class Timesheet(models.Model):
    """A person's ISO week (Monday-Sunday), submitted by Monday morning for the week before."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    week_start = models.DateField()  # a Monday
    submitted_at = models.DateTimeField()
    late = models.BooleanField(default=False)
    hours = models.DecimalField(max_digits=6, decimal_places=2)  # what was submitted

    class Meta:
        ordering = ["-week_start"]
        constraints = [
            models.UniqueConstraint(fields=["person", "week_start"], name="timesheet_week")
        ]

    def __str__(self) -> str:
        # The audit log keeps this as the record's label: a name, not an id (people read it).
        return f"{self.person.name}'s timesheet, week of {self.week_start}"


class Timer(models.Model):
    """A running timer: at most one per person."""

    person = models.OneToOneField("people.Person", on_delete=models.CASCADE, related_name="+")
    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"{self.person.name}'s timer"


class QuarterlyCertification(models.Model):
    """A person's hours for a fiscal quarter, through the approval chain: the delivery manager
    certifies, the head of PS approves, the finance partner gives final approval. After final
    approval the quarter's time is locked (`locked_at`): corrections are adjusting entries, which
    send the certification through the chain again; finance may reopen it with a reason."""

    class Status(models.TextChoices):
        GENERATED = "generated", "Waiting for the delivery manager"
        MANAGER_CERTIFIED = "manager_certified", "Certified by the manager"
        HEAD_APPROVED = "head_approved", "Approved by the head of PS"
        APPROVED = "approved", "Final approval (finance)"
        RETURNED = "returned", "Returned for correction"

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField()
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.GENERATED)
    total_hours = models.DecimalField(max_digits=8, decimal_places=2)
    billable_hours = models.DecimalField(max_digits=8, decimal_places=2)
    capacity_hours = models.DecimalField(max_digits=8, decimal_places=2)
    revision = models.PositiveIntegerField(default=1)
    locked_at = models.DateTimeField(null=True, blank=True)
    work_item = models.ForeignKey(  # the certification issue under the Time Tracking epic
        WorkItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    generated_at = models.DateTimeField()

    class Meta:
        ordering = ["-fiscal_year", "-quarter", "person_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "fiscal_year", "quarter"], name="certification_quarter"
            )
        ]
        indexes = [models.Index(fields=["person", "start_date", "end_date"])]

    def __str__(self) -> str:
        return f"FY{self.fiscal_year % 100:02d} Q{self.quarter} hours of {self.person.name}"


class CertificationStep(models.Model):
    """One decision in the chain (kept: the certification's history)."""

    class Step(models.TextChoices):
        MANAGER = "manager", "Delivery manager"
        HEAD = "head", "Head of PS"
        FINANCE = "finance", "Finance partner"
        REOPEN = "reopen", "Reopened by finance"
        CHANGED = "changed", "Time changed after an approval"
        RESUBMIT = "resubmit", "Corrected and sent back"

    certification = models.ForeignKey(
        QuarterlyCertification, on_delete=models.CASCADE, related_name="steps"
    )
    step = models.CharField(max_length=10, choices=Step.choices)
    approved = models.BooleanField()
    reason = models.TextField(blank=True)
    actor_name = models.CharField(max_length=150)
    revision = models.PositiveIntegerField()
    at = models.DateTimeField()
    # What an approval approved: the quarter's figures and the entries they came from
    # ({entry id: [date, work item id, hours]}), so a later change can be listed against them.
    total_hours = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    billable_hours = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    capacity_hours = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    digest = models.CharField(max_length=64, blank=True)
    entries = models.JSONField(default=dict, blank=True)
    # The quarter's PersonMonth.changes when it was approved: the same count later means no
    # write touched its entries since (none before the summary existed).
    changes = models.BigIntegerField(null=True, blank=True)
    # Where a rejection sent it: "person" (the hours need correcting) or the earlier step that
    # decides again; the approvals before that step stand.
    back_to = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.step} {'approved' if self.approved else 'rejected'}"


class TimesheetReminder(models.Model):
    """A reminder sent for a person's week (so each is sent once)."""

    class Kind(models.TextChoices):
        FRIDAY = "friday", "Friday afternoon"
        MONDAY = "monday", "Monday morning"

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "week_start", "kind"], name="reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder {self.person_id} {self.week_start}"


class WorkItemWeek(models.Model):
    """Hours logged on a work item in one ISO week: a rollup of TimeEntry that
    `rollup.apply` keeps current on every write, so engagement totals read a few rows per work
    item instead of summing every entry. Hundredths of an hour, so that adding and subtracting
    in SQL stays exact on SQLite too (its decimals are floats)."""

    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField()  # a Monday
    hundredths = models.BigIntegerField()
    entries = models.IntegerField()

    class Meta:
        ordering = ["work_item_id", "week_start"]
        constraints = [
            models.UniqueConstraint(fields=["work_item", "week_start"], name="work_item_week")
        ]

    def __str__(self) -> str:
        return f"work item {self.work_item_id} week {self.week_start}"


class PersonMonth(models.Model):
    """A person's time in one calendar month, kept by `rollup.apply` on every write like
    WorkItemWeek: hours (hundredths), billable hours, entries, the digest of those entries as
    limbs (rules.entry_limbs) and how many writes changed them. A quarter is whole months, so
    the certification queue reads three rows per person instead of every entry.

    `changes` only grows, and the row stays when its last entry goes: an approval records the
    quarter's sum, and an equal sum later means no write touched the quarter since."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the first day of the month
    hundredths = models.BigIntegerField(default=0)
    billable_hundredths = models.BigIntegerField(default=0)
    entries = models.IntegerField(default=0)
    changes = models.BigIntegerField(default=0)
    digest_0 = models.BigIntegerField(default=0)
    digest_1 = models.BigIntegerField(default=0)
    digest_2 = models.BigIntegerField(default=0)
    digest_3 = models.BigIntegerField(default=0)
    digest_4 = models.BigIntegerField(default=0)
    digest_5 = models.BigIntegerField(default=0)
    digest_6 = models.BigIntegerField(default=0)
    digest_7 = models.BigIntegerField(default=0)

    DIGEST_FIELDS = tuple(f"digest_{i}" for i in range(8))
    # What a write adds to and a read sums, in this order.
    SUMMED_FIELDS = ("hundredths", "billable_hundredths", "entries", "changes", *DIGEST_FIELDS)

    class Meta:
        ordering = ["person_id", "month"]
        constraints = [models.UniqueConstraint(fields=["person", "month"], name="person_month")]

    def __str__(self) -> str:
        return f"person {self.person_id} month {self.month}"


class InternalTimeCategory(models.Model):
    """The category planned internal time is for (a scheduling booking): "fill my week" puts
    its hours on the category's standing work item. Kept here, beside the epic tree, because
    scheduling sits below time tracking and knows no categories."""

    booking = models.OneToOneField(
        "scheduling.Booking", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    epic = models.ForeignKey(Epic, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"booking {self.booking_id} under epic {self.epic_id}"
