"""Read a design document: mistune's AST in, a frozen `DesignDoc` with source lines out."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from planner.diagnostics import Diagnostic, error, warning
from planner.markdown import LINE, Token, inline, parse_blocks
from planner.sections import read_tokens

__all__ = [
    "MAX_DESIGN_BYTES",
    "DbChange",
    "DesignDoc",
    "DomainType",
    "Endpoint",
    "KeyFile",
    "Question",
    "RepoItem",
    "RpcMethod",
    "decode_design",
    "load_design",
    "parse_design",
]

MAX_DESIGN_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class RepoItem:
    """One bullet under Affected Repositories, as written."""

    name: str
    checked: bool
    change: str
    line: int


@dataclass(frozen=True)
class KeyFile:
    repo: str
    path: str
    description: str
    line: int


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    body: str | None
    line: int

    @property
    def subject(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class RpcMethod:
    service: str | None
    name: str
    request: str
    response: str
    line: int

    @property
    def subject(self) -> str:
        return f"{self.service}.{self.name}" if self.service else self.name


@dataclass(frozen=True)
class DbChange:
    """A SQL statement (with the tables and columns it touches) or a bullet item."""

    text: str
    tables: tuple[str, ...]
    columns: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class DomainType:
    name: str
    language: str
    line: int


@dataclass(frozen=True)
class Question:
    text: str
    resolved: bool
    line: int


@dataclass(frozen=True)
class DesignDoc:
    path: str
    title: str | None
    feature: str
    date: str | None
    status: str | None
    status_line: int
    branch: str | None
    line_count: int
    repos: tuple[RepoItem, ...] = ()
    repos_line: int | None = None
    key_files: tuple[KeyFile, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    rpcs: tuple[RpcMethod, ...] = ()
    db_changes: tuple[DbChange, ...] = ()
    db_line: int | None = None
    domain_types: tuple[DomainType, ...] = ()
    questions: tuple[Question, ...] = ()
    sections: tuple[str, ...] = field(default=())
    # Where a missing section is reported: its parent heading (Proposed Solution), else line 1.
    anchor_line: int = 1

    @property
    def approved(self) -> bool:
        return is_approved(self.status)

    @property
    def checked_repos(self) -> tuple[RepoItem, ...]:
        return tuple(r for r in self.repos if r.checked)


def is_approved(status: str | None) -> bool:
    """'Approved', 'approved (2026-03-04)', '**APPROVED**' yes; the template's 'Draft | Review | Approved' no."""
    if not status or "|" in status:
        return False
    words = re.findall(r"[a-z]+", status.lower())
    return bool(words) and words[0] == "approved"


# -- reading ---------------------------------------------------------------------------------------


def decode_design(data: bytes, path: str) -> tuple[str | None, tuple[Diagnostic, ...]]:
    """Bytes to normalised text (BOM dropped, CRLF/CR to LF, final newline), or a diagnostic."""
    nul = data.find(b"\x00")
    if nul >= 0:
        return None, (
            error(
                "not-text",
                "file is not UTF-8 text (it has NUL bytes, as binary and UTF-16 files do); "
                "give a Markdown design doc saved as UTF-8",
                path,
                _line_of_offset(data, nul),
            ),
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = _line_of_offset(data, exc.start)
        return None, (
            error(
                "not-utf8",
                f"file is not UTF-8 (invalid byte 0x{data[exc.start]:02x}); re-save it as UTF-8",
                path,
                line,
            ),
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return None, (error("empty", "design doc is empty; start from design-template.md", path, 1),)
    if not text.endswith("\n"):
        text += "\n"
    return text, ()


def _line_of_offset(data: bytes, offset: int) -> int:
    """1-based line of a byte offset, with CRLF, CR and LF each ending a line (as decode_design reads them)."""
    head = data[:offset]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


def _read_at_most(path: Path, limit: int) -> bytes:
    """Up to limit bytes, in chunks: one read(limit) would allocate the whole limit up front."""
    chunks: list[bytes] = []
    total = 0
    with path.open("rb") as handle:
        while total < limit:
            chunk = handle.read(min(1 << 20, limit - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    return b"".join(chunks)


def load_design(
    path: str | Path, display: str | None = None, max_bytes: int = MAX_DESIGN_BYTES
) -> tuple[DesignDoc | None, tuple[Diagnostic, ...]]:
    """Read and parse one design file; problems come back as diagnostics, never as exceptions."""
    shown = display if display is not None else str(path)
    p = Path(path)
    try:
        if p.is_dir():
            return None, (error("not-a-file", "is a directory; give a design doc (.md) file", shown, 1),)
        size = p.stat().st_size
        if size > max_bytes:
            return None, (
                error(
                    "too-large",
                    f"design doc is {size:,} bytes, over the {max_bytes:,}-byte limit; "
                    "split it into smaller design docs or raise the limit with --max-bytes",
                    shown,
                    1,
                ),
            )
        # Bounded: a FIFO or device (`/dev/zero`) reports size 0 and could stream forever.
        data = _read_at_most(p, max_bytes + 1)
        if len(data) > max_bytes:
            return None, (
                error(
                    "too-large",
                    f"design doc is over the {max_bytes:,}-byte limit; "
                    "split it into smaller design docs or raise the limit with --max-bytes",
                    shown,
                    1,
                ),
            )
    except FileNotFoundError:
        return None, (error("not-found", "no such file; check the path", shown, 1),)
    except (OSError, ValueError) as exc:
        # ValueError: a path with a NUL byte, which no file system accepts.
        reason = getattr(exc, "strerror", None) or exc
        return None, (error("read-error", f"cannot read: {reason}; check that it is a readable file", shown, 1),)
    text, problems = decode_design(data, shown)
    if text is None:
        return None, problems
    return parse_design(text, shown)


# -- structure -------------------------------------------------------------------------------------

_SECTION_NAMES = {
    "status": "status",
    "affected repositories": "repos",
    "affected repository": "repos",
    "affected repos": "repos",
    "affected repo": "repos",
    "key files": "key_files",
    "key file": "key_files",
    "api changes": "api",
    "api change": "api",
    "database changes": "database",
    "database change": "database",
    "db changes": "database",
    "domain model": "domain",
    "domain models": "domain",
    "open questions": "questions",
    "open question": "questions",
    "proposed solution": "solution",
}


def normalise_heading(text: str) -> str:
    text = re.sub(r"[*_`]", "", text).strip().lower()
    text = re.sub(r"^(\d+(\.\d+)*\.?|[ivx]+\.)\s+", "", text)
    return re.sub(r"\s+", " ", text).rstrip(" :")


@dataclass(frozen=True)
class _Section:
    key: str
    line: int
    tokens: tuple[Token, ...]


def _sections(tokens: list[Token]) -> tuple[dict[str, _Section], int | None]:
    """Known sections by key (first one wins), and the line of the first heading below the title."""
    headings = [(i, t["attrs"]["level"]) for i, t in enumerate(tokens) if t["type"] == "heading"]
    spans: dict[str, tuple[int, int]] = {}
    first_sub = next((tokens[i][LINE] for i, level in headings if level > 1), None)
    for n, (i, level) in enumerate(headings):
        key = _SECTION_NAMES.get(normalise_heading(tokens[i]["text"]))
        if key is None or key in spans:
            continue
        spans[key] = (i, next((j for j, lv in headings[n + 1 :] if lv <= level), len(tokens)))
    found: dict[str, _Section] = {}
    for key, (start, end) in spans.items():
        # A known section nested in another (### Database Changes under ## Affected Repositories) is
        # its own, so its bullets are not read as the outer section's items.
        inner = [(s, e) for s, e in spans.values() if start < s < end]
        kept = tuple(tokens[j] for j in range(start + 1, end) if not any(s <= j < e for s, e in inner))
        found[key] = _Section(key, tokens[start][LINE], kept)
    return found, first_sub


def _walk(tokens: tuple[Token, ...] | list[Token]) -> Iterator[Token]:
    """Every token, depth first, in document order."""
    stack = list(reversed(tokens))
    while stack:
        token = stack.pop()
        yield token
        stack.extend(reversed(token.get("children") or ()))


def _texts(tokens: list[Token] | tuple[Token, ...], found: list[Token] | None = None) -> list[Token]:
    """The paragraph, block_text and heading tokens, depth first in document order (as _walk finds them)."""
    found = [] if found is None else found
    for token in tokens:
        if token["type"] in ("paragraph", "block_text", "heading"):
            found.append(token)
        children = token.get("children")
        if children:
            _texts(children, found)
    return found


def _plain(tokens: list[Token]) -> str:
    """Inline tokens flattened to their text (markup dropped, code kept)."""
    out: list[str] = []
    for token in _walk(tokens):
        kind = token["type"]
        if kind in ("text", "codespan"):
            out.append(token.get("raw", ""))
        elif kind in ("softbreak", "linebreak"):
            out.append(" ")
    return "".join(out)


def _item_text(item: Token) -> tuple[str, int]:
    """A list item's own first text block (raw) and its line."""
    for child in item.get("children") or ():
        if child["type"] in ("block_text", "paragraph"):
            return child["text"].strip(), child[LINE]
        break
    return "", item[LINE]


def _items(tokens: tuple[Token, ...]) -> Iterator[Token]:
    """The items of the section's own lists (not nested ones)."""
    for token in tokens:
        if token["type"] == "list":
            yield from token["children"]


_CHECKBOX = re.compile(r"^\[([ xX])\](?:\s+|$)")


# -- the parser ------------------------------------------------------------------------------------


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


_FIELD = re.compile(r"^[*_\s]*(date|status|branch)[*_\s]*:[*_\s]*(.*?)[*_\s]*$", re.IGNORECASE)
_METHODS = "GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS"
_REST = re.compile(rf"^(?:[-*+]\s+)?({_METHODS})\s+(\S+)(.*)$")
_ENDPOINT_LINE = re.compile(rf"^(?:[-*+]\s+)?(?:{_METHODS})\s+/\S*")
_REST_TRAILERS = ("-", "\u2013", "\u2014", ":", "(", "#", "//", "HTTP/", "\u2192", "->")
_RPC_START = re.compile(r"^rpc\s")
_RPC = re.compile(
    r"^rpc\s+([A-Za-z_]\w*)\s*\(\s*((?:stream\s+)?[\w.]+)\s*\)\s*returns\s*\(\s*((?:stream\s+)?[\w.]+)\s*\)\s*[;{]?"
)
_SERVICE = re.compile(r"^service\s+([A-Za-z_]\w*)\s*\{?")
_TYPE_DEF = re.compile(
    r"^\s*(?:pub(?:\([^)]*\))?\s+|export\s+|public\s+|data\s+|sealed\s+|abstract\s+|final\s+)*"
    r"(?:struct|enum|class|interface|trait|type|message|record|object|table)\s+([A-Za-z_]\w*)"
)
_PLACEHOLDER = re.compile(r"\{[A-Za-z][^{}\n]*\}")
_TEMPLATE_PHRASES = (
    "Brief description of what this feature does",
    "What this feature explicitly won't do",
    "How does the system work today?",
    "High-level description and component interactions",
    "New tables, columns, or migrations needed",
    "Question that needs resolution before implementation",
    "Any auth, validation, or security implications",
    "YYYY-MM-DD",
)
_SQL_STATEMENT = re.compile(r"^\s*(create|alter|drop|insert|update|delete|comment|rename)\b", re.IGNORECASE)
_SQL_TABLE = re.compile(
    r"\b(?:table|into|update|from|on)\s+(?:if\s+(?:not\s+)?exists\s+)?(?:only\s+)?([A-Za-z_][\w.\"]*)",
    re.IGNORECASE,
)
_SQL_COLUMN = re.compile(r"\b(?:add|drop|alter|rename)\s+column\s+(?:if\s+(?:not\s+)?exists\s+)?([A-Za-z_]\w*)", re.I)
_SQL_CREATE_COLUMNS = re.compile(r"^\s*([A-Za-z_]\w*)\s+[A-Za-z]", re.MULTILINE)
_SQL_NOT_COLUMN = {"primary", "foreign", "unique", "constraint", "check", "index", "key", "exclude"}


def _code_line(token: Token) -> int:
    """The line of a code block's first code line: after the fence when fenced."""
    return int(token[LINE]) + (token.get("style") == "fenced")


def _fence_language(token: Token) -> str:
    info = (token.get("attrs") or {}).get("info", "")
    return str(info).split(" ", 1)[0].lower() if info else ""


def _sql_statements(code: str, first: int) -> list[DbChange]:
    """Statements of a SQL block with the tables and columns they touch."""
    found: list[DbChange] = []
    start: int | None = None
    buffer: list[str] = []
    lines = code.split("\n")
    for i, raw in enumerate(lines):
        stripped = raw.split("--", 1)[0]
        if start is None:
            if not _SQL_STATEMENT.match(stripped):
                continue
            start = i
        buffer.append(stripped)
        if stripped.rstrip().endswith(";") or i == len(lines) - 1:
            found.append(_sql_change("\n".join(buffer), first + start))
            start, buffer = None, []
    return found


def _sql_change(statement: str, line: int) -> DbChange:
    head = " ".join(statement.split())
    tables = tuple(dict.fromkeys(t.strip('"').lower() for t in _SQL_TABLE.findall(head)))
    columns = list(_SQL_COLUMN.findall(head))
    if re.match(r"\s*create\s+table", statement, re.IGNORECASE) and "(" in statement:
        body = statement[statement.index("(") + 1 :]
        columns += [c for c in _SQL_CREATE_COLUMNS.findall(body) if c.lower() not in _SQL_NOT_COLUMN]
    return DbChange(head.rstrip(";").strip(), tables[:1] if tables else (), tuple(dict.fromkeys(columns)), line)


def _body(lines: list[str]) -> str | None:
    """The example body that follows an endpoint line in a code block, if any."""
    rest: list[str] = []
    for raw in lines:
        if _REST.match(raw.strip()):
            break
        rest.append(raw)
    while rest and not rest[0].strip():
        rest.pop(0)
    if not rest or not rest[0].lstrip().startswith(("{", "[")):
        return None
    text = "\n".join(rest).strip()
    return text or None


# Text without any character that starts inline markup: mistune's inline parse gives it back as text.
_NO_MARKUP = re.compile(r"[^`*_\[\]<>!\\&~\n]*\Z")
_NAME_REST = re.compile(r"^(\S+?)[:,]?(?:\s+(.*))?$")
# `code` then words with no inline markup: mistune makes a codespan and plain text of it.
_SIMPLE_LEAD_CODE = re.compile(r"`([^`]+)`([^`*_\[\]<>!\\&~\n]*)\Z")


def _lead_code(first: str, full: bool = False) -> tuple[str | None, str]:
    """The code span a line starts with (raw) and the rest as plain text; (None, "") without one."""
    simple = None if full else _SIMPLE_LEAD_CODE.match(first)
    if simple is not None:
        code = simple.group(1)
        if code.strip(" ") and code.startswith(" ") and code.endswith(" "):
            code = code[1:-1]  # as mistune does: one space off each side of a padded code span
        return code, simple.group(2)
    tokens = inline(first)
    if not tokens or tokens[0]["type"] != "codespan":
        return None, ""
    return str(tokens[0]["raw"]), _plain(tokens[1:])


# Segments of letters, digits and . _ - + @ ~ , =, none of them '.' or '..': nothing for path_problem to find.
_CLEAN_PATH = re.compile(r"(?!\.\.?(?:/|\Z))[\w.+@~,=-]+(?:/(?!\.\.?(?:/|\Z))[\w.+@~,=-]+)*\Z")


def path_problem(rel: str) -> str | None:
    """Why a key file's repo-relative path is not clean, or None."""
    return None if _CLEAN_PATH.match(rel) else _path_rules(rel)


def _path_rules(rel: str) -> str | None:
    """path_problem without the shortcut for paths that are plainly clean."""
    if "\x00" in rel:
        return "has a NUL byte"
    if "\\" in rel:
        return "has a backslash"
    if rel.startswith("/"):
        return "is absolute"
    if re.match(r"^[A-Za-z]:", rel):
        return "has a drive letter"
    if "%" in rel and re.search(r"%[0-9A-Fa-f]{2}", rel):
        return "is percent-encoded"
    if rel.endswith("/"):
        return "ends with '/' (name a file)"
    parts = rel.split("/")
    if any(p == "" for p in parts):
        return "has an empty segment"
    if any(p == ".." for p in parts):
        return "has a '..' segment"
    if any(p == "." for p in parts):
        return "has a '.' segment"
    if any(c.isspace() for c in rel):
        return "has white space"
    # Control characters, bidi overrides and zero-width characters make a path read as another one.
    hidden = next((c for c in rel if unicodedata.category(c) in ("Cc", "Cf")), None)
    if hidden is not None:
        return f"has an invisible or control character (U+{ord(hidden):04X})"
    return None


def _name_and_rest(text: str, full: bool = False) -> tuple[str, str]:
    """'**name** - change' / '`name`: change' / 'name - change' -> (name, change)."""
    if not full and _NO_MARKUP.match(text):
        plain = text.strip()  # what mistune's inline parse would give back: one text token
        m = _NAME_REST.match(plain)
        return (m.group(1), _strip_separator(m.group(2) or "")) if m else ("", "")
    tokens = inline(text.strip())
    if not tokens:
        return "", ""
    lead = tokens[0]
    if lead["type"] in ("strong", "emphasis", "codespan", "link"):
        name = (lead["raw"] if lead["type"] == "codespan" else _plain(lead.get("children") or [])).strip()
        return name, _strip_separator(_plain(tokens[1:]))
    plain = _plain(tokens).strip()
    m = _NAME_REST.match(plain)
    if m is None:
        return "", ""
    return m.group(1), _strip_separator(m.group(2) or "")


# A name and its description are separated by a hyphen, en or em dash, colon or arrow.
_SEPARATOR = re.compile("^\\s*(?:->|[-\u2013\u2014:]+)\\s*")


def _strip_separator(text: str) -> str:
    return _SEPARATOR.sub("", text).strip()


def _clip(text: str, width: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _feature(title: str) -> str:
    """'# Schedules Design' and '# Design: Schedules' are both the feature 'Schedules'."""
    title = re.sub(r"^design(?:\s+document)?\s*:\s*", "", title, flags=re.IGNORECASE)
    return re.sub(r"\s+design$", "", title, flags=re.IGNORECASE).strip()


# The sections whose contents are read; the others only need their headings (and a leftovers check).
_READ_SECTIONS = frozenset({"status", "repos", "key_files", "api", "database", "domain", "questions"})
# Where template text may be: a cheap filter over the whole text, then `_may_leave` per line.
_LEFTOVER_HINT = re.compile("|".join(["\\{", *(re.escape(p) for p in _TEMPLATE_PHRASES)]))
_CODE_SPAN = re.compile(r"`[^`]*`")


def _section_key(heading: str) -> str | None:
    return _SECTION_NAMES.get(normalise_heading(heading))


def _may_leave(line: str) -> bool:
    """Whether `leftovers` could warn on this source line (never False where it would)."""
    if any(p in line for p in _TEMPLATE_PHRASES):
        return True
    if "``" not in line and "\\" not in line and "<" not in line and "[" not in line:
        # Single-backtick code spans pair up left to right; braces inside them are code, not text.
        line = _CODE_SPAN.sub("", line)
    return _PLACEHOLDER.search(line) is not None


def parse_design(text: str, path: str, *, full: bool = False) -> tuple[DesignDoc, tuple[Diagnostic, ...]]:
    """Parse normalised design text; every finding carries its source line.

    Only the parts the reader uses are parsed (planner.sections); `full=True` parses everything,
    which gives the same result and is how the tests prove it.
    """
    if full:
        tokens = parse_blocks(text, reference=True)
    else:
        tokens = read_tokens(text, _section_key, _READ_SECTIONS, _LEFTOVER_HINT, _may_leave)
    reader = _Reader(path, full)
    sections, first_sub = _sections(tokens)

    title_token = next((t for t in tokens if t["type"] == "heading" and t["attrs"]["level"] == 1), None)
    title = _plain(inline(title_token["text"])).strip() if title_token else None
    feature = _feature(title) if title else ""
    if not feature:
        feature = Path(path).stem
        reader.warning("no-title", f"no '# Feature Design' title; the plan uses '{feature}'", 1)

    fields = reader.header(tokens, first_sub)
    status, status_line = fields.get("status", (None, 1))
    status_section = sections.get("status")
    if status is None and status_section is not None:
        status_line = status_section.line
        for token in status_section.tokens:
            if token["type"] in ("paragraph", "block_text"):
                status = _plain(inline(token["text"].split("\n", 1)[0])).strip() or None
                status_line = token[LINE]
                break

    repos_section = sections.get("repos")
    repos = reader.repos(repos_section) if repos_section else ()
    key_files = reader.key_files(sections["key_files"]) if "key_files" in sections else ()
    endpoints, rpcs = reader.api(sections["api"]) if "api" in sections else ((), ())
    db_section = sections.get("database")
    db_changes = reader.database(db_section) if db_section else ()
    domain = reader.domain(sections["domain"]) if "domain" in sections else ()
    questions = reader.questions(sections["questions"]) if "questions" in sections else ()
    reader.leftovers(tokens)

    doc = DesignDoc(
        path=path,
        title=title,
        feature=feature,
        date=fields.get("date", (None, 0))[0],
        status=status,
        status_line=status_line,
        branch=fields.get("branch", (None, 0))[0],
        line_count=text.count("\n"),
        repos=repos,
        repos_line=repos_section.line if repos_section else None,
        key_files=key_files,
        endpoints=endpoints,
        rpcs=rpcs,
        db_changes=db_changes,
        db_line=db_section.line if db_section else None,
        domain_types=domain,
        questions=questions,
        sections=tuple(sorted(sections)),
        anchor_line=sections["solution"].line if "solution" in sections else 1,
    )
    return doc, tuple(reader.diagnostics)
