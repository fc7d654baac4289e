"""The per-section readers: header, repositories, key files, API, database, domain, questions, leftovers."""

from __future__ import annotations

from collections.abc import Iterable

from planner.design.markdown import LINE, Token, inline
from planner.design.model import DbChange, DomainType, Endpoint, KeyFile, Question, RepoItem, RpcMethod
from planner.design.rules import (
    ALIGNED,
    API_HINT,
    CHECKBOX,
    DDL_STATEMENT,
    ENDPOINT_LINE,
    FIELD,
    LEFTOVER_HINT,
    PARAMETER,
    PATH_COLUMNS,
    PLACEHOLDER,
    REST_LINE,
    REST_TRAILERS,
    RPC_LINE,
    RPC_OPEN,
    RPC_START,
    SERVICE,
    SQL_LANGUAGES,
    TABLE_ROW,
    TEMPLATE_PHRASES,
    TYPE_DEF,
    clip,
    lead_code,
    name_and_rest,
    path_problem,
    request_body,
    sql_statements,
    strip_separator,
)
from planner.design.structure import (
    Section,
    code_line,
    fence_language,
    item_text,
    items_under_groups,
    list_items,
    plain_text,
    shown,
    texts,
    walk,
)
from planner.diagnostics import Diagnostic, error, note, warning

__all__: list[str] = []


def _without_examples(endpoints: list[Endpoint]) -> list[Endpoint]:
    """Drop example requests: a path that another endpoint of the design spells with parameters where it
    has values ('POST /api/orgs/acme/runs' beside 'POST /api/orgs/{org}/runs')."""
    # A trie per method of the paths with parameters, a parameter segment a wildcard: each lookup follows
    # the path's own segments, whatever the number of endpoints.
    tries: dict[str, _Node] = {}
    for e in endpoints:
        if PARAMETER.search(e.path):
            node = tries.setdefault(e.method, _Node())
            for segment in e.path.split("/"):
                key = "" if PARAMETER.fullmatch(segment) else segment
                node = node.children.setdefault(key, _Node())
            node.paths.add(e.path)
    return [e for e in endpoints if e.method not in tries or not _spelled_otherwise(tries[e.method], e.path)]


class _Node:
    __slots__ = ("children", "paths")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}  # "" is any one segment (a parameter)
        self.paths: set[str] = set()


def _spelled_otherwise(root: _Node, path: str) -> bool:
    """Whether another path of the trie matches this one, segment by segment."""
    segments = path.split("/")
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if depth == len(segments):
            if node.paths - {path}:
                return True
            continue
        for key in (segments[depth], ""):
            child = node.children.get(key)
            if child is not None:
                stack.append((child, depth + 1))
    return False


class Reader:
    def __init__(self, path: str, full: bool = False) -> None:
        self.path = path
        self.full = full  # no shortcuts: the reference the fast paths are tested against
        self.diagnostics: list[Diagnostic] = []

    def error(self, code: str, message: str, line: int) -> None:
        self.diagnostics.append(error(code, message, self.path, line))

    def warning(self, code: str, message: str, line: int) -> None:
        self.diagnostics.append(warning(code, message, self.path, line))

    # header -----------------------------------------------------------------------------------

    def header(self, tokens: list[Token], first_sub: int | None) -> dict[str, tuple[str, int]]:
        fields: dict[str, tuple[str, int]] = {}
        for token in tokens:
            if token["type"] == "heading" and token["attrs"]["level"] > 1:
                break
            if token["type"] != "paragraph":
                continue
            for offset, raw in enumerate(token["text"].split("\n")):
                m = FIELD.match(plain_text(inline(raw)).strip()) if ":" in raw else None
                if m and m.group(1).lower() == "status":
                    # The approval gate reads the status as rendered: `~~Approved~~ Draft` is a Draft.
                    m = FIELD.match(shown(raw).strip())
                if m and m.group(1).lower() not in fields:
                    fields[m.group(1).lower()] = (m.group(2).strip(), token[LINE] + offset)
        return fields

    # affected repositories --------------------------------------------------------------------

    def repos(self, section: Section) -> tuple[RepoItem, ...]:
        found: list[RepoItem] = []
        for item in items_under_groups(section.tokens):
            raw, line = item_text(item)
            first = raw.split("\n", 1)[0]
            m = CHECKBOX.match(first)
            if m is None:
                if first:
                    self.warning(
                        "plain-bullet",
                        f"'{clip(first)}' has no checkbox, so it is not planned; "
                        "write '- [x] repo - change' to plan it or '- [ ] ...' to leave it out",
                        line,
                    )
                continue
            name, change = name_and_rest(first[m.end() :], self.full)
            if not name:
                self.error("repo-name", "checkbox item names no repository; write '- [x] repo-name - change'", line)
                continue
            found.append(RepoItem(name, m.group(1) != " ", change, line))
        return tuple(found)

    # key files ----------------------------------------------------------------------------------

    def key_files(self, section: Section) -> tuple[KeyFile, ...]:
        found: list[KeyFile] = []
        for item in list_items(section.tokens):
            raw, line = item_text(item)
            first = raw.split("\n", 1)[0]
            # '- [x] `repo/path` - why' is planned like a plain item; '- [ ] ...' is not.
            box = CHECKBOX.match(first)
            if box is not None:
                first = first[box.end() :]
            code, rest = lead_code(first, self.full)
            if code is None:
                self.warning(
                    "key-file-format",
                    f"'{clip(first)}' is not a key file line; write '- `repo/path` - why'",
                    line,
                )
                continue
            if box is not None and box.group(1) == " ":
                continue
            ref = code.strip()
            description = strip_separator(rest)
            repo, _, rel = ref.partition("/")
            problem = path_problem(rel) if rel else "has no path after the repository"
            if problem or not repo:
                self.error(
                    "key-file-path",
                    f"key file '{clip(ref)}' {problem or 'has no repository'}; "
                    "write a clean relative path as `repo/dir/file`",
                    line,
                )
                continue
            found.append(KeyFile(repo, rel, description, line))
        return tuple(found)

    # api changes ----------------------------------------------------------------------------------

    def api(
        self, tokens: Iterable[tuple[Token, str]], outside: bool = False
    ) -> tuple[tuple[Endpoint, ...], tuple[RpcMethod, ...]]:
        """Endpoints and methods of API Changes, or (`outside`) of the design's other sections, each
        reported with a note: there a line that does not read as one is prose, never an error."""
        endpoints: list[Endpoint] = []
        rpcs: list[RpcMethod] = []
        headings: list[str] = []  # the heading each endpoint, then each method, stood under
        for top, heading in tokens:
            before = len(endpoints) + len(rpcs)
            for token in walk((top,)):
                self._api_token(token, endpoints, rpcs, not outside)
            headings += [heading] * (len(endpoints) + len(rpcs) - before)
        if not outside:
            return tuple(endpoints), tuple(rpcs)
        under = dict(zip([*endpoints, *rpcs], headings, strict=True))
        endpoints = _without_examples(endpoints)
        for e in endpoints:
            self.taken(e.subject, under[e], "API Changes", e.line)
        for r in rpcs:
            self.taken(f"rpc {r.subject}", under[r], "API Changes", r.line)
        return tuple(endpoints), tuple(rpcs)

    def taken(self, what: str, heading: str, canonical: str, line: int) -> None:
        where = f"under '{clip(heading, 60)}'" if heading else "before any heading"
        self.diagnostics.append(
            note(
                "outside-section",
                f"read '{clip(what, 70)}' {where}, as the design has no {canonical} section; "
                "to leave it out, move it under a context heading (such as 'Current State' or 'Alternatives'), "
                f"or add a '## {canonical}' section",
                self.path,
                line,
            )
        )

    def _api_token(self, token: Token, endpoints: list[Endpoint], rpcs: list[RpcMethod], strict: bool) -> None:
        kind = token["type"]
        if kind == "block_code":
            if API_HINT.search(token["raw"]):  # most code blocks hold no method and no 'rpc'
                self._code_api(token["raw"], code_line(token), endpoints, rpcs, strict)
        elif kind == "heading":
            if API_HINT.search(token["text"]):
                self._prose_api(plain_text(inline(token["text"])).strip(), token[LINE], endpoints, rpcs, strict)
        elif kind in ("paragraph", "block_text"):
            table: tuple[int | None, int | None] | None = None
            for offset, raw in enumerate(token["text"].split("\n")):
                line = token[LINE] + offset
                if TABLE_ROW.match(raw):
                    table = self._table_row(raw, line, table, endpoints, rpcs)
                else:
                    table = None
                    if API_HINT.search(raw):  # no method and no 'rpc': no API line, in prose or code span
                        self._prose_api(raw, line, endpoints, rpcs, strict)

    def _prose_api(self, raw: str, line: int, endpoints: list[Endpoint], rpcs: list[RpcMethod], strict: bool) -> None:
        self._api_line(raw.strip(), line, None, endpoints, rpcs, prose=True)
        if "`" in raw:
            for code in (t["raw"] for t in walk(inline(raw)) if t["type"] == "codespan"):
                self._api_line(code.strip(), line, None, endpoints, rpcs, code="code" if strict else "lenient")

    def _table_row(
        self,
        raw: str,
        line: int,
        columns: tuple[int | None, int | None] | None,
        endpoints: list[Endpoint],
        rpcs: list[RpcMethod],
    ) -> tuple[int | None, int | None]:
        """One row of a Markdown table: its header names the Method and Path columns; a row gives
        'METHOD /path' from those two cells, or from any one cell that holds both."""
        if columns is not None and not API_HINT.search(raw):
            return columns  # a row without a method names no endpoint
        cells = [plain_text(inline(c)).strip() for c in raw.strip().strip("|").split("|")]
        if columns is None:
            names = [c.lower() for c in cells]
            method = next((i for i, c in enumerate(names) if c == "method"), None)
            path = next((i for i, c in enumerate(names) if c in PATH_COLUMNS), None)
            return method, path
        method, path = columns
        if method is not None and path is not None and max(method, path) < len(cells):
            self._api_line(f"{cells[method]} {cells[path]}", line, None, endpoints, rpcs, prose=True)
        else:
            for cell in cells:
                self._api_line(cell, line, None, endpoints, rpcs, prose=True)
        return columns

    def _code_api(
        self, code: str, first: int, endpoints: list[Endpoint], rpcs: list[RpcMethod], strict: bool = True
    ) -> None:
        lines = code.split("\n")
        service: str | None = None
        depth = 0
        service_depth = -1
        for i, raw in enumerate(lines):
            text = raw.strip()
            m = SERVICE.match(text)
            if m:
                service, service_depth = m.group(1), depth
            depth += text.count("{") - text.count("}")
            if service is not None and depth <= service_depth:
                service = None
            if RPC_OPEN.match(text) and i + 1 < len(lines) and lines[i + 1].lstrip().startswith("returns"):
                text = f"{text} {lines[i + 1].strip()}"  # 'returns (Response)' on the next line
            found = self._api_line(text, first + i, service, endpoints, rpcs, code="code" if strict else "lenient")
            if found is not None:
                endpoints[-1] = Endpoint(found.method, found.path, request_body(lines[i + 1 :]), found.line)

    def _api_line(
        self,
        text: str,
        line: int,
        service: str | None,
        endpoints: list[Endpoint],
        rpcs: list[RpcMethod],
        prose: bool = False,
        code: str = "code",
    ) -> Endpoint | None:
        """Record the endpoint or method on one line. In prose only what is plainly one counts:
        'POST requests are retried' or 'rpc calls time out' is a sentence, not a malformed API line.
        In code, a description may follow the path after two or more spaces; `code="lenient"` (code
        outside API Changes) reports nothing: a line that is not plainly an API line is not taken."""
        quiet = prose or code == "lenient"
        m = REST_LINE.match(text)
        if m:
            method, target, rest = m.group(1), m.group(2), m.group(3)
            if not target.startswith("/") and (quiet or "/" not in target):
                return None
            if not target.startswith("/"):
                self.error(
                    "rest-path",
                    f"REST path '{clip(target)}' of {method} does not start with '/'; write '{method} /path'",
                    line,
                )
                return None
            aligned = not prose and ALIGNED.match(rest) is not None
            if rest.strip() and not aligned and not rest.strip().startswith(REST_TRAILERS):
                if quiet:
                    return None
                self.error(
                    "rest-path",
                    f"REST path '{clip(target + rest)}' has a space; write the path without spaces, "
                    "then ' - ' or two spaces and any description",
                    line,
                )
                return None
            endpoint = Endpoint(method, target.split("?", 1)[0].split("#", 1)[0], None, line)
            endpoints.append(endpoint)
            return endpoint
        if RPC_START.match(text) and not (prose and "(" not in text):
            r = RPC_LINE.match(text)
            if r is None:
                if not quiet:
                    self.error(
                        "grpc-syntax",
                        f"cannot read gRPC method '{clip(text)}'; write 'rpc Name(Request) returns (Response)'",
                        line,
                    )
                return None
            rpcs.append(RpcMethod(service, r.group(1), r.group(2).strip(), r.group(3).strip(), line))
        return None

    # database changes -----------------------------------------------------------------------------

    def database(self, section: Section) -> tuple[DbChange, ...]:
        statements: list[DbChange] = []
        bullets: list[DbChange] = []
        for token in walk(section.tokens):
            if token["type"] == "block_code" and fence_language(token) in SQL_LANGUAGES:
                statements += sql_statements(token["raw"], code_line(token))
        if statements:
            return tuple(statements)
        for item in list_items(section.tokens):
            raw, line = item_text(item)
            text = plain_text(inline(raw.split("\n", 1)[0])).strip()
            if text:
                bullets.append(DbChange(text, (), (), line))
        return tuple(bullets)

    def schema_outside(self, tokens: Iterable[tuple[Token, str]]) -> tuple[DbChange, ...]:
        """Schema statements (DDL) in SQL code blocks outside any Database Changes section, each noted."""
        found: list[DbChange] = []
        for top, heading in tokens:
            for token in walk((top,)):
                if token["type"] != "block_code" or fence_language(token) not in SQL_LANGUAGES:
                    continue
                for change in sql_statements(token["raw"], code_line(token)):
                    if DDL_STATEMENT.match(change.text):
                        found.append(change)
                        self.taken(change.text, heading, "Database Changes", change.line)
        return tuple(found)

    # domain model ---------------------------------------------------------------------------------

    def domain(self, section: Section) -> tuple[DomainType, ...]:
        found: list[DomainType] = []
        for token in walk(section.tokens):
            if token["type"] != "block_code":
                continue
            lang = fence_language(token) or "text"
            for i, raw in enumerate(token["raw"].split("\n")):
                m = TYPE_DEF.match(raw)
                if m:
                    found.append(DomainType(m.group(1), lang, code_line(token) + i))
        return tuple(found)

    # open questions -------------------------------------------------------------------------------

    def questions(self, section: Section) -> tuple[Question, ...]:
        found: list[Question] = []
        for item in items_under_groups(section.tokens):
            raw, line = item_text(item)
            first = raw.split("\n", 1)[0]
            m = CHECKBOX.match(first)
            if m is None:
                continue
            text = plain_text(inline(first[m.end() :])).strip()
            found.append(Question(text, m.group(1) != " ", line))
            if m.group(1) == " ":
                self.warning(
                    "open-question",
                    f"open question: '{clip(text)}'; resolve it and tick its box before implementation",
                    line,
                )
        return tuple(found)

    # template leftovers ---------------------------------------------------------------------------

    def leftovers(self, tokens: list[Token]) -> None:
        for token in texts(tokens):
            text = token["text"]
            if LEFTOVER_HINT.search(text) is None:  # no '{' and no template phrase
                continue
            for offset, raw in enumerate(text.split("\n")):
                endpoint = ENDPOINT_LINE.match(raw.strip())
                # In a bare `PUT /widgets/{id}` line the braces are path parameters, not template text.
                for piece in walk(inline(raw.strip()[endpoint.end() :] if endpoint else raw)):
                    if piece["type"] != "text":
                        continue
                    words = piece.get("raw", "")
                    hits = PLACEHOLDER.findall(words) + [p for p in TEMPLATE_PHRASES if p in words]
                    for hit in hits:
                        self.warning(
                            "template-text",
                            f"text left from the template: '{clip(hit)}'; replace it with this design's own",
                            token[LINE] + offset,
                        )
