"""A design's structure: section names and slices, and walks over mistune tokens to their plain text."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

from planner.design.context import is_context_heading
from planner.design.markdown import LINE, Token, inline

__all__ = [
    "normalise_heading",
]

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
    "data model": "domain",
    "data models": "domain",
    "domain types": "domain",
    "types": "domain",
    "open questions": "questions",
    "open question": "questions",
    "proposed solution": "solution",
}


def normalise_heading(text: str) -> str:
    text = re.sub(r"[*_`]", "", text).strip().lower()
    text = re.sub(r"^(\d+(\.\d+)*\.?|[ivx]+\.)\s+", "", text)
    return re.sub(r"\s+", " ", text).rstrip(" :")


@dataclass(frozen=True)
class Section:
    key: str
    line: int
    tokens: tuple[Token, ...]
    # The heading lines of the same section written again further down (read as part of this one).
    again: tuple[int, ...] = ()


def find_sections(tokens: list[Token]) -> tuple[dict[str, Section], int | None]:
    """Known sections by key (a key written twice is read whole), and the line of the first heading below the title."""
    headings = [(i, t["attrs"]["level"]) for i, t in enumerate(tokens) if t["type"] == "heading"]
    spans: dict[str, list[tuple[int, int]]] = {}
    first_sub = next((tokens[i][LINE] for i, level in headings if level > 1), None)
    # Each heading's end (the next heading at its level or above) in one pass: scanning ahead from each
    # heading took time square in the headings, hours on a design of 300,000 repeated sections.
    ends: dict[int, int] = {}
    open_headings: list[tuple[int, int]] = []
    for i, level in headings:
        while open_headings and open_headings[-1][1] >= level:
            ends[open_headings.pop()[0]] = i
        open_headings.append((i, level))
    for i, _ in headings:
        key = section_key(tokens[i]["text"])
        if key is not None:
            spans.setdefault(key, []).append((i, ends.get(i, len(tokens))))
    every = sorted(span for key_spans in spans.values() for span in key_spans)
    starts = [s for s, _ in every]
    found: dict[str, Section] = {}
    for key, key_spans in spans.items():
        kept: list[Token] = []
        for start, end in key_spans:
            # A known section nested in another (### Database Changes under ## Affected Repositories) is
            # its own, so its bullets are not read as the outer section's items.
            at = start + 1
            for s, e in every[bisect.bisect_right(starts, start) : bisect.bisect_left(starts, end)]:
                kept += tokens[at:s]
                at = max(at, e)
            kept += tokens[at:end]
        lines = tuple(tokens[start][LINE] for start, _ in key_spans)
        found[key] = Section(key, lines[0], tuple(kept), lines[1:])
    return found, first_sub


# Each section as the template titles it (for messages).
SECTION_TITLES = {
    "status": "Status",
    "repos": "Affected Repositories",
    "key_files": "Key Files",
    "api": "API Changes",
    "database": "Database Changes",
    "domain": "Domain Model",
    "questions": "Open Questions",
    "solution": "Proposed Solution",
}
# The sections that hold the change itself: when one is absent, its lines are read from the whole design.
CANONICAL = ("api", "database")


def outside_canonical(tokens: list[Token]) -> list[tuple[Token, str]]:
    """Top-level tokens that may state the change: not under a context heading (planner.design.context)
    nor in a section of repos, key files, questions or status; each with the heading it stands under."""
    stack: list[tuple[int, bool, str]] = []  # the open headings: level, passed over, text
    kept: list[tuple[Token, str]] = []
    for token in tokens:
        if token["type"] == "heading":
            level = token["attrs"]["level"]
            while stack and stack[-1][0] >= level:
                stack.pop()
            text = plain_text(inline(token["text"])).strip()
            passed = is_context_heading(text) or (level > 1 and section_key(token["text"]) in _NOT_THE_CHANGE)
            stack.append((level, passed, text))
        if not any(passed for _, passed, _ in stack):
            kept.append((token, stack[-1][2] if stack else ""))
    return kept


# Known sections that list who and what else, never the API or schema itself.
_NOT_THE_CHANGE = frozenset({"status", "repos", "key_files", "questions"})


def walk(tokens: tuple[Token, ...] | list[Token]) -> Iterator[Token]:
    """Every token, depth first, in document order."""
    stack = list(reversed(tokens))
    while stack:
        token = stack.pop()
        yield token
        stack.extend(reversed(token.get("children") or ()))


def texts(tokens: list[Token] | tuple[Token, ...], found: list[Token] | None = None) -> list[Token]:
    """The paragraph, block_text and heading tokens, depth first in document order (as walk finds them)."""
    found = [] if found is None else found
    for token in tokens:
        if token["type"] in ("paragraph", "block_text", "heading"):
            found.append(token)
        children = token.get("children")
        if children:
            texts(children, found)
    return found


def plain_text(tokens: list[Token]) -> str:
    """Inline tokens flattened to their text (markup dropped, code kept)."""
    out: list[str] = []
    for token in walk(tokens):
        kind = token["type"]
        if kind in ("text", "codespan"):
            out.append(token.get("raw", ""))
        elif kind in ("softbreak", "linebreak"):
            out.append(" ")
    return "".join(out)


# Struck-through text is not what a reader sees: `~~x~~` and `~x~` (GitHub strikes both), <s>, <del>, <strike>.
_TILDE_STRUCK = re.compile(r"(?<!~)(~~?)(?=[^\s~])(.*?[^\s~])\1(?!~)")
_STRUCK_OPEN = re.compile(r"<(?:s|del|strike)(?:\s[^>]*)?>", re.IGNORECASE)
_STRUCK_CLOSE = re.compile(r"</(?:s|del|strike)\s*>", re.IGNORECASE)


def shown(raw: str) -> str:
    """One line of Markdown as rendered text: like plain_text, with struck-through text left out."""
    from planner.design.markdown import inline

    out: list[str] = []
    struck = 0
    for token in walk(inline(_TILDE_STRUCK.sub("", raw))):
        kind, text = token["type"], token.get("raw", "")
        if kind == "inline_html":
            struck += 1 if _STRUCK_OPEN.fullmatch(text) else -1 if struck and _STRUCK_CLOSE.fullmatch(text) else 0
        elif struck:
            continue
        elif kind in ("text", "codespan"):
            out.append(text)
        elif kind in ("softbreak", "linebreak"):
            out.append(" ")
    return "".join(out)


def item_text(item: Token) -> tuple[str, int]:
    """A list item's own first text block (raw) and its line."""
    for child in item.get("children") or ():
        if child["type"] in ("block_text", "paragraph"):
            return child["text"].strip(), child[LINE]
        break
    return "", item[LINE]


def list_items(tokens: tuple[Token, ...]) -> Iterator[Token]:
    """The items of the section's own lists (not nested ones)."""
    for token in tokens:
        if token["type"] == "list":
            yield from token["children"]


def items_under_groups(tokens: tuple[Token, ...] | list[Token]) -> Iterator[Token]:
    """The section's list items; an item without a checkbox that holds a list ('- Backend:' over
    '  - [x] flovyn-server') is a group: its nested items come instead of it."""
    for item in list_items(tuple(tokens)):
        nested = [c for c in item.get("children") or () if c["type"] == "list"]
        if nested and not item_text(item)[0].startswith("["):
            yield from items_under_groups(nested)
        else:
            yield item


# The sections whose contents are read; the others only need their headings (and a leftovers check).
READ_SECTIONS = frozenset({"status", "repos", "key_files", "api", "database", "domain", "questions"})


# 'API Changes Summary', 'Database Changes (v2)', 'Data Model (Rust)': these sections under a longer heading.
_LONGER_HEADING = re.compile(r"^(?:(api) changes?|(database|db) changes?|(domain|data) models?)\b")


def section_key(heading: str) -> str | None:
    name = normalise_heading(heading)
    key = _SECTION_NAMES.get(name)
    if key is None and (m := _LONGER_HEADING.match(name)):
        key = "api" if m.group(1) else "database" if m.group(2) else "domain"
    return key


def code_line(token: Token) -> int:
    """The line of a code block's first code line: after the fence when fenced."""
    return int(token[LINE]) + (token.get("style") == "fenced")


def fence_language(token: Token) -> str:
    info = (token.get("attrs") or {}).get("info", "")
    return str(info).split(" ", 1)[0].lower() if info else ""
