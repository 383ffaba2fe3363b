"""An engagement's kinds and statuses: plain enumerations, so the rules that decide on them
need no model (the rules import nothing of the ORM)."""

from __future__ import annotations

from django.db.models import TextChoices


class Kind(TextChoices):
    PACKAGED = "packaged", "Packaged"
    CUSTOM_SOW = "custom_sow", "Custom SOW"
    EMBEDDED_ENGINEER = "embedded_engineer", "Embedded Engineer (T&M)"


class Status(TextChoices):
    PIPELINE = "pipeline", "Pipeline"
    BOOKED = "booked", "Booked"
    ACTIVE = "active", "Active"
    COMPLETE = "complete", "Complete"
    CANCELLED = "cancelled", "Cancelled"
