"""The fixed epic tree (the team's handbook categories), seeded on first run; admins edit it.

`seed` takes the Epic model as an argument so that the data migration can pass its historical
model; `demo.load_reference_data` calls it too, for databases flushed after migrating."""

from __future__ import annotations

from typing import Any

from psa.core import clock

TREE: list[tuple[str, list[str]]] = [
    ("Global Company Meetings", ["SKO", "Contribute", "Commit"]),
    (
        "Project Work",
        [
            "All project hours",
            "Internal/Sales handoff calls",
            "Internal/External status meetings",
            "Support tickets during a project",
            "Weekly/Final customer reports and documentation",
            "Status/Close out customer calls",
            "Customer travel",
        ],
    ),
    (
        "PS Internal",
        [
            "Knowledge Sharing",
            "General Administrative",
            "Meetings/Staff Time",
            "Travel Time",
            "Personal Enablement",
            "Time Tracking",
        ],
    ),
    (
        "Internal Assisted",
        [
            "Sales Assistance",
            "Support Assistance",
            "Practice Development",
            "Product Development",
            "Mentoring",
        ],
    ),
    ("PTO/Holidays", ["PS Team Holidays", "PS Team PTO/Sick Days"]),
]


def seed(epic_model: Any, work_item_model: Any = None) -> int:
    """Create whatever part of the tree is missing; returns how many epics were created.

    Given the work item model, each category that has a standing work item gets it too, as
    migration 0007 gave them: a database emptied after migrating (a flush, a test) is then
    loggable by category again."""
    created = 0
    for i, (major, children) in enumerate(TREE):
        parent, made = epic_model.objects.get_or_create(
            name=major, parent=None, defaults={"position": i}
        )
        created += made
        for j, name in enumerate(children):
            category, made = epic_model.objects.get_or_create(
                name=name, parent=parent, defaults={"position": j}
            )
            created += made
            if work_item_model is not None and has_standing_item(major, name):
                _standing_item(work_item_model, category)
    return created


def _standing_item(work_item_model: Any, category: Any) -> None:
    if not work_item_model.objects.filter(epic=category, standing=True).exists():
        work_item_model.objects.create(
            title=category.name, epic=category, standing=True, created_at=clock.now()
        )


# Categories whose time goes on issues of their own rather than a standing one: customer work
# is logged on the engagement's work items, certifications on each person's certification issue.
NO_STANDING_ITEM_UNDER = frozenset({"Project Work"})
NO_STANDING_ITEM = frozenset({("PS Internal", "Time Tracking")})


def has_standing_item(major: str, category: str) -> bool:
    return major not in NO_STANDING_ITEM_UNDER and (major, category) not in NO_STANDING_ITEM
