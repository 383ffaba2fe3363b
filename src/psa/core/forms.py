"""Form fields every domain's pages share, and the base of every page form."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from psa.core import numbers
from psa.core.schemas import control_character_error

ERR_HOURS_MIN = "at least {limit} hours"
ERR_HOURS_MAX = "at most {limit} hours"


class HoursField(forms.Field):
    """Hours typed on a page, read by the one hours parser (7.5, 7,5 or 7:30). A text input:
    a number input would let the browser turn "1,5" into 15 before the server sees it."""

    def __init__(
        self,
        *,
        min_value: Decimal | None = None,
        max_value: Decimal | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"inputmode": "decimal", "size": "6", "title": "Hours: 7.5, 7,5 or 7:30"}
            ),
        )
        super().__init__(**kwargs)
        self.min_value = min_value
        self.max_value = max_value

    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal | int):
            text: object = value
        else:
            text = str(value)
        try:
            number = numbers.parse_hours(text)
        except numbers.HoursError as exc:
            raise forms.ValidationError(str(exc), code="hours") from exc
        if self.min_value is not None and number < self.min_value:
            raise forms.ValidationError(ERR_HOURS_MIN.format(limit=self.min_value), code="min")
        if self.max_value is not None and number > self.max_value:
            raise forms.ValidationError(ERR_HOURS_MAX.format(limit=self.max_value), code="max")
        return number


class TextForm(forms.Form):
    """A form whose text fields refuse control characters, as the API's `Line` and `Text` do:
    a textarea may hold tab and line breaks, a one-line input nothing below U+0020. (Django
    itself refuses only NUL.)"""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, field in self.fields.items():
            value = data.get(name)
            if isinstance(field, forms.CharField) and isinstance(value, str):
                multiline = isinstance(field.widget, forms.Textarea)
                message = control_character_error(value, multiline=multiline)
                if message is not None:
                    self.add_error(name, message)
        return data
