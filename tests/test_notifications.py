"""Notifications: who is told of each request decision, each once, with the link to its page;
the login's own list (read, unread, mark read), which leaves out what they may no longer read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from psa.core import clock, notifications
from psa.core.models import Notification
from psa.core.roles import SYSTEM, Actor, Role
from psa.core.tasks import notification_email
from psa.engagements.models import Engagement, Status
from psa.home import selectors as home
from psa.people.models import Person
from psa.scheduling import services
from psa.scheduling.models import AssignmentRequest
from psa.scheduling.selectors import RECORD_REQUEST
from psa.timetracking.certification import services as cert_services
from psa.timetracking.certification.selectors import RECORD_CERTIFICATION
from tests.engagements.factories import EngagementFactory
from tests.helpers import unchanged

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC)


@pytest.fixture
def team(make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]) -> Any:
    class Team:
        pc = make_person(Role.PROJECT_COORDINATOR, name="Priya Coordinator")
        pc2 = make_person(Role.PROJECT_COORDINATOR, name="Quinn Coordinator")
        manager = make_person(Role.DELIVERY_MANAGER, name="Marcus Manager")
        pse = make_person(Role.PSE, name="Alex Consultant")
        other = make_person(Role.PSE, name="Bea Consultant")
        engagement: Engagement = EngagementFactory.create(status=Status.ACTIVE, probability=100)

        def actor(self, person: Person) -> Actor:
            return actor_of(person)

    return Team()


def ask(team: Any, **kw: Any) -> AssignmentRequest:
    args: dict[str, Any] = {
        "engagement": team.engagement,
        "person": team.pse,
        "start_date": dt.date(2026, 12, 8),
        "end_date": dt.date(2026, 12, 10),
        "hours": Decimal("24"),
    }
    args.update(kw)
    return services.request_create(actor=team.actor(team.manager), **args)


def told(person: Person) -> list[tuple[str, str, str, int | None]]:
    return [
        (n.text, n.url, n.record_kind, n.record_id)
        for n in Notification.objects.filter(user=person.user).order_by("id")
    ]


def test_a_new_request_tells_every_coordinator_and_not_the_requester(
    team: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        request = ask(team)
    text = services.MSG_REQUEST_NEW.format(
        requester="Marcus Manager",
        person="Alex Consultant",
        engagement=str(team.engagement),
        start="2026-12-08",
        end="2026-12-10",
        amount="24 h in total",
        id=request.pk,
    )
    url = f"/schedule/requests/{request.pk}/"
    assert told(team.pc) == [(text, url, RECORD_REQUEST, request.pk)]
    assert told(team.pc2) == [(text, url, RECORD_REQUEST, request.pk)]
    assert told(team.manager) == []
    assert told(team.pse) == []
    assert sorted(m.to[0] for m in mail.outbox) == sorted([team.pc.user.email, team.pc2.user.email])
    assert mail.outbox[0].body == (
        f"{text}\n\nOpen it in PSA: http://127.0.0.1:8000{url}\n\n"
        "All your notifications: http://127.0.0.1:8000/notifications/"
    )


def test_a_booking_tells_the_requester_and_the_booked_person_once_each(team: Any) -> None:
    request = ask(team)
    booking = services.request_confirm(actor=team.actor(team.pc), request=request)
    url = f"/schedule/requests/{request.pk}/"
    assert [t[0] for t in told(team.manager)] == [
        f"Assignment request #{request.pk} confirmed as booking #{booking.pk} (confirmed): "
        "Alex Consultant, 2026-12-08 to 2026-12-10, 24.00 h."
    ]
    assert told(team.pse) == [
        (
            services.MSG_BOOKED.format(
                engagement=str(team.engagement),
                start=dt.date(2026, 12, 8),
                end=dt.date(2026, 12, 10),
                hours=Decimal("24.00"),
                firmness="confirmed",
                booking=booking.pk,
            ),
            url,
            RECORD_REQUEST,
            request.pk,
        )
    ]
    # The coordinator who decided is told nothing new (only of the request, when it came).
    assert [t[0] for t in told(team.pc)] == [told(team.pc2)[0][0]]


def test_a_cancellation_tells_the_person_whose_booking_it_was(team: Any) -> None:
    booking = services.request_confirm(actor=team.actor(team.pc), request=ask(team))
    cancel = ask(team, action=AssignmentRequest.Action.CANCEL, booking=booking)
    services.request_confirm(actor=team.actor(team.pc), request=cancel)
    assert [t[0] for t in told(team.pse)][-1] == services.MSG_UNBOOKED.format(
        booking=booking.pk,
        engagement=str(team.engagement),
        start=dt.date(2026, 12, 8),
        end=dt.date(2026, 12, 10),
        what="cancelled",
    )


def test_a_decline_and_a_withdrawal_by_the_coordinator_tell_the_requester(team: Any) -> None:
    first = ask(team)
    services.request_decline(actor=team.actor(team.pc), request=first, reason="Alex is away")
    second = ask(team)
    services.request_withdraw(actor=team.actor(team.pc), request=second)
    assert [t[0] for t in told(team.manager)] == [
        f"Assignment request #{first.pk} declined: Alex is away",
        services.MSG_WITHDRAWN.format(
            id=second.pk,
            person="Alex Consultant",
            engagement=str(team.engagement),
            who="Priya Coordinator",
        ),
    ]


def test_the_requester_withdrawing_their_own_request_tells_nobody(team: Any) -> None:
    request = ask(team)
    before = Notification.objects.count()
    services.request_withdraw(actor=team.actor(team.manager), request=request)
    assert Notification.objects.count() == before


def test_an_event_with_a_key_is_recorded_once_and_e_mailed_once(
    team: Any, django_capture_on_commit_callbacks: Any
) -> None:
    user = team.pse.user
    with django_capture_on_commit_callbacks(execute=True):
        first = notifications.notify(user=user, text="Hello", url="/", subject="Hi", key="k1")
        again = notifications.notify(user=user, text="Hello", url="/", subject="Hi", key="k1")
    assert first is not None
    assert again is None
    assert Notification.objects.filter(user=user).count() == 1
    assert len(mail.outbox) == 1
    # The worker running the task again (a retry) finds it sent and sends nothing.
    notification_email.call(notification_id=first.pk)
    assert len(mail.outbox) == 1
    first.refresh_from_db()
    assert first.emailed_at is not None


def test_without_a_subject_it_is_in_app_only(
    team: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        note = notifications.notify(user=team.pse.user, text="Just so you know", url="/")
    assert note is not None
    assert mail.outbox == []
    assert notification_email.call(notification_id=note.pk) == 0


# ------------------------------------------------------------------ the list


def page_ids(client: Client, query: str = "") -> list[int]:
    response = client.get("/notifications/" + query)
    assert response.status_code == 200
    return [n.pk for n in response.context["listing"].items]


def test_the_list_shows_only_the_logins_own_newest_first_and_counts_the_unread(
    team: Any, client_for: Callable[[Person], Client]
) -> None:
    a = notifications.notify(user=team.pse.user, text="First", url="/time/")
    b = notifications.notify(user=team.pse.user, text="Second", url="/schedule/me/")
    notifications.notify(user=team.other.user, text="Not yours", url="/")
    assert a is not None
    assert b is not None
    client = client_for(team.pse)
    assert page_ids(client) == [b.pk, a.pk]
    response = client.get("/")
    assert response.context["unread_notifications"] == 2
    assert b'aria-label="2 unread"' in response.content


def test_mark_read_open_and_mark_all_shown(
    team: Any, client_for: Callable[[Person], Client]
) -> None:
    a = notifications.notify(user=team.pse.user, text="First", url="/time/")
    b = notifications.notify(user=team.pse.user, text="Second", url="/schedule/me/")
    c = notifications.notify(user=team.pse.user, text="Third", url="")
    assert a is not None
    assert b is not None
    assert c is not None
    client = client_for(team.pse)
    response = client.post(f"/notifications/{a.pk}/read/", {"next": "/notifications/"})
    assert response.status_code == 302
    assert page_ids(client, "?show=unread") == [c.pk, b.pk]
    # Opening goes to its page and marks it read.
    response = client.post(f"/notifications/{b.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == "/schedule/me/"
    assert page_ids(client, "?show=unread") == [c.pk]
    # "Mark all shown read" marks what the page showed, not what arrived after it was drawn.
    d = notifications.notify(user=team.pse.user, text="Fourth", url="")
    assert d is not None
    client.post("/notifications/read/", {"id": [str(c.pk)], "next": "/notifications/?show=unread"})
    assert page_ids(client, "?show=unread") == [d.pk]


def test_someone_elses_notification_cannot_be_read_or_opened(
    team: Any, client_for: Callable[[Person], Client]
) -> None:
    theirs = notifications.notify(user=team.other.user, text="Bea's", url="/")
    assert theirs is not None
    client = client_for(team.pse)
    with unchanged():
        assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
        assert client.post(f"/notifications/{theirs.pk}/open/").status_code == 404
        client.post("/notifications/read/", {"id": [str(theirs.pk)]})


def test_an_open_link_leaves_psa_never(team: Any, client_for: Callable[[Person], Client]) -> None:
    note = notifications.notify(user=team.pse.user, text="x", url="https://evil.example/")
    assert note is not None
    response = client_for(team.pse).post(f"/notifications/{note.pk}/open/")
    assert response["Location"] == "/notifications/"


def test_a_notification_about_a_record_the_person_may_no_longer_read_is_not_shown(
    team: Any, make_person: Callable[..., Person], client_for: Callable[[Person], Client]
) -> None:
    # A team lead without a manager's role reads their own reports' time, and no one else's.
    lead = make_person(Role.PSE, name="Lee Lead")
    assert lead.user is not None
    team.pse.manager = lead
    team.pse.save(update_fields=["manager"])
    cert = cert_services.certification_generate(actor=SYSTEM, person=team.pse, year=2027, quarter=3)
    about_cert = notifications.notify(
        user=lead.user, text="Alex's hours", url="/", record=(RECORD_CERTIFICATION, cert.pk)
    )
    unknown = notifications.notify(user=lead.user, text="?", url="/", record=("nowhere.thing", 1))
    assert about_cert is not None
    assert unknown is not None
    client = client_for(lead)
    assert page_ids(client) == [about_cert.pk]  # an unregistered kind is never shown
    # Alex moves to another manager: Lee may no longer read Alex's time.
    team.pse.manager = team.other
    team.pse.save(update_fields=["manager"])
    assert page_ids(client) == []
    assert client.get("/").context["unread_notifications"] == 0
    # A request that no longer exists takes its notifications off the list.
    request = ask(team)
    about_request = Notification.objects.get(user=team.pc.user, record_id=request.pk)
    pc = client_for(team.pc)
    assert page_ids(pc) == [about_request.pk]
    AssignmentRequest.objects.filter(pk=request.pk).delete()
    assert page_ids(pc) == []


def test_every_kind_of_record_the_services_name_has_a_visibility_check() -> None:
    assert set(home.VISIBLE) == {RECORD_REQUEST, RECORD_CERTIFICATION}


def test_an_empty_list_says_so(team: Any, client_for: Callable[[Person], Client]) -> None:
    response = client_for(team.pse).get("/notifications/?show=unread")
    assert b"Nothing unread." in response.content
    assert response.context["unread_notifications"] == 0


# ------------------------------------------------------------------ the API


def test_the_api_lists_and_marks_ones_own(team: Any, api_as: Callable[[Person], Client]) -> None:
    a = notifications.notify(user=team.pse.user, text="First", url="/time/")
    b = notifications.notify(user=team.pse.user, text="Second", url="")
    theirs = notifications.notify(user=team.other.user, text="Bea's", url="/")
    assert a is not None
    assert b is not None
    assert theirs is not None
    api = api_as(team.pse)
    body = api.get("/api/v1/notifications?unread=true").json()
    assert [(n["id"], n["text"], n["url"]) for n in body["items"]] == [
        (b.pk, "Second", ""),
        (a.pk, "First", "/time/"),
    ]
    assert body["has_next"] is False
    response = api.post(f"/api/v1/notifications/{a.pk}/read", content_type="application/json")
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    with unchanged():
        response = api.post(
            f"/api/v1/notifications/{theirs.pk}/read", content_type="application/json"
        )
        assert response.status_code == 404
        response = api.post(
            "/api/v1/notifications/read", {"ids": [theirs.pk]}, content_type="application/json"
        )
        assert response.json() == {"marked": 0}
    response = api.post("/api/v1/notifications/read", {}, content_type="application/json")
    assert response.json() == {"marked": 1}
    assert api.get("/api/v1/notifications?unread=true").json()["items"] == []


# ------------------------------------------------------------------ names, not logins


def test_a_request_names_who_asked_and_who_decided_as_people_know_them(
    team: Any, client_for: Callable[[Person], Client]
) -> None:
    request = ask(team)
    services.request_decline(actor=team.actor(team.pc), request=request, reason="Alex is away")
    request.refresh_from_db()
    assert (request.requested_by_name, request.decided_by_name) == (
        "Marcus Manager",
        "Priya Coordinator",
    )
    owed = client_for(team.manager).get("/").context["owed"]
    assert f"Your request #{request.pk} for Alex Consultant was declined by Priya Coordinator" in [
        o.text for o in owed
    ]


@pytest.mark.django_db(transaction=True)
def test_the_migration_puts_names_in_place_of_logins(team: Any) -> None:
    from tests.helpers import latest_migrations_after, migrate_to

    request = ask(team)
    assert team.manager.user is not None
    with latest_migrations_after():
        migrate_to([("scheduling", "0003_bookingday_date_index")])
        AssignmentRequest.objects.filter(pk=request.pk).update(
            requested_by_name=team.manager.user.username, decided_by_name="someone.gone"
        )
        migrate_to([("scheduling", "0004_request_names")])
    request.refresh_from_db()
    # A login that has a person reads as their name; one that has none stays as it was.
    assert (request.requested_by_name, request.decided_by_name) == (
        "Marcus Manager",
        "someone.gone",
    )
