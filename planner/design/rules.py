"""Line-level rules: the patterns for fields, APIs, SQL, types and template text; names, paths, separators."""

from __future__ import annotations

import re
import unicodedata

from planner.design.markdown import inline
from planner.design.model import DbChange
from planner.design.structure import plain_text

__all__ = [
    "path_problem",
]

CHECKBOX = re.compile(r"^\[([ xX])\](?:\s+|$)")


FIELD = re.compile(r"^[*_\s]*(date|status|branch|id)[*_\s]*:[*_\s]*(.*?)[*_\s]*$", re.IGNORECASE)
_METHODS = "GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS"
REST_LINE = re.compile(rf"^(?:[-*+]\s+)?({_METHODS})\s+(\S+)(.*)$")
# Text that may hold an API line: a method or 'rpc' as a word (a cheap test before an inline parse).
API_HINT = re.compile(rf"\b(?:{_METHODS}|rpc)\b")
ENDPOINT_LINE = re.compile(rf"^(?:[-*+]\s+)?(?:{_METHODS})\s+/\S*")
REST_TRAILERS = ("-", "\u2013", "\u2014", ":", "(", "#", "//", "HTTP/", "\u2192", "->")
RPC_START = re.compile(r"^rpc\s")
# 'rpc Name(Request)' whose 'returns (Response)' is on the next line.
RPC_OPEN = re.compile(r"^rpc\s+[A-Za-z_]\w*\s*\([^()]*\)\s*$")
# In a code block, a description aligned after the path: two or more spaces, or a tab.
ALIGNED = re.compile(r"(?: {2,}|\t)\s*\S")
# A path parameter: {id}, :id or <id>.
PARAMETER = re.compile(r"\{[^}/]*\}|:[A-Za-z_]\w*|<[^>/]*>")
TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
# Table headers that name a column of endpoint paths.
PATH_COLUMNS = frozenset({"path", "endpoint", "route", "url", "uri"})
RPC_LINE = re.compile(
    r"^rpc\s+([A-Za-z_]\w*)\s*\(\s*((?:stream\s+)?[\w.]+)\s*\)\s*returns\s*\(\s*((?:stream\s+)?[\w.]+)\s*\)\s*[;{]?"
)
SERVICE = re.compile(r"^service\s+([A-Za-z_]\w*)\s*\{?")
TYPE_DEF = re.compile(
    r"^\s*(?:pub(?:\([^)]*\))?\s+|export\s+|public\s+|data\s+|sealed\s+|abstract\s+|final\s+)*"
    r"(?:struct|enum|class|interface|trait|type|message|record|object|table)\s+([A-Za-z_]\w*)"
)
PLACEHOLDER = re.compile(r"\{[A-Za-z][^{}\n]*\}")
TEMPLATE_PHRASES = (
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


# Code blocks read as SQL: no language, or a SQL dialect.
SQL_LANGUAGES = frozenset({"", "sql", "postgres", "postgresql", "psql", "pgsql"})
# Statements that change a schema (read outside Database Changes; inside it, every statement is).
DDL_STATEMENT = re.compile(
    r"(?:create|alter|drop)\s+(?:or\s+replace\s+)?(?:unique\s+)?(?:materialized\s+)?"
    r"(?:table|index|type|view|sequence|extension|trigger|function|schema)\b|comment\s+on\b",
    re.IGNORECASE,
)


def sql_statements(code: str, first: int) -> list[DbChange]:
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


def request_body(lines: list[str]) -> str | None:
    """The example body that follows an endpoint line in a code block, if any."""
    rest: list[str] = []
    for raw in lines:
        if REST_LINE.match(raw.strip()):
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


def lead_code(first: str, full: bool = False) -> tuple[str | None, str]:
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
    return str(tokens[0]["raw"]), plain_text(tokens[1:])


# Segments of letters, digits and . _ - + @ ~ , =, none of them '.', '..' or '~': nothing for path_problem to find.
_CLEAN_PATH = re.compile(r"(?!(?:\.\.?|~)(?:/|\Z))[\w.+@~,=-]+(?:/(?!(?:\.\.?|~)(?:/|\Z))[\w.+@~,=-]+)*\Z")


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
    if any(p == "~" for p in parts):
        return "has a '~' segment (a home folder, not a place in the repository)"
    if any(c.isspace() for c in rel):
        return "has white space"
    # Control characters, bidi overrides and zero-width characters make a path read as another one.
    hidden = next((c for c in rel if unicodedata.category(c) in ("Cc", "Cf")), None)
    if hidden is not None:
        return f"has an invisible or control character (U+{ord(hidden):04X})"
    return None


def name_and_rest(text: str, full: bool = False) -> tuple[str, str]:
    """'**name** - change' / '`name`: change' / 'name - change' -> (name, change)."""
    if not full and _NO_MARKUP.match(text):
        plain = text.strip()  # what mistune's inline parse would give back: one text token
        m = _NAME_REST.match(plain)
        return (m.group(1), strip_separator(m.group(2) or "")) if m else ("", "")
    tokens = inline(text.strip())
    if not tokens:
        return "", ""
    lead = tokens[0]
    if lead["type"] in ("strong", "emphasis", "codespan", "link"):
        name = (lead["raw"] if lead["type"] == "codespan" else plain_text(lead.get("children") or [])).strip()
        return name, strip_separator(plain_text(tokens[1:]))
    plain = plain_text(tokens).strip()
    m = _NAME_REST.match(plain)
    if m is None:
        return "", ""
    return m.group(1), strip_separator(m.group(2) or "")


# A name and its description are separated by a hyphen, en or em dash, colon or arrow.
_SEPARATOR = re.compile("^\\s*(?:->|[-\u2013\u2014:]+)\\s*")


def strip_separator(text: str) -> str:
    return _SEPARATOR.sub("", text).strip()


def clip(text: str, width: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def feature_of(title: str) -> str:
    """'# Schedules Design' and '# Design: Schedules' are both the feature 'Schedules'."""
    title = re.sub(r"^design(?:\s+document)?\s*:\s*", "", title, flags=re.IGNORECASE)
    return re.sub(r"\s+design$", "", title, flags=re.IGNORECASE).strip()


# Where template text may be: a cheap filter over the whole text, then `may_leave` per line.
LEFTOVER_HINT = re.compile("|".join(["\\{", *(re.escape(p) for p in TEMPLATE_PHRASES)]))
_CODE_SPAN = re.compile(r"`[^`]*`")


def may_leave(line: str) -> bool:
    """Whether `leftovers` could warn on this source line (never False where it would)."""
    if any(p in line for p in TEMPLATE_PHRASES):
        return True
    if "``" not in line and "\\" not in line and "<" not in line and "[" not in line:
        # Single-backtick code spans pair up left to right; braces inside them are code, not text.
        line = _CODE_SPAN.sub("", line)
    return PLACEHOLDER.search(line) is not None
