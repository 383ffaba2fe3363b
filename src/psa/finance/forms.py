"""Page forms for finance: they parse the period; the rules on it are the selectors'."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from psa.core.forms import PageForm


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class PeriodForm(PageForm):
    start = forms.DateField(widget=DateInput(), label="From")
    end = forms.DateField(widget=DateInput(), label="To")


GROUP_CHOICES = [
    ("person", "Person"),
    ("team", "Team (manager)"),
    ("role", "Role"),
    ("country", "Country"),
]


class TargetForm(PageForm):
    person = forms.TypedChoiceField(coerce=int, label="Person")
    effective_from = forms.DateField(widget=DateInput(), label="From")
    percent = forms.DecimalField(
        max_digits=5,
        decimal_places=2,
        label="Target (%)",
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "target")
        super().__init__(*args, **kwargs)
        cast("forms.TypedChoiceField", self.fields["person"]).choices = people


class ForecastForm(PageForm):
    start = forms.DateField(widget=DateInput(), label="From the week of", required=False)
    weeks = forms.IntegerField(min_value=1, max_value=26, initial=13, label="Weeks")
    as_of = forms.DateField(
        widget=DateInput(),
        required=False,
        label="As of",
        help_text="Empty: today's schedule. A past day: the forecast as recorded then.",
    )


def _as_of() -> forms.DateField:
    return forms.DateField(
        widget=DateInput(),
        required=False,
        label="As of",
        help_text="Empty: today's figures. A past day: as recorded at its end (whole months).",
    )


class RevenueForm(PeriodForm):
    as_of = _as_of()


class UtilizationForm(PeriodForm):
    group = forms.ChoiceField(choices=GROUP_CHOICES, initial="person", label="By")
    as_of = _as_of()


class MarginForm(PeriodForm):
    group = forms.ChoiceField(
        choices=[("engagement", "Engagement"), ("customer", "Customer"), ("kind", "Kind")],
        initial="engagement",
        label="By",
    )
    as_of = _as_of()


class ReopenForm(PageForm):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "reopen")
        super().__init__(*args, **kwargs)


class EntriesForm(PeriodForm):
    person = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput())
    engagement = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput())
    basis = forms.ChoiceField(
        choices=[("logged", "Logged hours at cost"), ("approved", "Approved hours at bill rates")],
        initial="logged",
        required=False,
        label="Hours",
    )
