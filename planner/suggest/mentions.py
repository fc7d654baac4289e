"""What a design mentions, line by line: its prose and the paths it names, each marked when it sits in a
context section (Current State, Alternatives, Out of Scope, ...: planner.design.context)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from planner.design.context import is_context_heading
from planner.design.markdown import LINE, Token, inline, parse_blocks
from planner.design.rules import path_problem
from planner.design.structure import code_line, plain_text, walk

__all__ = ["Mention", "file_like", "mentions", "path_candidate"]


@dataclass(frozen=True)
class Mention:
    """`prose`: a line's text outside code, or a one-word code span; `path`: a path the line names;
    `code`: a code span with spaces in it, or one line of a code block (stripped); `link`: a link's URL."""

    line: int
    kind: str
    text: str
    context: bool


# A path with one of these is a pattern or a placeholder (`src/*.rs`, `api/{id}`, `src/.../x.kt`), not a
# path to suggest.
_PATTERN = re.compile(r"[*?{}\[\]<>|$'\"`]|(?:^|/)\.{3,}(?:/|$)")
# `src/lib.rs:42` and `src/lib.rs:42:7` name a file at a line.
_LINE_SUFFIX = re.compile(r":\d+(?::\d+)?\Z")
# A file name: a stem, then an extension that starts with a letter (`v1.2` is a version, not a file).
_FILE_NAME = re.compile(r"[^/]*[^/.]\.[A-Za-z][A-Za-z0-9]*\Z")
# The first line of a code block that names its file: `// server/src/main.rs`, `# app/cli.py`, `-- x.sql`.
_CODE_HEADER = re.compile(r"^\s*(?://+|#+|--|/\*+|<!--|;+)\s*(?:file(?:name)?\s*:\s*)?(\S+?)\s*(?:\*/|-->)?\s*\Z", re.I)
# A prose line that names a file: `File: server/src/main.rs`, `**Path:** app/page.tsx`.
_FILE_LINE = re.compile(r"^(?:[-*+]\s+)?[*_]*(?:file|path)[*_]*\s*:[*_]*\s+(\S+)", re.I)


def path_candidate(text: str) -> str | None:
    """The relative path a code span or header names (a folder's trailing '/' dropped), or None."""
    text = _LINE_SUFFIX.sub("", text.strip()).removeprefix("./")
    bare = text[:-1] if text.endswith("/") else text
    if "/" not in bare or _PATTERN.search(bare) or path_problem(bare):
        return None
    return bare


def file_like(path: str) -> bool:
    """Whether a path names a file (its last segment has an extension), not a folder."""
    return _FILE_NAME.match(path.rsplit("/", 1)[-1]) is not None


def mentions(text: str) -> Iterator[Mention]:
    """Every prose line and path of normalised design text, in document order."""
    context: list[tuple[int, bool]] = []  # the open headings: (level, is a context heading)
    for token in parse_blocks(text):
        if token["type"] == "heading":
            level = token["attrs"]["level"]
            while context and context[-1][0] >= level:
                context.pop()
            context.append((level, is_context_heading(token["text"])))
        inside = any(flag for _, flag in context)
        for block in walk([token]):
            yield from _block(block, inside)


def _block(token: Token, context: bool) -> Iterator[Mention]:
    kind = token["type"]
    if kind in ("paragraph", "block_text", "heading"):
        for offset, raw in enumerate(token["text"].split("\n")):
            yield from _line(raw, token[LINE] + offset, context)
    elif kind == "block_code":
        yield from _code_block(token, context)


def _line(raw: str, line: int, context: bool) -> Iterator[Mention]:
    pieces = inline(raw)
    prose: list[str] = []
    for piece in walk(pieces):
        if piece["type"] == "text":
            prose.append(piece.get("raw", ""))
        elif piece["type"] == "codespan":
            code = str(piece["raw"]).strip()
            path = path_candidate(code)
            if path is not None:
                yield Mention(line, "path", path, context)
            elif code and not any(c.isspace() for c in code):
                yield Mention(line, "prose", code, context)
            elif code:
                yield Mention(line, "code", code, context)
            prose.append(" ")
        elif piece["type"] in ("softbreak", "linebreak"):
            prose.append(" ")
        elif piece["type"] == "link":
            yield Mention(line, "link", str(piece["attrs"]["url"]), context)
    words = "".join(prose)
    if words.strip():
        yield Mention(line, "prose", words, context)
    named = _FILE_LINE.match(plain_text(pieces).strip()) if ":" in raw else None
    if named is not None and f"`{named.group(1)}" not in raw:
        path = path_candidate(named.group(1))
        if path is not None:
            yield Mention(line, "path", path, context)


def _code_block(token: Token, context: bool) -> Iterator[Mention]:
    info = str((token.get("attrs") or {}).get("info", "") or "")
    for word in info.split()[1:]:
        path = path_candidate(word.split("=", 1)[-1].strip("\"'"))
        if path is not None:
            yield Mention(token[LINE], "path", path, context)
    raw = str(token.get("raw", ""))
    for offset, code in enumerate(raw.split("\n")):
        if code.strip():
            yield Mention(code_line(token) + offset, "code", code.strip(), context)
    first = raw.split("\n", 1)[0]
    header = _CODE_HEADER.match(first)
    if header is not None:
        path = path_candidate(header.group(1))
        if path is not None:
            yield Mention(code_line(token), "path", path, context)
