"""Form fields every domain's pages share, and the base of every page form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms

from psa.core import numbers
from psa.core.schemas import MAX_DATE, MIN_DATE, control_character_error

ERR_HOURS_MIN = "at least {limit} hours"
ERR_HOURS_MAX = "at most {limit} hours"
ERR_DATE_RANGE = f"dates are from {MIN_DATE.isoformat()} to {MAX_DATE.isoformat()}"


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


class PageForm(forms.Form):
    """The base of every page form: what the API refuses, a page refuses too. Text fields
    refuse control characters as `Line` and `Text` do (a textarea may hold tab and line
    breaks; Django itself refuses only NUL), and dates lie in the API's range (`Day`), so the
    date arithmetic behind a page cannot overflow on 9999-12-31."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, field in self.fields.items():
            value = data.get(name)
            message = None
            if isinstance(field, forms.CharField) and isinstance(value, str):
                multiline = isinstance(field.widget, forms.Textarea)
                message = control_character_error(value, multiline=multiline)
            elif (
                isinstance(field, forms.DateField)
                and isinstance(value, dt.date)
                and not MIN_DATE <= value <= MAX_DATE
            ):
                message = ERR_DATE_RANGE
            if message is not None:
                self.add_error(name, message)
        return data

    def shown(self) -> list[str]:
        """A list filter's values as the list applies them, the way a person reads them
        ("Status: Open"): what was asked for and is valid (an invalid value is dropped, and its
        error shown), else what the list defaults to."""
        values = {n: self.get_initial_for_field(f, n) for n, f in self.fields.items()}
        if self.is_bound:
            # A value not in the query (e.g. only ?page=2) keeps its default.
            self.is_valid()
            asked = {self.add_prefix(n) for n in self.fields} & set(self.data)
            values.update(
                (n, v)
                for n, v in self.cleaned_data.items()
                if n not in self.errors and self.add_prefix(n) in asked
            )
        said = []
        for name, field in self.fields.items():
            value = values.get(name)
            if value in (None, "", []):
                continue
            text = value
            if isinstance(field, forms.ModelChoiceField):
                text = field.label_from_instance(value)
            elif isinstance(field, forms.ChoiceField):
                choices: Iterable[tuple[Any, Any]] = field.choices  # type: ignore[assignment]
                labels = {str(k): str(v) for k, v in choices}
                text = labels.get(str(value), value)
            elif isinstance(value, dt.date):
                text = f"{value:%a %-d %b %Y}"
            said.append(f"{field.label or name.replace('_', ' ').capitalize()}: {text}")
        return said
