"""Forms of the time pages: they parse types only; the services hold the rules."""

from __future__ import annotations

from django import forms

from psa.core.forms import PageForm


class WeekForm(PageForm):
    week = forms.DateField(required=False)


class TimerStartForm(PageForm):
    work_item_id = forms.IntegerField(min_value=1, max_value=2**62, label="Work item")
    note = forms.CharField(required=False, max_length=500)


class DecideForm(PageForm):
    step = forms.ChoiceField(choices=[("manager", ""), ("head", ""), ("finance", "")])
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    digest = forms.CharField(required=False, max_length=64)  # of the figures shown
    reason = forms.CharField(required=False, max_length=2000)
    back_to = forms.ChoiceField(
        required=False, choices=[("person", ""), ("manager", ""), ("head", "")]
    )


class CorrectionForm(PageForm):
    """A locked day's hours on one work item, corrected to what they should be."""

    week = forms.DateField()
    day = forms.DateField()
    work_item_id = forms.IntegerField(min_value=1, max_value=2**62, label="Work item")
    hours = forms.CharField(max_length=20, required=False)  # the one hours parser reads it
    reason = forms.CharField(required=False, max_length=500)


class WorkItemForm(PageForm):
    """A new work item (an issue) under a category, from the week page or an engagement's."""

    title = forms.CharField(required=False, max_length=200)
    epic_id = forms.IntegerField(min_value=1, max_value=2**62, label="Category")
    engagement_id = forms.IntegerField(required=False, min_value=1, max_value=2**62)
    week = forms.DateField(required=False)


class ReasonForm(PageForm):
    reason = forms.CharField(required=False, max_length=2000)


class EpicForm(PageForm):
    """One change to the epic tree: add (name, parent), rename (epic, name) or remove (epic)."""

    action = forms.ChoiceField(choices=[("add", "add"), ("rename", "rename"), ("delete", "delete")])
    epic_id = forms.IntegerField(required=False, min_value=1, max_value=2**62)
    parent_id = forms.IntegerField(required=False, min_value=1, max_value=2**62)
    name = forms.CharField(required=False, max_length=200)


class TeamReportsForm(PageForm):
    year = forms.IntegerField(required=False, min_value=1, max_value=9999)
    quarter = forms.IntegerField(required=False, min_value=1, max_value=4)
    manager_id = forms.IntegerField(required=False, min_value=1, max_value=2**62)


class ReportForm(PageForm):
    person_id = forms.IntegerField(required=False, min_value=1, max_value=2**62)
    year = forms.IntegerField(required=False, min_value=1, max_value=9999)
    quarter = forms.IntegerField(required=False, min_value=1, max_value=4)
