"""The epic tree is seeded, and administrators (only) edit it: add, rename, reorder, remove
what nothing hangs on. Every refusal changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from psa.core import clock
from psa.core.errors import Conflict
from psa.core.models import AuditEntry
from psa.core.roles import Actor, Role
from psa.people.models import Person
from psa.timetracking import selectors, services
from psa.timetracking.models import Epic, WorkItem
from tests.helpers import (
    assert_invalid,
    assert_problem,
    assert_refused,
    flash,
    pydantic_error,
    unchanged,
)
from tests.timetracking.factories import WorkItemFactory, category

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def admin(make_person: Callable[..., Person], api_as: Callable[[Person], Client]) -> Client:
    person = make_person(Role.HEAD_OF_PS)
    assert person.user is not None
    person.user.is_superuser = True
    person.user.save()
    return api_as(person)


def test_an_admin_adds_renames_reorders_and_removes_a_category(admin: Client) -> None:
    internal = Epic.objects.get(name="PS Internal", parent=None)
    body = {"name": " Conference talks ", "parent_id": internal.pk, "position": 9}
    created = admin.post("/api/v1/time/epics", body, content_type=JSON)
    assert created.status_code == 201, created.content
    epic = created.json()
    assert (epic["name"], epic["parent_id"]) == ("Conference talks", internal.pk)
    changed = admin.patch(
        f"/api/v1/time/epics/{epic['id']}",
        {"name": "Conferences", "position": 1},
        content_type=JSON,
    )
    assert changed.json()["name"] == "Conferences"
    assert Epic.objects.get(pk=epic["id"]).position == 1
    listed = admin.get("/api/v1/time/epics").json()
    major = next(m for m in listed if m["id"] == internal.pk)
    assert "Conferences" in [c["name"] for c in major["categories"]]
    assert admin.delete(f"/api/v1/time/epics/{epic['id']}").status_code == 204
    assert not Epic.objects.filter(pk=epic["id"]).exists()
    actions = AuditEntry.objects.filter(target_id=str(epic["id"])).values_list("action", flat=True)
    assert sorted(actions) == ["epic.create", "epic.delete", "epic.update"]


def test_an_admin_adds_a_major_epic(admin: Client) -> None:
    created = admin.post("/api/v1/time/epics", {"name": "Partner Programs"}, content_type=JSON)
    assert created.status_code == 201
    assert created.json()["parent_id"] is None


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "  "}, "name", services.ERR_EPIC_NAME),
        ({"name": "x" * 121}, "name", pydantic_error("string_too_long", max_length=120)),
        (  # case-insensitive
            {"name": "project work"},
            "name",
            services.ERR_EPIC_TAKEN.format(parent="The tree", name="project work"),
        ),
        (
            {"name": "Deeper", "parent": "Knowledge Sharing"},
            "parent_id",
            services.ERR_EPIC_DEPTH.format(parent="Knowledge Sharing"),
        ),
    ],
)
def test_bad_epics_are_refused_and_nothing_changes(
    admin: Client, body: dict[str, Any], field: str, message: str
) -> None:
    if "parent" in body:
        body = {"name": body["name"], "parent_id": category("PS Internal", body["parent"]).pk}
    with unchanged():
        response = admin.post("/api/v1/time/epics", body, content_type=JSON)
    assert_invalid(response, (field, message))


def test_an_epic_under_a_missing_parent_is_404(admin: Client) -> None:
    body = {"name": "Orphan", "parent_id": 999999}
    with unchanged():
        response = admin.post("/api/v1/time/epics", body, content_type=JSON)
    assert_refused(response, 404, "parent_id", selectors.ERR_NO_EPIC.format(id=999999))


def test_an_epic_in_use_is_not_removed(admin: Client) -> None:
    used = category("PS Internal", "Knowledge Sharing")
    WorkItemFactory.create(epic=used)
    major = Epic.objects.get(name="PS Internal", parent=None)
    for epic, what in ((used, "work items"), (major, "categories")):
        with unchanged():
            response = admin.delete(f"/api/v1/time/epics/{epic.pk}")
        assert_problem(response, 409, services.ERR_EPIC_IN_USE.format(name=epic.name, what=what))


def test_only_an_admin_edits_the_tree(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    head = api_as(make_person(Role.HEAD_OF_PS))
    internal = Epic.objects.get(name="PS Internal", parent=None)
    body = {"name": "Mine", "parent_id": internal.pk}
    sharing = category("PS Internal", "Knowledge Sharing")
    url = f"/api/v1/time/epics/{sharing.pk}"
    with unchanged():
        refused = [
            head.post("/api/v1/time/epics", body, content_type=JSON),
            head.patch(url, {"name": "Renamed"}, content_type=JSON),
            head.delete(url),
        ]
    for response in refused:
        assert_problem(response, 403, services.ERR_EPIC_ADMIN)


# ------------------------------------------------------------------ the page


def test_the_epics_page_lets_an_admin_change_the_tree(
    make_person: Callable[..., Person], client: Client
) -> None:
    person = make_person(Role.HEAD_OF_PS)
    assert person.user is not None
    client.force_login(person.user)
    html = client.get("/time/epics/").content.decode()
    assert "Knowledge Sharing" in html
    assert "New category under PS Internal" not in html  # not an administrator

    person.user.is_superuser = True
    person.user.save()
    internal = Epic.objects.get(name="PS Internal", parent=None)
    WorkItemFactory.create(epic=category("PS Internal", "Knowledge Sharing"))
    page = client.post(
        "/time/epics/", {"action": "add", "parent_id": internal.pk, "name": "Podcasts"}, follow=True
    ).content.decode()
    assert "Added Podcasts." in page
    podcasts = Epic.objects.get(name="Podcasts", parent=internal)
    page = client.post(
        "/time/epics/",
        {"action": "rename", "epic_id": podcasts.pk, "name": "project work"},
        follow=True,
    ).content.decode()
    assert "Renamed to project work." in page  # unique among siblings only
    used = category("PS Internal", "Knowledge Sharing")
    with unchanged():
        refused = client.post("/time/epics/", {"action": "delete", "epic_id": used.pk})
    page = client.get(refused["Location"]).content.decode()
    assert flash(services.ERR_EPIC_IN_USE.format(name=used.name, what="work items")) in page
    client.post("/time/epics/", {"action": "delete", "epic_id": podcasts.pk})
    assert not Epic.objects.filter(pk=podcasts.pk).exists()


# ------------------------------------------------------------------ every category loggable

HANDBOOK_STANDING = [
    ("Global Company Meetings", "Commit"),
    ("Global Company Meetings", "Contribute"),
    ("Global Company Meetings", "SKO"),
    ("Internal Assisted", "Mentoring"),
    ("Internal Assisted", "Practice Development"),
    ("Internal Assisted", "Product Development"),
    ("Internal Assisted", "Sales Assistance"),
    ("Internal Assisted", "Support Assistance"),
    ("PS Internal", "General Administrative"),
    ("PS Internal", "Knowledge Sharing"),
    ("PS Internal", "Meetings/Staff Time"),
    ("PS Internal", "Personal Enablement"),
    ("PS Internal", "Travel Time"),
    ("PTO/Holidays", "PS Team Holidays"),
    ("PTO/Holidays", "PS Team PTO/Sick Days"),
]


def test_every_handbook_category_has_its_standing_work_item(db: None) -> None:
    standing = sorted(
        WorkItem.objects.filter(standing=True).values_list("epic__parent__name", "title")
    )
    assert standing == HANDBOOK_STANDING  # customer work and certifications have their own


def test_a_new_category_gets_its_standing_item_and_takes_it_when_removed(db: None) -> None:
    admin = Actor(user_id=None, username="root", is_admin=True)
    parent = Epic.objects.get(name="Internal Assisted", parent=None)
    podcasts = services.epic_create(actor=admin, name="Podcasts", parent=parent)
    item = WorkItem.objects.get(epic=podcasts)
    assert (item.title, item.standing, item.engagement_id) == ("Podcasts", True, None)

    services.epic_delete(actor=admin, epic=podcasts)

    assert not Epic.objects.filter(pk=podcasts.pk).exists()
    assert not WorkItem.objects.filter(pk=item.pk).exists()


def test_a_category_whose_standing_item_has_time_stays(make_person: Any) -> None:
    admin = Actor(user_id=None, username="root", is_admin=True)
    pse = make_person(Role.PSE)
    podcasts = services.epic_create(
        actor=admin, name="Podcasts", parent=Epic.objects.get(name="Internal Assisted")
    )
    item = WorkItem.objects.get(epic=podcasts)
    with clock.frozen(dt.datetime(2026, 11, 18, 9, tzinfo=dt.UTC)):
        services.time_entry_create(
            actor=admin, person=pse, work_item=item, date=dt.date(2026, 11, 16), hours="1"
        )
    with unchanged(), pytest.raises(Conflict) as refused:
        services.epic_delete(actor=admin, epic=podcasts)
    assert refused.value.message == services.ERR_EPIC_IN_USE.format(
        name="Podcasts", what="work items"
    )


def test_the_menu_offers_what_a_person_may_log_on_grouped_by_category_once_each(
    make_person: Any,
) -> None:
    from psa.timetracking import selectors
    from tests.engagements.factories import EngagementFactory

    pse, other = make_person(Role.PSE), make_person(Role.PSE)
    mine = WorkItemFactory.create(title="My runbook", author=pse)
    mine.assignees.add(pse)  # authored and assigned: still once
    theirs = WorkItemFactory.create(
        title="Their certification", epic=category("PS Internal", "Time Tracking")
    )
    theirs.assignees.add(other)
    active = WorkItemFactory.create(
        title="Globex rollout",
        engagement=EngagementFactory.create(status="active"),
        epic=category("Project Work", "All project hours"),
    )
    WorkItemFactory.create(
        title="Lost deal",
        engagement=EngagementFactory.create(status="cancelled"),
        epic=category("Project Work", "All project hours"),
    )

    groups = dict(selectors.loggable_work_items(person=pse))

    offered = [i.title for items in groups.values() for i in items]
    assert sorted(offered) == sorted(
        [title for _, title in HANDBOOK_STANDING] + ["My runbook", "Globex rollout"]
    )
    assert groups["Project Work / All project hours"] == [active]
    assert groups["PS Internal / Knowledge Sharing"][0].standing  # the category's own first
    assert [i.title for i in groups["PS Internal / Knowledge Sharing"]] == [
        "Knowledge Sharing",
        "My runbook",
    ]
    assert list(groups)[0] == "Global Company Meetings / SKO"  # the tree's order


def test_the_seed_migration_keeps_its_own_copy_of_the_tree() -> None:
    """History does not follow the live code: the migration carries the tree it seeded, which
    is today's handbook tree (a change to the live one needs a migration of its own)."""
    import importlib
    import inspect

    from psa.timetracking import epics

    migration = importlib.import_module("psa.timetracking.migrations.0002_seed_epics")
    imports = [
        line for line in inspect.getsource(migration).splitlines() if "import" in line.split()
    ]
    assert imports == ["from django.db import migrations"]
    assert migration.TREE == epics.TREE
