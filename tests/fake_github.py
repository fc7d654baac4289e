"""A local stand-in for the GitHub REST API subset `planner sync github` uses, with in-memory state and faults.

Implemented as documented: list issues (labels, state, per_page, page, Link headers; pull requests are
listed too), create and update issues, list/add/remove "blocked by" dependencies (taking the blocker's
numeric `id`, across repositories), comments, sub-issues (by `sub_issue_id` = the issue's `id`; one parent per
issue, 100 per parent, 8 levels), and a GraphQL endpoint for Projects (v2): boards, fields, single-select options
and items, answering `errors` for what GitHub refuses. Faults are injected per request: rate limits (403 with
retry-after, 429, 403 with x-ratelimit-remaining 0), 5xx before or after the change is made, and dropped
connections.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

__all__ = ["FakeGitHub", "Fault", "Request"]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    time: float


@dataclass
class Fault:
    """Answer `times` requests matching method and path pattern with `status` (after applying them if `after`)."""

    method: str
    path: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "injected fault"
    times: int = 1
    after: bool = False
    drop: bool = False  # close the connection without any answer instead


@dataclass
class _Repo:
    name: str
    issues: list[dict[str, Any]] = field(default_factory=list)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)  # casefolded name -> label


@dataclass
class Board:
    """A Projects (v2) board: fields (single-select ones with options) and items holding issues by node id."""

    id: str
    owner: str
    number: int
    fields: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)  # {"id", "content", "values": {field id: value}}

    def field(self, name: str) -> dict[str, Any]:
        return next(f for f in self.fields if f["name"] == name)

    def item(self, node: str) -> dict[str, Any] | None:
        return next((i for i in self.items if i["content"] == node), None)


class _Answer(Exception):
    def __init__(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.payload, self.headers = status, payload, headers or {}


class FakeGitHub:
    """The server's state; `start()` serves it on 127.0.0.1 on a free port."""

    def __init__(
        self, token: str = "test-token", *, prefix: str = "", clock: Callable[[], float] | None = None
    ) -> None:
        self.token = token
        self.prefix = prefix.rstrip("/")
        self.clock = clock or (lambda: 0.0)
        self.max_per_page = 100
        self.repos: dict[str, _Repo] = {}
        self.blocked_by: dict[int, list[int]] = {}
        self.sub_issues: dict[int, list[int]] = {}  # parent issue id -> sub-issue ids, in order added
        self.comments: dict[int, list[str]] = {}  # issue id -> comment bodies
        self.boards: dict[tuple[str, int], Board] = {}
        self.graphql_page = 100
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.limit_after: dict[str, str] | None = None  # rate-limit headers for the next answer
        self.drop_after_creates: int | None = None
        self.stay_down = False  # after that drop, drop every request until `network_down` is reset
        self.network_down = False
        self.creates = 0
        # Called (under the lock) with each issue-creating request's repo before it is served: lets a test
        # play "another sync created this task's issue a moment ago" deterministically.
        self.before_create: Callable[[FakeGitHub, str, Any], None] | None = None
        self._next_id = 9000
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- test API -----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{self.prefix}"

    def start(self) -> FakeGitHub:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def add_repo(self, name: str, labels: tuple[str, ...] = ()) -> None:
        repo = self.repos.setdefault(name, _Repo(name))
        for label in labels:
            self._label(repo, label)

    def seed(self, repo: str, title: str, body: str = "", labels: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
        """An issue (or with pull_request={...}, a pull request) made outside planner."""
        with self._lock:
            return self.seed_locked(repo, title, body, labels, **extra)

    def seed_locked(
        self, repo: str, title: str, body: str = "", labels: tuple[str, ...] = (), **extra: Any
    ) -> dict[str, Any]:
        """`seed` for a caller that already holds the lock (a `before_create` hook)."""
        issue = self._new_issue(self.repos[repo], title, body, list(labels))
        issue.update(extra)
        return issue

    def add_project(self, owner: str, number: int, fields: dict[str, str | list[str]]) -> Board:
        """A board; each field is "NUMBER", "TEXT" or a list of single-select option names. Like GitHub's,
        it also has a built-in Title field that planner cannot set."""
        board = Board(f"PVT_{owner}_{number}", owner, number)
        for name, kind in {"Title": "TITLE", **fields}.items():
            self._next_id += 1
            made: dict[str, Any] = {"id": f"PVTF_{self._next_id}", "name": name}
            if isinstance(kind, list):
                made["dataType"] = "SINGLE_SELECT"
                made["options"] = [{"id": f"opt_{self._bump()}", "name": option} for option in kind]
            else:
                made["dataType"] = kind
            board.fields.append(made)
        self.boards[owner, number] = board
        return board

    def item_values(self, board: Board, issue: dict[str, Any]) -> dict[str, Any]:
        """Field name -> value (option name for single selects) of the issue's item on the board."""
        item = board.item(issue["node_id"])
        assert item is not None, f"#{issue['number']} is not on the board"
        named: dict[str, Any] = {}
        for made in board.fields:
            if made["id"] in item["values"]:
                value = item["values"][made["id"]]
                options = {o["id"]: o["name"] for o in made.get("options", [])}
                named[made["name"]] = options.get(value, value)
        return named

    def rename_label(self, repo: str, old: str, new: str) -> None:
        """As a person renaming a label in the settings: every issue carrying it now shows the new name."""
        with self._lock:
            label = self.repos[repo].labels.pop(old.casefold())
            label["name"] = new
            self.repos[repo].labels[new.casefold()] = label

    def delete_label(self, repo: str, name: str) -> None:
        """As a person deleting a label: it leaves every issue."""
        with self._lock:
            label = self.repos[repo].labels.pop(name.casefold())
            for issue in self.repos[repo].issues:
                issue["labels"] = [x for x in issue["labels"] if x is not label]

    def issues(self, repo: str, *, pulls: bool = False) -> list[dict[str, Any]]:
        return [i for i in self.repos[repo].issues if pulls or "pull_request" not in i]

    def all_issues(self) -> list[dict[str, Any]]:
        return [i for name in sorted(self.repos) for i in self.issues(name)]

    def blockers(self, issue: dict[str, Any]) -> list[int]:
        return list(self.blocked_by.get(issue["id"], []))

    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.method != "GET"]

    def fail(self, method: str, path: str, status: int, **kwargs: Any) -> None:
        self.faults.append(Fault(method, path, status, **kwargs))

    # -- serving ------------------------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]] | None:
        """The answer to one request, or None to drop the connection."""
        parts = urlsplit(target)
        path = parts.path
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return 400, {"message": "Problems parsing JSON"}, {}
        with self._lock:
            self.requests.append(Request(method, path.removeprefix(self.prefix), query, body, self.clock()))
            if self.network_down:
                return None
            fault = self._fault(method, path.removeprefix(self.prefix))
            if fault is not None and not fault.after:
                return None if fault.drop else (fault.status, {"message": fault.message}, fault.headers)
            try:
                if headers.get("authorization") != f"Bearer {self.token}":
                    raise _Answer(401, {"message": "Bad credentials"})
                if not path.startswith(self.prefix + "/"):
                    raise _Answer(404, {"message": "Not Found"})
                if path.removeprefix(self.prefix) == "/graphql" and method == "POST":
                    status, payload, extra = 200, self._graphql(body), dict[str, str]()
                else:
                    status, payload, extra = self._route(method, path.removeprefix(self.prefix), query, body)
            except _Answer as answer:
                status, payload, extra = answer.status, answer.payload, answer.headers
            if fault is not None:
                return None if fault.drop else (fault.status, {"message": fault.message}, fault.headers)
            if method == "POST" and status == 201 and path.endswith("/issues"):
                self.creates += 1
                if self.drop_after_creates is not None and self.creates >= self.drop_after_creates:
                    self.drop_after_creates = None
                    self.network_down = self.stay_down
                    return None
            if self.limit_after is not None:
                extra = {**extra, **self.limit_after}
                self.limit_after = None
            return status, payload, extra

    def _fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and re.fullmatch(fault.path, path) and fault.times > 0:
                fault.times -= 1
                return fault
        return None

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any, dict[str, str]]:
        extra = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/(\d+)/(comments|sub_issues)", path)
        if extra is not None:
            return self._issue_extra(method, path, query, body, extra)
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues(?:/(\d+)(/dependencies/blocked_by(?:/(\d+))?)?)?", path)
        if m is None or m.group(1) not in self.repos:
            raise _Answer(404, {"message": "Not Found"})
        repo = self.repos[m.group(1)]
        number, deps, blocker = m.group(2), m.group(3), m.group(4)
        if number is None:
            if method == "GET":
                return self._list(repo, path, query)
            if method == "POST":
                return 201, self._create(repo, body), {}
        else:
            issue = next((i for i in repo.issues if i["number"] == int(number)), None)
            if issue is None:
                raise _Answer(404, {"message": "Not Found"})
            if deps is None and method == "GET":
                return 200, issue, {}
            if deps is None and method == "PATCH":
                return 200, self._update(repo, issue, body), {}
            if deps is not None and blocker is None and method == "GET":
                found = [self._by_id(b) for b in self.blocked_by.get(issue["id"], [])]
                return self._page(found, path, query)
            if deps is not None and blocker is None and method == "POST":
                return 201, self._block(issue, body), {}
            if blocker is not None and method == "DELETE":
                ids = self.blocked_by.get(issue["id"], [])
                if int(blocker) not in ids:
                    raise _Answer(404, {"message": "Not Found"})
                ids.remove(int(blocker))
                return 200, issue, {}
        raise _Answer(404, {"message": "Not Found"})

    # -- GraphQL: the three operations planner sends, checked as GitHub's schema would ---------------

    def _graphql(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            raise _Answer(400, {"message": "Problems parsing JSON"})
        m = re.match(r"\s*(query|mutation)\s+(\w+)", body["query"])
        variables = body.get("variables") or {}
        handlers = {
            "PlannerProject": self._gql_project,
            "PlannerAddItem": self._gql_add,
            "PlannerSetField": self._gql_set,
        }
        if m is None or m.group(2) not in handlers:
            return _gql_error("PARSE_ERROR", "this fake serves PlannerProject, PlannerAddItem and PlannerSetField only")
        try:
            return {"data": handlers[m.group(2)](variables)}
        except _GqlError as problem:
            return _gql_error(problem.kind, str(problem))

    def _board(self, project_id: Any) -> Board:
        board = next((b for b in self.boards.values() if b.id == project_id), None)
        if board is None:
            raise _GqlError("NOT_FOUND", f"Could not resolve to a node with the global id of '{project_id}'")
        return board

    def _gql_project(self, variables: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(variables.get("number"), int) or not isinstance(variables.get("login"), str):
            raise _GqlError("INVALID", "Variable $number of type Int! or $login of type String! was not provided")
        board = self.boards.get((variables["login"], variables["number"]))
        if board is None:
            raise _GqlError("NOT_FOUND", f"Could not resolve to a ProjectV2 with the number {variables['number']}.")
        start = int(variables.get("after") or 0)
        page = board.items[start : start + self.graphql_page]
        more = start + self.graphql_page < len(board.items)
        return {
            "repositoryOwner": {
                "projectV2": {
                    "id": board.id,
                    "fields": {"nodes": board.fields},
                    "items": {
                        "pageInfo": {"hasNextPage": more, "endCursor": str(start + len(page))},
                        "nodes": [self._gql_item(board, item) for item in page],
                    },
                }
            }
        }

    def _gql_item(self, board: Board, item: dict[str, Any]) -> dict[str, Any]:
        values = []
        for made in board.fields:
            if made["id"] in item["values"]:
                key = {"NUMBER": "number", "TEXT": "text", "SINGLE_SELECT": "optionId"}[made["dataType"]]
                values.append({key: item["values"][made["id"]], "field": {"id": made["id"]}})
        return {"id": item["id"], "content": {"id": item["content"]}, "fieldValues": {"nodes": values}}

    def _gql_add(self, variables: dict[str, Any]) -> dict[str, Any]:
        board = self._board(variables.get("project"))
        content = variables.get("content")
        if not any(i.get("node_id") == content for repo in self.repos.values() for i in repo.issues):
            raise _GqlError("NOT_FOUND", f"Could not resolve to a node with the global id of '{content}'")
        item = board.item(str(content))
        if item is None:  # adding twice returns the item already there, as GitHub does
            item = {"id": f"PVTI_{self._bump()}", "content": content, "values": {}}
            board.items.append(item)
        return {"addProjectV2ItemById": {"item": {"id": item["id"]}}}

    def _gql_set(self, variables: dict[str, Any]) -> dict[str, Any]:
        board = self._board(variables.get("project"))
        item = next((i for i in board.items if i["id"] == variables.get("item")), None)
        made = next((f for f in board.fields if f["id"] == variables.get("field")), None)
        value = variables.get("value")
        if item is None or made is None:
            raise _GqlError("NOT_FOUND", "Could not resolve to a node with the global id of the item or field")
        if not isinstance(value, dict) or len(value) != 1:
            raise _GqlError("INVALID", "value must hold exactly one of number, text, singleSelectOptionId, ...")
        (key, given), kind = next(iter(value.items())), made["dataType"]
        wanted = {"NUMBER": "number", "TEXT": "text", "SINGLE_SELECT": "singleSelectOptionId"}.get(kind)
        if wanted is None or key != wanted:
            raise _GqlError("INVALID", f"Field {made['name']} of type {kind} cannot be updated with {key}")
        if kind == "NUMBER" and (isinstance(given, bool) or not isinstance(given, (int, float))):
            raise _GqlError("INVALID", "number must be a Float")
        if kind == "SINGLE_SELECT" and given not in {o["id"] for o in made["options"]}:
            raise _GqlError("INVALID", "The single select option Id does not belong to the field")
        item["values"][made["id"]] = float(given) if kind == "NUMBER" else given
        return {"updateProjectV2ItemFieldValue": {"projectV2Item": {"id": item["id"]}}}

    def _issue_extra(
        self, method: str, path: str, query: dict[str, str], body: Any, m: re.Match[str]
    ) -> tuple[int, Any, dict[str, str]]:
        repo = self.repos.get(m.group(1))
        issue = next((i for i in repo.issues if i["number"] == int(m.group(2))), None) if repo else None
        if issue is None:
            raise _Answer(404, {"message": "Not Found"})
        if m.group(3) == "comments" and method == "POST":
            if not isinstance(body, dict) or not isinstance(body.get("body"), str) or not body["body"].strip():
                raise _invalid("IssueComment", "body", "missing_field")
            self.comments.setdefault(issue["id"], []).append(body["body"])
            return 201, {"id": self._bump(), "body": body["body"]}, {}
        if m.group(3) == "sub_issues" and method == "GET":
            return self._page([self._by_id(i) for i in self.sub_issues.get(issue["id"], [])], path, query)
        if m.group(3) == "sub_issues" and method == "POST":
            return 201, self._add_sub_issue(issue, body), {}
        raise _Answer(404, {"message": "Not Found"})

    def _add_sub_issue(self, parent: dict[str, Any], body: Any) -> dict[str, Any]:
        # As documented: `sub_issue_id` is the issue's `id` (not its number); one parent per issue; at most
        # 100 sub-issues per parent and 8 levels of nesting.
        if not isinstance(body, dict) or not isinstance(body.get("sub_issue_id"), int):
            raise _invalid("Issue", "sub_issue_id", "invalid")
        child = self._by_id(body["sub_issue_id"])
        if child["id"] == parent["id"] or self.parent_of(child["id"]) is not None:
            raise _Answer(
                422,
                {
                    "message": "Validation Failed",
                    "errors": [{"message": "Issue may not be a sub-issue of more than one parent"}],
                },
            )
        if len(self.sub_issues.get(parent["id"], [])) >= 100:
            raise _Answer(
                422,
                {
                    "message": "Validation Failed",
                    "errors": [{"message": "Parent cannot have more than 100 sub-issues"}],
                },
            )
        depth, up = 1, parent["id"]
        while (up := self.parent_of(up)) is not None:
            depth += 1
        if depth >= 8:
            raise _Answer(
                422,
                {"message": "Validation Failed", "errors": [{"message": "Sub-issues cannot nest more than 8 levels"}]},
            )
        self.sub_issues.setdefault(parent["id"], []).append(child["id"])
        return parent

    def parent_of(self, issue_id: int) -> int | None:
        return next((p for p, children in self.sub_issues.items() if issue_id in children), None)

    def _bump(self) -> int:
        self._next_id += 1
        return self._next_id

    def _list(self, repo: _Repo, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        state = query.get("state", "open")
        wanted = [w.strip().casefold() for w in query.get("labels", "").split(",") if w.strip()]
        found = [
            i
            for i in sorted(repo.issues, key=lambda i: -int(i["number"]))
            if (state == "all" or i["state"] == state)
            and all(w in {label["name"].casefold() for label in i["labels"]} for w in wanted)
        ]
        return self._page(found, path, query)

    def _page(self, items: list[dict[str, Any]], path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        per_page = min(int(query.get("per_page", 30)), self.max_per_page)
        page = int(query.get("page", 1))
        last = max((len(items) + per_page - 1) // per_page, 1)
        headers: dict[str, str] = {}
        if page < last:

            def link(n: int) -> str:
                return f"{self.url}{path}?{urlencode({**query, 'page': n})}"

            headers["Link"] = f'<{link(page + 1)}>; rel="next", <{link(last)}>; rel="last"'
        return 200, items[(page - 1) * per_page : page * per_page], headers

    def _check(self, body: Any, creating: bool) -> None:
        if not isinstance(body, dict):
            raise _Answer(400, {"message": "Problems parsing JSON"})
        title = body.get("title")
        if (creating or "title" in body) and (not isinstance(title, str) or not title.strip()):
            raise _invalid("Issue", "title", "missing_field")
        for label in body.get("labels", []):
            if not isinstance(label, str) or not label or len(label) > 50:
                raise _invalid("Label", "name", "invalid")

    def _create(self, repo: _Repo, body: Any) -> dict[str, Any]:
        self._check(body, creating=True)
        if self.before_create is not None:
            self.before_create(self, repo.name, body)
        return self._new_issue(repo, body["title"], body.get("body") or "", body.get("labels", []))

    def _new_issue(self, repo: _Repo, title: str, body: str, labels: list[str]) -> dict[str, Any]:
        self._next_id += 7
        issue = {
            "id": self._next_id,
            "number": len(repo.issues) + 1,
            "title": title,
            "body": body,
            "state": "open",
            "state_reason": None,
            "node_id": f"I_kwDO{self._next_id:08d}",
            "labels": [self._label(repo, name) for name in labels],
            "repository_url": f"{self.url}/repos/{repo.name}",
        }
        repo.issues.append(issue)
        return issue

    def _update(self, repo: _Repo, issue: dict[str, Any], body: Any) -> dict[str, Any]:
        self._check(body, creating=False)
        if body.get("state", "open") not in ("open", "closed"):
            raise _invalid("Issue", "state", "invalid")
        if body.get("state_reason") not in (None, "completed", "not_planned", "reopened"):
            raise _invalid("Issue", "state_reason", "invalid")
        for key in ("title", "body"):
            if key in body:
                issue[key] = body[key]
        # state_reason is ignored unless the state changes with it; GitHub fills in the reason itself.
        if body.get("state") == "closed" and issue["state"] != "closed":
            issue["state"], issue["state_reason"] = "closed", body.get("state_reason") or "completed"
        elif body.get("state") == "open" and issue["state"] != "open":
            issue["state"], issue["state_reason"] = "open", "reopened"
        if "labels" in body:
            issue["labels"] = [self._label(repo, name) for name in body["labels"]]
        return issue

    def _label(self, repo: _Repo, name: str) -> dict[str, Any]:
        # Like GitHub: label names match case-insensitively and keep the repository's spelling.
        if name.casefold() not in repo.labels:
            self._next_id += 1
            repo.labels[name.casefold()] = {"id": self._next_id, "name": name}
        return repo.labels[name.casefold()]

    def _by_id(self, issue_id: int) -> dict[str, Any]:
        for repo in self.repos.values():
            for issue in repo.issues:
                if issue["id"] == issue_id:
                    return issue
        raise _Answer(404, {"message": "Not Found"})

    def _block(self, issue: dict[str, Any], body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("issue_id"), int):
            raise _Answer(422, {"message": "Validation Failed", "errors": [{"field": "issue_id", "code": "invalid"}]})
        blocker = self._by_id(body["issue_id"])
        ids = self.blocked_by.setdefault(issue["id"], [])
        if blocker["id"] == issue["id"] or blocker["id"] in ids:
            raise _Answer(422, {"message": "Validation Failed", "errors": [{"message": "dependency already exists"}]})
        ids.append(blocker["id"])
        return issue


class _GqlError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _gql_error(kind: str, message: str) -> dict[str, Any]:
    # GraphQL answers 200 with `errors` (and data null) for a request it refuses.
    return {"data": None, "errors": [{"type": kind, "message": message}]}


def _invalid(resource: str, name: str, code: str) -> _Answer:
    problem = {"resource": resource, "field": name, "code": code}
    return _Answer(422, {"message": "Validation Failed", "errors": [problem]})


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Status line, headers and body leave in one segment at the flush after each request.
        wbufsize = 1 << 16
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            answer = fake.handle(self.command, self.path, headers, raw)
            if answer is None:
                self.close_connection = True  # no status line at all: the client sees a dropped connection
                return
            status, payload, extra = answer
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _serve

    return Handler
