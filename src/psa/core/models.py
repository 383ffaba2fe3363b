from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One state change: who, when, what (before/after). Tamper-evident: each entry's hash covers
    the entry and the hash of the one before it (`psa audit verify` checks the chain), keyed
    with a secret kept outside the database (psa.core.audit)."""

    class KeyVersion(models.IntegerChoices):
        # Entries written before the chain had a key keep their plain hash: rewriting them
        # under the key would be exactly the kind of rewrite the log must not allow.
        LEGACY = 0, "SHA-256, no key"
        HMAC = 1, "HMAC-SHA256 with the audit key"

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=80)
    target_type = models.CharField(max_length=80)
    target_id = models.CharField(max_length=64)
    target_label = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    key_version = models.PositiveSmallIntegerField(
        choices=KeyVersion.choices, default=KeyVersion.LEGACY
    )

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "-id"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.target_label}"


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest is stored; the token is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Notification(models.Model):
    """An in-app message for one login (reminders, decisions), and the e-mail sent with it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)  # the page that settles it
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    # The record it is about ("scheduling.request", 12): the list shows it only while the
    # login may still read that record.
    record_kind = models.CharField(max_length=50, blank=True)
    record_id = models.PositiveBigIntegerField(null=True, blank=True)
    # An event that may be reported more than once (a periodic job run twice, a retried
    # request) names itself here, and is recorded once per login.
    key = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=200, blank=True)  # "" = in-app only
    emailed_at = models.DateTimeField(null=True, blank=True)  # the worker's "sent once"

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=~models.Q(key=""), name="notification_once"
            )
        ]

    def __str__(self) -> str:
        return self.text[:60]


class Job(models.Model):
    """A long piece of work (a report for a whole team, a sync) that the background worker runs
    for one login: its progress while it runs, then the file or the summary it produced."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=80)
    title = models.CharField(max_length=200)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    stage = models.CharField(max_length=100, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    # The file it produced; kept in the database so that backups and every web worker see it.
    file = models.BinaryField(null=True, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written while it runs (with each progress report, and every HEARTBEAT_SECONDS): a running
    # job whose heartbeat is older than PSA_JOB_STALE_SECONDS lost its worker (core.jobs).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The task that runs it (its dotted path), so that a retry can queue it again.
    task = models.CharField(max_length=200, blank=True)
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return 100 * self.done // self.total if self.total else 0


class Generation(models.Model):
    """A token for one kind of data that changes, in the same transaction, whenever that data
    does: what was computed under one token stays right until the token changes."""

    name = models.CharField(max_length=50, primary_key=True)
    value = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"
