"""Migration 0010 on a database with time and approvals in it: the summary per person and
month starts equal to the entries, approvals' digests take the order-independent form, and an
approval whose recorded entries are the entries there are now records the months' change
count (so the queue need not compare it entry by entry), while one on other entries does not."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from psa.core import clock
from psa.core.roles import Actor, Role
from psa.people.models import Person
from psa.timetracking import epics, rollup, rules, services
from psa.timetracking.certification import selectors as cert_selectors
from psa.timetracking.certification import services as cert_services
from psa.timetracking.models import CertificationStep, Epic, PersonMonth, TimeEntry
from tests.engagements.factories import EngagementFactory
from tests.helpers import latest_migrations_after, migrate_to
from tests.timetracking.factories import WorkItemFactory, category

pytestmark = pytest.mark.django_db(transaction=True)
DAY = dt.date(2026, 11, 16)
NOW = dt.datetime(2027, 2, 3, 9, tzinfo=dt.UTC)
BEFORE = [("timetracking", "0009_internal_time_category")]
AFTER = [("timetracking", "0010_person_month")]


@pytest.fixture(autouse=True)
def _epic_tree(transactional_db: None) -> None:
    # A transactional test before this one flushed the tree its migration seeds.
    epics.seed(Epic)


def _old_digest(entries: dict[str, list[Any]]) -> str:
    # The digest before 0010: SHA-256 of the sorted entries.
    lines = "\n".join(
        f"{pk}|{d}|{w}|{h}" for pk, (d, w, h) in sorted((int(k), v) for k, v in entries.items())
    )
    return hashlib.sha256(lines.encode()).hexdigest()


@pytest.fixture(autouse=True)
def _latest_after() -> Iterator[None]:
    # The test stops at 0010; the migrations after it are applied again for the tests after this.
    with latest_migrations_after():
        yield


def test_the_summary_and_the_digests_start_from_what_is_there(
    make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    with clock.frozen(NOW):
        manager = make_person(Role.DELIVERY_MANAGER)
        same, changed = (make_person(Role.PSE, manager=manager) for _ in range(2))
        billable = WorkItemFactory.create(
            engagement=EngagementFactory.create(),
            epic=category("Project Work", "All project hours"),
        )
        certs = {}
        for pse in (same, changed):
            for offset, item, hours in ((0, billable, "6"), (1, WorkItemFactory.create(), "2.25")):
                services.time_entry_create(
                    actor=actor_of(pse),
                    person=pse,
                    work_item=item,
                    date=DAY + dt.timedelta(days=offset),
                    hours=hours,
                )
            cert = cert_services.certification_generate(
                actor=actor_of(manager), person=pse, year=2027, quarter=4
            )
            certs[pse.pk] = cert_services.certification_decide(
                actor=actor_of(manager),
                certification=cert,
                step="manager",
                approve=True,
                reason="weeks not submitted",
            )
        # An entry that reached neither the chain nor its rule (as if written before it).
        extra = TimeEntry.objects.create(
            person=changed,
            work_item=billable,
            date=DAY + dt.timedelta(days=2),
            hours=Decimal("1.00"),
            created_at=NOW,
            updated_at=NOW,
        )
        rollup.apply([rollup.added(extra)])
        want = rollup.computed_months()
        approvals = {
            s.certification.person_id: s
            for s in CertificationStep.objects.select_related("certification")
        }
        new_digests = {pid: s.digest for pid, s in approvals.items()}

    migrate_to(BEFORE)
    with connection.cursor() as cursor:
        for step in approvals.values():
            cursor.execute(
                "UPDATE timetracking_certificationstep SET digest = %s WHERE id = %s",
                [_old_digest(step.entries), step.pk],
            )
    migrate_to(AFTER)

    # the months are the entries', each counted as written once
    assert {k: (*v[:3], *v[4:]) for k, v in rollup.stored_months().items()} == {
        k: (*v[:3], *v[4:]) for k, v in want.items()
    }
    assert set(PersonMonth.objects.values_list("changes", flat=True)) == {1}
    assert rollup.verify() == []
    # the digests are the new form of the entries each approval recorded
    steps = {
        s.certification.person_id: s
        for s in CertificationStep.objects.select_related("certification")
    }
    assert {pid: s.digest for pid, s in steps.items()} == new_digests
    # the approval on unchanged entries records the count; the other is compared
    assert steps[same.pk].changes == 1
    assert steps[changed.pk].changes is None
    with clock.frozen(NOW):
        views = {
            v.cert.person_id: v for v in cert_selectors.certification_views(list(certs.values()))
        }
    assert views[same.pk].changes == rules.EntryChanges()
    assert views[changed.pk].changes == rules.EntryChanges(added=(extra.pk,))
