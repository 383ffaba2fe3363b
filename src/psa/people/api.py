from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from psa.core import clock
from psa.core.api import Page, actor
from psa.core.schemas import WRITE, Day, answers, patch_onto
from psa.finance import flows as finance_flows
from psa.people import selectors, services
from psa.people.cache import people_pages
from psa.people.schemas import (
    CapacityOut,
    CostRateIn,
    CostRateOut,
    PersonFilter,
    PersonIn,
    PersonOut,
    PersonPageOut,
    PersonPatch,
    TimeOffIn,
    TimeOffOut,
)

router = Router(tags=["people"])


@router.get("", response=answers({200: PersonPageOut}))
def list_people(
    request: HttpRequest, filters: Query[PersonFilter], pagination: Query[Page.Input]
) -> HttpResponse:
    """People by name, a page at a time. Served from memory until people change (any person,
    role, skill, cost rate or login): the response is cached per login, as cost rates depend on
    who asks, and per day, as the rate shown is the one in force today."""
    me = actor(request)
    key = (
        me.user_id,
        clock.today().isoformat(),
        filters.model_dump_json(),
        pagination.page,
        pagination.page_size,
    )

    def build() -> bytes:
        page = selectors.people_page(
            me,
            selectors.person_list(**filters.dict(), related=False),
            page=pagination.page,
            page_size=pagination.page_size,
        )
        # Built, not validated: the values come from the database through the selector, and
        # the schema's own serializer writes them (tests compare with the validated form).
        out = PersonPageOut.model_construct(
            items=[PersonOut.model_construct(**item) for item in page.items],
            count=page.count,
            page=page.page,
            page_size=page.page_size,
            pages=page.pages,
        )
        return out.model_dump_json(by_alias=True).encode()

    body = people_pages.get_or_build(key, build)
    return HttpResponse(body, content_type="application/json")


@router.post("", response=answers({201: PersonOut}, *WRITE))
def create_person(request: HttpRequest, payload: PersonIn) -> Any:
    data = payload.dict()
    username, password = data.pop("username"), data.pop("password")
    person = services.person_create(
        actor=actor(request),
        data=services.PersonInput(**data),
        username=username,
        password=password,
    )
    return 201, selectors.person_for(actor=actor(request), person_id=person.pk)


@router.get("/{person_id}", response=answers({200: PersonOut}, 404))
def get_person(request: HttpRequest, person_id: int) -> Any:
    return selectors.person_for(actor=actor(request), person_id=person_id)


@router.patch("/{person_id}", response=answers({200: PersonOut}, *WRITE, 404))
def update_person(request: HttpRequest, person_id: int, payload: PersonPatch) -> Any:
    person = selectors.person_get(person_id=person_id)
    data, sent = patch_onto(payload, services.PersonInput())
    services.person_update(actor=actor(request), person=person, data=data, fields_set=sent)
    return selectors.person_for(actor=actor(request), person_id=person_id)


@router.get("/{person_id}/capacity", response=answers({200: CapacityOut}, 404))
def get_capacity(request: HttpRequest, person_id: int, start: Day, end: Day) -> Any:
    return selectors.capacity_between(person_id=person_id, start=start, end=end)


@router.get("/{person_id}/time-off", response=answers({200: list[TimeOffOut]}, 404))
def list_time_off(request: HttpRequest, person_id: int) -> Any:
    return selectors.time_off_list(person=selectors.person_get(person_id=person_id))


@router.post("/{person_id}/time-off", response=answers({201: TimeOffOut}, *WRITE, 404))
def create_time_off(request: HttpRequest, person_id: int, payload: TimeOffIn) -> Any:
    person = selectors.person_get(person_id=person_id)
    row = services.time_off_create(actor=actor(request), person=person, **payload.dict())
    return 201, row


@router.delete("/time-off/{time_off_id}", response=answers({204: None}, *WRITE, 404))
def delete_time_off(request: HttpRequest, time_off_id: int) -> Any:
    services.time_off_delete(
        actor=actor(request), time_off=selectors.time_off_get(time_off_id=time_off_id)
    )
    return 204, None


@router.get("/{person_id}/cost-rates", response=answers({200: list[CostRateOut]}, 403, 404))
def list_cost_rates(request: HttpRequest, person_id: int) -> Any:
    """The person's cost rates, oldest first: each in force from its date to the next one's.
    Pay data: the person, delivery managers, the head of PS and finance read it."""
    person = selectors.person_get(person_id=person_id)
    return selectors.cost_rates_for(actor=actor(request), person=person)


@router.put(
    "/{person_id}/cost-rates/{effective_from}",
    response=answers({200: CostRateOut}, *WRITE, 404, 409),
)
def set_cost_rate(
    request: HttpRequest, person_id: int, effective_from: Day, payload: CostRateIn
) -> Any:
    """The person's cost rate from `effective_from` on, until their next rate; a rate already
    taking effect that day is replaced (the audit log keeps both)."""
    person = selectors.person_get(person_id=person_id)
    return finance_flows.cost_rate_set(
        actor=actor(request), person=person, effective_from=effective_from, **payload.dict()
    )


@router.delete(
    "/{person_id}/cost-rates/{effective_from}", response=answers({204: None}, *WRITE, 404, 409)
)
def delete_cost_rate(request: HttpRequest, person_id: int, effective_from: Day) -> Any:
    """Take back the rate taking effect that day: the one before it stays in force longer."""
    person = selectors.person_get(person_id=person_id)
    finance_flows.cost_rate_delete(
        actor=actor(request), person=person, effective_from=effective_from
    )
    return 204, None
