from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema


class EpicOut(Schema):
    id: int
    name: str
    parent_id: int | None


class EpicIn(Schema):
    name: str
    parent_id: int | None = Field(None, description="The major epic; none for a major epic")
    position: int = Field(0, ge=0, le=1000)
    description: str = Field("", max_length=300)


class EpicPatch(Schema):
    name: str | None = None
    position: int | None = Field(None, ge=0, le=1000)
    description: str | None = Field(None, max_length=300)


class EpicTreeOut(Schema):
    id: int
    name: str
    categories: list[EpicOut]


class WorkItemIn(Schema):
    title: str = Field(min_length=1, max_length=255)
    epic_id: int = Field(description="A category under a major epic.")
    engagement_id: int | None = Field(None, description="Set for billable work on a SOW.")
    assignee_ids: list[int] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)


class WorkItemOut(Schema):
    id: int
    title: str
    epic_id: int
    epic: str = Field(alias="epic.name")
    engagement_id: int | None
    billable: bool
    web_url: str


class EntryIn(Schema):
    person_id: int
    work_item_id: int
    date: dt.date
    hours: Decimal | str = Field(description='A number (7.5 or "7.5"); units and words are refused')
    note: str = Field("", max_length=500)


class EntryPatch(Schema):
    date: dt.date | None = None
    hours: Decimal | str | None = None
    note: str | None = Field(None, max_length=500)


class EntryOut(Schema):
    id: int
    person_id: int
    work_item_id: int
    date: dt.date
    hours: Decimal
    note: str
    source: str
    billable: bool = Field(alias="work_item.billable")


class TimerIn(Schema):
    person_id: int
    work_item_id: int
    note: str = ""


class TimerOut(Schema):
    person_id: int
    work_item_id: int
    started_at: dt.datetime
    note: str


class TimesheetIn(Schema):
    person_id: int
    week: dt.date = Field(description="Any day of the ISO week (Monday-Sunday)")


class TimesheetOut(Schema):
    id: int
    person_id: int
    week_start: dt.date
    submitted_at: dt.datetime
    late: bool
    hours: Decimal


class CertificationIn(Schema):
    person_id: int
    year: int = Field(description="Fiscal year, named by the calendar year it ends in")
    quarter: int = Field(description="1-4")


class DecisionIn(Schema):
    step: Literal["manager", "head", "finance"] = Field(
        description="The step you decide; 409 if the certification has moved on since."
    )
    approve: bool
    reason: str = Field("", max_length=2000)
    digest: str | None = Field(
        None,
        max_length=64,
        description="The digest of the figures you were shown (409 if they changed since)",
    )


class ReasonIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)


class AdjustIn(Schema):
    hours: Decimal | str = Field(description="The change: negative removes time")
    reason: str = Field(max_length=500)


class CertificationStepOut(Schema):
    step: str
    approved: bool
    reason: str
    actor_name: str
    revision: int
    at: dt.datetime
    total_hours: Decimal | None = Field(description="The figures an approval approved")
    billable_hours: Decimal | None
    capacity_hours: Decimal | None
    digest: str


class EntryChangesOut(Schema):
    added: list[int]
    changed: list[int]
    removed: list[int]


class CertificationOut(Schema):
    id: int
    person_id: int
    fiscal_year: int
    quarter: int
    start_date: dt.date
    end_date: dt.date
    status: str
    total_hours: Decimal = Field(description="From the quarter's entries as they are now")
    billable_hours: Decimal
    capacity_hours: Decimal
    utilization: Decimal | None = Field(description="Billable / capacity, percent")
    digest: str = Field(
        description="Of the entries these figures come from: send it with an approval"
    )
    flags: list[str] = Field(description="No hours, far below capacity, weeks not submitted")
    missing_weeks: list[dt.date] = Field(description="Mondays of the weeks never submitted")
    changes: EntryChangesOut = Field(description="Entries changed since the last approval")
    revision: int
    locked_at: dt.datetime | None
    work_item_id: int | None
    steps: list[CertificationStepOut]

    @staticmethod
    def resolve_steps(obj: object) -> list[object]:
        return list(obj.steps.all())  # type: ignore[attr-defined]


class GitLabSyncIn(Schema):
    group: str = Field("", description="Group path; default PSA_GITLAB_GROUP")


class WeekHoursOut(Schema):
    week_start: dt.date
    hours: Decimal


class EngagementTimeOut(Schema):
    engagement_id: int
    hours: Decimal = Field(description="Every hour logged on the engagement's work items")
    budget_hours: Decimal
    remaining_hours: Decimal
    percent_of_budget: Decimal | None = Field(description="None when there is no budget")
    weeks: list[WeekHoursOut]

    @staticmethod
    def resolve_weeks(obj: object) -> list[dict[str, object]]:
        return [{"week_start": w, "hours": h} for w, h in obj.weeks]  # type: ignore[attr-defined]


class EngagementHoursOut(Schema):
    engagement_id: int
    hours: Decimal
