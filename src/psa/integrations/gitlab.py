"""GitLab adapter over the official `python-gitlab` package: fetch a group's epics, labels,
issues (REST) and time logs (GraphQL) as plain dataclasses. No business rules here.

Time logs come from GitLab's GraphQL API (`group.timelogs`, one paginated query for the whole
group and its subgroups) through python-gitlab's `gitlab.GraphQL` client: GitLab's REST API has
no list of individual time logs (only an issue's totals, `time_stats`), and the GraphQL time log
carries its own id, the spent-at instant, the seconds and the user, which is what an idempotent
sync needs.

Settings come from the environment: PSA_GITLAB_URL, PSA_GITLAB_TOKEN, PSA_GITLAB_GROUP.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import gitlab
import gitlab.exceptions

from psa.core.errors import DomainError

PER_PAGE = 100  # REST page size (GitLab's maximum)
GRAPHQL_PAGE = 100  # GraphQL connection page size (GitLab's maximum)
DEFAULT_TIMEOUT = 30.0  # seconds per request

ERR_NOT_CONFIGURED = "GitLab is not configured: set {names}"
ERR_NO_GROUP = "no GitLab group given: pass one or set PSA_GITLAB_GROUP"
ERR_GITLAB = "GitLab answered {status} for {what}: {message}"
ERR_UNREACHABLE = "GitLab at {url} could not be reached: {message}"
ERR_BAD_ANSWER = "GitLab's answer for {what} is not what its API documents: {message}"
ERR_FAILED = "asking GitLab at {url} for {what} failed: {message}"

# Every time log of a group and its subgroups, a page at a time (GitLab caps pages at 100).
TIMELOGS_QUERY = """
query groupTimelogs($fullPath: ID!, $first: Int!, $after: String) {
  group(fullPath: $fullPath) {
    timelogs(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id
        spentAt
        timeSpent
        summary
        user { id username publicEmail }
        issue { id iid }
        mergeRequest { id iid }
      }
    }
  }
}
"""


class GitLabError(DomainError):
    """GitLab could not be asked, refused, or answered something unexpected."""

    status = 502
    title = "GitLab error"


@dataclass(frozen=True)
class GitLabSettings:
    url: str
    token: str
    group: str


def gitlab_settings(*, require_group: bool = False) -> GitLabSettings:
    """PSA_GITLAB_URL, PSA_GITLAB_TOKEN and PSA_GITLAB_GROUP from the environment."""
    url = os.environ.get("PSA_GITLAB_URL", "").strip()
    token = os.environ.get("PSA_GITLAB_TOKEN", "").strip()
    group = os.environ.get("PSA_GITLAB_GROUP", "").strip()
    missing = [
        name for name, value in (("PSA_GITLAB_URL", url), ("PSA_GITLAB_TOKEN", token)) if not value
    ]
    if require_group and not group:
        missing.append("PSA_GITLAB_GROUP")
    if missing:
        raise GitLabError(ERR_NOT_CONFIGURED.format(names=", ".join(missing)))
    return GitLabSettings(url=url.rstrip("/"), token=token, group=group)


@dataclass(frozen=True)
class GitLabUser:
    id: int
    username: str
    email: str = ""  # the public e-mail, when the user shows one


@dataclass(frozen=True)
class GitLabGroup:
    id: int
    full_path: str
    name: str
    web_url: str


@dataclass(frozen=True)
class GitLabEpic:
    id: int
    iid: int
    title: str
    parent_id: int | None  # the parent epic's id
    web_url: str


@dataclass(frozen=True)
class GitLabLabel:
    id: int
    name: str


@dataclass(frozen=True)
class GitLabIssue:
    id: int
    iid: int
    project_id: int
    title: str
    labels: tuple[str, ...]
    author: GitLabUser | None
    assignees: tuple[GitLabUser, ...]
    epic_id: int | None
    web_url: str
    created_at: dt.datetime


@dataclass(frozen=True)
class GitLabTimelog:
    id: int
    spent_at: dt.datetime  # as GitLab gives it (with its offset)
    seconds: int  # negative when time was subtracted
    summary: str
    user: GitLabUser
    issue_id: int | None  # None: logged on a merge request
    merge_request_id: int | None = None


@dataclass(frozen=True)
class GroupSnapshot:
    """Everything a sync needs from one group, fetched before anything is written."""

    group: GitLabGroup
    epics: tuple[GitLabEpic, ...]
    labels: tuple[GitLabLabel, ...]
    issues: tuple[GitLabIssue, ...]
    timelogs: tuple[GitLabTimelog, ...]


Progress = Callable[[str, int, int], None]
T = TypeVar("T")


# ------------------------------------------------------------------ parsing GitLab's JSON


def global_id(value: object) -> int:
    """GitLab's numeric id from a GraphQL global id ("gid://gitlab/Timelog/42") or a number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        tail = value.rsplit("/", 1)[-1]
        if tail.isdigit():
            return int(tail)
    raise ValueError(f"not a GitLab id: {value!r}")


def _instant(value: object) -> dt.datetime:
    if not isinstance(value, str):
        raise ValueError(f"not a date and time: {value!r}")
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def _user(data: Mapping[str, Any] | None) -> GitLabUser | None:
    if not data:
        return None
    email = data.get("publicEmail", data.get("public_email")) or ""
    return GitLabUser(id=global_id(data["id"]), username=str(data["username"]), email=str(email))


def _optional_id(value: object) -> int | None:
    return None if value is None else global_id(value)


def parse_group(data: Mapping[str, Any]) -> GitLabGroup:
    return GitLabGroup(
        id=int(data["id"]),
        full_path=str(data["full_path"]),
        name=str(data.get("name") or data["full_path"]),
        web_url=str(data.get("web_url") or ""),
    )


def parse_epic(data: Mapping[str, Any]) -> GitLabEpic:
    return GitLabEpic(
        id=int(data["id"]),
        iid=int(data["iid"]),
        title=str(data["title"]),
        parent_id=_optional_id(data.get("parent_id")),
        web_url=str(data.get("web_url") or ""),
    )


def parse_label(data: Mapping[str, Any]) -> GitLabLabel:
    return GitLabLabel(id=int(data["id"]), name=str(data["name"]))


def parse_issue(data: Mapping[str, Any]) -> GitLabIssue:
    epic = data.get("epic")
    assignees = tuple(u for u in (_user(a) for a in data.get("assignees") or []) if u)
    return GitLabIssue(
        id=int(data["id"]),
        iid=int(data["iid"]),
        project_id=int(data["project_id"]),
        title=str(data["title"]),
        labels=tuple(str(name) for name in data.get("labels") or []),
        author=_user(data.get("author")),
        assignees=assignees,
        epic_id=int(epic["id"]) if epic else None,
        web_url=str(data.get("web_url") or ""),
        created_at=_instant(data["created_at"]),
    )


def parse_timelog(node: Mapping[str, Any]) -> GitLabTimelog:
    user = _user(node["user"])
    if user is None:
        raise ValueError("a time log without a user")
    issue = node.get("issue")
    merge_request = node.get("mergeRequest")
    return GitLabTimelog(
        id=global_id(node["id"]),
        spent_at=_instant(node["spentAt"]),
        seconds=int(node["timeSpent"]),
        summary=str(node.get("summary") or ""),
        user=user,
        issue_id=global_id(issue["id"]) if issue else None,
        merge_request_id=global_id(merge_request["id"]) if merge_request else None,
    )


# ------------------------------------------------------------------ the client


class GitLabClient:
    """A thin client for one GitLab instance: REST through `gitlab.Gitlab`, time logs through
    `gitlab.GraphQL`."""

    def __init__(
        self, url: str, token: str, *, timeout: float = DEFAULT_TIMEOUT, ssl_verify: bool = True
    ) -> None:
        self.url = url.rstrip("/")
        self._rest = gitlab.Gitlab(
            self.url,
            private_token=token,
            timeout=timeout,
            ssl_verify=ssl_verify,
            per_page=PER_PAGE,
        )
        self._graphql = gitlab.GraphQL(
            self.url, token=token, timeout=timeout, ssl_verify=ssl_verify
        )

    @classmethod
    def from_settings(cls, settings: GitLabSettings | None = None) -> GitLabClient:
        settings = settings or gitlab_settings()
        return cls(settings.url, settings.token)

    def close(self) -> None:
        self._rest.session.close()
        self._graphql.__exit__()

    def __enter__(self) -> GitLabClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- single requests, each turning python-gitlab's errors into GitLabError

    def _call(self, what: str, fetch: Callable[[], T]) -> T:
        try:
            return fetch()
        except gitlab.exceptions.GitlabError as exc:
            raise GitLabError(
                ERR_GITLAB.format(
                    status=exc.response_code or "an error", what=what, message=exc.error_message
                )
            ) from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise GitLabError(ERR_BAD_ANSWER.format(what=what, message=exc)) from exc
        except OSError as exc:  # requests' connection errors are OSErrors
            raise GitLabError(ERR_UNREACHABLE.format(url=self.url, message=exc)) from exc
        except Exception as exc:
            # gql and httpx raise their own exception types for transport and query errors.
            raise GitLabError(ERR_FAILED.format(url=self.url, what=what, message=exc)) from exc

    def group(self, group: str) -> GitLabGroup:
        """The group by id or full path ("ps/delivery")."""
        return self._call(
            f"group {group}",
            lambda: parse_group(self._rest.groups.get(group).attributes),
        )

    def _rest_list(self, what: str, manager: Any, **filters: Any) -> list[dict[str, Any]]:
        return self._call(
            what,
            lambda: [obj.attributes for obj in manager.list(get_all=True, **filters)],
        )

    def epics(self, group: GitLabGroup) -> list[GitLabEpic]:
        rows = self._rest_list("epics", self._rest.groups.get(group.id, lazy=True).epics)
        return self._call("epics", lambda: [parse_epic(r) for r in rows])

    def labels(self, group: GitLabGroup) -> list[GitLabLabel]:
        rows = self._rest_list("labels", self._rest.groups.get(group.id, lazy=True).labels)
        return self._call("labels", lambda: [parse_label(r) for r in rows])

    def issues(self, group: GitLabGroup) -> list[GitLabIssue]:
        rows = self._rest_list(
            "issues", self._rest.groups.get(group.id, lazy=True).issues, state="all"
        )
        return self._call("issues", lambda: [parse_issue(r) for r in rows])

    def _timelog_page(
        self, full_path: str, after: str | None
    ) -> tuple[list[GitLabTimelog], str | None]:
        """One page of time logs and the cursor of the next page (None: the last page)."""
        variables = {"fullPath": full_path, "first": GRAPHQL_PAGE, "after": after}

        def ask() -> tuple[list[GitLabTimelog], str | None]:
            result = self._graphql.execute(TIMELOGS_QUERY, variable_values=variables)
            if not result.get("group"):
                raise ValueError(f"no group {full_path!r} in the GraphQL answer")
            connection = result["group"]["timelogs"]
            nodes = [parse_timelog(node) for node in connection["nodes"]]
            page = connection.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                return nodes, None
            if not page.get("endCursor"):
                raise ValueError("a next page without a cursor")
            return nodes, str(page["endCursor"])

        return self._call("time logs", ask)

    def timelogs(
        self, group: GitLabGroup, *, progress: Progress | None = None
    ) -> list[GitLabTimelog]:
        """Every time log of the group and its subgroups (on issues and merge requests)."""
        found: list[GitLabTimelog] = []
        after: str | None = None
        while True:
            nodes, after = self._timelog_page(group.full_path, after)
            found.extend(nodes)
            if progress:
                progress("time logs", len(found), 0)
            if after is None:
                return found

    def fetch(self, group: str, *, progress: Progress | None = None) -> GroupSnapshot:
        """The group's epics, labels, issues and time logs, all read before anything is
        written."""
        found = self.group(group)
        epics = tuple(self.epics(found))
        if progress:
            progress("epics", len(epics), len(epics))
        labels = tuple(self.labels(found))
        if progress:
            progress("labels", len(labels), len(labels))
        issues = tuple(self.issues(found))
        if progress:
            progress("issues", len(issues), len(issues))
        timelogs = tuple(self.timelogs(found, progress=progress))
        if progress:
            progress("time logs", len(timelogs), len(timelogs))
        return GroupSnapshot(
            group=found,
            epics=epics,
            labels=labels,
            issues=issues,
            timelogs=timelogs,
        )
