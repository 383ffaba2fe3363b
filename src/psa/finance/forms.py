"""Page forms for finance: they parse the period; the rules on it are the selectors'."""

from __future__ import annotations

from typing import Any

from django import forms

from psa.core.forms import PageForm


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class PeriodForm(PageForm):
    start = forms.DateField(widget=DateInput(), label="From")
    end = forms.DateField(widget=DateInput(), label="To")
