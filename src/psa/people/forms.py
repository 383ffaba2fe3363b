"""Page forms for people and time off. They parse and type the input (Decimal, dates, ids);
the rules (known country, hours range, who may change what) are the services'."""

from __future__ import annotations

import re
from dataclasses import fields
from functools import lru_cache
from typing import Any, cast

from django import forms

from psa.core.forms import HoursField, PageForm
from psa.core.numbers import CURRENCIES
from psa.core.roles import Role
from psa.people import rules, selectors
from psa.people.models import Person, TimeOff
from psa.people.services import PersonInput

WEEKDAYS = [
    (1, "Monday"),
    (2, "Tuesday"),
    (3, "Wednesday"),
    (4, "Thursday"),
    (5, "Friday"),
    (6, "Saturday"),
    (7, "Sunday"),
]
PERSON_FIELDS = frozenset(f.name for f in fields(PersonInput))
# Fields only an admin or the head of PS may change (people.services.ERR_MAY_NOT_GRANT).
GRANT_FIELDS = ("roles",)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


@lru_cache(maxsize=1)
def country_options() -> list[tuple[str, str]]:
    """(code, name) of every country with a holiday calendar, for the country picker."""
    from holidays.registry import COUNTRIES

    names = {
        entry[1]: re.sub(r"(?<=[a-z])(?=[A-Z])", " ", entry[0]) for entry in COUNTRIES.values()
    }
    return sorted(
        ((c, names.get(c, c)) for c in rules.supported_countries()), key=lambda item: item[1]
    )


@lru_cache(maxsize=1)
def timezone_options() -> list[str]:
    """Every time zone of the time-zone database, by name, for the time-zone picker."""
    from zoneinfo import available_timezones

    return sorted(available_timezones())


def _people_choices() -> Any:
    return selectors.person_list().prefetch_related(None).select_related(None).only("id", "name")


class PersonForm(PageForm):
    name = forms.CharField(max_length=150)
    email = forms.EmailField(max_length=254, label="E-mail")
    title = forms.CharField(max_length=150, required=False)
    manager_id = forms.ModelChoiceField(
        queryset=Person.objects.none(), required=False, label="Manager", empty_label="(none)"
    )
    # Chosen from lists (the holiday calendars' countries, the time-zone database), still
    # checked by the services: a forged value gets their reason, not a silent default.
    country = forms.CharField(
        min_length=2,
        max_length=2,
        help_text="Sets public holidays.",
        widget=forms.Select(),
    )
    subdivision = forms.CharField(
        max_length=10,
        required=False,
        help_text="State or region code, e.g. CA or BY.",
        widget=forms.TextInput(attrs={"size": 6}),
    )
    timezone = forms.CharField(max_length=64, label="Time zone", widget=forms.Select())
    weekly_hours = HoursField(
        required=False,
        help_text="Leave empty for the country's standard week.",
    )
    working_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        initial=[1, 2, 3, 4, 5],
    )
    skills = forms.CharField(required=False, max_length=2000, help_text="Comma-separated.")
    roles = forms.MultipleChoiceField(
        choices=Role.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    start_date = forms.DateField(widget=DateInput())
    end_date = forms.DateField(required=False, widget=DateInput())

    def __init__(self, *args: Any, may_grant: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choose = [("", "Choose…")]
        cast(forms.Select, self.fields["country"].widget).choices = choose + [
            (code, f"{name} ({code})") for code, name in country_options() if len(code) == 2
        ]
        cast(forms.Select, self.fields["timezone"].widget).choices = choose + [
            (tz, tz.replace("_", " ")) for tz in timezone_options()
        ]
        manager = cast("forms.ModelChoiceField[Any]", self.fields["manager_id"])
        manager.queryset = _people_choices()
        if not may_grant:
            for name in GRANT_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = "Only an admin or the head of PS may change this."

    @classmethod
    def initial_for(cls, person: Person) -> dict[str, Any]:
        return {
            "name": person.name,
            "email": person.email,
            "title": person.title,
            "manager_id": person.manager_id,
            "country": person.country,
            "subdivision": person.subdivision,
            "timezone": person.timezone,
            "weekly_hours": person.weekly_hours,
            "working_days": list(person.working_days),
            "skills": ", ".join(s.name for s in person.skills.all()),
            "roles": selectors.roles_of(person),
            "start_date": person.start_date,
            "end_date": person.end_date,
        }

    def clean_country(self) -> str:
        return str(self.cleaned_data["country"]).strip().upper()

    def to_input(self) -> PersonInput:
        data = self.cleaned_data
        manager = data.get("manager_id")
        return PersonInput(
            name=data.get("name", ""),
            email=data.get("email", ""),
            title=data.get("title", ""),
            manager_id=manager.pk if manager is not None else None,
            country=data.get("country", ""),
            subdivision=data.get("subdivision", ""),
            timezone=data.get("timezone", ""),
            weekly_hours=data.get("weekly_hours"),
            working_days=list(data.get("working_days") or []),
            cost_rate=data.get("cost_rate"),
            cost_currency=data.get("cost_currency") or "USD",
            skills=[s.strip() for s in (data.get("skills") or "").split(",") if s.strip()],
            roles=list(data.get("roles") or []),
            start_date=data.get("start_date"),
            end_date=data.get("end_date"),
        )


def _rate_field(**kwargs: Any) -> forms.DecimalField:
    kwargs.setdefault("help_text", "Per hour.")
    return forms.DecimalField(
        max_digits=10,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        **kwargs,
    )


def _currency_field(**kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(choices=[(c, c) for c in CURRENCIES], initial="USD", **kwargs)


class PersonCreateForm(PersonForm):
    cost_rate = _rate_field(
        required=False,
        help_text="Per hour, from the start date. Empty: none yet (their hours then show as "
        "without a cost rate).",
    )
    cost_currency = _currency_field(label="Cost currency")
    username = forms.CharField(
        max_length=150,
        required=False,
        help_text="Optional: creates a login for this person.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    password = forms.CharField(
        required=False,
        strip=False,
        help_text="Leave it empty to e-mail the person an invitation with a one-time link to "
        "set their own (the usual way).",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class CostRateForm(PageForm):
    effective_from = forms.DateField(widget=DateInput(), label="From")
    rate = _rate_field(label="Rate")
    currency = _currency_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "rate")
        super().__init__(*args, **kwargs)


class TimeOffForm(PageForm):
    kind = forms.ChoiceField(choices=TimeOff.Kind.choices, initial=TimeOff.Kind.PTO)
    start_date = forms.DateField(widget=DateInput(), label="From")
    end_date = forms.DateField(widget=DateInput(), label="To")
    hours_per_day = HoursField(
        required=False,
        label="Hours per day",
        help_text="Empty: whole days.",
    )
    note = forms.CharField(max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "off")
        super().__init__(*args, **kwargs)


class PersonFilterForm(PageForm):
    search = forms.CharField(
        required=False,
        max_length=100,
        label="Name or e-mail",
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    role = forms.ChoiceField(choices=[("", "Any role"), *Role.choices], required=False)
    country = forms.CharField(
        required=False, max_length=2, widget=forms.TextInput(attrs={"list": "countries", "size": 4})
    )
    skill = forms.CharField(required=False, max_length=80)

    def filters(self) -> dict[str, Any]:
        """The valid filters (an invalid one is dropped, and its error shown)."""
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v}


class InvitationForm(PageForm):
    # Not required here: the service says every problem with the password at once.
    password = forms.CharField(
        required=False,
        strip=False,
        label="New password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not a common password.",
    )
    password_again = forms.CharField(
        required=False,
        strip=False,
        label="The same password again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
