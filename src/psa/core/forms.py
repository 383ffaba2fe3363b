"""The base of every page form: text fields refuse the characters the API refuses."""

from __future__ import annotations

from typing import Any

from django import forms

from psa.core.schemas import control_character_error


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
