"""Salesforce adapter over the official-in-all-but-name `simple-salesforce` package: attach a
file to a record and post to the record's Chatter feed with @mentions. No business rules here.

Files go in as a ContentVersion whose FirstPublishLocationId is the record (REST `sobjects`),
which both stores the file and links it to the record. The post goes through the Connect REST
API (`chatter/feed-elements`) with message segments: a mention is a segment naming a user id,
so a plain text post (FeedItem.Body) can never mention anyone.

Each write can be found again by what it carries (the file by its title on the record, the post
by a marker in its text), so a filing interrupted after Salesforce answered, but before PSA
recorded the answer, finds its own file and post instead of making a second.

Settings come from the environment: PSA_SALESFORCE_INSTANCE_URL with PSA_SALESFORCE_ACCESS_TOKEN
(an OAuth access token), or PSA_SALESFORCE_USERNAME, PSA_SALESFORCE_PASSWORD and
PSA_SALESFORCE_SECURITY_TOKEN (with PSA_SALESFORCE_DOMAIN: login or test); and the users a
close-out mentions, PSA_SALESFORCE_CONTROLLER_ID and PSA_SALESFORCE_FBP_ID.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceError as ClientError
from simple_salesforce.format import format_soql

from psa.core.errors import DomainError

API_VERSION = "62.0"
TIMEOUT = 30.0  # seconds per request
FEED_PAGE = 100  # the Connect API's largest page of feed elements

ERR_NOT_CONFIGURED = "Salesforce is configured only in part: set {names}"
ERR_BAD_ID = "{name} is not a Salesforce id (15 or 18 letters and digits): {value!r}"
ERR_SALESFORCE = "Salesforce answered {status} for {what}: {message}"
ERR_UNREACHABLE = "Salesforce at {url} could not be reached: {message}"
ERR_BAD_ANSWER = "Salesforce's answer for {what} is not what its API documents: {message}"

SALESFORCE_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")

TOKEN_NAMES = ("PSA_SALESFORCE_INSTANCE_URL", "PSA_SALESFORCE_ACCESS_TOKEN")
LOGIN_NAMES = (
    "PSA_SALESFORCE_USERNAME",
    "PSA_SALESFORCE_PASSWORD",
    "PSA_SALESFORCE_SECURITY_TOKEN",
)
MENTION_NAMES = ("PSA_SALESFORCE_CONTROLLER_ID", "PSA_SALESFORCE_FBP_ID")


class SalesforceError(DomainError):
    """Salesforce could not be asked, refused, or answered something unexpected."""

    status = 502
    title = "Salesforce error"


def is_salesforce_id(value: str) -> bool:
    return bool(SALESFORCE_ID.fullmatch(value))


@dataclass(frozen=True)
class SalesforceSettings:
    instance_url: str
    access_token: str
    username: str
    password: str
    security_token: str
    domain: str
    controller_id: str
    fbp_id: str

    @property
    def where(self) -> str:
        return self.instance_url or f"{self.domain}.salesforce.com"


def salesforce_settings() -> SalesforceSettings | None:
    """The settings, or None when none of them is set (PSA then e-mails instead). Set in part,
    they are refused, naming what is missing: a half-configured CRM must not quietly become
    e-mail."""
    names = (*TOKEN_NAMES, *LOGIN_NAMES, *MENTION_NAMES)
    values = {name: os.environ.get(name, "").strip() for name in names}
    if not any(values.values()):
        return None
    by_token = all(values[n] for n in TOKEN_NAMES)
    by_login = all(values[n] for n in LOGIN_NAMES)
    missing = [n for n in MENTION_NAMES if not values[n]]
    if not (by_token or by_login):
        wanted = LOGIN_NAMES if any(values[n] for n in LOGIN_NAMES) else TOKEN_NAMES
        missing = [n for n in wanted if not values[n]] + missing
    if missing:
        raise SalesforceError(ERR_NOT_CONFIGURED.format(names=", ".join(missing)))
    for name in MENTION_NAMES:
        if not is_salesforce_id(values[name]):
            raise SalesforceError(ERR_BAD_ID.format(name=name, value=values[name]))
    return SalesforceSettings(
        instance_url=values["PSA_SALESFORCE_INSTANCE_URL"].rstrip("/") if by_token else "",
        access_token=values["PSA_SALESFORCE_ACCESS_TOKEN"] if by_token else "",
        username=values["PSA_SALESFORCE_USERNAME"],
        password=values["PSA_SALESFORCE_PASSWORD"],
        security_token=values["PSA_SALESFORCE_SECURITY_TOKEN"],
        domain=os.environ.get("PSA_SALESFORCE_DOMAIN", "login").strip() or "login",
        controller_id=values["PSA_SALESFORCE_CONTROLLER_ID"],
        fbp_id=values["PSA_SALESFORCE_FBP_ID"],
    )


@dataclass(frozen=True)
class Mention:
    """A message segment that @mentions a user."""

    user_id: str


Segment = str | Mention


def message_segments(parts: Sequence[Segment]) -> list[dict[str, str]]:
    """Connect REST message segments: text as Text, each Mention as a Mention of its user."""
    segments: list[dict[str, str]] = []
    for part in parts:
        if isinstance(part, Mention):
            segments.append({"type": "Mention", "id": part.user_id})
        elif part:
            segments.append({"type": "Text", "text": part})
    return segments


class _Session(requests.Session):
    """A session whose every request has a timeout (simple-salesforce's object calls take
    none): a hung Salesforce fails the attempt, which is then retried, instead of the worker."""

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs.setdefault("timeout", TIMEOUT)
        return super().request(method, url, *args, **kwargs)


class SalesforceClient:
    """The few calls PSA makes, each turning the client's errors into SalesforceError."""

    def __init__(self, api: Salesforce, where: str) -> None:
        self.api = api
        self.where = where

    @classmethod
    def from_settings(cls, settings: SalesforceSettings) -> SalesforceClient:
        session = _Session()
        try:
            if settings.access_token:
                api = Salesforce(
                    instance_url=settings.instance_url,
                    session_id=settings.access_token,
                    version=API_VERSION,
                    session=session,
                )
            else:
                api = Salesforce(
                    username=settings.username,
                    password=settings.password,
                    security_token=settings.security_token,
                    domain=settings.domain,
                    version=API_VERSION,
                    session=session,
                )
        except ClientError as exc:
            raise _error(exc, "signing in", settings.where) from exc
        except requests.RequestException as exc:
            raise SalesforceError(ERR_UNREACHABLE.format(url=settings.where, message=exc)) from exc
        return cls(api, settings.where)

    def _call(self, what: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except ClientError as exc:
            raise _error(exc, what, self.where) from exc
        except requests.RequestException as exc:
            raise SalesforceError(ERR_UNREACHABLE.format(url=self.where, message=exc)) from exc
        except ValueError as exc:  # a body that is not JSON
            raise SalesforceError(ERR_BAD_ANSWER.format(what=what, message=exc)) from exc

    def find_file(self, *, record_id: str, title: str) -> str | None:
        """The ContentDocument id of the latest file of that title first published on the
        record, if there is one."""
        what = f"the files of {record_id}"
        soql = format_soql(
            "SELECT Id, ContentDocumentId FROM ContentVersion "
            "WHERE FirstPublishLocationId = {} AND Title = {} AND IsLatest = true "
            "ORDER BY CreatedDate DESC LIMIT 1",
            record_id,
            title,
        )
        answer = self._call(what, self.api.query, soql)
        records = _field(answer, "records", list, what)
        if not records:
            return None
        return str(_field(records[0], "ContentDocumentId", str, what))

    def attach_file(self, *, record_id: str, title: str, file_name: str, data: bytes) -> str:
        """Upload the file onto the record; returns its ContentDocument id."""
        what = f"a file on {record_id}"
        created = self._call(
            what,
            self.api.ContentVersion.create,
            {
                "Title": title,
                "PathOnClient": file_name,
                "VersionData": base64.b64encode(data).decode("ascii"),
                "FirstPublishLocationId": record_id,
            },
        )
        version_id = str(_field(created, "id", str, what))
        soql = format_soql("SELECT ContentDocumentId FROM ContentVersion WHERE Id = {}", version_id)
        answer = self._call(what, self.api.query, soql)
        records = _field(answer, "records", list, what)
        if not records:
            raise SalesforceError(
                ERR_BAD_ANSWER.format(what=what, message=f"version {version_id} is not found")
            )
        return str(_field(records[0], "ContentDocumentId", str, what))

    def find_post(self, *, record_id: str, marker: str) -> str | None:
        """The id of the newest post on the record's feed whose text holds the marker."""
        what = f"the feed of {record_id}"
        answer = self._call(
            what,
            self.api.restful,
            f"chatter/feeds/record/{record_id}/feed-elements",
            params={"pageSize": FEED_PAGE},
        )
        for element in _field(answer, "elements", list, what):
            body = element.get("body") if isinstance(element, dict) else None
            text = body.get("text") if isinstance(body, dict) else None
            if isinstance(text, str) and marker in text:
                return str(_field(element, "id", str, what))
        return None

    def post(self, *, record_id: str, parts: Sequence[Segment], file_id: str = "") -> str:
        """Post to the record's feed (mentions as segments), the file attached; returns the
        feed element's id."""
        what = f"a post on {record_id}"
        body: dict[str, Any] = {
            "feedElementType": "FeedItem",
            "subjectId": record_id,
            "body": {"messageSegments": message_segments(parts)},
        }
        if file_id:
            body["capabilities"] = {"files": {"items": [{"id": file_id}]}}
        answer = self._call(
            what, self.api.restful, "chatter/feed-elements", method="POST", json=body
        )
        return str(_field(answer, "id", str, what))


def _field(answer: Any, name: str, kind: type, what: str) -> Any:
    value = answer.get(name) if isinstance(answer, dict) else None
    if not isinstance(value, kind):
        raise SalesforceError(ERR_BAD_ANSWER.format(what=what, message=f"no {name!r}"))
    return value


def _error(exc: ClientError, what: str, where: str) -> SalesforceError:
    """Salesforce's own words: its error bodies are lists of {message, errorCode}."""
    content = exc.content
    message = str(content)
    if isinstance(content, list) and content and isinstance(content[0], dict):
        message = "; ".join(
            f"{e.get('errorCode', '')}: {e.get('message', '')}".strip(": ")
            for e in content
            if isinstance(e, dict)
        )
    return SalesforceError(ERR_SALESFORCE.format(status=exc.status, what=what, message=message))
