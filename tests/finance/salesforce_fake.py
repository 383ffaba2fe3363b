"""A local Salesforce for the tests: HTTPS (simple-salesforce only speaks HTTPS) with a test CA
from trustme, answering the REST and Connect REST shapes Salesforce documents for the calls PSA
makes: sObject create (ContentVersion), SOQL query, a record's feed elements, and posting a feed
element. It keeps what was created, every request, and answers failures it is told to."""

from __future__ import annotations

import base64
import itertools
import json
import re
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import trustme

TOKEN = "00Dxx0000001gPL!AQ4AQFake.Token"
VERSION_PATH = "/services/data/v62.0/"
OPPORTUNITY = "006Dn00000A1b2cIAB"
CONTROLLER = "005Dn00000Ctrl01AAA"[:18]
FBP = "005Dn00000Fbp001AAA"[:18]
INVALID_SESSION = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
UNAVAILABLE = [{"message": "Service temporarily unavailable", "errorCode": "SERVER_UNAVAILABLE"}]

_QUOTED = r"'((?:[^'\\]|\\.)*)'"
BY_ID = re.compile(rf"WHERE Id = {_QUOTED}")
BY_RECORD_AND_TITLE = re.compile(rf"WHERE FirstPublishLocationId = {_QUOTED} AND Title = {_QUOTED}")


def _unquote(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


@dataclass
class Failure:
    method: str
    path_part: str
    status: int
    body: Any
    times: int = 1
    # Do the work, then answer the failure: Salesforce acted but its answer was lost.
    after_work: bool = False


@dataclass
class FakeSalesforce:
    ca: trustme.CA
    ca_file: Path
    versions: list[dict[str, Any]] = field(default_factory=list)
    posts: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"https://127.0.0.1:{self.server.server_address[1]}"

    def fail(self, method: str, path_part: str, status: int, body: Any, **kw: Any) -> None:
        self.failures.append(Failure(method, path_part, status, body, **kw))

    def new_id(self, prefix: str) -> str:
        return f"{prefix}Dn{next(self.ids):013d}"[:18].ljust(18, "A")

    def start(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1").configure_cert(context)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def calls(self, method: str, path_part: str) -> int:
        return sum(1 for m, p in self.requests if m == method and path_part in p)


def _handler(fake: FakeSalesforce) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def _send(self, status: int, body: Any) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _failure(self, method: str, path: str) -> Failure | None:
            for failure in fake.failures:
                if failure.times > 0 and failure.method == method and failure.path_part in path:
                    failure.times -= 1
                    return failure
            return None

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            fake.requests.append((method, parts.path))
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._send(401, INVALID_SESSION)
                return
            failure = self._failure(method, parts.path)
            if failure is not None and not failure.after_work:
                self._send(failure.status, failure.body)
                return
            if not parts.path.startswith(VERSION_PATH):
                self._send(404, [{"message": "not found", "errorCode": "NOT_FOUND"}])
                return
            status, answer = self._answer(method, parts.path[len(VERSION_PATH) :], parts, body)
            if failure is not None:
                status, answer = failure.status, failure.body
            self._send(status, answer)

        def _answer(self, method: str, path: str, parts: Any, body: Any) -> tuple[int, Any]:
            if method == "POST" and path == "sobjects/ContentVersion/":
                return self._create_version(body)
            if method == "GET" and path == "query/":
                return self._query(parse_qs(parts.query)["q"][0])
            feed = re.fullmatch(r"chatter/feeds/record/(\w+)/feed-elements", path)
            if method == "GET" and feed:
                elements = [p for p in reversed(fake.posts) if p["parent"]["id"] == feed[1]]
                return 200, {
                    "currentPageUrl": f"{VERSION_PATH}{path}",
                    "elements": elements,
                    "nextPageUrl": None,
                    "updatesUrl": None,
                }
            if method == "POST" and path == "chatter/feed-elements":
                return self._post(body)
            missing = "The requested resource does not exist"
            return 404, [{"message": missing, "errorCode": "NOT_FOUND"}]

        def _create_version(self, body: dict[str, Any]) -> tuple[int, Any]:
            missing = [f for f in ("Title", "PathOnClient", "VersionData") if not body.get(f)]
            if missing:
                return 400, [
                    {
                        "message": f"Required fields are missing: [{', '.join(missing)}]",
                        "errorCode": "REQUIRED_FIELD_MISSING",
                        "fields": missing,
                    }
                ]
            version = {
                "Id": fake.new_id("068"),
                "ContentDocumentId": fake.new_id("069"),
                "Title": body["Title"],
                "PathOnClient": body["PathOnClient"],
                "FirstPublishLocationId": body.get("FirstPublishLocationId"),
                "data": base64.b64decode(body["VersionData"]),
            }
            fake.versions.append(version)
            return 201, {"id": version["Id"], "success": True, "errors": []}

        def _query(self, soql: str) -> tuple[int, Any]:
            if not soql.startswith("SELECT ") or " FROM ContentVersion " not in soql:
                return 400, [{"message": "unexpected query", "errorCode": "MALFORMED_QUERY"}]
            if match := BY_ID.search(soql):
                rows = [v for v in fake.versions if v["Id"] == _unquote(match[1])]
            elif match := BY_RECORD_AND_TITLE.search(soql):
                record, title = _unquote(match[1]), _unquote(match[2])
                rows = [
                    v
                    for v in fake.versions
                    if v["FirstPublishLocationId"] == record and v["Title"] == title
                ]
            else:
                return 400, [{"message": "unexpected filter", "errorCode": "MALFORMED_QUERY"}]
            records = [
                {
                    "attributes": {
                        "type": "ContentVersion",
                        "url": f"{VERSION_PATH}sobjects/ContentVersion/{v['Id']}",
                    },
                    "Id": v["Id"],
                    "ContentDocumentId": v["ContentDocumentId"],
                }
                for v in rows
            ]
            return 200, {"totalSize": len(records), "done": True, "records": records}

        def _post(self, body: dict[str, Any]) -> tuple[int, Any]:
            segments = body.get("body", {}).get("messageSegments")
            if body.get("feedElementType") != "FeedItem" or not isinstance(segments, list):
                return 400, [{"message": "Invalid body", "errorCode": "INVALID_API_INPUT"}]
            text = ""
            for s in segments:
                if s.get("type") == "Text":
                    text += s["text"]
                elif s.get("type") == "Mention":
                    text += f"@{s['id']}"
                else:
                    return 400, [{"message": "bad segment", "errorCode": "INVALID_API_INPUT"}]
            post = {
                "id": fake.new_id("0D5"),
                "type": "TextPost",
                "parent": {"id": body["subjectId"]},
                "body": {"text": text, "messageSegments": segments},
                "capabilities": body.get("capabilities", {}),
            }
            fake.posts.append(post)
            return 201, post

        def do_GET(self) -> None:  # noqa: N802
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

    return Handler
