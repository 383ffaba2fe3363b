from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema

from psa.core.schemas import Day, Id, In, Line, Quarter, Text, Year, not_null


class EpicOut(Schema):
    id: int
    name: str
    parent_id: int | None


EpicName = Annotated[str, Line(120)]
# A JSON number or a string, read by the one hours parser (psa.core.numbers), which names what
# is wrong with "8h" or "1,500"; the string is one short line.
HoursText = Decimal | Annotated[str, Line(20)]


class EpicIn(In):
    name: EpicName
    parent_id: Id | None = Field(None, description="The major epic; none for a major epic")
    position: int = Field(0, ge=0, le=1000)
    description: Annotated[str, Line(300)] = ""


class EpicPatch(In):
    name: EpicName = not_null()
    position: int = not_null(ge=0, le=1000)
    description: Annotated[str, Line(300)] = not_null()


class EpicTreeOut(Schema):
    id: int
    name: str
    categories: list[EpicOut]


class WorkItemIn(In):
    title: Annotated[str, Line(255, min_length=1)]
    epic_id: Id = Field(description="A category under a major epic.")
    engagement_id: Id | None = Field(None, description="Set for billable work on a SOW.")
    assignee_ids: list[Id] = Field(default_factory=list, max_length=100)
    labels: list[Annotated[str, Line(100)]] = Field(default_factory=list, max_length=100)


class WorkItemOut(Schema):
    id: int
    title: str
    epic_id: int
    epic: str = Field(alias="epic.name")
    engagement_id: int | None
    billable: bool
    web_url: str


class EntryIn(In):
    person_id: Id
    work_item_id: Id
    date: Day
    hours: HoursText = Field(
        description='Hours: 7.5, "7.5", "7,5" or "7:30"; more than 0, at most 24 a day; units '
        "and words are refused"
    )
    note: Annotated[str, Text(500)] = ""


class EntryPatch(In):
    date: Day = not_null()
    hours: HoursText = not_null()
    note: Annotated[str, Text(500)] = not_null()


class EntryOut(Schema):
    id: int
    person_id: int
    work_item_id: int
    date: dt.date
    hours: Decimal
    note: str
    source: str
    billable: bool = Field(alias="work_item.billable")
    adjusts_id: int | None = Field(description="The entry an adjusting entry corrects")
    reason: str = Field(description="Why locked time was corrected (adjusting entries)")


class TimerIn(In):
    person_id: Id
    work_item_id: Id
    note: Annotated[str, Text(500)] = ""


class TimerOut(Schema):
    person_id: int
    work_item_id: int
    started_at: dt.datetime
    note: str


class TimesheetIn(In):
    person_id: Id
    week: Day = Field(description="Any day of the ISO week (Monday-Sunday)")


class TimesheetOut(Schema):
    id: int
    person_id: int
    week_start: dt.date
    submitted_at: dt.datetime
    late: bool
    hours: Decimal


class CertificationIn(In):
    person_id: Id
    year: Year = Field(description="Fiscal year, named by the calendar year it ends in")
    quarter: Quarter = Field(description="1-4")


class DecisionIn(In):
    step: Literal["manager", "head", "finance"] = Field(
        description="The step you decide; 409 if the certification has moved on since."
    )
    approve: bool
    reason: Annotated[str, Text(2000)] = ""
    digest: Annotated[str, Line(64)] | None = Field(
        None, description="The digest of the figures you were shown (409 if they changed since)"
    )
    back_to: Literal["person", "manager", "head"] = Field(
        "person",
        description=(
            "Where a rejection sends it: to the person to correct the hours, or to an earlier "
            "step to decide again (the approvals before that step stand)"
        ),
    )


class ReasonIn(In):
    reason: Annotated[str, Text(2000, min_length=1)]


class AdjustIn(In):
    hours: HoursText = Field(description="The change: negative removes time")
    reason: Annotated[str, Text(500)]


class CorrectionIn(In):
    person_id: Id
    work_item_id: Id
    date: Day
    hours: HoursText = Field(description="What the locked day should say on this work item")
    reason: Annotated[str, Text(500)]


class CertificationStepOut(Schema):
    step: str
    approved: bool
    back_to: str = Field(description="For a rejection: person, manager or head")
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


class GitLabSyncIn(In):
    group: Annotated[str, Line(255)] = Field("", description="Group path; default PSA_GITLAB_GROUP")


class EngagementWeekOut(Schema):
    week_start: dt.date
    hours: Decimal


class EngagementTimeOut(Schema):
    engagement_id: int
    hours: Decimal = Field(description="Every hour logged on the engagement's work items")
    budget_hours: Decimal
    remaining_hours: Decimal
    percent_of_budget: Decimal | None = Field(description="None when there is no budget")
    weeks: list[EngagementWeekOut]

    @staticmethod
    def resolve_weeks(obj: object) -> list[dict[str, object]]:
        return [{"week_start": w, "hours": h} for w, h in obj.weeks]  # type: ignore[attr-defined]


class EngagementHoursOut(Schema):
    engagement_id: int
    hours: Decimal
