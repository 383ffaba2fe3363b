"""The certification queue's reading: the views of many certifications, the queue page and the
API list read them all with a fixed number of queries, and the batched read gives what the read
of one certification gives (figures, changes since the standing approval, the steps)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from psa.core import clock
from psa.core.roles import Actor, Role
from psa.people.models import Person
from psa.timetracking import rollup, rules, services
from psa.timetracking.certification import selectors as cert_selectors
from psa.timetracking.certification import services as cert_services
from psa.timetracking.models import QuarterlyCertification, TimeEntry, WorkItem
from tests.engagements.factories import EngagementFactory
from tests.timetracking.factories import WorkItemFactory, category

pytestmark = pytest.mark.django_db
D = Decimal
NOW = dt.datetime(2027, 2, 3, 9, tzinfo=dt.UTC)  # FY27 Q4 (1 Nov 2026 - 31 Jan 2027) has ended
DAY = dt.date(2026, 11, 16)
REASON = "no timesheets in this test"
WAITING = "manager_certified,head_approved"


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


@dataclass
class Org:
    manager: Person
    head: Person
    approver: Person  # head of PS and finance partner: both queues on one page
    billable: WorkItem
    internal: WorkItem
    make_person: Callable[..., Person]
    actor_of: Callable[[Person], Actor]
    certs: list[QuarterlyCertification] = field(default_factory=list)

    def a(self, person: Person) -> Actor:
        return self.actor_of(person)

    def decide(
        self,
        cert: QuarterlyCertification,
        who: Person,
        step: str,
        approve: bool = True,
        back_to: str = "person",
    ) -> QuarterlyCertification:
        return cert_services.certification_decide(
            actor=self.a(who),
            certification=cert,
            step=step,
            approve=approve,
            reason=REASON if approve else "wrong project",
            back_to=back_to,
        )

    def add(self, count: int) -> None:
        """`count` more people with a quarter of entries, certified by their manager; every
        third one approved by the head of PS too."""
        for _ in range(count):
            n = len(self.certs)
            pse = self.make_person(Role.PSE, manager=self.manager)
            me = self.a(pse)
            for offset, item, hours in ((0, self.billable, "6"), (1, self.internal, "2.5")):
                services.time_entry_create(
                    actor=me,
                    person=pse,
                    work_item=item,
                    date=DAY + dt.timedelta(days=offset),
                    hours=hours,
                )
            cert = cert_services.certification_generate(
                actor=self.a(self.manager), person=pse, year=2027, quarter=4
            )
            cert = self.decide(cert, self.manager, "manager")
            if n % 3 == 2:
                cert = self.decide(cert, self.head, "head")
            self.certs.append(cert)


@pytest.fixture
def org(make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]) -> Org:
    manager = make_person(Role.DELIVERY_MANAGER)
    return Org(
        manager=manager,
        head=make_person(Role.HEAD_OF_PS),
        approver=make_person(Role.HEAD_OF_PS, Role.FINANCE_PARTNER),
        billable=WorkItemFactory.create(
            engagement=EngagementFactory.create(),
            epic=category("Project Work", "All project hours"),
        ),
        internal=WorkItemFactory.create(),
        make_person=make_person,
        actor_of=actor_of,
    )


def past_the_chain(person: Person, item: WorkItem, day: dt.date, hours: str) -> TimeEntry:
    """An entry written without the services (as a direct import would): the chain is not
    told, so a standing approval no longer names the entries there are."""
    entry = TimeEntry.objects.create(
        person=person,
        work_item=item,
        date=day,
        hours=D(hours),
        created_at=NOW,
        updated_at=NOW,
    )
    rollup.apply([rollup.added(entry)])
    return entry


def count_queries(call: Callable[[], Any]) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as queries:
        answer = call()
    return len(queries), answer


def page_rows(client: Client) -> int:
    response = client.get("/time/certifications/")
    assert response.status_code == 200
    return response.content.decode().count('<tr id="cert-')


READERS: dict[str, Callable[[Org, Callable[[Person], Client]], Callable[[], int]]] = {
    "views": lambda org, _: (
        lambda: len(
            cert_selectors.certification_views(
                list(cert_selectors.certifications_for(actor=org.a(org.approver), status=WAITING))
            )
        )
    ),
    "page": lambda org, _: lambda: page_rows(_signed_in(org.approver)),
    "api": lambda org, api_as: (
        lambda: len(api_as(org.approver).get("/api/v1/time/certifications").json()["items"])
    ),
}


def _signed_in(person: Person) -> Client:
    client = Client()
    assert person.user is not None
    client.force_login(person.user)
    return client


@pytest.mark.parametrize("reader", list(READERS))
def test_ten_certifications_are_read_with_the_queries_of_three(
    org: Org, api_as: Callable[[Person], Client], reader: str
) -> None:
    org.add(3)
    # One of them changed since its approval: the entries it approved are read and compared.
    past_the_chain(org.certs[0].person, org.internal, DAY + dt.timedelta(days=2), "1")
    read = READERS[reader](org, api_as)

    with_three, seen_three = count_queries(read)
    org.add(7)
    with_ten, seen_ten = count_queries(read)

    assert (seen_three, seen_ten) == (3, 10)
    assert with_ten == with_three


def test_the_batched_views_are_the_views_of_each_certification(org: Org) -> None:
    org.add(4)
    changed = org.certs[1]
    added = past_the_chain(changed.person, org.internal, DAY + dt.timedelta(days=2), "1")
    edited = TimeEntry.objects.get(person=changed.person, date=DAY)
    rollup.apply([rollup.removed(edited)])
    TimeEntry.objects.filter(pk=edited.pk).update(hours=D("5.00"))
    edited.refresh_from_db()
    rollup.apply([rollup.added(edited)])
    gone = TimeEntry.objects.get(person=changed.person, date=DAY + dt.timedelta(days=1))
    rollup.apply([rollup.removed(gone)])
    gone_id = gone.pk
    gone.delete()

    views = cert_selectors.certification_views(
        list(cert_selectors.certifications_for(actor=org.a(org.approver), status=WAITING))
    )

    by_id = {v.id: v for v in views}
    assert by_id[changed.pk].changes == rules.EntryChanges(
        added=(added.pk,), changed=(edited.pk,), removed=(gone_id,)
    )
    assert (by_id[changed.pk].total_hours, by_id[changed.pk].billable_hours) == (
        D("6.00"),
        D("5.00"),
    )
    for cert in org.certs:
        cert.refresh_from_db()
        one = cert_selectors.certification_view(cert)
        batched = by_id[cert.pk]
        assert batched.figures == one.figures
        assert batched.digest == one.digest
        assert batched.changes == one.changes
        assert batched.changes == cert_selectors.changes_since_approval(
            cert, cert_selectors.figures_of(cert)
        )
        assert [s.pk for s in batched.steps] == [s.pk for s in one.steps]
    unchanged = [by_id[c.pk] for c in org.certs if c.pk != changed.pk]
    assert [bool(v.changes) for v in unchanged] == [False, False, False]
    assert [(v.total_hours, v.billable_hours) for v in unchanged] == [(D("8.50"), D("6.00"))] * 3


def test_the_queue_page_lists_what_changed_since_the_approval(org: Org) -> None:
    org.add(1)
    added = past_the_chain(org.certs[0].person, org.internal, DAY + dt.timedelta(days=2), "1")

    html = _signed_in(org.approver).get("/time/certifications/").content.decode()

    assert escape(f"Since the last approval: Time entries added #{added.pk}") in html


def test_a_views_steps_are_every_step_in_order_and_only_the_current_round_stands(
    org: Org, api_as: Callable[[Person], Client]
) -> None:
    org.add(1)
    cert = org.certs[0]
    cert = org.decide(cert, org.head, "head", approve=False, back_to="manager")
    cert = org.decide(cert, org.manager, "manager")
    past_the_chain(cert.person, org.internal, DAY + dt.timedelta(days=3), "1.25")

    view = cert_selectors.certification_views([cert])[0]
    listed = api_as(org.approver).get("/api/v1/time/certifications").json()["items"]

    assert [(s.step, s.approved) for s in view.steps] == [
        ("manager", True),
        ("head", False),
        ("manager", True),
    ]
    assert [(s["step"], s["approved"]) for s in listed[0]["steps"]] == [
        ("manager", True),
        ("head", False),
        ("manager", True),
    ]
    # Compared with the second manager approval, the one standing: one entry added since.
    assert len(view.changes.added) == 1
    assert (view.changes.changed, view.changes.removed) == ((), ())
    assert listed[0]["changes"] == {"added": list(view.changes.added), "changed": [], "removed": []}


def test_the_queue_page_pages_each_section_on_its_own(
    org: Org, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cert_selectors, "QUEUE_PAGE", 3)
    org.add(5)  # four wait for the head of PS, one (the third) for finance
    waiting_head = [c for c in org.certs if c.status == "manager_certified"]
    order = [
        c.pk
        for c in cert_selectors.certifications_for(
            actor=org.a(org.approver), status="manager_certified"
        )
    ]
    assert sorted(order) == sorted(c.pk for c in waiting_head)
    client = client_for(org.approver)

    first = client.get("/time/certifications/").content.decode()
    second = client.get(f"/time/certifications/?page_{Role.HEAD_OF_PS}=2").content.decode()
    beyond = client.get(f"/time/certifications/?page_{Role.HEAD_OF_PS}=9").content.decode()

    def rows(html: str) -> list[int]:
        return [pk for pk in (c.pk for c in org.certs) if f'<tr id="cert-{pk}"' in html]

    finance = [c.pk for c in org.certs if c.status == "head_approved"]
    assert sorted(rows(first)) == sorted(order[:3] + finance)
    assert sorted(rows(second)) == sorted(order[3:] + finance)
    assert rows(beyond) == rows(second)  # past the end: the last page
    assert "Page 1 of 2 (4 in all)" in first
    assert f'href="/time/certifications/?page_{Role.HEAD_OF_PS}=2" rel="next"' in first
    assert "Page 2 of 2 (4 in all)" in second


def test_the_api_pages_the_certifications_and_takes_several_statuses(
    org: Org, api_as: Callable[[Person], Client]
) -> None:
    org.add(5)
    api = api_as(org.approver)

    page = api.get(f"/api/v1/time/certifications?status={WAITING}&page_size=2&page=3").json()

    everyone = [
        c.pk for c in cert_selectors.certifications_for(actor=org.a(org.approver), status=WAITING)
    ]
    assert (page["count"], page["page"], page["pages"]) == (5, 3, 3)
    assert [c["id"] for c in page["items"]] == everyone[4:]
    assert page["items"][0]["total_hours"] == "8.50"
