from __future__ import annotations

import pytest

from psa.core import audit
from psa.core.models import AuditEntry
from psa.core.roles import SYSTEM
from psa.engagements import services
from tests.engagements.factories import EngagementFactory

pytestmark = pytest.mark.django_db


def test_each_entry_links_to_the_one_before_and_the_chain_verifies() -> None:
    services.customer_create(actor=SYSTEM, name="A")
    services.customer_create(actor=SYSTEM, name="B")
    first, second = AuditEntry.objects.order_by("id")
    assert first.prev_hash == audit.GENESIS
    assert second.prev_hash == first.hash
    assert audit.verify_chain() == (2, [])


@pytest.mark.parametrize("field", ["after", "actor_name", "action", "reason"])
def test_editing_an_entry_in_place_breaks_the_chain(field: str) -> None:
    for name in ("A", "B", "C"):
        services.customer_create(actor=SYSTEM, name=name)
    middle = AuditEntry.objects.order_by("id")[1]
    value = {"name": "Z"} if field == "after" else "tampered"
    AuditEntry.objects.filter(pk=middle.pk).update(**{field: value})
    count, broken = audit.verify_chain()
    assert count == 3
    assert broken == [middle.pk]


def test_deleting_an_entry_breaks_the_chain_at_the_next_one() -> None:
    for name in ("A", "B", "C"):
        services.customer_create(actor=SYSTEM, name=name)
    entries = list(AuditEntry.objects.order_by("id"))
    entries[1].delete()
    assert audit.verify_chain()[1] == [entries[2].pk]


def test_history_for_a_record_is_newest_first() -> None:
    engagement = EngagementFactory()
    services.engagement_set_status(actor=SYSTEM, engagement=engagement, status="booked")
    services.engagement_set_status(actor=SYSTEM, engagement=engagement, status="active")
    history = audit.history_for(actor=SYSTEM, target=engagement)
    assert [h.after for h in history] == [{"status": "active"}, {"status": "booked"}]
    assert history[0].before == {"status": "booked"}
