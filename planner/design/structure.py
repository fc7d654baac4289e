"""A design's structure: section names and slices, and walks over mistune tokens to their plain text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from planner.design.markdown import LINE, Token

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


# Struck-through text is not what a reader sees: `~~x~~` and `~x~` (GitHub strikes both), <s>, <del>, <strike>.
_TILDE_STRUCK = re.compile(r"(?<!~)(~~?)(?=[^\s~])(.*?[^\s~])\1(?!~)")
_STRUCK_OPEN = re.compile(r"<(?:s|del|strike)(?:\s[^>]*)?>", re.IGNORECASE)
_STRUCK_CLOSE = re.compile(r"</(?:s|del|strike)\s*>", re.IGNORECASE)


def _shown(raw: str) -> str:
    """One line of Markdown as rendered text: like _plain, with struck-through text left out."""
    from planner.design.markdown import inline

    out: list[str] = []
    struck = 0
    for token in _walk(inline(_TILDE_STRUCK.sub("", raw))):
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


# The sections whose contents are read; the others only need their headings (and a leftovers check).
_READ_SECTIONS = frozenset({"status", "repos", "key_files", "api", "database", "domain", "questions"})


def _section_key(heading: str) -> str | None:
    return _SECTION_NAMES.get(normalise_heading(heading))


def _code_line(token: Token) -> int:
    """The line of a code block's first code line: after the fence when fenced."""
    return int(token[LINE]) + (token.get("style") == "fenced")


def _fence_language(token: Token) -> str:
    info = (token.get("attrs") or {}).get("info", "")
    return str(info).split(" ", 1)[0].lower() if info else ""
