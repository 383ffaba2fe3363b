"""Page forms for customers and engagements. They parse and type the input (Decimal, dates, ids);
the rules (weights sum to 100, bill rate for T&M, transitions) are the services'."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.http import QueryDict

from psa.core.forms import HoursField, PageForm
from psa.core.numbers import CURRENCIES
from psa.engagements import rules, selectors
from psa.engagements.models import Engagement, Kind, Milestone, Status
from psa.engagements.services import EngagementInput
from psa.people import selectors as people_selectors

ENGAGEMENT_FIELDS = frozenset(f.name for f in fields(EngagementInput))
MILESTONE_PREFIX = "ms"
MONEY = {"step": "0.01", "inputmode": "decimal"}
ERR_NO_WEIGHT = "give this milestone a weight"
ERR_REACHED_ON = "Enter the date as YYYY-MM-DD."


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class CustomerForm(PageForm):
    name = forms.CharField(max_length=200)
    crm_account_id = forms.CharField(max_length=64, required=False, label="CRM account id")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "customer")
        super().__init__(*args, **kwargs)


class EngagementForm(PageForm):
    customer_id = forms.ModelChoiceField(
        queryset=selectors.customer_list(), label="Customer", empty_label="Choose a customer"
    )
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Kind.choices, initial=Kind.PACKAGED)
    sow_reference = forms.CharField(max_length=64, required=False, label="SOW reference")
    currency = forms.ChoiceField(choices=[(c, c) for c in CURRENCIES], initial="USD")
    contract_value = forms.DecimalField(
        max_digits=14, decimal_places=2, initial=Decimal("0"), widget=forms.NumberInput(attrs=MONEY)
    )
    budget_hours = HoursField(initial=Decimal("0"))
    bill_rate = forms.DecimalField(
        max_digits=10,
        decimal_places=2,
        required=False,
        label="Bill rate (per hour)",
        help_text="Required for embedded engineer (T&M) work; in force from the start date.",
        widget=forms.NumberInput(attrs=MONEY),
    )
    start_date = forms.DateField(required=False, widget=DateInput())
    end_date = forms.DateField(required=False, widget=DateInput())
    probability = forms.IntegerField(
        initial=100,
        label="Probability (%)",
        help_text="For pipeline work.",
        widget=forms.NumberInput(attrs={"min": 0, "max": 100}),
    )
    project_issue_url = forms.CharField(
        max_length=200,
        required=False,
        label="Project issue link",
        widget=forms.URLInput(attrs={"placeholder": "https://…"}),
    )
    crm_opportunity_id = forms.CharField(max_length=64, required=False, label="CRM opportunity id")
    owner_id = forms.ModelChoiceField(
        queryset=people_selectors.person_list(), required=False, label="Owner", empty_label="(none)"
    )

    def __init__(self, *args: Any, creating: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not creating:  # later rates have their dates: the engagement page's Bill rates
            del self.fields["bill_rate"]
        owner = cast("forms.ModelChoiceField[Any]", self.fields["owner_id"])
        owner.queryset = (
            people_selectors.person_list()
            .prefetch_related(None)
            .select_related(None)
            .only("id", "name")
        )

    @classmethod
    def initial_for(cls, engagement: Engagement) -> dict[str, Any]:
        return {name: getattr(engagement, name) for name in ENGAGEMENT_FIELDS - {"bill_rate"}}

    def to_input(self) -> EngagementInput:
        data = dict(self.cleaned_data)
        for name in ("customer_id", "owner_id"):
            data[name] = data[name].pk if data.get(name) is not None else None
        data["customer_id"] = data["customer_id"] or 0
        for name in ("sow_reference", "project_issue_url", "crm_opportunity_id"):
            data[name] = (data.get(name) or "").strip()
        return EngagementInput(**{k: v for k, v in data.items() if k in ENGAGEMENT_FIELDS})


class BillRateForm(PageForm):
    effective_from = forms.DateField(widget=DateInput(), label="From")
    rate = forms.DecimalField(
        max_digits=10, decimal_places=2, label="Per hour", widget=forms.NumberInput(attrs=MONEY)
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "rate")
        super().__init__(*args, **kwargs)


class MilestoneRowForm(PageForm):
    name = forms.CharField(max_length=200, required=False, label="Milestone")
    weight = forms.DecimalField(
        max_digits=5,
        decimal_places=2,
        required=False,
        label="Weight (%)",
        widget=forms.NumberInput(attrs={"step": "0.01", "min": 0, "max": 100}),
    )
    reached_on = forms.DateField(required=False, label="Reached on")

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not (data.get("name") or "").strip() and data.get("weight") is None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            (data.get("name") or "").strip()
            and data.get("weight") is None
            and "weight" not in self.errors
        ):
            self.add_error("weight", ERR_NO_WEIGHT)
        return data


class BaseMilestoneFormSet(forms.BaseFormSet[MilestoneRowForm]):
    def specs(self) -> list[rules.MilestoneSpec]:
        """The filled-in rows, in order (empty rows are dropped)."""
        result = []
        for form in self.forms:
            if form.is_blank():
                continue
            data = form.cleaned_data
            weight = data.get("weight")
            result.append(
                rules.MilestoneSpec(
                    (data.get("name") or "").strip(),
                    weight if weight is not None else Decimal("0"),
                    data.get("reached_on"),
                )
            )
        return result


MilestoneFormSet = forms.formset_factory(
    MilestoneRowForm,
    formset=BaseMilestoneFormSet,
    extra=0,
    max_num=50,
    absolute_max=50,
    validate_max=True,
)


def milestone_initial(milestones: list[Milestone] | None = None) -> list[dict[str, Any]]:
    if milestones is None:
        return [
            {"name": s.name, "weight": s.weight, "reached_on": s.reached_on}
            for s in rules.default_milestones()
        ]
    return [{"name": m.name, "weight": m.weight, "reached_on": m.reached_on} for m in milestones]


def milestone_formset(
    data: QueryDict | None = None, *, initial: list[dict[str, Any]] | None = None
) -> BaseMilestoneFormSet:
    return cast(
        BaseMilestoneFormSet, MilestoneFormSet(data, initial=initial, prefix=MILESTONE_PREFIX)
    )


def rows_from_post(data: QueryDict, *, add: int = 0) -> list[dict[str, Any]]:
    """The rows as typed (no validation), plus `add` empty ones: for "Add a row"."""
    try:
        count = min(int(data.get(f"{MILESTONE_PREFIX}-TOTAL_FORMS", "0")), 49)
    except ValueError:
        count = 0
    rows = [
        {
            "name": data.get(f"{MILESTONE_PREFIX}-{i}-name", ""),
            "weight": data.get(f"{MILESTONE_PREFIX}-{i}-weight", ""),
            "reached": bool(data.get(f"{MILESTONE_PREFIX}-{i}-reached")),
        }
        for i in range(max(count, 0))
    ]
    return rows + [{"name": "", "weight": "", "reached": False}] * add


class EngagementFilterForm(PageForm):
    search = forms.CharField(
        required=False, max_length=100, widget=forms.TextInput(attrs={"type": "search"})
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *Status.choices], required=False)
    kind = forms.ChoiceField(choices=[("", "Any kind"), *Kind.choices], required=False)
    customer_id = forms.ModelChoiceField(
        queryset=selectors.customer_list(),
        required=False,
        label="Customer",
        empty_label="Any customer",
    )

    def filters(self) -> dict[str, Any]:
        """The valid filters (an invalid one is dropped, and its error shown)."""
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if v}
        if data.get("customer_id") is not None:
            data["customer_id"] = data["customer_id"].pk
        return data


class StatusForm(PageForm):
    status = forms.ChoiceField(choices=Status.choices)
    reason = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class MilestoneReachedForm(PageForm):
    reached_on = forms.DateField(required=False, widget=DateInput(), label="Reached on")


class CommentForm(PageForm):
    body = forms.CharField(
        max_length=10000, label="Add a comment", widget=forms.Textarea(attrs={"rows": 3})
    )
