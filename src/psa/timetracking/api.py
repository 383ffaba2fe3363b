from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

from psa.core.api import Page, actor
from psa.core.errors import ValidationFailed
from psa.core.jobs_api import JobOut
from psa.core.schemas import WRITE, Day, Id, Line, Search, answers
from psa.engagements import selectors as engagements
from psa.people import selectors as people
from psa.timetracking import selectors, services
from psa.timetracking.certification import selectors as cert_selectors
from psa.timetracking.certification import services as cert_services
from psa.timetracking.schemas import (
    AdjustIn,
    CertificationIn,
    CertificationOut,
    CorrectionIn,
    DecisionIn,
    EngagementHoursOut,
    EngagementTimeOut,
    EntryIn,
    EntryOut,
    EntryPatch,
    EpicIn,
    EpicOut,
    EpicPatch,
    EpicTreeOut,
    GitLabSyncIn,
    ReasonIn,
    TimerIn,
    TimerOut,
    TimesheetIn,
    TimesheetOut,
    WorkItemIn,
    WorkItemOut,
)

router = Router(tags=["time"])
MAX_RANGE_DAYS = 400


@router.get("/epics", response=answers({200: list[EpicTreeOut]}))
def list_epics(request: HttpRequest) -> Any:
    return [
        {"id": major.pk, "name": major.name, "categories": children}
        for major, children in selectors.epic_tree()
    ]


@router.post("/epics", response=answers({201: EpicOut}, *WRITE, 404, 409))
def create_epic(request: HttpRequest, payload: EpicIn) -> Any:
    """Administrators: a major epic (no parent_id) or a category under one."""
    parent = None
    if payload.parent_id is not None:
        parent = selectors.epic_get(epic_id=payload.parent_id, field="parent_id")
    return 201, services.epic_create(
        actor=actor(request),
        name=payload.name,
        parent=parent,
        position=payload.position,
        description=payload.description,
    )


@router.patch("/epics/{epic_id}", response=answers({200: EpicOut}, *WRITE, 404, 409))
def update_epic(request: HttpRequest, epic_id: int, payload: EpicPatch) -> Any:
    """Administrators: rename, reorder or describe an epic (it keeps its place in the tree)."""
    return services.epic_update(
        actor=actor(request),
        epic=selectors.epic_get(epic_id=epic_id),
        **payload.dict(exclude_unset=True),
    )


@router.delete("/epics/{epic_id}", response=answers({204: None}, *WRITE, 404, 409))
def delete_epic(request: HttpRequest, epic_id: int) -> Any:
    """Administrators: remove an epic with no categories and no work items (else 409)."""
    services.epic_delete(actor=actor(request), epic=selectors.epic_get(epic_id=epic_id))
    return 204, None


@router.get("/work-items", response=answers({200: list[WorkItemOut]}))
def list_work_items(
    request: HttpRequest,
    search: Search = "",
    epic_id: Id | None = None,
    engagement_id: Id | None = None,
    person_id: Id | None = None,
) -> Any:
    return list(
        selectors.work_item_list(
            search=search, epic_id=epic_id, engagement_id=engagement_id, person_id=person_id
        )[:500]
    )


@router.post("/work-items", response=answers({201: WorkItemOut}, *WRITE, 404))
def create_work_item(request: HttpRequest, payload: WorkItemIn) -> Any:
    return 201, services.work_item_create(
        actor=actor(request),
        title=payload.title,
        epic=selectors.epic_get(epic_id=payload.epic_id),
        engagement=(
            engagements.engagement_get(engagement_id=payload.engagement_id)
            if payload.engagement_id
            else None
        ),
        assignees=[people.person_get(person_id=i) for i in payload.assignee_ids],
        labels=payload.labels,
    )


@router.get("/entries", response=answers({200: list[EntryOut]}, 403, 404))
def list_entries(request: HttpRequest, person_id: Id, start: Day, end: Day) -> Any:
    if end < start or (end - start).days > MAX_RANGE_DAYS:
        raise ValidationFailed(
            f"end must be after start, at most {MAX_RANGE_DAYS} days", field="end"
        )
    person = selectors.access_time_of(
        actor=actor(request), person=people.person_get(person_id=person_id)
    )
    return list(selectors.entries_for(person=person, start=start, end=end))


@router.post("/entries", response=answers({201: EntryOut}, *WRITE, 404, 409))
def create_entry(request: HttpRequest, payload: EntryIn) -> Any:
    return 201, services.time_entry_create(
        actor=actor(request),
        person=people.person_get(person_id=payload.person_id),
        work_item=selectors.work_item_get(work_item_id=payload.work_item_id),
        date=payload.date,
        hours=payload.hours,
        note=payload.note,
    )


@router.patch("/entries/{entry_id}", response=answers({200: EntryOut}, *WRITE, 404, 409))
def update_entry(request: HttpRequest, entry_id: int, payload: EntryPatch) -> Any:
    return services.time_entry_update(
        actor=actor(request),
        entry=selectors.entry_get(entry_id=entry_id),
        **payload.dict(exclude_unset=True),
    )


@router.delete("/entries/{entry_id}", response=answers({204: None}, *WRITE, 404, 409))
def delete_entry(request: HttpRequest, entry_id: int) -> Any:
    services.time_entry_delete(actor=actor(request), entry=selectors.entry_get(entry_id=entry_id))
    return 204, None


@router.post("/timer/start", response=answers({201: TimerOut}, *WRITE, 404, 409))
def start_timer(request: HttpRequest, payload: TimerIn) -> Any:
    return 201, services.timer_start(
        actor=actor(request),
        person=people.person_get(person_id=payload.person_id),
        work_item=selectors.work_item_get(work_item_id=payload.work_item_id),
        note=payload.note,
    )


@router.post("/timer/stop", response=answers({200: EntryOut, 204: None}, *WRITE, 404, 409))
def stop_timer(request: HttpRequest, person_id: int) -> Any:
    entry = services.timer_stop(actor=actor(request), person=people.person_get(person_id=person_id))
    return (200, entry) if entry is not None else (204, None)


@router.get("/timesheets", response=answers({200: list[TimesheetOut]}, 403, 404))
def list_timesheets(request: HttpRequest, person_id: int) -> Any:
    person = selectors.access_time_of(
        actor=actor(request), person=people.person_get(person_id=person_id)
    )
    return selectors.timesheet_list(person=person)


@router.post("/timesheets", response=answers({201: TimesheetOut}, *WRITE, 404, 409))
def submit_timesheet(request: HttpRequest, payload: TimesheetIn) -> Any:
    return 201, services.timesheet_submit(
        actor=actor(request),
        person=people.person_get(person_id=payload.person_id),
        week=payload.week,
    )


@router.post("/entries/{entry_id}/adjust", response=answers({201: EntryOut}, *WRITE, 404, 409))
def adjust_entry(request: HttpRequest, entry_id: int, payload: AdjustIn) -> Any:
    """Correct locked time with an adjusting entry (the certification is approved again)."""
    return 201, cert_services.time_entry_adjust(
        actor=actor(request),
        entry=selectors.entry_get(entry_id=entry_id),
        hours=payload.hours,
        reason=payload.reason,
    )


@router.post("/corrections", response=answers({201: EntryOut}, *WRITE, 404, 409))
def correct_locked_day(request: HttpRequest, payload: CorrectionIn) -> Any:
    """Correct a locked day's hours on a work item to what they should be: an adjusting entry
    for the difference, with its reason (the certification is approved again)."""
    return 201, cert_services.locked_day_correct(
        actor=actor(request),
        person=people.person_get(person_id=payload.person_id),
        work_item=selectors.work_item_get(work_item_id=payload.work_item_id),
        day=payload.date,
        hours=payload.hours,
        reason=payload.reason,
    )


@router.get("/certifications", response=answers({200: list[CertificationOut]}, 403))
@paginate(Page, prepare=cert_selectors.certification_views)
def list_certifications(
    request: HttpRequest,
    status: Annotated[str, Line(100)] = "",  # one status or several, comma-separated
    person_id: Id | None = None,
) -> Any:
    # Paged: each page's live figures are read together after slicing (certification_views).
    return cert_selectors.certifications_for(
        actor=actor(request), status=status, person_id=person_id
    )


@router.post("/certifications", response=answers({201: CertificationOut}, *WRITE, 404, 409))
def generate_certification(request: HttpRequest, payload: CertificationIn) -> Any:
    return 201, cert_selectors.certification_view(
        cert_services.certification_generate(
            actor=actor(request),
            person=people.person_get(person_id=payload.person_id),
            year=payload.year,
            quarter=payload.quarter,
        )
    )


@router.post(
    "/certifications/{certification_id}/decide",
    response=answers({200: CertificationOut}, *WRITE, 404, 409),
)
def decide_certification(request: HttpRequest, certification_id: int, payload: DecisionIn) -> Any:
    me = actor(request)
    decided = cert_services.certification_decide(
        actor=me,
        certification=cert_selectors.access_certification(
            actor=me, certification_id=certification_id
        ),
        step=payload.step,
        approve=payload.approve,
        reason=payload.reason,
        digest=payload.digest,
        back_to=payload.back_to,
    )
    return cert_selectors.certification_view(decided)


@router.post(
    "/certifications/{certification_id}/resubmit",
    response=answers({200: CertificationOut}, *WRITE, 404, 409),
)
def resubmit_certification(request: HttpRequest, certification_id: int) -> Any:
    """Hours returned for correction go back to the delivery manager (the person or their
    manager sends them)."""
    me = actor(request)
    resubmitted = cert_services.certification_resubmit(
        actor=me,
        certification=cert_selectors.access_certification(
            actor=me, certification_id=certification_id
        ),
    )
    return cert_selectors.certification_view(resubmitted)


@router.post(
    "/certifications/{certification_id}/reopen",
    response=answers({200: CertificationOut}, *WRITE, 404, 409),
)
def reopen_certification(request: HttpRequest, certification_id: int, payload: ReasonIn) -> Any:
    me = actor(request)
    reopened = cert_services.certification_reopen(
        actor=me,
        certification=cert_selectors.access_certification(
            actor=me, certification_id=certification_id
        ),
        reason=payload.reason,
    )
    return cert_selectors.certification_view(reopened)


@router.post("/gitlab/sync", response=answers({202: JobOut}, *WRITE))
def start_gitlab_sync(request: HttpRequest, payload: GitLabSyncIn) -> Any:
    """Start a GitLab sync in the background; follow it at /api/v1/jobs/{id}, whose result is
    the sync's report."""
    return 202, services.gitlab_sync_start(actor=actor(request), group=payload.group)


@router.get("/engagements/{engagement_id}/hours", response=answers({200: EngagementTimeOut}, 404))
def engagement_time(request: HttpRequest, engagement_id: int) -> Any:
    """Hours logged on an engagement's work items, per ISO week and in all, against its budget
    hours (adjustments included)."""
    return selectors.engagement_time(
        engagement=engagements.engagement_get(engagement_id=engagement_id)
    )


@router.get("/engagement-hours", response=answers({200: list[EngagementHoursOut]}, 404))
def engagement_hours(
    request: HttpRequest,
    engagement_id: Query[list[Id]],
) -> Any:
    """Total hours of many engagements at once (`?engagement_id=1&engagement_id=2`, at most
    500); an engagement without time reads 0."""
    totals = selectors.engagement_totals(engagement_ids=engagement_id)
    return [{"engagement_id": i, "hours": hours} for i, hours in totals.items()]
