"""Scheduling pages: the board and a week's panel, the request form and its live check, the
coordinator's queue and request review, the weekly review, and "My schedule"."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from psa.core import clock, numbers
from psa.core.roles import SYSTEM, Role
from psa.engagements.models import Engagement, Status
from psa.people import selectors as people_selectors
from psa.people import services as people_services
from psa.people.models import Person, Skill
from psa.scheduling import feeds, review, selectors, services
from psa.scheduling.models import AssignmentRequest, Booking, CalendarFeed
from psa.scheduling.rules import WeekFigures, load_level
from psa.scheduling.views import ERR_NOT_A_DATE
from tests.core.test_views import _Controls
from tests.engagements.factories import EngagementFactory
from tests.helpers import (
    MARKED_FIELDS,
    NOT_A_DATE,
    NOT_A_LISTED_CHOICE,
    NOT_A_WHOLE_NUMBER,
    NUL_NOT_ALLOWED,
    REQUIRED,
    at_least,
    at_most,
    field_error,
    form_error,
    inline_error,
    refusal_page,
    refused_summary,
    unchanged,
)
from tests.timetracking.factories import category

pytestmark = pytest.mark.django_db
D = Decimal
MakePerson = Callable[..., Person]
ClientFor = Callable[[Person], Client]
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)  # a Wednesday
MON = dt.date(2026, 12, 7)  # no US holiday that week


def day(offset: int) -> dt.date:
    return MON + dt.timedelta(days=offset)


@pytest.fixture(autouse=True)
def _today() -> Any:
    with clock.frozen(NOW):
        yield


def htmx_get(client: Client, path: str) -> Any:
    return client.get(path, headers={"HX-Request": "true"})


def htmx_post(client: Client, path: str, data: dict[str, str]) -> Any:
    return client.post(path, data, headers={"HX-Request": "true"})


def book(
    person: Person,
    start: dt.date,
    end: dt.date,
    hours: str,
    *,
    engagement: Engagement | None = None,
    per_day: bool = False,
    override: str = "",
) -> Booking:
    engagement = engagement or EngagementFactory.create(status=Status.ACTIVE)
    request = services.request_create(
        actor=SYSTEM,
        engagement=engagement,
        person=person,
        start_date=start,
        end_date=end,
        hours=D(hours),
        per_day=per_day,
        override_reason=override,
    )
    return services.request_confirm(actor=SYSTEM, request=request, override_reason=override)


@pytest.fixture
def pc(make_person: MakePerson) -> Person:
    return make_person(Role.PROJECT_COORDINATOR, name="Priya Coordinator")


@pytest.fixture
def alex(make_person: MakePerson) -> Person:
    return make_person(Role.PSE, name="Alex Rivera")


@pytest.fixture
def sam(make_person: MakePerson) -> Person:
    return make_person(Role.PSE, name="Sam Patel")


@pytest.fixture
def manager(make_person: MakePerson) -> Person:
    return make_person(Role.DELIVERY_MANAGER, name="Marcus Chen")


@pytest.fixture
def engagement() -> Engagement:
    return EngagementFactory.create(name="GitLab Migration Services", status=Status.ACTIVE)


def cell_class(html: str, person: Person, monday: dt.date) -> str:
    """The class of the board's cell for a person and week."""
    match = re.search(
        rf'<td class="([^"]*)">\s*<a href="/schedule/board/{person.pk}/{monday.isoformat()}/"',
        html,
    )
    assert match, (person, monday)
    return match.group(1)


# ------------------------------------------------------------------ navigation and access


@pytest.mark.parametrize(
    "path",
    [
        "/schedule/",
        "/schedule/requests/",
        "/schedule/requests/new/",
        "/schedule/review/",
        "/schedule/me/",
        "/schedule/board/1/2026-12-07/",
    ],
)
def test_anonymous_is_sent_to_sign_in(db: None, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_main_navigation_links_the_schedule(alex: Person, client_for: ClientFor) -> None:
    html = client_for(alex).get("/").content.decode()
    assert '<a href="/schedule/"' in html


def test_every_control_on_the_scheduling_pages_has_a_label(
    pc: Person, alex: Person, engagement: Engagement, client_for: ClientFor
) -> None:
    book(alex, day(0), day(4), "40")
    conflict = services.request_create(
        actor=SYSTEM,
        engagement=engagement,
        person=alex,
        start_date=day(1),
        end_date=day(2),
        hours=D("16"),
    )
    services.internal_time_create(
        actor=SYSTEM,
        person=pc,
        task_name="Practice development",
        start_date=day(7),
        end_date=day(7),
        hours=D("2"),
    )
    services.feed_create(actor=SYSTEM, person=pc)
    client = client_for(pc)
    for path in [
        "/schedule/",
        f"/schedule/board/{alex.pk}/{MON}/",
        "/schedule/requests/",
        "/schedule/requests/new/",
        f"/schedule/requests/{conflict.pk}/",
        "/schedule/review/",
        "/schedule/me/",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        parser = _Controls()
        parser.feed(response.content.decode())
        for control in parser.controls:
            assert control.get("id") in parser.label_for, (path, control)


# ------------------------------------------------------------------ the board


@pytest.mark.parametrize(
    ("figures", "level"),
    [
        ({"capacity": D("40")}, "free"),
        ({"capacity": D("40"), "confirmed": D("8")}, "light"),
        ({"capacity": D("40"), "confirmed": D("24")}, "busy"),
        ({"capacity": D("40"), "confirmed": D("32"), "internal": D("8")}, "full"),
        ({"capacity": D("40"), "confirmed": D("32"), "tentative": D("16")}, "over"),
        ({"capacity": D("40"), "confirmed": D("8"), "over_days": [MON]}, "over"),
        ({"capacity": D("0")}, "none"),
        ({"capacity": D("0"), "internal": D("4")}, "over"),
    ],
)
def test_load_levels(figures: dict[str, Any], level: str) -> None:
    assert load_level(WeekFigures(MON, **figures)) == level


def test_the_board_shows_pses_by_week_with_hours_and_load(
    pc: Person, alex: Person, sam: Person, client_for: ClientFor
) -> None:
    book(alex, day(0), day(2), "24")  # 24 of 40 h in the week of 7 Dec
    book(sam, day(0), day(4), "40")  # full
    book(sam, day(7), day(7), "10", override="go-live")  # over capacity on Mon 14 Dec
    pipeline = EngagementFactory.create(status=Status.PIPELINE, probability=60)
    book(alex, day(7), day(8), "8", engagement=pipeline)  # tentative

    response = client_for(pc).get("/schedule/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Alex Rivera" in html
    assert "Sam Patel" in html
    assert f'href="/people/{pc.pk}/"' not in html  # PSEs by default
    assert html.count('<th scope="col" class="week') == 8
    assert "23 Nov" in html
    assert "11 Jan" in html
    assert cell_class(html, alex, MON) == "load busy"
    assert cell_class(html, sam, MON) == "load full"
    assert cell_class(html, sam, day(7)) == "load over"
    assert cell_class(html, alex, day(7)) == "load light tentative"
    assert cell_class(html, alex, day(14)) == "load free"
    assert '24<span class="cap">/40</span>' in html
    assert "8 tent." in html
    # Thanksgiving (Thu 26 Nov) is a US holiday, so this week has 32 h
    assert 'aria-label="Alex Rivera, week of 23 Nov: 0.00 of 32.00 hours planned (free)"' in html


def test_board_filters_by_role_skill_and_country(
    pc: Person, alex: Person, make_person: MakePerson, client_for: ClientFor
) -> None:
    kube = make_person(Role.PSE, name="Kim Kube", country="FR")
    kube.skills.add(Skill.objects.create(name="Kubernetes"))
    client = client_for(pc)

    everyone = client.get("/schedule/?role=").content.decode()
    skilled = client.get("/schedule/?skill=kubernetes").content.decode()
    french = client.get("/schedule/?country=fr").content.decode()
    coordinators = client.get("/schedule/?role=project_coordinator").content.decode()

    assert f'href="/people/{pc.pk}/"' in everyone
    assert "Alex Rivera" in everyone
    assert "Kim Kube" in skilled
    assert "Alex Rivera" not in skilled
    assert "Kim Kube" in french
    assert "Alex Rivera" not in french
    assert f'href="/people/{pc.pk}/"' in coordinators
    assert "Alex Rivera" not in coordinators


def test_board_weeks_and_week_navigation(pc: Person, alex: Person, client_for: ClientFor) -> None:
    client = client_for(pc)
    html = client.get("/schedule/?start=2026-12-09&weeks=12").content.decode()
    assert html.count('<th scope="col" class="week') == 12
    assert "Mon 7 Dec – Sun 27 Feb 2027" not in html  # the end is a Sunday
    assert "Mon 7 Dec – Sun 28 Feb 2027" in html
    assert 'href="?start=2026-11-30&amp;weeks=12&amp;role=pse" rel="prev"' in html
    assert 'href="?start=2026-12-14&amp;weeks=12&amp;role=pse" rel="next"' in html
    assert "This week</a>" in html


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("?weeks=99", [inline_error("id_weeks", at_most(review.MAX_WEEKS))]),
        ("?weeks=0", [inline_error("id_weeks", at_least(1))]),
        ("?weeks=x", [inline_error("id_weeks", NOT_A_WHOLE_NUMBER)]),
        ("?start=2026-13-01", [inline_error("id_start", NOT_A_DATE)]),
        (
            "?skill=%00&country=%00",
            [
                inline_error("id_skill", NUL_NOT_ALLOWED),
                inline_error("id_country", NUL_NOT_ALLOWED),
            ],
        ),
    ],
)
def test_bad_board_filters_fall_back_and_say_so(
    pc: Person, alex: Person, query: str, errors: list[str], client_for: ClientFor
) -> None:
    response = client_for(pc).get(f"/schedule/{query}")
    assert response.status_code == 200
    html = response.content.decode()
    for error in errors:
        assert error in html
    assert html.count('role="alert"') == len(errors)
    if "%00" not in query:
        assert "Alex Rivera" in html
        assert html.count('<th scope="col" class="week') == 8


def test_board_queries_do_not_grow_with_people(
    pc: Person, make_person: MakePerson, client_for: ClientFor
) -> None:
    def board_queries() -> int:
        client = client_for(pc)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/schedule/?weeks=12")
        assert response.status_code == 200
        return len(ctx.captured_queries)

    def add_people(n: int) -> None:
        for i in range(n):
            person = make_person(Role.PSE, country=["US", "FR", "DE"][i % 3])
            book(person, day(i % 5), day(i % 5 + 2), "4", per_day=True)
            if i % 4 == 0:
                people_services.time_off_create(
                    actor=SYSTEM, person=person, start_date=day(14), end_date=day(15)
                )

    add_people(5)
    few = board_queries()
    add_people(45)
    many = board_queries()

    assert many == few
    assert many <= 12
    html = client_for(pc).get("/schedule/?weeks=12").content.decode()
    assert html.count('<td class="load') == 50 * 12


def test_a_week_cell_shows_bookings_and_daily_loads(
    pc: Person, alex: Person, engagement: Engagement, client_for: ClientFor
) -> None:
    booking = book(alex, day(0), day(9), "8", engagement=engagement, per_day=True)
    client = client_for(pc)

    panel = htmx_get(client, f"/schedule/board/{alex.pk}/{day(2)}/")  # any day of the week
    page = client.get(f"/schedule/board/{alex.pk}/{MON}/")

    assert panel.status_code == 200
    html = panel.content.decode()
    assert "<html" not in html
    assert "Alex Rivera · week of Mon 7 Dec 2026" in html
    assert escape("GitLab Migration Services") in html
    assert f'id="booking-{booking.pk}"' in html
    assert '<td class="num">40.00</td>' in html  # this week's part of the 80 h booking
    assert '<td class="num">64.00</td>' in html
    assert html.count("<time datetime=") == 7  # Monday to Sunday
    assert "40.00 h planned of 40.00 h capacity · 0.00 h free" in html
    assert f"?person_id={alex.pk}&amp;start_date=2026-12-07&amp;end_date=2026-12-11" in html
    assert page.status_code == 200
    full = page.content.decode()
    assert "<html" in full
    assert "Alex Rivera · week of Mon 7 Dec 2026" in full


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/schedule/board/{pk}/2026-02-30/", ERR_NOT_A_DATE),
        ("/schedule/board/{pk}/tomorrow/", ERR_NOT_A_DATE),
        ("/schedule/board/999999/2026-12-07/", people_selectors.ERR_NO_PERSON.format(id=999999)),
        (
            "/schedule/board/100000000000000000000/2026-12-07/",
            people_selectors.ERR_NO_PERSON.format(id=10**20),
        ),
    ],
)
def test_a_bad_week_or_person_is_a_404(
    pc: Person, path: str, message: str, client_for: ClientFor
) -> None:
    response = client_for(pc).get(path.format(pk=pc.pk))
    assert response.status_code == 404
    assert refusal_page(message) in response.content.decode()


# ------------------------------------------------------------------ the request form


def request_data(engagement: Engagement, person: Person, **overrides: str) -> dict[str, str]:
    data = {
        "engagement_id": str(engagement.pk),
        "person_id": str(person.pk),
        "start_date": day(1).isoformat(),
        "end_date": day(3).isoformat(),
        "hours": "24",
        "skill": "Migration",
        "note": "Kick-off week",
        "override_reason": "",
    }
    data.update(overrides)
    return data


def test_the_request_form_offers_bookable_engagements_only(
    manager: Person, alex: Person, engagement: Engagement, client_for: ClientFor
) -> None:
    EngagementFactory.create(name="Pipeline deal", status=Status.PIPELINE)
    EngagementFactory.create(name="Finished work", status=Status.COMPLETE)
    EngagementFactory.create(name="Dropped deal", status=Status.CANCELLED)

    response = client_for(manager).get(
        f"/schedule/requests/new/?person_id={alex.pk}&start_date=2026-12-08"
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "GitLab Migration Services (active)" in html
    assert "Pipeline deal (pipeline)" in html
    assert "Finished work" not in html
    assert "Dropped deal" not in html
    assert f'<option value="{alex.pk}" selected>Alex Rivera</option>' in html
    assert 'value="2026-12-08"' in html
    assert '<label class="check" for="id_per_day">' in html
    assert 'hx-post="/schedule/requests/check/"' in html


def test_a_request_is_sent_and_shown(
    manager: Person, alex: Person, pc: Person, engagement: Engagement, client_for: ClientFor
) -> None:
    client = client_for(manager)

    response = client.post(
        "/schedule/requests/new/",
        request_data(engagement, alex, hours="7.5", per_day="on"),
        follow=True,
    )

    made = AssignmentRequest.objects.get()
    assert response.redirect_chain[0] == (f"/schedule/requests/{made.pk}/", 302)
    assert made.hours == D("7.50")
    assert made.per_day is True
    assert (made.person, made.engagement) == (alex, engagement)
    assert (made.start_date, made.end_date) == (day(1), day(3))
    assert made.skill == "Migration"
    assert made.note == "Kick-off week"
    assert made.requested_by == manager.user
    assert made.comment is not None
    assert "Kick-off week" in made.comment.body
    html = response.content.decode()
    assert f"Request #{made.pk} sent to the project coordinator." in html
    assert "Fits: Alex Rivera has the 22.50 h free" in html
    assert "Decide" not in html  # a delivery manager does not decide
    assert "Withdraw request" in html  # but may withdraw their own request


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"start_date": "2026-12-10", "end_date": "2026-12-08"},
            "end_date",
            services.ERR_END_BEFORE_START,
        ),
        ({"hours": "8 hrs"}, "hours", numbers.ERR_HOURS_TEXT.format(value="8 hrs")),
        ({"hours": "NaN"}, "hours", numbers.ERR_HOURS_TEXT.format(value="NaN")),
        ({"hours": "0"}, "hours", services.ERR_HOURS),
        ({"hours": "1.234"}, "hours", numbers.ERR_HOURS_PLACES.format(value="1.234")),
        (
            {"hours": "1,500"},
            "hours",
            numbers.ERR_HOURS_AMBIGUOUS.format(value="1,500", decimal="1.5", whole="1500"),
        ),
        ({"start_date": "2026-02-30"}, "start_date", NOT_A_DATE),
        (
            {"start_date": "2026-12-12", "end_date": "2026-12-13"},  # a weekend
            "start_date",
            services.ERR_NO_WORKING_DAYS.format(name="Alex Rivera"),
        ),
        (
            {"hours": "10", "per_day": "on"},
            "hours",
            services.ERR_OVER_CAPACITY.format(
                hours="10.00", date="2026-12-08", name="Alex Rivera", capacity="8.00"
            ),
        ),
        ({"engagement_id": "999999"}, "engagement_id", NOT_A_LISTED_CHOICE),
        ({"person_id": ""}, "person_id", REQUIRED),
        ({"note": "a\x00b"}, "note", NUL_NOT_ALLOWED),
    ],
)
def test_bad_requests_are_422_with_the_field_error_and_create_nothing(
    manager: Person,
    alex: Person,
    engagement: Engagement,
    overrides: dict[str, str],
    field: str,
    message: str,
    client_for: ClientFor,
) -> None:
    client = client_for(manager)
    with unchanged():
        response = client.post(
            "/schedule/requests/new/", request_data(engagement, alex, **overrides)
        )

    assert response.status_code == 422
    html = response.content.decode()
    assert form_error(MARKED_FIELDS) in html
    assert field_error(f"id_{field}", message) in html


def test_a_finished_engagement_cannot_be_requested(
    manager: Person, alex: Person, engagement: Engagement, client_for: ClientFor
) -> None:
    engagement.status = Status.COMPLETE
    engagement.save()
    client = client_for(manager)
    with unchanged():
        response = client.post("/schedule/requests/new/", request_data(engagement, alex))
    assert response.status_code == 422
    # The form offers only bookable engagements: a finished one is not a choice.
    html = response.content.decode()
    assert field_error("id_engagement_id", NOT_A_LISTED_CHOICE) in html


def test_over_capacity_with_an_override_reason_is_sent(
    manager: Person, alex: Person, engagement: Engagement, client_for: ClientFor
) -> None:
    response = client_for(manager).post(
        "/schedule/requests/new/",
        request_data(engagement, alex, hours="10", per_day="on", override_reason="go-live"),
    )
    assert response.status_code == 302
    assert AssignmentRequest.objects.get().hours == D("10.00")


def test_a_duplicate_request_is_a_409(
    manager: Person, alex: Person, engagement: Engagement, client_for: ClientFor
) -> None:
    client = client_for(manager)
    assert client.post("/schedule/requests/new/", request_data(engagement, alex)).status_code == 302
    with unchanged():
        response = client.post("/schedule/requests/new/", request_data(engagement, alex))
    assert response.status_code == 409
    first = AssignmentRequest.objects.get()
    message = services.ERR_DUPLICATE.format(id=first.pk)
    assert field_error("id_start_date", message) in response.content.decode()


# ------------------------------------------------------------------ the live check


def check_data(person: Person, **overrides: str) -> dict[str, str]:
    data = {
        "person_id": str(person.pk),
        "start_date": day(1).isoformat(),
        "end_date": day(3).isoformat(),
        "hours": "24",
    }
    data.update(overrides)
    return data


def test_the_live_check_says_it_fits(manager: Person, alex: Person, client_for: ClientFor) -> None:
    response = htmx_post(client_for(manager), "/schedule/requests/check/", check_data(alex))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert "Fits: Alex Rivera has the 24.00 h free on 3 working days" in html
    assert html.count("✓<span") == 3
    assert "✗" not in html
    assert AssignmentRequest.objects.count() == 0


def test_the_live_check_says_where_it_does_not_fit(
    manager: Person, alex: Person, client_for: ClientFor
) -> None:
    book(alex, day(0), day(1), "12")  # 6 h a day on Mon and Tue: 2 h free on Tue
    people_services.time_off_create(
        actor=SYSTEM, person=alex, start_date=day(2), end_date=day(2), hours_per_day=D("4")
    )

    response = htmx_post(
        client_for(manager),
        "/schedule/requests/check/",
        check_data(alex, start_date=day(1).isoformat(), hours="4", per_day="on"),
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Does not fit: 1 of 3 working days short." in html
    assert "Tue 8 Dec: 4.00 h asked, 2.00 h free" in html
    assert "4.00 h off" in html  # Wednesday's time off, and 4 h still free
    assert html.count("✗<span") == 1
    assert html.count("✓<span") == 2
    assert "You can still send the request" in html
    assert AssignmentRequest.objects.filter(status="open").count() == 0


def test_the_live_check_hints_until_the_form_is_filled(
    manager: Person, alex: Person, client_for: ClientFor
) -> None:
    response = htmx_post(
        client_for(manager), "/schedule/requests/check/", {"person_id": str(alex.pk)}
    )
    assert response.status_code == 200
    assert "Choose a person, the dates and the hours" in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"hours": "8 hrs"}, "Hours: " + numbers.ERR_HOURS_TEXT.format(value="8 hrs")),
        (
            {"start_date": "2026-12-10", "end_date": "2026-12-08"},
            f"End date: {services.ERR_END_BEFORE_START}",
        ),
        (
            {"start_date": "2026-12-12", "end_date": "2026-12-13"},
            "Start date: " + services.ERR_NO_WORKING_DAYS.format(name="Alex Rivera"),
        ),
        (
            {"hours": "12", "per_day": "on"},
            "Hours: "
            + services.ERR_OVER_CAPACITY.format(
                hours="12.00", date="2026-12-08", name="Alex Rivera", capacity="8.00"
            ),
        ),
        ({"person_id": "100000000000000000000"}, f"Person: {NOT_A_LISTED_CHOICE}"),
    ],
)
def test_the_live_check_shows_field_errors_not_a_500(
    manager: Person, alex: Person, overrides: dict[str, str], message: str, client_for: ClientFor
) -> None:
    client = client_for(manager)
    with unchanged():
        response = htmx_post(client, "/schedule/requests/check/", check_data(alex, **overrides))
    assert response.status_code == 422
    html = response.content.decode()
    assert (
        '<div class="error-summary" role="alert">\n  <p><strong>Cannot check this yet:</strong>'
        f'</p>\n  <ul class="errorlist"><li>{escape(message)}</li></ul>'
    ) in html


def test_the_live_check_accepts_an_override_and_then_shows_the_shortfall(
    manager: Person, alex: Person, client_for: ClientFor
) -> None:
    response = htmx_post(
        client_for(manager),
        "/schedule/requests/check/",
        check_data(alex, hours="10", per_day="on", override_reason="go-live"),
    )
    assert response.status_code == 200
    assert "Tue 8 Dec: 10.00 h asked, 8.00 h free" in response.content.decode()


def test_without_javascript_the_check_renders_the_whole_form(
    manager: Person, alex: Person, engagement: Engagement, client_for: ClientFor
) -> None:
    response = client_for(manager).post("/schedule/requests/check/", request_data(engagement, alex))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    assert "Send request" in html
    assert "Fits: Alex Rivera has the 24.00 h free" in html
    assert 'value="Kick-off week"' in html or "Kick-off week</textarea>" in html
    assert AssignmentRequest.objects.count() == 0


# ------------------------------------------------------------------ the queue and the review


@pytest.fixture
def conflict(
    manager: Person, alex: Person, sam: Person, engagement: Engagement, actor_of: Any
) -> AssignmentRequest:
    """Alex is fully booked on 7-11 Dec; a request for Tue-Wed conflicts. Sam is free."""
    book(alex, day(0), day(4), "40")
    return services.request_create(
        actor=actor_of(manager),
        engagement=engagement,
        person=alex,
        start_date=day(1),
        end_date=day(2),
        hours=D("16"),
    )


@pytest.fixture
def fitting(
    manager: Person, sam: Person, engagement: Engagement, actor_of: Any
) -> AssignmentRequest:
    return services.request_create(
        actor=actor_of(manager),
        engagement=engagement,
        person=sam,
        start_date=day(14),
        end_date=day(15),
        hours=D("16"),
    )


def test_the_queue_lists_open_requests_with_fits_or_conflict(
    pc: Person, conflict: AssignmentRequest, fitting: AssignmentRequest, client_for: ClientFor
) -> None:
    declined = services.request_create(
        actor=SYSTEM,
        engagement=fitting.engagement,
        person=fitting.person,
        start_date=day(21),
        end_date=day(21),
        hours=D("8"),
    )
    services.request_decline(actor=SYSTEM, request=declined, reason="Not needed")
    client = client_for(pc)

    html = client.get("/schedule/requests/").content.decode()
    every = client.get("/schedule/requests/?status=").content.decode()
    declined_only = client.get("/schedule/requests/?status=declined").content.decode()

    assert f'href="/schedule/requests/{conflict.pk}/"' in html
    assert f'href="/schedule/requests/{fitting.pk}/"' in html
    assert f'href="/schedule/requests/{declined.pk}/"' not in html
    assert html.count("✗ Conflict") == 1
    assert html.count("✓ Fits") == 1
    assert html.index(f"#{conflict.pk}<") < html.index(f"#{fitting.pk}<")  # oldest first
    assert f'href="/schedule/requests/{declined.pk}/"' in every
    assert "Declined" in declined_only
    assert f"#{conflict.pk}<" not in declined_only


def test_the_request_page_shows_the_review_shortfalls_and_proposals(
    pc: Person, conflict: AssignmentRequest, alex: Person, sam: Person, client_for: ClientFor
) -> None:
    response = client_for(pc).get(f"/schedule/requests/{conflict.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Does not fit: 2 of 2 working days short." in html
    assert "Tue 8 Dec: 8.00 h asked, 0.00 h free" in html
    assert "Wed 9 Dec: 8.00 h asked, 0.00 h free" in html
    proposals = selectors.request_review(request=conflict).proposals
    assert {p.kind for p in proposals} >= {"window", "person", "spread"}
    for p in proposals:
        assert f'name="confirm-proposal" value="{p.key}"' in html
    assert "Sam Patel</strong>, Tue 8 Dec – Wed 9 Dec 2026, 16.00 h" in html
    # what is in the way, by engagement
    booked = Booking.objects.get(person=alex)
    assert booked.engagement is not None
    assert (
        f'<tr><td><a href="/engagements/{booked.engagement_id}/">'
        f"{escape(booked.engagement.customer.name)} — {escape(booked.engagement.name)}</a></td>"
        '<td class="nowrap">Mon 7 Dec – Fri 11 Dec</td><td class="num">40.00</td>'
        '<td><span class="badge k-confirmed">Confirmed</span></td></tr>'
    ) in html
    assert "Confirm over capacity" in html
    assert "Decline" in html
    assert f'href="/engagements/{conflict.engagement_id}/#comment-{conflict.comment_id}"' in html


def test_a_pse_sees_the_review_but_no_decision_buttons(
    alex: Person, conflict: AssignmentRequest, client_for: ClientFor
) -> None:
    html = client_for(alex).get(f"/schedule/requests/{conflict.pk}/").content.decode()
    assert "Does not fit" in html
    assert "Book this" not in html
    assert "Confirm over capacity" not in html
    assert "Reason for declining" not in html
    assert "Withdraw request" not in html  # Alex did not ask


def test_confirming_a_fitting_request_books_it(
    pc: Person, fitting: AssignmentRequest, client_for: ClientFor
) -> None:
    client = client_for(pc)
    html = client.get(f"/schedule/requests/{fitting.pk}/").content.decode()
    assert "Fits: Sam Patel has the 16.00 h free on 2 working days" in html

    response = client.post(f"/schedule/requests/{fitting.pk}/confirm/", {}, follow=True)

    booking = Booking.objects.get()
    assert response.redirect_chain[0] == (f"/schedule/requests/{fitting.pk}/", 302)
    fitting.refresh_from_db()
    assert fitting.status == AssignmentRequest.Status.CONFIRMED
    assert (booking.person_id, booking.start_date, booking.end_date) == (
        fitting.person_id,
        day(14),
        day(15),
    )
    assert booking.hours == D("16.00")
    assert booking.firmness == "confirmed"
    page = response.content.decode()
    assert f"Request #{fitting.pk} confirmed: booking #{booking.pk} booked." in page
    assert f"/schedule/board/{booking.person_id}/2026-12-21/#booking-{booking.pk}" in page


def test_a_conflict_is_not_confirmed_without_a_reason(
    pc: Person, conflict: AssignmentRequest, client_for: ClientFor
) -> None:
    client = client_for(pc)
    with unchanged():
        response = client.post(
            f"/schedule/requests/{conflict.pk}/confirm/", {"confirm-override_reason": "  "}
        )

    assert response.status_code == 409
    html = response.content.decode()
    days = [day(1), day(2)]
    shortfalls = ", ".join(
        services.ERR_SHORTFALL.format(date=d, requested="8.00", free="0.00") for d in days
    )
    assert refused_summary(services.ERR_DOES_NOT_FIT.format(details=shortfalls)) in html
    short = [services.ERR_SHORT.format(date=d, short="8.00") for d in days]
    assert field_error("id_confirm-override_reason", *short) in html


def test_confirm_over_capacity_with_a_reason(
    pc: Person, conflict: AssignmentRequest, client_for: ClientFor
) -> None:
    response = client_for(pc).post(
        f"/schedule/requests/{conflict.pk}/confirm/",
        {"confirm-override_reason": "Customer go-live cannot move"},
    )
    assert response.status_code == 302
    booking = Booking.objects.get(request=conflict)
    assert booking.over_capacity_reason == "Customer go-live cannot move"
    conflict.refresh_from_db()
    assert conflict.status == AssignmentRequest.Status.CONFIRMED


def test_booking_a_proposal_books_it(
    pc: Person, conflict: AssignmentRequest, sam: Person, client_for: ClientFor
) -> None:
    proposal = next(
        p for p in selectors.request_review(request=conflict).proposals if p.kind == "person"
    )

    response = client_for(pc).post(
        f"/schedule/requests/{conflict.pk}/confirm/", {"confirm-proposal": proposal.key}
    )

    assert response.status_code == 302
    booking = Booking.objects.get(request=conflict)
    assert booking.person == sam
    assert (booking.start_date, booking.end_date, booking.hours) == (day(1), day(2), D("16"))
    conflict.refresh_from_db()
    assert conflict.status == AssignmentRequest.Status.CONFIRMED
    assert conflict.decision_reason == proposal.reason


def test_a_stale_proposal_is_a_409_and_books_nothing(
    pc: Person, conflict: AssignmentRequest, client_for: ClientFor
) -> None:
    key = f"window:{conflict.person_id}:2020-01-06:2020-01-07"
    client = client_for(pc)
    with unchanged():
        response = client.post(
            f"/schedule/requests/{conflict.pk}/confirm/", {"confirm-proposal": key}
        )
    assert response.status_code == 409
    message = services.ERR_PROPOSAL_GONE.format(key=key)
    assert refused_summary(message) in response.content.decode()


def test_decline_needs_a_reason(
    pc: Person, fitting: AssignmentRequest, client_for: ClientFor
) -> None:
    client = client_for(pc)
    with unchanged():
        refused = client.post(f"/schedule/requests/{fitting.pk}/decline/", {"decline-reason": " "})
    assert refused.status_code == 422
    html = refused.content.decode()
    assert form_error(MARKED_FIELDS, prefix="decline") in html
    assert field_error("id_decline-reason", services.ERR_REASON) in html

    response = client.post(
        f"/schedule/requests/{fitting.pk}/decline/",
        {"decline-reason": "Sam is reserved for training"},
        follow=True,
    )

    fitting.refresh_from_db()
    assert fitting.status == AssignmentRequest.Status.DECLINED
    assert fitting.decision_reason == "Sam is reserved for training"
    html = response.content.decode()
    assert "Reason: Sam is reserved for training" in html
    assert "Decide" not in html


@pytest.mark.parametrize("action", ["confirm", "decline"])
def test_a_pse_may_not_decide(
    alex: Person, fitting: AssignmentRequest, action: str, client_for: ClientFor
) -> None:
    client = client_for(alex)
    with unchanged():
        response = client.post(
            f"/schedule/requests/{fitting.pk}/{action}/", {"decline-reason": "no"}
        )
    assert response.status_code == 403
    assert refusal_page(services.ERR_MAY_NOT_DECIDE) in response.content.decode()


def test_a_decided_request_cannot_be_decided_again(
    pc: Person, fitting: AssignmentRequest, client_for: ClientFor
) -> None:
    client = client_for(pc)
    assert client.post(f"/schedule/requests/{fitting.pk}/confirm/", {}).status_code == 302
    with unchanged():
        response = client.post(f"/schedule/requests/{fitting.pk}/decline/", {"decline-reason": "x"})
    assert response.status_code == 409
    message = services.ERR_NOT_OPEN.format(id=fitting.pk, status="confirmed")
    assert refused_summary(message) in response.content.decode()


def test_the_requester_withdraws_and_others_may_not(
    manager: Person, alex: Person, fitting: AssignmentRequest, client_for: ClientFor
) -> None:
    not_asked = client_for(alex)
    with unchanged():
        refused = not_asked.post(f"/schedule/requests/{fitting.pk}/withdraw/")
    assert refused.status_code == 403
    assert refusal_page(services.ERR_MAY_NOT_WITHDRAW) in refused.content.decode()

    client = client_for(manager)
    response = client.post(f"/schedule/requests/{fitting.pk}/withdraw/", follow=True)

    fitting.refresh_from_db()
    assert fitting.status == AssignmentRequest.Status.WITHDRAWN
    assert f"Request #{fitting.pk} withdrawn." in response.content.decode()
    with unchanged():
        again = client.post(f"/schedule/requests/{fitting.pk}/withdraw/")
    assert again.status_code == 409
    message = services.ERR_NOT_OPEN.format(id=fitting.pk, status="withdrawn")
    assert refused_summary(message) in again.content.decode()


BIG = 10**20


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        ("get", "/schedule/requests/{big}/", selectors.ERR_NO_REQUEST.format(id=BIG)),
        ("post", "/schedule/requests/{big}/confirm/", selectors.ERR_NO_REQUEST.format(id=BIG)),
        ("post", "/schedule/requests/{big}/decline/", selectors.ERR_NO_REQUEST.format(id=BIG)),
        ("post", "/schedule/requests/{big}/withdraw/", selectors.ERR_NO_REQUEST.format(id=BIG)),
        ("post", "/schedule/internal/{big}/cancel/", selectors.ERR_NO_BOOKING.format(id=BIG)),
        ("post", "/schedule/feeds/{big}/revoke/", feeds.ERR_FEED_ID_NOT_FOUND.format(id=BIG)),
        ("get", "/schedule/requests/999999/", selectors.ERR_NO_REQUEST.format(id=999999)),
    ],
)
def test_unknown_ids_are_404(
    pc: Person, method: str, path: str, message: str, client_for: ClientFor
) -> None:
    client = client_for(pc)
    with unchanged():
        response = getattr(client, method)(path.format(big=BIG))
    assert response.status_code == 404
    assert refusal_page(message) in response.content.decode()


def test_decision_urls_refuse_get(
    pc: Person, fitting: AssignmentRequest, client_for: ClientFor
) -> None:
    assert client_for(pc).get(f"/schedule/requests/{fitting.pk}/confirm/").status_code == 405
    fitting.refresh_from_db()
    assert fitting.status == AssignmentRequest.Status.OPEN


# ------------------------------------------------------------------ the weekly review


def test_the_weekly_review_page(
    pc: Person, alex: Person, sam: Person, client_for: ClientFor
) -> None:
    book(alex, day(0), day(4), "40")
    book(alex, day(1), day(1), "4", override="workshop")  # over-booked on Tue 8 Dec
    pipeline = EngagementFactory.create(status=Status.PIPELINE, probability=50)
    book(sam, day(0), day(1), "16", engagement=pipeline)

    response = client_for(pc).get("/schedule/review/?start=2026-12-09&weeks=2")

    assert response.status_code == 200
    html = response.content.decode()
    assert "2 PSEs" in html
    assert "Week of Monday 7 December 2026" in html
    assert "Week of Monday 14 December 2026" in html
    assert "Over-booked: Tue 8" in html
    assert "110.0 %" in html  # Alex: 44 h confirmed of 40
    assert '16.00 <span class="muted small">(8.00)</span>' in html  # Sam's weighted tentative
    assert "20.0 %" in html  # Sam's forecast: 8 weighted of 40
    assert html.count('<span class="badge flag-idle">Idle</span>') >= 2  # Sam, both weeks idle
    assert 'href="/api/v1/scheduling/review.xlsx?start=2026-12-07&amp;weeks=2&amp;role=pse"' in html


def test_the_xlsx_link_works_with_the_session(
    pc: Person, alex: Person, client_for: ClientFor
) -> None:
    response = client_for(pc).get(
        "/api/v1/scheduling/review.xlsx?start=2026-12-07&weeks=2&role=pse"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_weekly_review_default_and_bad_weeks(
    pc: Person, alex: Person, client_for: ClientFor
) -> None:
    client = client_for(pc)
    default = client.get("/schedule/review/").content.decode()
    assert default.count("Week of Monday") == 4
    assert "Week of Monday 23 November 2026" in default
    bad = client.get("/schedule/review/?weeks=27")
    assert bad.status_code == 200
    html = bad.content.decode()
    assert inline_error("id_weeks", at_most(review.MAX_WEEKS)) in html
    assert html.count("Week of Monday") == 4


# ------------------------------------------------------------------ my schedule


def internal_data(**overrides: str) -> dict[str, str]:
    data = {
        "internal-category_id": str(category("Internal Assisted", "Practice Development").pk),
        "internal-task_name": "Practice development: CI templates",
        "internal-start_date": day(7).isoformat(),
        "internal-end_date": day(8).isoformat(),
        "internal-hours": "2",
        "internal-per_day": "on",
        "internal-override_reason": "",
    }
    data.update(overrides)
    return data


def test_my_schedule_shows_my_bookings_internal_time_and_requests(
    alex: Person, manager: Person, engagement: Engagement, client_for: ClientFor
) -> None:
    book(alex, day(0), day(2), "24", engagement=engagement)
    services.internal_time_create(
        actor=SYSTEM,
        person=alex,
        task_name="Mentoring new PSEs",
        start_date=day(3),
        end_date=day(3),
        hours=D("1"),
    )
    services.request_create(
        actor=SYSTEM,
        engagement=engagement,
        person=alex,
        start_date=day(14),
        end_date=day(15),
        hours=D("8"),
    )

    response = client_for(alex).get("/schedule/me/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "GitLab Migration Services" in html
    assert "Mentoring new PSEs" in html
    assert "21 Dec – 22 Dec 2026" in html  # the open request about me
    assert html.count('<li class="load') == 8
    assert "Create a feed of my schedule" in html


def test_a_pse_adds_and_cancels_internal_time(alex: Person, client_for: ClientFor) -> None:
    client = client_for(alex)

    response = client.post("/schedule/me/internal/", internal_data(), follow=True)

    booking = Booking.objects.get()
    assert response.redirect_chain[0] == ("/schedule/me/#internal", 302)
    assert booking.is_internal
    assert booking.person == alex
    assert booking.task_name == "Practice development: CI templates"
    assert (booking.start_date, booking.end_date, booking.hours) == (day(7), day(8), D("4.00"))
    assert "Internal time planned" in response.content.decode()

    cancel = client.post(f"/schedule/internal/{booking.pk}/cancel/", follow=True)

    booking.refresh_from_db()
    assert booking.state == Booking.State.CANCELLED
    assert "Internal time cancelled" in cancel.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"internal-task_name": ""}, "task_name", REQUIRED),
        ({"internal-task_name": "   "}, "task_name", REQUIRED),
        ({"internal-hours": "two"}, "hours", numbers.ERR_HOURS_TEXT.format(value="two")),
        ({"internal-hours": "-1"}, "hours", services.ERR_HOURS),
        (
            {"internal-start_date": "2026-12-15", "internal-end_date": "2026-12-14"},
            "end_date",
            services.ERR_END_BEFORE_START,
        ),
    ],
)
def test_bad_internal_time_is_422_and_creates_nothing(
    alex: Person, overrides: dict[str, str], field: str, message: str, client_for: ClientFor
) -> None:
    client = client_for(alex)
    with unchanged():
        response = client.post("/schedule/me/internal/", internal_data(**overrides))
    assert response.status_code == 422
    html = response.content.decode()
    assert form_error(MARKED_FIELDS, prefix="internal") in html
    assert field_error(f"id_internal-{field}", message) in html


def test_internal_time_over_free_hours_needs_a_reason(alex: Person, client_for: ClientFor) -> None:
    book(alex, day(7), day(8), "16")
    client = client_for(alex)

    with unchanged():
        refused = client.post("/schedule/me/internal/", internal_data())

    assert refused.status_code == 409
    html = refused.content.decode()
    days = [day(7), day(8)]
    shortfalls = ", ".join(
        services.ERR_SHORTFALL.format(date=d, requested="2.00", free="0.00") for d in days
    )
    assert refused_summary(services.ERR_INTERNAL_DOES_NOT_FIT.format(details=shortfalls)) in html
    short = [services.ERR_SHORT.format(date=d, short="2.00") for d in days]
    assert field_error("id_internal-hours", *short) in html

    ok = client.post(
        "/schedule/me/internal/", internal_data(**{"internal-override_reason": "Team offsite"})
    )
    assert ok.status_code == 302
    assert Booking.objects.get(task_name__startswith="Practice").over_capacity_reason == (
        "Team offsite"
    )


def test_nobody_cancels_someone_elses_internal_time(
    alex: Person, sam: Person, client_for: ClientFor
) -> None:
    mine = services.internal_time_create(
        actor=SYSTEM,
        person=alex,
        task_name="Enablement",
        start_date=day(0),
        end_date=day(0),
        hours=D("2"),
    )
    client = client_for(sam)
    with unchanged():
        response = client.post(f"/schedule/internal/{mine.pk}/cancel/")
    assert response.status_code == 403
    assert refusal_page(services.ERR_INTERNAL_NOT_YOURS) in response.content.decode()


def test_a_customer_booking_is_not_cancelled_as_internal_time(
    pc: Person, alex: Person, client_for: ClientFor
) -> None:
    booking = book(alex, day(0), day(0), "8")
    client = client_for(pc)
    with unchanged():
        response = client.post(f"/schedule/internal/{booking.pk}/cancel/")
    assert response.status_code == 422
    assert refused_summary(services.ERR_CUSTOMER_BOOKING) in response.content.decode()


def test_a_login_without_a_person_sees_no_schedule_of_its_own(db: None) -> None:
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_user("root", password="x", is_superuser=True)
    client = Client()
    client.force_login(admin)
    html = client.get("/schedule/me/").content.decode()
    assert (
        "Your login is not linked to a team member, so you have no schedule of its own" not in html
    )
    assert "Your login is not linked to a team member, so you have no schedule of your own." in html
    with unchanged():
        internal = client.post("/schedule/me/internal/", internal_data())
        feed = client.post("/schedule/me/feeds/")
    # The page has no internal time form without a person: the refusal is its status alone.
    assert internal.status_code == 422
    assert feed.status_code == 422
    assert refused_summary(services.ERR_FEED_TEAM_ONLY) in feed.content.decode()


def test_calendar_feeds_are_created_and_revoked(
    alex: Person, sam: Person, client_for: ClientFor
) -> None:
    client = client_for(alex)

    response = client.post("/schedule/me/feeds/", follow=True)

    feed = CalendarFeed.objects.get()
    assert feed.person == alex
    assert feed.revoked_at is None
    assert response.redirect_chain[0] == ("/schedule/me/#feeds", 302)
    html = response.content.decode()
    assert f"http://testserver/feeds/{feed.token}.ics" in html
    assert f"webcal://testserver/feeds/{feed.token}.ics" in html
    assert Client().get(f"/feeds/{feed.token}.ics").status_code == 200

    other = client_for(sam)
    with unchanged():
        refused = other.post(f"/schedule/feeds/{feed.pk}/revoke/")
    assert refused.status_code == 403
    assert refusal_page(services.ERR_FEED_REVOKE) in refused.content.decode()

    revoked = client.post(f"/schedule/feeds/{feed.pk}/revoke/", follow=True)

    feed.refresh_from_db()
    assert feed.revoked_at is not None
    assert feed.token not in revoked.content.decode()
    assert "No calendar feeds yet." in revoked.content.decode()
    assert Client().get(f"/feeds/{feed.token}.ics").status_code == 404


def test_the_board_shows_fifty_people_a_page(make_person: Any, client_for: ClientFor) -> None:
    viewer = make_person(Role.PROJECT_COORDINATOR)
    for i in range(52):
        make_person(Role.PSE, name=f"Pse {i:02d}")
    client = client_for(viewer)
    first = client.get("/schedule/", {"role": "pse"}).content.decode()
    second = client.get("/schedule/", {"role": "pse", "page": "2"}).content.decode()
    assert "Pse 49" in first
    assert "Pse 50" not in first
    assert "Pse 50" in second
    assert "Page 2 of 2 (52 in all)" in second


def test_a_booking_change_and_cancellation_go_through_the_request_form(
    pc: Person, alex: Person, manager: Person, engagement: Engagement, client_for: ClientFor
) -> None:
    booking = book(alex, day(0), day(2), "24", engagement=engagement)
    cell = client_for(manager).get(f"/schedule/board/{alex.pk}/{day(0).isoformat()}/")
    html = cell.content.decode()
    assert f"action=change&amp;booking_id={booking.pk}" in html
    assert f"action=cancel&amp;booking_id={booking.pk}" in html
    form = client_for(manager).get(
        "/schedule/requests/new/", {"action": "change", "booking_id": str(booking.pk)}
    )
    assert f"Asking to change booking #{booking.pk}" in form.content.decode()
    data = request_data(
        engagement, alex, start_date=day(7).isoformat(), end_date=day(9).isoformat(), hours="24"
    )
    data.update({"action": "change", "booking_id": str(booking.pk)})
    response = client_for(manager).post("/schedule/requests/new/", data)
    assert response.status_code == 302, response.content
    change = AssignmentRequest.objects.get(action="change")
    assert change.booking_id == booking.pk
    data.update(
        {"action": "cancel", "start_date": day(0).isoformat(), "end_date": day(2).isoformat()}
    )
    assert client_for(manager).post("/schedule/requests/new/", data).status_code == 302
    assert AssignmentRequest.objects.filter(action="cancel", booking=booking).count() == 1
