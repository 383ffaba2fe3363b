"""GitLab sync against a local HTTP server that answers python-gitlab's requests with GitLab's
documented JSON (REST v4 for the group, epics, labels and issues; GraphQL for time logs)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import pytest

from psa import cli
from psa.core import clock
from psa.core.errors import PermissionDenied
from psa.core.models import AuditEntry
from psa.core.roles import Actor, Role
from psa.integrations.gitlab import (
    ERR_BAD_ANSWER,
    ERR_GITLAB,
    ERR_NOT_CONFIGURED,
    GitLabClient,
    GitLabError,
    gitlab_settings,
)
from psa.people.models import Person
from psa.timetracking import gitlab_sync as sync
from psa.timetracking import rollup
from psa.timetracking.models import Epic, Label, TimeEntry, WorkItem
from psa.timetracking.rules import ERR_DURATION, parse_gitlab_duration, seconds_to_hours
from tests.helpers import exactly, unchanged
from tests.timetracking.factories import QuarterlyCertificationFactory

# gql deprecates the keyword that python-gitlab's GraphQL.execute passes variables with.
pytestmark = pytest.mark.filterwarnings("ignore:Using variable_values:DeprecationWarning")

TOKEN = "glpat-test-token"
GROUP_ID = 42
GROUP_PATH = "acme/ps-delivery"
PAGE_CAP = 2  # the server's page size, so that every list is paginated
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


# ------------------------------------------------------------------ GitLab's JSON


def rest_user(uid: int, username: str) -> dict[str, Any]:
    return {
        "id": uid,
        "username": username,
        "name": username.title(),
        "state": "active",
        "avatar_url": None,
        "web_url": f"https://gitlab.example.com/{username}",
    }


def gql_user(uid: int, username: str, email: str | None) -> dict[str, Any]:
    return {"id": f"gid://gitlab/User/{uid}", "username": username, "publicEmail": email}


USERS = {
    "alice": (1, "alice@example.com"),  # matched by e-mail
    "bob": (2, None),  # no public e-mail: matched by username
    "carol": (3, "carol@elsewhere.example"),  # nobody in PSA
}


def epic(eid: int, iid: int, title: str, parent: int | None = None) -> dict[str, Any]:
    return {
        "id": eid,
        "iid": iid,
        "group_id": GROUP_ID,
        "parent_id": parent,
        "parent_iid": None,
        "title": title,
        "description": "",
        "state": "opened",
        "web_url": f"https://gitlab.example.com/groups/{GROUP_PATH}/-/epics/{iid}",
        "labels": [],
        "created_at": "2026-01-05T10:00:00.000Z",
        "updated_at": "2026-01-05T10:00:00.000Z",
    }


def issue(
    iid_: int,
    title: str,
    epic_id: int | None,
    *,
    labels: list[str] | None = None,
    author: str = "alice",
    assignees: tuple[str, ...] = (),
) -> dict[str, Any]:
    gid = 200 + iid_
    return {
        "id": gid,
        "iid": iid_,
        "project_id": 7,
        "title": title,
        "description": "",
        "state": "opened",
        "created_at": "2026-11-02T14:30:00.000Z",
        "updated_at": "2026-11-20T08:00:00.000Z",
        "labels": labels or [],
        "author": rest_user(USERS[author][0], author),
        "assignees": [rest_user(USERS[a][0], a) for a in assignees],
        "epic_iid": None if epic_id is None else epic_id - 100,
        "epic": None
        if epic_id is None
        else {"id": epic_id, "iid": epic_id - 100, "title": "", "group_id": GROUP_ID},
        "web_url": f"https://gitlab.example.com/{GROUP_PATH}/web/-/issues/{iid_}",
        "time_stats": {"time_estimate": 0, "total_time_spent": 0},
    }


def timelog(
    tid: int, username: str, seconds: int, spent_at: str, *, issue_id: int | None, summary: str = ""
) -> dict[str, Any]:
    uid, email = USERS[username]
    return {
        "id": f"gid://gitlab/Timelog/{tid}",
        "spentAt": spent_at,
        "timeSpent": seconds,
        "summary": summary,
        "user": gql_user(uid, username, email),
        "issue": None if issue_id is None else {"id": f"gid://gitlab/Issue/{issue_id}", "iid": "1"},
        "mergeRequest": None if issue_id is not None else {"id": "gid://gitlab/MergeRequest/9"},
    }


def gitlab_data() -> dict[str, Any]:
    return {
        "group": {
            "id": GROUP_ID,
            "name": "PS Delivery",
            "path": "ps-delivery",
            "full_path": GROUP_PATH,
            "web_url": f"https://gitlab.example.com/groups/{GROUP_PATH}",
        },
        "epics": [
            epic(101, 1, "Project Work"),  # a major epic
            epic(102, 2, "All project hours", parent=101),  # a seeded category
            epic(103, 3, "Acme rollout", parent=101),  # new category under Project Work
            epic(104, 4, "knowledge sharing"),  # a seeded category, other case
            epic(105, 5, "Random stuff"),  # maps to nothing
            epic(106, 6, "Acme rollout, phase 2", parent=103),  # under Project Work too
        ],
        "labels": [
            {"id": 1, "name": "customer", "color": "#428BCA", "description": None},
            {"id": 2, "name": "billable", "color": "#44AD8E", "description": None},
            {"id": 3, "name": "unused", "color": "#FF0000", "description": None},
        ],
        "issues": [
            issue(1, "Kickoff call", 102, labels=["customer"], assignees=("alice", "bob")),
            issue(2, "Rollout week 1", 103, labels=["customer", "billable"], author="carol"),
            issue(3, "Write the wiki page", 104, author="bob"),
            issue(4, "Orphan issue", None),
            issue(5, "Random issue", 105),
            issue(6, "Straight on a major epic", 101),
            issue(7, "Phase 2 planning", 106),
        ],
        "timelogs": [
            timelog(301, "alice", 5400, "2026-11-20T09:00:00Z", issue_id=201, summary="kickoff"),
            # As GitLab wrote it: the 19th (UTC would be the 20th).
            timelog(302, "bob", 8 * 3600, "2026-11-19T23:30:00-05:00", issue_id=201),
            timelog(303, "alice", 1234, "2026-11-20T00:00:00Z", issue_id=202),
            timelog(304, "carol", 3600, "2026-11-20T00:00:00Z", issue_id=202),
            timelog(305, "alice", 3600, "2026-11-20T00:00:00Z", issue_id=204),
            timelog(306, "alice", 1800, "2026-11-20T00:00:00Z", issue_id=None),
            timelog(307, "bob", -1800, "2026-11-18T00:00:00Z", issue_id=203),
            timelog(308, "alice", 3 * 3600, "2026-11-17T00:00:00Z", issue_id=207),
        ],
    }


# ------------------------------------------------------------------ the server


class FakeGitLab:
    def __init__(self) -> None:
        self.data = gitlab_data()
        self.requests: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:  # noqa: N802
                fake.requests.append(f"GET {self.path}")
                if self.headers.get("PRIVATE-TOKEN") != TOKEN:
                    self._send(401, {"message": "401 Unauthorized"})
                    return
                parts = urlsplit(self.path)
                segments = parts.path.split("/")  # "", "api", "v4", "groups", id, [what]
                if segments[:4] != ["", "api", "v4", "groups"] or len(segments) not in (5, 6):
                    self._send(404, {"error": "404 Not Found"})
                    return
                key = unquote(segments[4])
                group = fake.data["group"]
                if key not in (str(group["id"]), group["full_path"]):
                    self._send(404, {"message": "404 Group Not Found"})
                    return
                if len(segments) == 5:
                    self._send(200, group)
                    return
                what = segments[5]
                if what not in ("epics", "labels", "issues"):
                    self._send(404, {"error": "404 Not Found"})
                    return
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                page = int(query.get("page", "1"))
                size = min(int(query.get("per_page", "20")), PAGE_CAP)
                rows = fake.data[what]
                chunk = rows[(page - 1) * size : page * size]
                pages = max(1, -(-len(rows) // size))
                headers = {
                    "X-Page": str(page),
                    "X-Per-Page": str(size),
                    "X-Total": str(len(rows)),
                    "X-Total-Pages": str(pages),
                    "X-Next-Page": str(page + 1) if page < pages else "",
                    "X-Prev-Page": str(page - 1) if page > 1 else "",
                }
                if page < pages:
                    nxt = urlencode({**query, "page": page + 1})
                    headers["Link"] = f'<{fake.url}{parts.path}?{nxt}>; rel="next"'
                self._send(200, chunk, headers)

            def do_POST(self) -> None:  # noqa: N802
                fake.requests.append(f"POST {self.path}")
                if self.path != "/api/graphql":
                    self._send(404, {"error": "404 Not Found"})
                    return
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self._send(401, {"errors": [{"message": "Invalid token"}]})
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                assert "timelogs(first: $first, after: $after)" in body["query"]
                variables = body.get("variables") or {}
                if variables.get("fullPath") != fake.data["group"]["full_path"]:
                    self._send(200, {"data": {"group": None}})
                    return
                start = int(variables.get("after") or 0)
                size = min(int(variables["first"]), PAGE_CAP)
                rows = fake.data["timelogs"]
                nodes = rows[start : start + size]
                more = start + size < len(rows)
                page_info = {"hasNextPage": more, "endCursor": str(start + size) if more else None}
                self._send(
                    200,
                    {"data": {"group": {"timelogs": {"pageInfo": page_info, "nodes": nodes}}}},
                )

        return Handler

    def remove_timelog(self, tid: int) -> None:
        gid = f"gid://gitlab/Timelog/{tid}"
        self.data["timelogs"] = [t for t in self.data["timelogs"] if t["id"] != gid]

    def timelog_(self, tid: int) -> dict[str, Any]:
        gid = f"gid://gitlab/Timelog/{tid}"
        return next(t for t in self.data["timelogs"] if t["id"] == gid)


@pytest.fixture
def gitlab_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitLab]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    fake = FakeGitLab()
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def client(gitlab_server: FakeGitLab) -> Iterator[GitLabClient]:
    with GitLabClient(gitlab_server.url, TOKEN, timeout=10) as gl:
        yield gl


@pytest.fixture
def people(make_person: Callable[..., Person]) -> dict[str, Person]:
    return {
        # Alice's login is not her GitLab username: only her public e-mail matches her.
        "alice": make_person(
            Role.PSE, email="alice@example.com", name="Alice", user__username="alice.smith"
        ),
        "bob": make_person(Role.PSE, email="bob@corp.example", name="Bob", user__username="bob"),
    }


@pytest.fixture
def coordinator(make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]) -> Actor:
    return actor_of(make_person(Role.PROJECT_COORDINATOR))


def run(
    actor: Actor, client: GitLabClient, is_locked: sync.IsLocked | None = None
) -> sync.SyncReport:
    with clock.frozen(NOW):
        if is_locked is None:  # the real lock, as the CLI and the job use it
            return sync.gitlab_sync(actor=actor, client=client, group=GROUP_PATH)
        return sync.gitlab_sync(actor=actor, client=client, group=GROUP_PATH, is_locked=is_locked)


def entries() -> dict[int, tuple[int, int, dt.date, Decimal, str]]:
    return {
        e.gitlab_id or 0: (e.person_id, e.work_item.gitlab_id or 0, e.date, e.hours, e.note)
        for e in TimeEntry.objects.select_related("work_item")
    }


def state() -> list[Any]:
    """Every synced row, field by field, to show that nothing changed."""
    return [
        list(Epic.objects.order_by("id").values()),
        list(Label.objects.order_by("id").values()),
        list(WorkItem.objects.order_by("id").values()),
        sorted(WorkItem.assignees.through.objects.values_list("workitem_id", "person_id")),
        sorted(WorkItem.labels.through.objects.values_list("workitem_id", "label_id")),
        list(TimeEntry.objects.order_by("id").values()),
    ]


def reported(report: sync.SyncReport, code: str) -> list[tuple[int, int | None]]:
    return sorted((r.gitlab_id, r.issue_id) for r in report.of(code))


# ------------------------------------------------------------------ tests


@pytest.mark.django_db
def test_first_sync_creates_work_items_labels_and_entries_with_exact_hours(
    gitlab_server: FakeGitLab,
    client: GitLabClient,
    people: dict[str, Person],
    coordinator: Actor,
) -> None:
    # given a group with epics, labels, issues and time logs in GitLab
    alice, bob = people["alice"], people["bob"]
    # when
    report = run(coordinator, client)
    # then the epics map onto the tree (new categories under the parent's major epic)
    project_work = Epic.objects.get(name="Project Work", parent=None)
    assert Epic.objects.get(gitlab_id=101) == project_work
    assert Epic.objects.get(gitlab_id=102).name == "All project hours"
    assert Epic.objects.get(gitlab_id=104).name == "Knowledge Sharing"
    acme = Epic.objects.get(gitlab_id=103)
    phase2 = Epic.objects.get(gitlab_id=106)
    assert (acme.name, acme.parent_id) == ("Acme rollout", project_work.pk)
    assert (phase2.name, phase2.parent_id) == ("Acme rollout, phase 2", project_work.pk)
    assert not Epic.objects.filter(gitlab_id=105).exists()
    # the labels (the group's and the issues')
    assert sorted(Label.objects.values_list("name", flat=True)) == [
        "billable",
        "customer",
        "unused",
    ]
    # the work items of the issues whose epic maps to a category
    items = {w.gitlab_id: w for w in WorkItem.objects.filter(standing=False).order_by("gitlab_id")}
    assert list(items) == [201, 202, 203, 207]
    kickoff = items[201]
    assert kickoff.title == "Kickoff call"
    assert kickoff.epic.name == "All project hours"
    # REST shows no e-mail: people on issues are matched by username only
    assert kickoff.author is None
    assert [p.name for p in kickoff.assignees.all()] == ["Bob"]
    assert [label.name for label in kickoff.labels.all()] == ["customer"]
    assert kickoff.web_url == f"https://gitlab.example.com/{GROUP_PATH}/web/-/issues/1"
    assert kickoff.created_at == dt.datetime(2026, 11, 2, 14, 30, tzinfo=dt.UTC)
    assert kickoff.engagement is None
    assert items[202].author is None  # carol is not in PSA
    assert sorted(label.name for label in items[202].labels.all()) == ["billable", "customer"]
    assert items[203].epic.name == "Knowledge Sharing"
    assert items[203].author == bob
    assert items[207].epic == phase2
    # the time entries, exact hours, GitLab's spent-at date
    assert entries() == {
        301: (alice.pk, 201, dt.date(2026, 11, 20), Decimal("1.50"), "kickoff"),
        302: (bob.pk, 201, dt.date(2026, 11, 19), Decimal("8.00"), ""),
        303: (alice.pk, 202, dt.date(2026, 11, 20), Decimal("0.34"), ""),
        307: (bob.pk, 203, dt.date(2026, 11, 18), Decimal("-0.50"), ""),
        308: (alice.pk, 207, dt.date(2026, 11, 17), Decimal("3.00"), ""),
    }
    assert set(TimeEntry.objects.values_list("source", flat=True)) == {"gitlab"}
    # and the report says what was done and what was not
    assert report.counts() == {
        "epics_linked": 3,
        "epics_created": 2,
        "labels_created": 3,
        "work_items_created": 4,
        "work_items_updated": 0,
        "work_items_unchanged": 0,
        "entries_created": 5,
        "entries_updated": 0,
        "entries_unchanged": 0,
        "entries_removed": 0,
        "reported": 7,
    }
    assert reported(report, sync.UNMAPPED_EPIC) == [(105, None)]
    assert reported(report, sync.UNMAPPED_ISSUE) == [(204, None), (205, None), (206, None)]
    assert reported(report, sync.UNKNOWN_USER) == [(304, 202)]
    assert reported(report, sync.ISSUE_NOT_IMPORTED) == [(305, 204)]
    assert reported(report, sync.NOT_ON_AN_ISSUE) == [(306, None)]
    # one audit entry for the sync
    audit_entry = AuditEntry.objects.get(action=sync.AUDIT_ACTION)
    assert audit_entry.after is not None
    assert audit_entry.pk == report.audit_id
    assert (audit_entry.target_type, audit_entry.target_id) == ("gitlab.group", GROUP_PATH)
    assert audit_entry.after["entries_created"] == 5
    assert audit_entry.after["created_time_logs"] == [301, 302, 303, 307, 308]
    assert audit_entry.actor_id == coordinator.user_id


@pytest.mark.django_db
def test_requests_are_the_documented_rest_and_graphql_calls(
    gitlab_server: FakeGitLab, client: GitLabClient, people: dict[str, Person], coordinator: Actor
) -> None:
    run(coordinator, client)
    requests = gitlab_server.requests
    assert requests[0] == "GET /api/v4/groups/acme%2Fps-delivery"
    for what, pages in (("epics", 3), ("labels", 2), ("issues", 4)):
        asked = [r for r in requests if r.startswith(f"GET /api/v4/groups/{GROUP_ID}/{what}")]
        assert len(asked) == pages, asked
    assert "state=all" in next(r for r in requests if "/issues" in r)
    assert requests.count("POST /api/graphql") == 4  # 8 time logs, 2 a page


@pytest.mark.django_db
def test_second_sync_changes_nothing_but_records_its_own_audit_entry(
    gitlab_server: FakeGitLab, client: GitLabClient, people: dict[str, Person], coordinator: Actor
) -> None:
    # given a first sync
    run(coordinator, client)
    before = state()
    audit_count = AuditEntry.objects.count()
    # when the same group is synced again
    report = run(coordinator, client)
    # then every row is the same (same ids, same values, same updated_at)
    assert state() == before
    assert not report.changed
    assert report.work_items_unchanged == 4
    assert report.entries_unchanged == 5
    assert len(report.reported) == 7  # still reported, every time
    # and the only new audit entry is the sync's own report
    assert AuditEntry.objects.count() == audit_count + 1
    last = AuditEntry.objects.order_by("-id").first()
    assert last is not None
    assert last.after is not None
    assert last.action == sync.AUDIT_ACTION
    assert last.after["entries_created"] == last.after["entries_removed"] == 0


@pytest.mark.django_db
def test_a_time_log_deleted_in_gitlab_is_removed(
    gitlab_server: FakeGitLab, client: GitLabClient, people: dict[str, Person], coordinator: Actor
) -> None:
    run(coordinator, client)
    kept = TimeEntry.objects.exclude(gitlab_id=303).order_by("id")
    kept_rows = list(kept.values())
    removed = TimeEntry.objects.get(gitlab_id=303)
    # when time log 303 is deleted in GitLab
    gitlab_server.remove_timelog(303)
    report = run(coordinator, client)
    # then its entry is gone and nothing else changed
    assert not TimeEntry.objects.filter(gitlab_id=303).exists()
    assert list(kept.values()) == kept_rows
    assert (report.entries_removed, report.entries_created, report.entries_updated) == (1, 0, 0)
    last = AuditEntry.objects.order_by("-id").first()
    assert last is not None
    assert last.after is not None
    assert [e["id"] for e in last.after["removed_entries"]] == [removed.pk]
    assert last.after["removed_entries"][0]["hours"] == "0.34"


@pytest.mark.django_db
def test_a_time_log_changed_in_gitlab_updates_its_entry(
    gitlab_server: FakeGitLab, client: GitLabClient, people: dict[str, Person], coordinator: Actor
) -> None:
    run(coordinator, client)
    entry_id = TimeEntry.objects.get(gitlab_id=301).pk
    log = gitlab_server.timelog_(301)
    log["timeSpent"] = parse_gitlab_duration("1d 30m")
    log["spentAt"] = "2026-11-21T10:00:00Z"
    report = run(coordinator, client)
    entry = TimeEntry.objects.get(gitlab_id=301)
    assert entry.pk == entry_id
    assert (entry.date, entry.hours) == (dt.date(2026, 11, 21), Decimal("8.50"))
    assert (report.entries_updated, report.entries_unchanged) == (1, 4)


@pytest.mark.django_db
def test_an_unknown_users_time_log_is_reported_and_everything_else_imported(
    gitlab_server: FakeGitLab, client: GitLabClient, people: dict[str, Person], coordinator: Actor
) -> None:
    # given only carol's time log on issue 202 and alice's beside it
    gitlab_server.data["timelogs"] = [
        timelog(303, "alice", 1234, "2026-11-20T00:00:00Z", issue_id=202),
        timelog(304, "carol", 3600, "2026-11-20T00:00:00Z", issue_id=202),
    ]
    report = run(coordinator, client)
    [unknown] = report.of(sync.UNKNOWN_USER)
    assert (unknown.gitlab_id, unknown.issue_id) == (304, 202)
    assert unknown.message == sync.MSG_UNKNOWN_USER.format(
        timelog=304, issue=202, email="carol@elsewhere.example", username="carol"
    )
    assert list(TimeEntry.objects.values_list("gitlab_id", "hours")) == [(303, Decimal("0.34"))]
    assert WorkItem.objects.filter(standing=False).count() == 4
    assert report.audit_id is not None
    audit_entry = AuditEntry.objects.get(pk=report.audit_id)
    assert audit_entry.after is not None
    assert {
        "code": "unknown_user",
        "gitlab_id": 304,
        "issue_id": 202,
        "message": unknown.message,
    } in audit_entry.after["reported_items"]


@pytest.mark.django_db
def test_an_issue_without_a_mapped_epic_is_reported_not_imported(
    gitlab_server: FakeGitLab, client: GitLabClient, people: dict[str, Person], coordinator: Actor
) -> None:
    report = run(coordinator, client)
    messages = {r.gitlab_id: r.message for r in report.of(sync.UNMAPPED_ISSUE)}
    url = f"https://gitlab.example.com/{GROUP_PATH}/web/-/issues"
    assert messages == {
        204: sync.MSG_ISSUE_NO_EPIC.format(ref=f"{url}/4", title="Orphan issue"),
        205: sync.MSG_ISSUE_EPIC_UNMAPPED.format(ref=f"{url}/5", title="Random issue", epic=105),
        206: sync.MSG_ISSUE_EPIC_MAJOR.format(
            ref=f"{url}/6", title="Straight on a major epic", major="Project Work"
        ),
    }
    assert not WorkItem.objects.filter(gitlab_id__in=[204, 205, 206]).exists()
    [epic_report] = report.of(sync.UNMAPPED_EPIC)
    assert epic_report.message == sync.MSG_EPIC_NO_PARENT.format(iid=5, title="Random stuff")


@pytest.mark.django_db
def test_locked_dates_are_reported_and_never_changed(
    gitlab_server: FakeGitLab, client: GitLabClient, people: dict[str, Person], coordinator: Actor
) -> None:
    # given a first sync, then changes in GitLab on a locked date (the 20th) and an open one
    run(coordinator, client)
    before = {e.gitlab_id: e for e in TimeEntry.objects.all()}
    gitlab_server.timelog_(301)["timeSpent"] = 7200  # 20th, locked: change refused
    gitlab_server.timelog_(307)["timeSpent"] = -3600  # 18th, open: changed
    gitlab_server.remove_timelog(303)  # 20th, locked: removal refused
    gitlab_server.data["timelogs"].append(  # a new one on the 20th: not created
        timelog(309, "bob", 3600, "2026-11-20T00:00:00Z", issue_id=203)
    )
    # moving an open entry into a locked date is refused as well
    gitlab_server.timelog_(308)["spentAt"] = "2026-11-20T00:00:00Z"
    locked = dt.date(2026, 11, 20)
    asked: list[tuple[int, dt.date]] = []

    def is_locked(person_id: int, day: dt.date) -> bool:
        asked.append((person_id, day))
        return day == locked

    # when
    report = run(coordinator, client, is_locked)
    # then the locked ones are reported and unchanged
    assert reported(report, sync.LOCKED) == [(301, 201), (303, None), (308, 207), (309, 203)]
    for gid in (301, 303, 308):
        entry = TimeEntry.objects.get(gitlab_id=gid)
        assert (entry.hours, entry.date, entry.updated_at) == (
            before[gid].hours,
            before[gid].date,
            before[gid].updated_at,
        )
    assert not TimeEntry.objects.filter(gitlab_id=309).exists()
    # the open one changed
    assert TimeEntry.objects.get(gitlab_id=307).hours == Decimal("-1.00")
    assert (report.entries_updated, report.entries_removed, report.entries_created) == (1, 0, 0)
    assert (people["alice"].pk, locked) in asked


@pytest.mark.django_db
def test_by_default_the_sync_keeps_to_the_certification_lock(
    gitlab_server: FakeGitLab, client: GitLabClient, people: dict[str, Person], coordinator: Actor
) -> None:
    """No lock hook given, as the CLI and the job call it: an approved quarter is locked."""
    run(coordinator, client)
    entry = TimeEntry.objects.get(gitlab_id=301)
    QuarterlyCertificationFactory.create(person=entry.person, day=entry.date, locked=True)
    hours = entry.hours
    gitlab_server.timelog_(301)["timeSpent"] = int(hours * 3600) + 3600  # an hour more

    report = run(coordinator, client)

    assert (301, 201) in reported(report, sync.LOCKED)
    entry.refresh_from_db()
    assert entry.hours == hours


@pytest.mark.django_db
def test_a_pse_may_not_sync_and_gitlab_is_not_asked(
    gitlab_server: FakeGitLab,
    client: GitLabClient,
    make_person: Callable[..., Person],
    actor_of: Callable[[Person], Actor],
) -> None:
    pse = actor_of(make_person(Role.PSE))
    with unchanged(), pytest.raises(PermissionDenied, match=exactly(sync.ERR_MAY_NOT_SYNC)):
        run(pse, client)
    assert gitlab_server.requests == []


@pytest.mark.django_db
def test_a_refused_token_is_an_error_and_nothing_is_written(
    gitlab_server: FakeGitLab, people: dict[str, Person], coordinator: Actor
) -> None:
    # The message after the status is python-gitlab's.
    message = ERR_GITLAB.format(status=401, what=f"group {GROUP_PATH}", message="401 Unauthorized")
    with (
        unchanged(),
        GitLabClient(gitlab_server.url, "wrong", timeout=10) as bad,
        pytest.raises(GitLabError, match=exactly(message)),
    ):
        run(coordinator, bad)


@pytest.mark.django_db
def test_a_failed_time_log_request_writes_nothing(
    gitlab_server: FakeGitLab, client: GitLabClient, people: dict[str, Person], coordinator: Actor
) -> None:
    gitlab_server.data["timelogs"].append({"id": "gid://gitlab/Timelog/x"})  # not documented
    # The time log has no user: the KeyError's text is the missing key.
    message = ERR_BAD_ANSWER.format(what="time logs", message="'user'")
    with unchanged(), pytest.raises(GitLabError, match=exactly(message)):
        run(coordinator, client)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSA_GITLAB_URL", "https://gitlab.example.com/")
    monkeypatch.setenv("PSA_GITLAB_TOKEN", "secret")
    monkeypatch.delenv("PSA_GITLAB_GROUP", raising=False)
    settings = gitlab_settings()
    assert (settings.url, settings.token, settings.group) == (
        "https://gitlab.example.com",
        "secret",
        "",
    )
    with pytest.raises(GitLabError) as refused:
        gitlab_settings(require_group=True)
    assert refused.value.message == ERR_NOT_CONFIGURED.format(names="PSA_GITLAB_GROUP")
    monkeypatch.delenv("PSA_GITLAB_TOKEN")
    with pytest.raises(
        GitLabError, match=exactly(ERR_NOT_CONFIGURED.format(names="PSA_GITLAB_TOKEN"))
    ):
        gitlab_settings()


@pytest.mark.django_db
def test_cli_syncs_the_group_from_the_environment(
    gitlab_server: FakeGitLab,
    people: dict[str, Person],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PSA_GITLAB_URL", gitlab_server.url)
    monkeypatch.setenv("PSA_GITLAB_TOKEN", TOKEN)
    monkeypatch.setenv("PSA_GITLAB_GROUP", "nobody/else")
    monkeypatch.setenv("PSA_DATA_DIR", str(tmp_path))
    code = cli.main(["gitlab", "sync", "--group", GROUP_PATH, "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert list(TimeEntry.objects.order_by("gitlab_id").values_list("gitlab_id", flat=True)) == [
        301,
        302,
        303,
        307,
        308,
    ]
    assert (
        "unknown_user: "
        + sync.MSG_UNKNOWN_USER.format(
            timelog=304, issue=202, email="carol@elsewhere.example", username="carol"
        )
        in err
    )
    assert "5 time entries created" in err


# ------------------------------------------------------------------ GitLab durations


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("1mo 1w 2d 3h 30m", Decimal(4 * 5 * 8 + 5 * 8 + 2 * 8) + Decimal("3.5")),
        ("1mo", Decimal(160)),
        ("1w", Decimal(40)),
        ("1d", Decimal(8)),
        ("3h 30m", Decimal("3.5")),
        ("1h30m", Decimal("1.5")),
        ("45m", Decimal("0.75")),
        ("1.5h", Decimal("1.5")),
        (" 2D 4H ", Decimal(20)),
    ],
)
def test_gitlab_durations_follow_gitlabs_fixed_rules(text: str, hours: Decimal) -> None:
    assert seconds_to_hours(parse_gitlab_duration(text)) == hours


@pytest.mark.parametrize("text", ["90", "1x", "", "h", "1h 30", "1 h", "one hour"])
def test_gitlab_durations_without_a_unit_or_with_a_strange_one_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=exactly(ERR_DURATION.format(value=text))):
        parse_gitlab_duration(text)


@pytest.mark.django_db
def test_only_gitlab_entries_of_the_groups_issues_are_ever_removed(
    gitlab_server: FakeGitLab, client: GitLabClient, people: dict[str, Person], coordinator: Actor
) -> None:
    # given a manual entry on a synced work item and a GitLab entry of another group's issue
    run(coordinator, client)
    alice = people["alice"]
    kickoff = WorkItem.objects.get(gitlab_id=201)
    other = WorkItem.objects.create(
        title="Other group", epic=kickoff.epic, gitlab_id=999, created_at=NOW
    )
    common = {"person": alice, "date": dt.date(2026, 11, 16), "created_at": NOW, "updated_at": NOW}
    manual = TimeEntry.objects.create(work_item=kickoff, hours=Decimal("2.00"), **common)
    foreign = TimeEntry.objects.create(
        work_item=other, hours=Decimal("1.00"), source="gitlab", gitlab_id=9999, **common
    )
    rollup.apply([rollup.added(manual), rollup.added(foreign)])
    # when every time log is deleted in GitLab
    gitlab_server.data["timelogs"] = []
    report = run(coordinator, client)
    # then only the group's GitLab entries are removed
    assert sorted(TimeEntry.objects.values_list("pk", flat=True)) == sorted([manual.pk, foreign.pk])
    assert report.entries_removed == 5


@pytest.mark.django_db
def test_an_entry_that_others_adjust_is_kept_and_reported(
    gitlab_server: FakeGitLab, client: GitLabClient, people: dict[str, Person], coordinator: Actor
) -> None:
    run(coordinator, client)
    original = TimeEntry.objects.get(gitlab_id=303)
    adjustment = TimeEntry.objects.create(
        person=original.person,
        work_item=original.work_item,
        date=original.date,
        hours=Decimal("-0.34"),
        adjusts=original,
        reason="logged twice",
        created_at=NOW,
        updated_at=NOW,
    )
    rollup.apply([rollup.added(adjustment)])
    gitlab_server.remove_timelog(303)
    report = run(coordinator, client)
    assert TimeEntry.objects.filter(gitlab_id=303).exists()
    assert reported(report, sync.ADJUSTED) == [(303, None)]
    assert report.entries_removed == 0


@pytest.mark.django_db
def test_a_reported_time_log_is_imported_once_its_person_exists(
    gitlab_server: FakeGitLab,
    client: GitLabClient,
    people: dict[str, Person],
    coordinator: Actor,
    make_person: Callable[..., Person],
) -> None:
    run(coordinator, client)
    carol = make_person(Role.PSE, email="Carol@Elsewhere.example", name="Carol")
    report = run(coordinator, client)
    assert reported(report, sync.UNKNOWN_USER) == []
    entry = TimeEntry.objects.get(gitlab_id=304)
    assert (entry.person, entry.hours) == (carol, Decimal("1.00"))
    assert entry.date == dt.date(2026, 11, 20)
    assert (report.entries_created, report.entries_unchanged) == (1, 5)


def test_the_api_runs_the_sync_as_a_task(
    gitlab_server: FakeGitLab,
    people: dict[str, Person],
    make_person: Callable[..., Person],
    api_as: Callable[[Person], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from psa.timetracking.models import TimeEntry

    monkeypatch.setenv("PSA_GITLAB_URL", gitlab_server.url)
    monkeypatch.setenv("PSA_GITLAB_TOKEN", TOKEN)
    monkeypatch.setenv("PSA_GITLAB_GROUP", GROUP_PATH)
    pc = make_person(Role.PROJECT_COORDINATOR)
    refused = api_as(make_person(Role.PSE)).post(
        "/api/v1/time/gitlab/sync", {}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert TimeEntry.objects.count() == 0
    with clock.frozen(NOW):
        started = api_as(pc).post("/api/v1/time/gitlab/sync", {}, content_type="application/json")
    assert started.status_code == 202, started.content
    job = started.json()
    assert job["status"] == "done", job  # the tests run tasks as they are queued
    assert job["result"]["group"] == GROUP_PATH
    assert job["result"]["entries_created"] > 0
    assert api_as(pc).get(f"/api/v1/jobs/{job['id']}").json()["result"] == job["result"]
    assert TimeEntry.objects.filter(source="gitlab").count() > 0
