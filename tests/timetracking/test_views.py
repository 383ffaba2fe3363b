"""Time pages: My week (the grid saves cell by cell through the services, bad input and locked
days refused per cell), fill from my schedule, the timer, submitting a week, timesheets with the
manager's "who is missing what", and the certification queue of each role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils.html import escape

from psa.core import clock, numbers
from psa.core.models import Job
from psa.core.roles import SYSTEM, Role
from psa.engagements.models import Status
from psa.people import selectors as people_selectors
from psa.people.models import Person
from psa.people.selectors import actor_for
from psa.scheduling import services as scheduling
from psa.timetracking import report_selectors, rules, selectors, services, views
from psa.timetracking.certification import selectors as cert_selectors
from psa.timetracking.certification import services as cert_services
from psa.timetracking.models import (
    QuarterlyCertification,
    TimeEntry,
    Timer,
    Timesheet,
    WorkItem,
)
from psa.timetracking.views import ERR_CHOOSE_CATEGORY
from tests.engagements.factories import EngagementFactory
from tests.helpers import flash, refusal_page, refused_summary, unchanged
from tests.timetracking.factories import QuarterlyCertificationFactory, WorkItemFactory, category

pytestmark = pytest.mark.django_db
D = Decimal
MakePerson = Callable[..., Person]
ClientFor = Callable[[Person], Client]
NOW = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)  # a Wednesday
MON = dt.date(2026, 11, 16)  # the week before: no US holiday
WEEK = MON.isoformat()


def day(offset: int) -> dt.date:
    return MON + dt.timedelta(days=offset)


def cell(item: Any, offset: int) -> str:
    return f"h-{item.pk}-{day(offset).isoformat()}"


def cell_error(item: Any, offset: int, message: str) -> str:
    """A refused cell's message, under the cell."""
    return f'<p class="error" id="{cell(item, offset)}-error" role="alert">{escape(message)}</p>'


def errors_list(*messages: str) -> str:
    """The messages of a refused correction or new work item, above its form."""
    items = "".join(f"<li>{escape(m)}</li>" for m in messages)
    return f'<ul class="errorlist" role="alert">{items}</ul>'


@pytest.fixture(autouse=True)
def _today() -> Any:
    with clock.frozen(NOW):
        yield


def hours(person: Person) -> dict[tuple[int, dt.date], Decimal]:
    return {
        (e.work_item_id, e.date): e.hours
        for e in TimeEntry.objects.filter(person=person).order_by("id")
    }


def log(person: Person, item: Any, offset: int, amount: str) -> TimeEntry:
    return services.time_entry_create(
        actor=SYSTEM, person=person, work_item=item, date=day(offset), hours=amount
    )


# ------------------------------------------------------------------ my week


def test_my_week_shows_the_grid_with_totals(make_person: MakePerson, client_for: ClientFor) -> None:
    pse = make_person(Role.PSE)
    docs = WorkItemFactory.create(title="Write the runbook")
    log(pse, docs, 0, "7.5")
    log(pse, docs, 1, "8")

    response = client_for(pse).get(f"/time/?week={WEEK}")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Write the runbook" in html
    assert f'id="{cell(docs, 0)}" name="{cell(docs, 0)}" value="7.5"' in html
    assert 'for="' + cell(docs, 1) + '">Tue 17 Nov, Write the runbook</label>' in html
    assert "<strong>15.5 h</strong> of 40 h" in html
    assert "?week=2026-11-09" in html
    assert "?week=2026-11-23" in html


def test_a_login_without_a_person_is_told_so(db: None, django_user_model: Any) -> None:
    user = django_user_model.objects.create_user("nobody", password="x")
    client = Client()
    client.force_login(user)

    response = client.get("/time/")

    assert response.status_code == 200
    assert escape(views.NO_PERSON) in response.content.decode()


def test_saving_the_grid_creates_updates_and_deletes(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    pse = make_person(Role.PSE)
    docs = WorkItemFactory.create(title="Docs")
    other = WorkItemFactory.create(title="Other")
    log(pse, docs, 0, "8")
    log(pse, docs, 1, "4")

    response = client_for(pse).post(
        "/time/",
        {
            "week": WEEK,
            "row": [docs.pk, other.pk],
            cell(docs, 0): "8",  # unchanged
            cell(docs, 1): "",  # deleted
            cell(docs, 2): "6.25",  # created
            cell(other, 0): "0",  # stays empty
            cell(other, 3): "1.5",  # created on a new row
        },
    )

    assert response.status_code == 302
    assert hours(pse) == {
        (docs.pk, day(0)): D("8.00"),
        (docs.pk, day(2)): D("6.25"),
        (other.pk, day(3)): D("1.50"),
    }
    client_for(pse).post("/time/", {"week": WEEK, "row": [docs.pk], cell(docs, 2): "7"})
    assert hours(pse)[(docs.pk, day(2))] == D("7.00")


def test_decimal_commas_and_hours_minutes_are_saved_as_typed(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    """The team includes France, Germany and Australia: 1,5 is one and a half hours, never 15;
    7:30 is seven and a half. The cells are text inputs, so the server sees what was typed."""
    pse = make_person(Role.PSE)
    docs = WorkItemFactory.create(title="Docs")

    response = client_for(pse).post(
        "/time/",
        {"week": WEEK, "row": [docs.pk], cell(docs, 0): "1,5", cell(docs, 1): "7:30"},
    )

    assert response.status_code == 302
    assert hours(pse) == {(docs.pk, day(0)): D("1.50"), (docs.pk, day(1)): D("7.50")}
    page = client_for(pse).get(f"/time/?week={WEEK}").content.decode()
    assert f'name="{cell(docs, 0)}" value="1.5" type="text" inputmode="decimal"' in page


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1,500", numbers.ERR_HOURS_AMBIGUOUS.format(value="1,500", decimal="1.5", whole="1500")),
        ("1,5,0", numbers.ERR_HOURS_TEXT.format(value="1,5,0")),
        ("7:75", numbers.ERR_HOURS_MINUTES.format(value="7:75")),
        (":30", numbers.ERR_HOURS_TEXT.format(value=":30")),
    ],
)
def test_ambiguous_hours_are_refused_in_their_cell(
    make_person: MakePerson, typed: str, message: str, client_for: ClientFor
) -> None:
    pse = make_person(Role.PSE)
    docs = WorkItemFactory.create(title="Docs")
    client = client_for(pse)

    with unchanged():
        response = client.post("/time/", {"week": WEEK, "row": [docs.pk], cell(docs, 0): typed})

    assert response.status_code == 422
    html = response.content.decode()
    assert refused_summary("1 cell not saved.") in html
    assert cell_error(docs, 0, message) in html


def test_text_in_a_cell_is_refused_there_and_other_cells_are_saved(
    make_person: MakePerson,
    client_for: ClientFor,
) -> None:
    pse = make_person(Role.PSE)
    docs = WorkItemFactory.create(title="Docs")

    response = client_for(pse).post(
        "/time/", {"week": WEEK, "row": [docs.pk], cell(docs, 0): "8", cell(docs, 1): "8hrs"}
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert cell_error(docs, 1, numbers.ERR_HOURS_TEXT.format(value="8hrs")) in html
    assert 'value="8hrs"' in html
    assert refused_summary("1 cell not saved; the other 1 change were saved.") in html
    assert hours(pse) == {(docs.pk, day(0)): D("8.00")}


def test_several_entries_in_a_cell_are_read_only(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    pse = make_person(Role.PSE)
    docs = WorkItemFactory.create(title="Docs")
    log(pse, docs, 0, "2")
    log(pse, docs, 0, "3")

    html = client_for(pse).get(f"/time/?week={WEEK}").content.decode()
    assert f'id="{cell(docs, 0)}" value="5" type="text" readonly' in html
    assert "2 entries</a>" in html

    client_for(pse).post("/time/", {"week": WEEK, "row": [docs.pk], cell(docs, 0): "9"})
    assert sorted(TimeEntry.objects.values_list("hours", flat=True)) == [D("2.00"), D("3.00")]


def _locked_quarter(person: Person) -> QuarterlyCertification:
    return QuarterlyCertificationFactory.create(person=person, day=MON, locked=True)


def test_a_locked_day_is_read_only_and_a_forged_post_is_refused(
    make_person: MakePerson,
    client_for: ClientFor,
) -> None:
    pse = make_person(Role.PSE)
    docs = WorkItemFactory.create(title="Docs")
    log(pse, docs, 0, "8")
    _locked_quarter(pse)
    assert selectors.is_locked(pse.pk, day(0))

    html = client_for(pse).get(f"/time/?week={WEEK}").content.decode()
    assert f'id="{cell(docs, 0)}" value="8" type="text" readonly' in html
    assert "Locked (quarter approved)" in html

    client = client_for(pse)
    with unchanged():
        response = client.post(
            "/time/", {"week": WEEK, "row": [docs.pk], cell(docs, 0): "4", cell(docs, 1): "3"}
        )

    assert response.status_code == 409
    html = response.content.decode()
    assert refused_summary("2 cells not saved.") in html
    for offset in (0, 1):
        locked = cert_services.ERR_LOCKED.format(date=day(offset), quarter="FY27 Q4")
        assert cell_error(docs, offset, locked) in html


def test_a_locked_day_is_corrected_from_the_week_page(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    manager = make_person(Role.DELIVERY_MANAGER)
    pse = make_person(Role.PSE, manager=manager)
    docs = WorkItemFactory.create(title="Docs")
    original = log(pse, docs, 0, "8")
    cert = _locked_quarter(pse)
    client = client_for(pse)
    html = client.get(f"/time/?week={WEEK}").content.decode()
    assert 'id="h-correct"' in html
    assert f'<option value="{day(0).isoformat()}">' in html  # the locked days are offered

    response = client.post(
        "/time/correct/",
        {
            "week": WEEK,
            "day": day(0).isoformat(),
            "work_item_id": docs.pk,
            "hours": "6,5",
            "reason": "Two calls were shorter",
        },
    )

    assert response.status_code == 302
    adjustment = TimeEntry.objects.get(adjusts=original)
    assert (adjustment.hours, adjustment.reason) == (D("-1.50"), "Two calls were shorter")
    cert.refresh_from_db()
    assert (cert.status, cert.revision) == ("generated", 2)
    html = client.get(f"/time/?week={WEEK}").content.decode()
    assert f'id="{cell(docs, 0)}" value="6.5" type="text" readonly' in html  # the net
    assert "adjusted</a>" in html
    # Listed right under the entry it corrects.
    listed = html[html.index('id="h-entries"') :]
    assert (
        listed.index(">8.00<") < listed.index("↳ adjusts the entry above") < listed.index(">-1.50<")
    )
    assert "(reason: Two calls were shorter)" in listed


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"hours": "5", "reason": ""}, "reason", cert_services.ERR_REASON),
        (
            {"hours": "1.5.0", "reason": "typo"},
            "hours",
            numbers.ERR_HOURS_TEXT.format(value="1.5.0"),
        ),
        (
            {"hours": "8", "reason": "same"},
            "hours",
            cert_services.ERR_CORRECTION_SAME.format(date=day(0), hours="8", item="Docs"),
        ),
    ],
)
def test_a_bad_correction_is_refused_on_the_page_and_changes_nothing(
    make_person: MakePerson,
    fields: dict[str, str],
    field: str,
    message: str,
    client_for: ClientFor,
) -> None:
    pse = make_person(Role.PSE)
    docs = WorkItemFactory.create(title="Docs")
    log(pse, docs, 0, "8")
    _locked_quarter(pse)
    client = client_for(pse)

    with unchanged():
        response = client.post(
            "/time/correct/",
            {"week": WEEK, "day": day(0).isoformat(), "work_item_id": docs.pk, **fields},
        )

    assert response.status_code == 422
    html = response.content.decode()
    assert refused_summary(views.ERR_CORRECTION) in html
    assert errors_list(message) in html
    assert f'name="{field}"' in html


def test_the_person_sends_returned_hours_back_from_the_certification_page(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    manager = make_person(Role.DELIVERY_MANAGER)
    assert manager.user is not None
    pse = make_person(Role.PSE, manager=manager)
    cert = _cert(pse, "generated")
    cert_services.certification_decide(
        actor=actor_for(manager.user),
        certification=cert,
        step="manager",
        approve=False,
        reason="Add the Globex travel day",
    )
    client = client_for(pse)
    week = client.get("/time/").content.decode()
    assert "hours were returned for correction: “Add the Globex travel day”" in week
    detail = client.get(f"/time/certifications/{cert.pk}/").content.decode()
    assert "Send back to certify" in detail

    response = client.post(f"/time/certifications/{cert.pk}/resubmit/")

    assert response.status_code == 302
    cert.refresh_from_db()
    assert cert.status == "generated"
    assert (
        "Send back to certify"
        not in client.get(f"/time/certifications/{cert.pk}/").content.decode()
    )
    # Twice: refused with the reason, nothing changed.
    with unchanged():
        refused = client.post(f"/time/certifications/{cert.pk}/resubmit/")
    message = cert_services.ERR_NOT_RETURNED.format(
        status=QuarterlyCertification.Status.GENERATED.label.lower()
    )
    assert flash(message) in client.get(refused["Location"]).content.decode()


def test_fill_from_my_schedule_prefills_empty_cells_without_saving(
    make_person: MakePerson,
    client_for: ClientFor,
) -> None:
    pse = make_person(Role.PSE)
    engagement = EngagementFactory.create(name="Migration", status=Status.ACTIVE)
    item = WorkItemFactory.create(title="All project hours", engagement=engagement)
    request = scheduling.request_create(
        actor=SYSTEM,
        engagement=engagement,
        person=pse,
        start_date=day(0),
        end_date=day(1),
        hours=D("8"),
        per_day=True,
    )
    scheduling.request_confirm(actor=SYSTEM, request=request)

    response = client_for(pse).get(f"/time/?week={WEEK}&fill=1")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="{cell(item, 0)}" name="{cell(item, 0)}" value="8"' in html
    assert f'id="{cell(item, 1)}" name="{cell(item, 1)}" value="8"' in html
    assert "2 cells pre-filled from your schedule" in html
    assert not TimeEntry.objects.exists()


def test_submit_a_full_week_and_see_it_submitted_late(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    pse = make_person(Role.PSE)
    docs = WorkItemFactory.create(title="Docs")
    for offset in range(5):
        log(pse, docs, offset, "8")

    response = client_for(pse).post("/time/submit/", {"week": WEEK})

    assert response.status_code == 302
    sheet = Timesheet.objects.get(person=pse)
    assert (sheet.week_start, sheet.hours, sheet.late) == (MON, D("40.00"), True)
    html = client_for(pse).get(f"/time/?week={WEEK}").content.decode()
    assert "Submitted (late)" in html
    assert "Submit week" not in html


def test_a_short_week_is_refused_with_the_missing_days(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    pse = make_person(Role.PSE)
    docs = WorkItemFactory.create(title="Docs")
    for offset in range(4):
        log(pse, docs, offset, "8")
    client = client_for(pse)

    with unchanged():
        response = client.post("/time/submit/", {"week": WEEK})

    assert response.status_code == 422
    message = services.ERR_SHORT_WEEK.format(
        logged="32.00", required="40.00", days="Fri 20 Nov 8.00 h"
    )
    assert refused_summary(message) in response.content.decode()


def test_timer_start_and_stop(make_person: MakePerson, client_for: ClientFor) -> None:
    """The timer shows its start in the person's time zone and how long it has run."""
    pse = make_person(Role.PSE, timezone="America/Los_Angeles")
    docs = WorkItemFactory.create(title="Docs")
    client = client_for(pse)

    response = client.post("/time/timer/start/", {"work_item_id": docs.pk, "note": "triage"})

    assert response.status_code == 302
    with clock.frozen(NOW + dt.timedelta(minutes=85)):
        html = client.get("/time/").content.decode()
    assert (
        "Running on <strong>Docs</strong> since Wed 25 Nov, 07:00 PST · 1 h 25 min (1.42 h) so far"
        in html
    )
    with unchanged():
        again = client.post("/time/timer/start/", {"work_item_id": docs.pk})
    assert again.status_code == 409
    message = services.ERR_TIMER_RUNNING.format(item=docs)
    assert refused_summary(message) in again.content.decode()

    with clock.frozen(NOW + dt.timedelta(minutes=90)):
        response = client.post("/time/timer/stop/")

    assert response.status_code == 302
    assert not Timer.objects.exists()
    entry = TimeEntry.objects.get(person=pse)
    assert (entry.hours, entry.date, entry.source) == (D("1.50"), NOW.date(), "timer")


def test_a_day_and_a_week_over_their_hours_are_flagged_not_ticked(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    pse = make_person(Role.PSE)  # 40 h: 8 h Monday to Friday
    docs = WorkItemFactory.create(title="Docs")
    for k, hours in enumerate(["10", "8", "8", "8", "8"]):
        log(pse, docs, k, hours)

    html = client_for(pse).get(f"/time/?week={WEEK}").content.decode()

    assert '<p class="week-total over" id="week-total" data-weekly="40"' in html
    assert "2 h over the week's hours: check before you submit" in html
    assert "Over the day's hours: Mon 16 Nov (10 h of 8 h)." in html
    assert 'title="2 h over this day\'s 8 h"' in html


def test_timer_start_without_an_item_is_refused(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    client = client_for(make_person(Role.PSE))
    with unchanged():
        response = client.post("/time/timer/start/", {"work_item_id": "x"})
    assert response.status_code == 422
    assert refused_summary(views.ERR_PICK_ITEM) in response.content.decode()


# ------------------------------------------------------------------ timesheets


def test_my_timesheets_and_the_managers_missing_list(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    manager = make_person(Role.DELIVERY_MANAGER, Role.PSE, name="Marcus Chen")
    alex = make_person(Role.PSE, name="Alex Rivera", manager=manager)
    make_person(Role.PSE, name="Not Mine")
    docs = WorkItemFactory.create(title="Docs")
    for offset in range(5):
        log(manager, docs, offset, "8")
    services.timesheet_submit(actor=SYSTEM, person=manager, week=MON)
    log(alex, docs, 0, "6")

    html = client_for(manager).get("/time/timesheets/").content.decode()

    assert "Mon 16 Nov 2026" in html
    assert "Submitted (late)" in html
    assert "Who is missing what" in html
    assert html.count("Alex Rivera") == 4  # the last four weeks
    assert "Not Mine" not in html
    assert "6 h" in html
    assert "40 h" in html


def test_a_pse_sees_no_missing_list(make_person: MakePerson, client_for: ClientFor) -> None:
    pse = make_person(Role.PSE)
    html = client_for(pse).get("/time/timesheets/").content.decode()
    assert "Who is missing what" not in html
    assert "No timesheets submitted yet." in html


# ------------------------------------------------------------------ certifications


def _cert(person: Person, status: str) -> QuarterlyCertification:
    return QuarterlyCertification.objects.create(
        person=person,
        fiscal_year=2026,
        quarter=3,
        start_date=dt.date(2026, 8, 1),
        end_date=dt.date(2026, 10, 31),
        status=status,
        total_hours=D("480"),
        billable_hours=D("300"),
        capacity_hours=D("500"),
        generated_at=NOW,
    )


@pytest.fixture
def chain(make_person: MakePerson) -> dict[str, Any]:
    manager = make_person(Role.DELIVERY_MANAGER, name="Marcus Chen")
    head = make_person(Role.HEAD_OF_PS, name="Hana Head")
    finance = make_person(Role.FINANCE_PARTNER, name="Fiona Finance")
    alex = make_person(Role.PSE, name="Alex Rivera", manager=manager)
    sam = make_person(Role.PSE, name="Sam Patel", manager=manager)
    other = make_person(Role.PSE, name="Olga Other")
    return {
        "manager": manager,
        "head": head,
        "finance": finance,
        "alex": alex,
        "generated": _cert(alex, "generated"),
        "others": _cert(other, "generated"),
        "certified": _cert(sam, "manager_certified"),
    }


def test_each_role_sees_its_queue(chain: dict[str, Any], client_for: ClientFor) -> None:
    manager_html = client_for(chain["manager"]).get("/time/certifications/").content.decode()
    head_html = client_for(chain["head"]).get("/time/certifications/").content.decode()
    finance_html = client_for(chain["finance"]).get("/time/certifications/").content.decode()

    assert "Alex Rivera" in manager_html
    assert "Olga Other" not in manager_html
    assert "Sam Patel" not in manager_html
    # The figures come from the entries as they are now (none), not from the stored 480 h.
    assert escape(rules.FLAG_NO_HOURS) in manager_html
    assert '<td class="num">480</td>' not in manager_html
    assert (
        "/api/v1/time/reports/{}?year=2026&amp;quarter=3&amp;format=xlsx".format(chain["alex"].pk)
        in manager_html
    )
    assert "Sam Patel" in head_html
    assert "Alex Rivera" not in head_html
    assert "Nothing waiting." in finance_html


def test_approve_and_reject(chain: dict[str, Any], client_for: ClientFor) -> None:
    client = client_for(chain["manager"])
    cert = chain["generated"]

    with unchanged():
        refused = client.post(
            f"/time/certifications/{cert.pk}/decide/", {"step": "manager", "decision": "reject"}
        )
    assert refused.status_code == 422
    message = views.ERR_CERTIFICATION.format(
        name=cert.person.name, message=cert_services.ERR_REASON
    )
    assert refused_summary(message) in refused.content.decode()

    response = client.post(
        f"/time/certifications/{cert.pk}/decide/",
        {"step": "manager", "decision": "approve", "reason": "no timesheets"},
    )
    assert response.status_code == 302
    cert.refresh_from_db()
    assert cert.status == "manager_certified"

    head = client_for(chain["head"])
    response = head.post(
        f"/time/certifications/{cert.pk}/decide/",
        {"step": "head", "decision": "reject", "reason": "Sales assistance is missing"},
    )
    assert response.status_code == 302
    cert.refresh_from_db()
    assert cert.status == "returned"
    # It left the head's queue (and the manager's: it waits for the person).
    assert f'id="cert-{cert.pk}"' not in head.get("/time/certifications/").content.decode()
    queue = client.get("/time/certifications/").content.decode()
    assert "Returned to your reports for correction" in queue
    assert f"/time/certifications/{cert.pk}/resubmit/" in queue
    assert f'value="approve" class="small" aria-label="Approve {cert.person.name}' not in queue
    detail = head.get(f"/time/certifications/{cert.pk}/").content.decode()
    assert "rejected by" in detail
    assert "Sales assistance is missing" in detail
    assert f"returned to {cert.person.name} for correction" in detail
    assert "format=csv" in detail
    assert "Send back to certify" not in detail  # not the head's to send


def test_finance_approves_and_reopens(chain: dict[str, Any], client_for: ClientFor) -> None:
    cert = chain["certified"]
    cert.status = "head_approved"
    cert.save()
    client = client_for(chain["finance"])

    client.post(
        f"/time/certifications/{cert.pk}/decide/",
        {"step": "finance", "decision": "approve", "reason": "no timesheets"},
    )
    cert.refresh_from_db()
    assert cert.status == "approved"
    assert cert.locked_at is not None
    assert "Reopen" in client.get("/time/certifications/").content.decode()

    with unchanged():
        refused = client.post(f"/time/certifications/{cert.pk}/reopen/", {"reason": ""})
    assert refused.status_code == 422
    message = views.ERR_CERTIFICATION.format(
        name=cert.person.name, message=cert_services.ERR_REASON
    )
    assert refused_summary(message) in refused.content.decode()
    response = client.post(f"/time/certifications/{cert.pk}/reopen/", {"reason": "Late PTO"})
    assert response.status_code == 302
    cert.refresh_from_db()
    assert (cert.status, cert.locked_at) == ("generated", None)


def test_a_pse_may_not_open_or_decide(chain: dict[str, Any], client_for: ClientFor) -> None:
    client = client_for(chain["alex"])
    cert = chain["others"]

    queue = client.get("/time/certifications/")
    with unchanged():
        response = client.post(
            f"/time/certifications/{cert.pk}/decide/",
            {"step": "manager", "decision": "approve", "reason": "no timesheets"},
        )

    assert queue.status_code == 403
    assert refusal_page(views.ERR_MAY_NOT_CERTIFY) in queue.content.decode()
    assert response.status_code == 403
    step = cert_services.ERR_WRONG_ROLE.format(role="delivery manager")
    assert refusal_page(step) in response.content.decode()


def test_a_manager_may_not_certify_someone_elses_report(
    chain: dict[str, Any], client_for: ClientFor
) -> None:
    cert = chain["others"]
    client = client_for(chain["manager"])
    with unchanged():
        response = client.post(
            f"/time/certifications/{cert.pk}/decide/",
            {"step": "manager", "decision": "approve", "reason": "no timesheets"},
        )
    assert response.status_code == 403
    message = cert_services.ERR_NOT_THEIR_MANAGER.format(name=cert.person.name)
    assert refusal_page(message) in response.content.decode()


def test_an_unknown_certification_is_404(chain: dict[str, Any], client_for: ClientFor) -> None:
    response = client_for(chain["head"]).get("/time/certifications/999999/")
    assert response.status_code == 404
    message = cert_selectors.ERR_NO_CERTIFICATION.format(id=999999)
    assert refusal_page(message) in response.content.decode()


def test_the_report_links_download_the_quarter(
    chain: dict[str, Any], client_for: ClientFor
) -> None:
    client = client_for(chain["manager"])
    cert = chain["generated"]
    html = client.get(f"/time/certifications/{cert.pk}/").content.decode()
    link = f"/api/v1/time/reports/{chain['alex'].pk}?year=2026&amp;quarter=3&amp;format="

    assert f'href="{link}xlsx"' in html
    response = client.get(f"/api/v1/time/reports/{chain['alex'].pk}?year=2026&quarter=3&format=csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


# ------------------------------------------------------------------ quarterly report


def test_my_quarterly_report(make_person: MakePerson, client_for: ClientFor) -> None:
    pse = make_person(Role.PSE)
    docs = WorkItemFactory.create(title="Write the runbook")
    log(pse, docs, 0, "7.5")
    log(pse, docs, 1, "8")

    response = client_for(pse).get("/time/report/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Hours report · FY27 Q4" in html
    assert "<dt>Total</dt><dd>15.50 h</dd>" in html
    assert "Write the runbook" in html
    assert "2026-W47" in html
    assert f"/api/v1/time/reports/{pse.pk}?year=2027&amp;quarter=4&amp;format=xlsx" in html
    # my own weeks open in My week
    assert '<a href="/time/?week=2026-11-16">2026-W47</a>' in html


@pytest.mark.parametrize(
    ("query", "status", "error"),
    [
        ("year=2027&quarter=9", 200, None),
        ("year=1&quarter=1", 422, report_selectors.ERR_YEAR),
        ("quarter=2", 422, report_selectors.ERR_BOTH),
    ],
)
def test_a_bad_quarter_shows_the_current_one(
    make_person: MakePerson, query: str, status: int, error: str | None, client_for: ClientFor
) -> None:
    pse = make_person(Role.PSE)
    response = client_for(pse).get(f"/time/report/?{query}")
    assert response.status_code == status
    html = response.content.decode()
    assert "Hours report · FY27 Q4" in html
    if error is None:
        assert 'role="alert"' not in html
    else:
        assert (
            f'<div class="error-summary" role="alert"><p><strong>{escape(error)}</strong> '
            "Showing the current quarter.</p>"
        ) in html


def test_someone_elses_report_is_refused(make_person: MakePerson, client_for: ClientFor) -> None:
    pse = make_person(Role.PSE)
    other = make_person(Role.PSE)
    theirs = client_for(pse).get(f"/time/report/?person_id={other.pk}")
    nobodys = client_for(pse).get("/time/report/?person_id=99999999")
    assert theirs.status_code == 403
    assert refusal_page(selectors.ERR_TIME_NOT_YOURS) in theirs.content.decode()
    assert nobodys.status_code == 404
    missing = people_selectors.ERR_NO_PERSON.format(id=99999999)
    assert refusal_page(missing) in nobodys.content.decode()


def test_a_manager_picks_a_report_and_gets_the_team_workbook(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    manager = make_person(Role.DELIVERY_MANAGER, name="Marcus Chen")
    alex = make_person(Role.PSE, name="Alex Rivera", manager=manager)
    log(alex, WorkItemFactory.create(title="Docs"), 0, "6")

    response = client_for(manager).get(f"/time/report/?person_id={alex.pk}&year=2027&quarter=4")

    html = response.content.decode()
    assert response.status_code == 200
    assert f'<option value="{alex.pk}" selected>Alex Rivera</option>' in html
    assert "<dt>Total</dt><dd>6 h</dd>" in html
    # Alex's weeks are not the manager's own: no link to the manager's My week
    assert "<td>2026-W47 <span" in html
    assert 'href="/time/?week=' not in html
    assert 'action="/time/report/team/"' in html
    assert "Prepare every report of the team (FY27 Q4, ZIP)" in html  # managers read everyone's

    # when they ask for every report of the team, the job page follows it
    response = client_for(manager).post(
        "/time/report/team/", {"year": 2027, "quarter": 4, "manager_id": manager.pk}
    )
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/jobs/{job.pk}/"
    html = client_for(manager).get(response["Location"]).content.decode()
    assert "Hours reports FY27 Q4, Marcus Chen&#x27;s team" in html
    assert f'href="/api/v1/jobs/{job.pk}/file"' in html
    assert f"hours-FY27-Q4-manager-{manager.pk}.zip" in html
    assert "hx-trigger" not in html  # finished: no more polling


def test_a_team_lead_exports_only_their_own_team(
    make_person: MakePerson,
    client_for: ClientFor,
) -> None:
    # a PSE who leads one other PSE may export their own team only
    manager = make_person(Role.PSE)
    make_person(Role.PSE, manager=manager)
    other = make_person(Role.DELIVERY_MANAGER)
    html = client_for(manager).get("/time/report/?year=2027&quarter=4").content.decode()
    assert f'name="manager_id" value="{manager.pk}"' in html
    assert "Prepare every report of my team" in html
    response = client_for(manager).post(
        "/time/report/team/", {"year": 2027, "quarter": 4, "manager_id": other.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == "/time/report/"
    assert not Job.objects.exists()
    bad = client_for(manager).post("/time/report/team/", {"quarter": "9"})
    assert bad.status_code == 302
    assert not Job.objects.exists()


def test_stopping_no_timer_and_submitting_a_future_week_are_refused(
    make_person: MakePerson,
    client_for: ClientFor,
) -> None:
    pse = make_person(Role.PSE)
    client = client_for(pse)

    with unchanged():
        stop = client.post("/time/timer/stop/")
        future = client.post("/time/submit/", {"week": "2026-11-30"})

    assert stop.status_code == 409
    assert refused_summary(services.ERR_NO_TIMER) in stop.content.decode()
    assert future.status_code == 422
    message = services.ERR_WEEK_FUTURE.format(week="2026-11-30")
    assert refused_summary(message) in future.content.decode()


@pytest.mark.parametrize(
    "query", ["week=2026-13-45", "week=x&add=abc", "add=99999999999999999999", "add=424242"]
)
def test_odd_query_strings_show_the_current_week(
    make_person: MakePerson, query: str, client_for: ClientFor
) -> None:
    pse = make_person(Role.PSE)
    response = client_for(pse).get(f"/time/?{query}")
    assert response.status_code == 200
    assert "Mon 23 Nov – Sun 29 Nov 2026" in response.content.decode()


def test_a_post_without_a_week_changes_nothing(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    pse = make_person(Role.PSE)
    docs = WorkItemFactory.create(title="Docs")
    response = client_for(pse).post("/time/", {"row": [docs.pk], cell(docs, 0): "8"})
    assert response.status_code == 302
    assert not TimeEntry.objects.exists()


# ------------------------------------------------------------------ new work items from the pages


def test_a_pse_creates_a_work_item_under_a_category_from_the_week_page(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    pse = make_person(Role.PSE)
    client = client_for(pse)
    html = client.get(f"/time/?week={WEEK}").content.decode()
    practice = category("Internal Assisted", "Practice Development")
    assert f'<option value="{practice.pk}">Practice Development</option>' in html
    major = practice.parent
    assert major is not None
    assert f'<option value="{major.pk}">' not in html[html.index('id="new-item-epic"') :]

    response = client.post(
        "/time/work-items/new/",
        {"title": "  Conference talk: runners at scale ", "epic_id": practice.pk, "week": WEEK},
    )

    item = WorkItem.objects.get(title="Conference talk: runners at scale")
    assert response.status_code == 302
    assert response["Location"] == f"/time/?week={WEEK}&add={item.pk}"
    assert (item.epic, item.engagement, item.author) == (practice, None, pse)
    assert list(item.assignees.all()) == [pse]
    week = client.get(response["Location"]).content.decode()
    assert f'name="{cell(item, 0)}"' in week  # a row to log on
    groups = dict(selectors.loggable_work_items(person=pse))
    assert item in groups["Internal Assisted / Practice Development"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": "Talk", "epic": "major"}, "epic_id", services.ERR_MAJOR_EPIC),
        ({"title": "   ", "epic": "category"}, "title", services.ERR_TITLE),
        ({"title": "Talk"}, "epic_id", ERR_CHOOSE_CATEGORY),
    ],
)
def test_a_bad_work_item_from_the_week_page_is_refused_and_nothing_is_created(
    make_person: MakePerson, fields: dict[str, str], field: str, message: str, client_for: ClientFor
) -> None:
    pse = make_person(Role.PSE)
    practice = category("Internal Assisted", "Practice Development")
    assert practice.parent is not None
    epic = {"major": practice.parent.pk, "category": practice.pk}.get(fields.pop("epic", ""), "")
    client = client_for(pse)

    with unchanged():
        response = client.post("/time/work-items/new/", {**fields, "epic_id": epic, "week": WEEK})

    assert response.status_code == 422
    html = response.content.decode()
    assert refused_summary(views.ERR_ITEM_NOT_CREATED) in html
    assert errors_list(message) in html
    marked = "new-item-title" if field == "title" else "new-item-epic"
    assert f'id="{marked}" name="{"title" if field == "title" else "epic_id"}"' in html


def test_a_work_item_is_created_on_an_engagement_from_its_page(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    pse = make_person(Role.PSE)
    engagement = EngagementFactory.create(name="Globex migration", status=Status.ACTIVE)
    project = category("Project Work", "All project hours")
    client = client_for(pse)
    page_html = client.get(f"/engagements/{engagement.pk}/").content.decode()
    assert 'id="work-items"' in page_html
    assert "Knowledge Sharing" not in page_html[page_html.index('id="work-items"') :]

    response = client.post(
        "/time/work-items/new/",
        {"title": "Runner cut-over", "epic_id": project.pk, "engagement_id": engagement.pk},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/engagements/{engagement.pk}/#work-items"
    item = WorkItem.objects.get(title="Runner cut-over")
    assert (item.engagement, item.epic, item.billable) == (engagement, project, True)
    log(pse, item, 0, "2,5")
    page_html = client.get(f"/engagements/{engagement.pk}/").content.decode()
    row = (
        '<td>Runner cut-over</td><td class="small">All project hours</td><td class="num">2.50</td>'
    )
    assert row in page_html

    with unchanged():
        refused = client.post(
            "/time/work-items/new/",
            {"title": "", "epic_id": project.pk, "engagement_id": engagement.pk},
        )
    page = client.get(refused["Location"]).content.decode()
    assert flash(views.ERR_ITEM_NOT_CREATED_BECAUSE.format(reasons=services.ERR_TITLE)) in page


@pytest.mark.parametrize(
    ("roles", "shown"),
    [
        ((Role.PSE,), False),
        ((Role.PROJECT_COORDINATOR,), False),
        ((Role.DELIVERY_MANAGER,), True),
        ((Role.HEAD_OF_PS,), True),
        ((Role.FINANCE_PARTNER,), True),
    ],
)
def test_the_certifications_tab_shows_only_to_those_whose_queue_it_is(
    make_person: MakePerson, client_for: ClientFor, roles: tuple[str, ...], shown: bool
) -> None:
    client = client_for(make_person(*roles))
    link = '<a href="/time/certifications/" >Certifications</a>'
    for path in ("/time/", "/time/report/", "/time/epics/"):
        assert (link in client.get(path).content.decode()) is shown, path
    # the tab is shown exactly where the page opens
    assert client.get("/time/certifications/").status_code == (200 if shown else 403)


def test_a_locked_day_is_marked_in_words_not_a_glyph(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    pse = make_person(Role.PSE)
    _locked_quarter(pse)
    page = client_for(pse).get("/time/", {"week": MON.isoformat()}).content.decode()
    assert page.count('<span class="small badge">locked</span>') == 7
    assert "🔒" not in page
