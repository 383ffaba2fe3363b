from __future__ import annotations

import factory

from psa.core import clock
from psa.timetracking.models import Epic, WorkItem


def category(major: str, name: str) -> Epic:
    return Epic.objects.get(parent__name=major, name=name)


class WorkItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkItem

    title = factory.Sequence(lambda n: f"Issue {n}")
    epic = factory.LazyFunction(lambda: category("PS Internal", "Knowledge Sharing"))
    created_at = factory.LazyFunction(clock.now)
