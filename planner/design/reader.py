"""The per-section readers: header, repositories, key files, API, database, domain, questions, leftovers."""

from __future__ import annotations

from planner.design.markdown import LINE, Token, inline
from planner.design.model import DbChange, DomainType, Endpoint, KeyFile, Question, RepoItem, RpcMethod
from planner.design.rules import (
    _CHECKBOX,
    _ENDPOINT_LINE,
    _FIELD,
    _LEFTOVER_HINT,
    _PLACEHOLDER,
    _REST,
    _REST_TRAILERS,
    _RPC,
    _RPC_START,
    _SERVICE,
    _TEMPLATE_PHRASES,
    _TYPE_DEF,
    _body,
    _clip,
    _lead_code,
    _name_and_rest,
    _sql_statements,
    _strip_separator,
    path_problem,
)
from planner.design.structure import (
    _code_line,
    _fence_language,
    _item_text,
    _items,
    _plain,
    _Section,
    _shown,
    _texts,
    _walk,
)
from planner.diagnostics import Diagnostic, error, warning

__all__: list[str] = []


class _Reader:
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
                m = _FIELD.match(_plain(inline(raw)).strip()) if ":" in raw else None
                if m and m.group(1).lower() == "status":
                    # The approval gate reads the status as rendered: `~~Approved~~ Draft` is a Draft.
                    m = _FIELD.match(_shown(raw).strip())
                if m and m.group(1).lower() not in fields:
                    fields[m.group(1).lower()] = (m.group(2).strip(), token[LINE] + offset)
        return fields

    # affected repositories --------------------------------------------------------------------

    def repos(self, section: _Section) -> tuple[RepoItem, ...]:
        found: list[RepoItem] = []
        for item in _items(section.tokens):
            raw, line = _item_text(item)
            first = raw.split("\n", 1)[0]
            m = _CHECKBOX.match(first)
            if m is None:
                if first:
                    self.warning(
                        "plain-bullet",
                        f"'{_clip(first)}' has no checkbox, so it is not planned; "
                        "write '- [x] repo - change' to plan it or '- [ ] ...' to leave it out",
                        line,
                    )
                continue
            name, change = _name_and_rest(first[m.end() :], self.full)
            if not name:
                self.error("repo-name", "checkbox item names no repository; write '- [x] repo-name - change'", line)
                continue
            found.append(RepoItem(name, m.group(1) != " ", change, line))
        return tuple(found)

    # key files ----------------------------------------------------------------------------------

    def key_files(self, section: _Section) -> tuple[KeyFile, ...]:
        found: list[KeyFile] = []
        for item in _items(section.tokens):
            raw, line = _item_text(item)
            first = raw.split("\n", 1)[0]
            code, rest = _lead_code(first, self.full)
            if code is None:
                self.warning(
                    "key-file-format",
                    f"'{_clip(first)}' is not a key file line; write '- `repo/path` - why'",
                    line,
                )
                continue
            ref = code.strip()
            description = _strip_separator(rest)
            repo, _, rel = ref.partition("/")
            problem = path_problem(rel) if rel else "has no path after the repository"
            if problem or not repo:
                self.error(
                    "key-file-path",
                    f"key file '{_clip(ref)}' {problem or 'has no repository'}; "
                    "write a clean relative path as `repo/dir/file`",
                    line,
                )
                continue
            found.append(KeyFile(repo, rel, description, line))
        return tuple(found)

    # api changes ----------------------------------------------------------------------------------

    def api(self, section: _Section) -> tuple[tuple[Endpoint, ...], tuple[RpcMethod, ...]]:
        endpoints: list[Endpoint] = []
        rpcs: list[RpcMethod] = []
        for token in _walk(section.tokens):
            kind = token["type"]
            if kind == "block_code":
                self._code_api(token["raw"], _code_line(token), endpoints, rpcs)
            elif kind in ("paragraph", "block_text"):
                for offset, raw in enumerate(token["text"].split("\n")):
                    line = token[LINE] + offset
                    self._api_line(raw.strip(), line, None, endpoints, rpcs, prose=True)
                    if "`" in raw:
                        for code in (t["raw"] for t in _walk(inline(raw)) if t["type"] == "codespan"):
                            self._api_line(code.strip(), line, None, endpoints, rpcs)
        return tuple(endpoints), tuple(rpcs)

    def _code_api(self, code: str, first: int, endpoints: list[Endpoint], rpcs: list[RpcMethod]) -> None:
        lines = code.split("\n")
        service: str | None = None
        depth = 0
        service_depth = -1
        for i, raw in enumerate(lines):
            text = raw.strip()
            m = _SERVICE.match(text)
            if m:
                service, service_depth = m.group(1), depth
            depth += text.count("{") - text.count("}")
            if service is not None and depth <= service_depth:
                service = None
            found = self._api_line(text, first + i, service, endpoints, rpcs)
            if found is not None:
                endpoints[-1] = Endpoint(found.method, found.path, _body(lines[i + 1 :]), found.line)

    def _api_line(
        self,
        text: str,
        line: int,
        service: str | None,
        endpoints: list[Endpoint],
        rpcs: list[RpcMethod],
        prose: bool = False,
    ) -> Endpoint | None:
        """Record the endpoint or method on one line. In prose only what is plainly one counts:
        'POST requests are retried' or 'rpc calls time out' is a sentence, not a malformed API line."""
        m = _REST.match(text)
        if m:
            method, target, rest = m.group(1), m.group(2), m.group(3).strip()
            if not target.startswith("/") and (prose or "/" not in target):
                return None
            if not target.startswith("/"):
                self.error(
                    "rest-path",
                    f"REST path '{_clip(target)}' of {method} does not start with '/'; write '{method} /path'",
                    line,
                )
                return None
            if rest and not rest.startswith(_REST_TRAILERS):
                if prose:
                    return None
                self.error(
                    "rest-path",
                    f"REST path '{_clip(target + ' ' + rest)}' has a space; "
                    "write the path without spaces, then ' - ' and any description",
                    line,
                )
                return None
            endpoint = Endpoint(method, target.split("?", 1)[0].split("#", 1)[0], None, line)
            endpoints.append(endpoint)
            return endpoint
        if _RPC_START.match(text) and not (prose and "(" not in text):
            r = _RPC.match(text)
            if r is None:
                self.error(
                    "grpc-syntax",
                    f"cannot read gRPC method '{_clip(text)}'; write 'rpc Name(Request) returns (Response)'",
                    line,
                )
                return None
            rpcs.append(RpcMethod(service, r.group(1), r.group(2).strip(), r.group(3).strip(), line))
        return None

    # database changes -----------------------------------------------------------------------------

    def database(self, section: _Section) -> tuple[DbChange, ...]:
        statements: list[DbChange] = []
        bullets: list[DbChange] = []
        for token in _walk(section.tokens):
            if token["type"] == "block_code":
                lang = _fence_language(token)
                if lang in ("", "sql", "postgres", "postgresql", "psql", "pgsql"):
                    statements += _sql_statements(token["raw"], _code_line(token))
        if statements:
            return tuple(statements)
        for item in _items(section.tokens):
            raw, line = _item_text(item)
            text = _plain(inline(raw.split("\n", 1)[0])).strip()
            if text:
                bullets.append(DbChange(text, (), (), line))
        return tuple(bullets)

    # domain model ---------------------------------------------------------------------------------

    def domain(self, section: _Section) -> tuple[DomainType, ...]:
        found: list[DomainType] = []
        for token in _walk(section.tokens):
            if token["type"] != "block_code":
                continue
            lang = _fence_language(token) or "text"
            for i, raw in enumerate(token["raw"].split("\n")):
                m = _TYPE_DEF.match(raw)
                if m:
                    found.append(DomainType(m.group(1), lang, _code_line(token) + i))
        return tuple(found)

    # open questions -------------------------------------------------------------------------------

    def questions(self, section: _Section) -> tuple[Question, ...]:
        found: list[Question] = []
        for item in _items(section.tokens):
            raw, line = _item_text(item)
            first = raw.split("\n", 1)[0]
            m = _CHECKBOX.match(first)
            if m is None:
                continue
            text = _plain(inline(first[m.end() :])).strip()
            found.append(Question(text, m.group(1) != " ", line))
            if m.group(1) == " ":
                self.warning(
                    "open-question",
                    f"open question: '{_clip(text)}'; resolve it and tick its box before implementation",
                    line,
                )
        return tuple(found)

    # template leftovers ---------------------------------------------------------------------------

    def leftovers(self, tokens: list[Token]) -> None:
        for token in _texts(tokens):
            text = token["text"]
            if _LEFTOVER_HINT.search(text) is None:  # no '{' and no template phrase
                continue
            for offset, raw in enumerate(text.split("\n")):
                endpoint = _ENDPOINT_LINE.match(raw.strip())
                # In a bare `PUT /widgets/{id}` line the braces are path parameters, not template text.
                for piece in _walk(inline(raw.strip()[endpoint.end() :] if endpoint else raw)):
                    if piece["type"] != "text":
                        continue
                    words = piece.get("raw", "")
                    hits = _PLACEHOLDER.findall(words) + [p for p in _TEMPLATE_PHRASES if p in words]
                    for hit in hits:
                        self.warning(
                            "template-text",
                            f"text left from the template: '{_clip(hit)}'; replace it with this design's own",
                            token[LINE] + offset,
                        )
