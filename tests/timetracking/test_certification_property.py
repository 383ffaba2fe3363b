"""The approval digest and the go-back-on-change rule, for any sequence of edits and approvals:
every approval's figures are the sum of the entries it names, an approval that stands is
always on the entries as they are now, and the queue's figures from the stored summary are the
entries' figures."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psa.core import clock
from psa.core.errors import Conflict, ValidationFailed
from psa.core.roles import Actor, Role
from psa.people.models import Person
from psa.timetracking import rules, services
from psa.timetracking.certification import selectors as cert_selectors
from psa.timetracking.certification import services as cert_services
from psa.timetracking.models import CertificationStep, QuarterlyCertification, TimeEntry
from tests.timetracking.factories import WorkItemFactory

pytestmark = pytest.mark.django_db
D = Decimal
DAYS = [dt.date(2026, 11, 16) + dt.timedelta(days=k) for k in range(5)]
NOW = dt.datetime(2027, 2, 3, 9, tzinfo=dt.UTC)  # FY27 Q4 has ended

hours = st.integers(min_value=1, max_value=16).map(lambda n: D(n) / 4)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.sampled_from(DAYS), hours),
        st.tuples(st.just("edit"), st.integers(min_value=0, max_value=9), hours),
        st.tuples(st.just("delete"), st.integers(min_value=0, max_value=9)),
        st.tuples(st.just("approve")),
        st.tuples(st.just("approve")),
    ),
    max_size=14,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_approved_figures_are_always_the_entries_the_digest_names(
    ops: list[tuple[Any, ...]],
    make_person: Callable[..., Person],
    actor_of: Callable[[Person], Actor],
) -> None:
    with clock.frozen(NOW):
        manager = make_person(Role.DELIVERY_MANAGER)
        deciders = {
            "manager": actor_of(manager),
            "head": actor_of(make_person(Role.HEAD_OF_PS)),
            "finance": actor_of(make_person(Role.FINANCE_PARTNER)),
        }
        pse = make_person(Role.PSE, manager=manager)
        me = actor_of(pse)
        item = WorkItemFactory.create()
        cert = cert_services.certification_generate(
            actor=deciders["manager"], person=pse, year=2027, quarter=4
        )
        for op in ops:
            # Locked time or a day over 24 h is refused, and changes nothing.
            with contextlib.suppress(Conflict, ValidationFailed):
                run(op, me=me, pse=pse, item=item, cert=cert, deciders=deciders)
            check(cert)


def run(
    op: tuple[Any, ...],
    *,
    me: Actor,
    pse: Person,
    item: Any,
    cert: QuarterlyCertification,
    deciders: dict[str, Actor],
) -> None:
    entries = list(TimeEntry.objects.filter(person=pse).order_by("id"))
    if op[0] == "add":
        services.time_entry_create(actor=me, person=pse, work_item=item, date=op[1], hours=op[2])
    elif op[0] == "edit" and entries:
        services.time_entry_update(actor=me, entry=entries[op[1] % len(entries)], hours=op[2])
    elif op[0] == "delete" and entries:
        services.time_entry_delete(actor=me, entry=entries[op[1] % len(entries)])
    elif op[0] == "approve":
        cert.refresh_from_db()
        if cert.status in rules.CHAIN:
            step = rules.CHAIN[cert.status][0]
            view = cert_selectors.certification_view(cert)
            cert_services.certification_decide(
                actor=deciders[step],
                certification=cert,
                step=step,
                approve=True,
                reason="property test: no timesheets",
                digest=view.digest,
            )


def check(cert: QuarterlyCertification) -> None:
    cert.refresh_from_db()
    for step in CertificationStep.objects.filter(certification=cert, approved=True):
        assert step.total_hours == sum((D(h) for _, _, h in step.entries.values()), D("0.00"))
    standing = cert_selectors.approvals_standing(cert)
    now = cert_selectors.figures_of(cert)
    if cert.status != "generated":
        # An approval that stands was given on exactly the entries there are now.
        assert standing, cert.status
        assert standing[-1].digest == now.digest
        assert standing[-1].total_hours == now.total
    live = TimeEntry.objects.filter(person=cert.person).aggregate(t=Sum("hours"))["t"]
    assert now.total == (live or D("0.00"))
    # The queue's figures, read from the stored summary, are the entries' figures.
    listed = cert_selectors.figures_for([cert])[cert.pk]
    assert (listed.total, listed.billable, listed.capacity, listed.digest, listed.changes) == (
        now.total,
        now.billable,
        now.capacity,
        now.digest,
        now.changes,
    )
    # And what the queue lists as changed since the standing approval is what comparing its
    # recorded entries with the entries now gives.
    if standing:
        recorded = {int(pk): (d, int(w), h) for pk, (d, w, h) in standing[-1].entries.items()}
        assert now.entries is not None
        assert cert_selectors.certification_view(cert).changes == rules.entry_changes(
            recorded, now.entries
        )
