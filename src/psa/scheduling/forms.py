"""Page forms for scheduling. They parse and type the input (Decimal hours, dates, ids); the rules
(dates in range, hours above 0, capacity, who may decide) are scheduling.services'.

Field names follow the services' error fields (engagement_id, person_id, start_date, end_date,
hours, task_name, reason), so a refusal's field errors land on the right control."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from django import forms

from psa.core import periods
from psa.core.forms import HoursField, PageForm
from psa.core.roles import Role
from psa.engagements import selectors as engagement_selectors
from psa.engagements.models import Engagement, Status
from psa.people import selectors as people_selectors
from psa.people.models import Person
from psa.scheduling import review
from psa.scheduling import selectors as scheduling_selectors
from psa.scheduling.models import AssignmentRequest

BOOKABLE = ",".join((Status.PIPELINE, Status.BOOKED, Status.ACTIVE))
BOARD_WEEKS = 8
REVIEW_WEEKS = 4


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _hours_field(**kwargs: Any) -> HoursField:
    return HoursField(**kwargs)


def _reason_field(label: str, help_text: str = "", required: bool = False) -> forms.CharField:
    return forms.CharField(
        required=required,
        max_length=2000,
        label=label,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# ------------------------------------------------------------------ filters


class ScheduleFilterForm(PageForm):
    """Who and which weeks: the board's and the weekly review's filters (GET)."""

    default_weeks = BOARD_WEEKS

    start = forms.DateField(required=False, label="Week of", widget=DateInput())
    weeks = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=review.MAX_WEEKS,
        widget=forms.NumberInput(attrs={"min": 1, "max": review.MAX_WEEKS, "size": 3}),
    )
    role = forms.ChoiceField(
        choices=[("", "Anyone"), *Role.choices], required=False, initial=Role.PSE
    )
    skill = forms.CharField(required=False, max_length=80)
    country = forms.CharField(
        required=False,
        max_length=2,
        widget=forms.TextInput(attrs={"list": "countries", "size": 4, "autocomplete": "off"}),
    )

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        # The role defaults to PSEs ("Anyone" is an explicit empty choice in the query), and the
        # first week to the initial one (this week), so the form always shows what is shown.
        if data is not None:
            data = data.copy()
            data.setdefault("role", Role.PSE)
            if not data.get("start") and kwargs.get("initial", {}).get("start"):
                data["start"] = kwargs["initial"]["start"].isoformat()
        super().__init__(data, *args, **kwargs)
        self.fields["weeks"].initial = self.default_weeks

    def filters(self, today: dt.date) -> dict[str, Any]:
        """The valid filters with their defaults (an invalid one falls back to its default,
        and its error is shown)."""
        data: dict[str, Any] = {}
        if self.is_bound:
            self.is_valid()
            data = dict(self.cleaned_data)
        start = data.get("start") or today
        return {
            "start": periods.week_start(start),
            "weeks": data.get("weeks") or self.default_weeks,
            "role": data.get("role", Role.PSE) if self.is_bound else Role.PSE,
            "skill": (data.get("skill") or "").replace("\x00", "").strip(),
            "country": (data.get("country") or "").replace("\x00", "").strip().upper(),
        }


class ReviewFilterForm(ScheduleFilterForm):
    default_weeks = REVIEW_WEEKS


class RequestFilterForm(PageForm):
    status = forms.ChoiceField(
        choices=[
            ("open", "Open"),
            ("confirmed", "Confirmed"),
            ("declined", "Declined"),
            ("withdrawn", "Withdrawn"),
            ("", "Any status"),
        ],
        required=False,
        initial="open",  # the queue: what the page shows when nothing is asked for
    )

    def status_filter(self) -> str:
        if not self.is_bound or "status" not in self.data:  # e.g. only ?page=2 of the queue
            return "open"
        self.is_valid()
        return str(self.cleaned_data.get("status", "open"))


# ------------------------------------------------------------------ requests


class EngagementChoiceField(forms.ModelChoiceField[Engagement]):
    def label_from_instance(self, obj: Engagement) -> str:
        return f"{obj.customer.name} — {obj.name} ({obj.get_status_display().lower()})"


def _bookable_engagements() -> Any:
    return engagement_selectors.engagement_list(status=BOOKABLE).order_by("customer__name", "name")


def _people() -> Any:
    # Whole rows (no prefetch): the chosen person goes to the services as is.
    return people_selectors.person_list().prefetch_related(None).select_related(None)


class AvailabilityForm(PageForm):
    """What the live check needs: who, when, how many hours. Nothing is required here, so that a
    half-filled form gets a hint rather than a list of errors."""

    person_id = forms.ModelChoiceField(
        queryset=Person.objects.none(), label="Person", empty_label="Choose a person"
    )
    start_date = forms.DateField(widget=DateInput())
    end_date = forms.DateField(widget=DateInput())
    hours = _hours_field(help_text="The total over the dates, or each working day's hours.")
    per_day = forms.BooleanField(required=False, label="Hours per working day")
    skill = forms.CharField(
        max_length=80,
        required=False,
        help_text="Needed skill: the coordinator proposes others who have it.",
    )
    override_reason = _reason_field(
        "Override reason",
        "Only to ask for more hours on a day than the person's capacity.",
    )
    # A change or cancellation names the booking it is about (set by the "request a change"
    # and "request cancellation" links; hidden).
    action = forms.ChoiceField(
        choices=AssignmentRequest.Action.choices, required=False, widget=forms.HiddenInput
    )
    booking_id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Any]", self.fields["person_id"]).queryset = _people()

    def is_change(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return data.get("action") == AssignmentRequest.Action.CHANGE and bool(
            data.get("booking_id")
        )

    def is_complete(self) -> bool:
        """Enough typed in to ask: a person, both dates and the hours."""
        data = getattr(self, "cleaned_data", {})
        return all(data.get(name) is not None for name in AVAILABILITY_REQUIRED)

    def ask_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "person": data["person_id"],
            "start": data["start_date"],
            "end": data["end_date"],
            "hours": data["hours"],
            "per_day": bool(data.get("per_day")),
            "skill": (data.get("skill") or "").strip(),
            # A change is checked without the booking it replaces.
            "exclude_booking_id": data.get("booking_id") if self.is_change() else None,
        }


AVAILABILITY_REQUIRED = ("person_id", "start_date", "end_date", "hours")


class CheckForm(AvailabilityForm):
    """The live check's form: the request form's fields, none required."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class RequestForm(AvailabilityForm):
    engagement_id = EngagementChoiceField(
        queryset=Engagement.objects.none(), label="Engagement", empty_label="Choose an engagement"
    )
    note = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Anything the coordinator should know (goes into the engagement's comments).",
    )

    field_order = [
        "engagement_id",
        "person_id",
        "start_date",
        "end_date",
        "hours",
        "per_day",
        "skill",
        "note",
        "override_reason",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        engagement = cast("forms.ModelChoiceField[Any]", self.fields["engagement_id"])
        engagement.queryset = _bookable_engagements()

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "engagement": data["engagement_id"],
            "person": data["person_id"],
            "start_date": data["start_date"],
            "end_date": data["end_date"],
            "hours": data["hours"],
            "per_day": bool(data.get("per_day")),
            "skill": data.get("skill") or "",
            "note": data.get("note") or "",
            "override_reason": data.get("override_reason") or "",
            "action": data.get("action") or AssignmentRequest.Action.BOOK,
            "booking": (
                scheduling_selectors.booking_get(booking_id=data["booking_id"])
                if data.get("booking_id")
                else None
            ),
        }


# ------------------------------------------------------------------ decisions


class ConfirmForm(PageForm):
    proposal = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    override_reason = _reason_field(
        "Override reason",
        "Why this booking may go over the person's free hours (it is recorded).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "confirm")
        super().__init__(*args, **kwargs)


class DeclineForm(PageForm):
    reason = _reason_field("Reason for declining", "The requester sees it.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "decline")
        super().__init__(*args, **kwargs)


# ------------------------------------------------------------------ internal time


class InternalTimeForm(PageForm):
    """Internal time to plan. Its category comes from the epic tree, which time tracking
    keeps: the page passes the choices in (grouped by major epic)."""

    category_id = forms.TypedChoiceField(
        coerce=int,
        label="Category",
        help_text="Where “fill my week” puts these hours on your timesheet.",
        error_messages={"required": "choose the category this internal time is for"},
    )
    task_name = forms.CharField(
        max_length=200, label="Task", help_text="e.g. CI templates for the runner workshop"
    )
    start_date = forms.DateField(widget=DateInput())
    end_date = forms.DateField(widget=DateInput())
    hours = _hours_field(
        label="Hours planned", help_text="The total over the dates, or each working day's hours."
    )
    per_day = forms.BooleanField(required=False, label="Hours per working day")
    override_reason = _reason_field(
        "Override reason", "Only to plan more than your free hours (it is recorded)."
    )

    def __init__(
        self,
        *args: Any,
        categories: Sequence[tuple[str, Sequence[tuple[int, str]]]] = (),
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("prefix", "internal")
        super().__init__(*args, **kwargs)
        category = self.fields["category_id"]
        assert isinstance(category, forms.TypedChoiceField)  # noqa: S101
        category.choices = [("", "Choose…"), *[(g, list(c)) for g, c in categories]]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "task_name": data["task_name"],
            "start_date": data["start_date"],
            "end_date": data["end_date"],
            "hours": data["hours"],
            "per_day": bool(data.get("per_day")),
            "override_reason": data.get("override_reason") or "",
        }


# ------------------------------------------------------------------ the spreadsheet

ERR_END_BEFORE_START = "the end is before the start"


class SheetExportForm(forms.Form):
    """Which bookings the downloaded spreadsheet holds: those overlapping start–end (either may
    be left open), as XLSX or CSV."""

    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    format = forms.ChoiceField(
        choices=[("xlsx", "XLSX (Excel, LibreOffice)"), ("csv", "CSV")], initial="xlsx"
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", ERR_END_BEFORE_START)
        return data
