"""Parse only what the design reader reads: a fence-aware heading scan, then mistune on those regions.

A design is cut into chunks at *certain* top-level headings: an ATX heading at column 0, after a blank
line, outside any fenced code or HTML block. At such a line mistune's full parse has closed every
earlier block (a column-0 line after a blank line continues no list item, block quote or paragraph),
so parsing a chunk on its own, with its first line number, gives exactly the tokens the full parse
gives for it. A chunk that might hold any other top-level heading (setext, indented, or a heading
right under text) is parsed, so mistune decides. Where the scan cannot be sure of the block state (a
fence or HTML block opened in indented or lazy text), everything from the current chunk on is parsed.
The rest is skipped: only its heading token is built, from the same regular expression mistune uses.
"""

from __future__ import annotations

import re
import string
from bisect import bisect_right
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from mistune.block_parser import BlockParser
from mistune.helpers import PRE_TAGS
from mistune.list_parser import LIST_PATTERN

from planner.design.markdown import LINE, Token, parse_blocks

__all__ = ["Chunk", "read_tokens", "scan_chunks"]

_SPEC = BlockParser.SPECIFICATION
_ATX = re.compile(_SPEC["atx_heading"])
_ATX_TRIM = re.compile(r"(\s+|^)#+\s*$")
_FENCE = re.compile(_SPEC["fenced_code"])
# HTML blocks and reference definitions are rare in designs: these three are compiled on first use (through
# re's cache), not at every start (_BLOCK_HTML alone takes 0.7 ms).
_RAW_HTML = BlockParser.RAW_HTML
_BLOCK_HTML = BlockParser.BLOCK_HTML
_REF_LINK = _SPEC["ref_link"]
# Lines that can open or end a multi-line block, or be a heading; everything else leaves the state alone.
_NOTABLE = re.compile(r"^ {0,3}(?:#|```|~~~|<|\[|[=-]+[ \t]*$)", re.M)
_BLANK = re.compile(r"^[ \t\v\f]*\n", re.M)
_QUOTE_LINE = re.compile(r"^ {0,3}>", re.M)
_LIST_LINE = re.compile(LIST_PATTERN)


@dataclass
class Chunk:
    """Lines [start, end) of the text; all but the first chunk start at a certain ATX heading."""

    start: int
    line: int
    level: int = 0
    title: str = ""
    # Holds a possible heading other than its first line, or a block the scan could not follow.
    dirty: bool = False
    # Holds a line that may be template text (see `may_leave`).
    probe: bool = False

    def heading(self) -> Token:
        """The heading token mistune makes of this chunk's first line."""
        return {"type": "heading", "text": self.title, "attrs": {"level": self.level}, "style": "atx", LINE: self.line}


class _Scan:
    def __init__(self, text: str) -> None:
        self.text = text
        self.chunks: list[Chunk] = [Chunk(0, 1)]
        self.skips: list[tuple[int, int]] = []  # fenced code and HTML blocks: no text the reader reads
        self.lines = 1  # line number of `self.pos`
        self.pos = 0
        self.skip_to = 0  # inside a fenced code or HTML block until here
        self.opaque_to = 0  # inside an HTML block or paragraph-like run that ends at a blank line until here
        self.hazards = self.quoted_lists()
        self.hazard = 0

    def line_of(self, pos: int) -> int:
        self.lines += self.text.count("\n", self.pos, pos)
        self.pos = pos
        return self.lines

    def prev_blank(self, pos: int) -> bool:
        if pos == 0:
            return True
        start = self.text.rfind("\n", 0, pos - 1) + 1
        return not self.text[start : pos - 1].strip(" \t\v\f")

    def opaque_end(self, pos: int, known: int) -> int:
        """Where the block of lines starting at pos ends: at the next blank line. `known` is the end found
        from an earlier line: no blank line lies before it, so it stands for any pos before it (no rescan
        per line of a long run)."""
        if pos < known:
            return known
        m = _BLANK.search(self.text, pos)
        return m.start() if m else len(self.text)

    def give_up(self) -> None:
        self.chunks[-1].dirty = True

    def quoted_lists(self) -> list[int]:
        """Starts of list lines in a run of lines that began with a block quote line.

        mistune parses such a list inside the quote rule, and the list goes on to parse the heading
        that ends it inside its own rule; the quote is then inserted before that heading, after the
        list. Parsed on its own, a chunk would end with the quote first: so the next heading after
        such a list is no chunk boundary.
        """
        text = self.text
        found: list[int] = []
        scanned = 0  # lines before this were scanned from an earlier quote line of the same run
        for quote in _QUOTE_LINE.finditer(text):
            if quote.start() < scanned:
                continue  # the scan from here would stop where the last one did: linear, not quadratic
            pos = text.find("\n", quote.start()) + 1
            while 0 < pos < len(text):
                end = text.find("\n", pos)
                line = text[pos : end if end >= 0 else len(text)]
                if not line.strip(" \t\v\f"):
                    break
                if _LIST_LINE.match(line):
                    found.append(pos)
                    break
                pos = end + 1
            scanned = pos if pos > 0 else len(text)
        return sorted(found)

    def run(self) -> None:
        """Cut the text into chunks; one pass over the lines that can matter (see _NOTABLE)."""
        text = self.text
        handlers: dict[str, Callable[[int, int, str, int], bool]] = {
            "`": self.fence,
            "~": self.fence,
            "<": self.html,
            "[": self.reference,
            "#": self.atx,
        }
        for m in _NOTABLE.finditer(text):
            pos = m.start()
            if pos < self.skip_to:
                continue
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            line = text[pos:end]
            indent = len(line) - len(line.lstrip(" "))
            if not handlers.get(line[indent], self.underline)(pos, end, line, indent):
                self.give_up()
                return

    # Each handler takes a notable line (start, end, text, indent) and returns False to give up.

    def fence(self, pos: int, end: int, line: str, indent: int) -> bool:
        fence = _FENCE.match(line)
        if fence is None:
            return True
        marker, info = fence.group("fenced_2"), fence.group("fenced_3")
        if info and marker[0] == "`" and "`" in info:
            return True  # mistune: not a fence, just text
        if indent or pos < self.opaque_to:
            return False  # maybe inside a list item or an HTML block
        close = re.compile(r"^ {0,3}" + marker[0] + "{" + str(len(marker)) + r",}[ \t]*(?:\n|$)", re.M)
        found = close.search(self.text, end + 1)
        self.skip_to = found.end() if found else len(self.text)
        self.skips.append((pos, self.skip_to))
        return True

    def html(self, pos: int, end: int, line: str, indent: int) -> bool:
        html = re.match(_RAW_HTML, line)
        if html is None:
            return True
        closer = _html_closer(html.group(0).strip())
        if closer is None:
            self.opaque_to = self.opaque_end(end, self.opaque_to)
            return True
        if indent or pos < self.opaque_to or not (self.prev_blank(pos) or re.match(_BLOCK_HTML, line)):
            # Under text, `<pre>` (no space after the name) is no break for a list item or quote,
            # so it may be a lazy continuation line rather than an HTML block.
            return False
        text = self.text
        found_at = text.find(closer, pos + html.end())
        self.skip_to = len(text) if found_at < 0 else text.find("\n", found_at) + 1 or len(text)
        self.skips.append((pos, self.skip_to))
        return True

    def reference(self, pos: int, end: int, line: str, indent: int) -> bool:
        ref = re.compile(_REF_LINK, re.M).match(self.text, pos)
        if ref is not None:
            if "\n" in ref.group(0):
                return False  # mistune lets a label run over lines, even blank ones
            self.opaque_to = self.opaque_end(end, self.opaque_to)
        return True

    def atx(self, pos: int, end: int, line: str, indent: int) -> bool:
        atx = _ATX.match(line)
        if atx is None:
            return True
        boundary = indent == 0 and pos >= self.opaque_to and self.prev_blank(pos)
        hazards = self.hazards
        if self.hazard < len(hazards) and hazards[self.hazard] < pos:
            boundary = False
            while self.hazard < len(hazards) and hazards[self.hazard] < pos:
                self.hazard += 1
        if boundary:
            title = atx.group("atx_2").strip(string.whitespace)
            if title:
                title = _ATX_TRIM.sub("", title)
            self.chunks.append(Chunk(pos, self.line_of(pos), len(atx.group("atx_1")), title))
        else:
            self.chunks[-1].dirty = True
        return True

    def underline(self, pos: int, end: int, line: str, indent: int) -> bool:
        # A setext underline: a heading when it follows text.
        if not self.prev_blank(pos):
            self.chunks[-1].dirty = True
        return True


def _html_closer(marker: str) -> str | None:
    """The end marker of an HTML block that runs to it (mistune's rules 1-5), else None (to a blank line)."""
    if marker == "<!--":
        return "-->"
    if marker == "<?":
        return "?>"
    if marker == "<![CDATA[":
        return "]]>"
    if marker.startswith("<!"):
        return ">"
    if not marker.startswith("</") and marker[1:].lower() in PRE_TAGS:
        return "</" + marker[1:].lower() + ">"
    return None


def scan_chunks(text: str, hint: re.Pattern[str], may_leave: Callable[[str], bool]) -> list[Chunk]:
    """Chunks of normalised text; `probe` marks those with a line where `hint` matches and `may_leave` holds."""
    scan = _Scan(text)
    scan.run()
    chunks = scan.chunks
    if len(chunks) > 1 and chunks[0].start == chunks[1].start:
        del chunks[0]  # the text starts with a heading
    starts = [c.start for c in chunks]
    skips = scan.skips
    k = 0
    for m in hint.finditer(text):
        pos = m.start()
        while k < len(skips) and skips[k][1] <= pos:
            k += 1
        if k < len(skips) and skips[k][0] <= pos:
            continue
        chunk = chunks[bisect_right(starts, pos) - 1]
        if chunk.probe or chunk.dirty:
            continue
        line_start = text.rfind("\n", 0, pos) + 1
        if line_start == chunk.start and chunk.level:
            continue  # the heading itself is always kept
        line_end = text.find("\n", pos)
        if may_leave(text[line_start : line_end if line_end >= 0 else len(text)]):
            chunk.probe = True
    return chunks


def read_tokens(
    text: str,
    key_of: Callable[[str], str | None],
    read: Collection[str],
    hint: re.Pattern[str],
    may_leave: Callable[[str], bool],
) -> list[Token]:
    """Top-level tokens: full where the reader looks, only the heading of every other chunk.

    Parsed in full: the header (up to the first heading below level 1), each section whose key is in
    `read` (every heading of the key, to the next heading at its level or above), every chunk that
    may hold another heading, and every chunk with a line that may be template text.
    """
    chunks = scan_chunks(text, hint, may_leave)
    if len(chunks) == 1:
        return parse_blocks(text)
    parsed: list[list[Token] | None] = [None] * len(chunks)

    def parse(i: int) -> list[Token]:
        tokens = parsed[i]
        if tokens is None:
            end = chunks[i + 1].start if i + 1 < len(chunks) else len(text)
            tokens = parsed[i] = parse_blocks(text[chunks[i].start : end], chunks[i].line)
        return tokens

    for i, chunk in enumerate(chunks):
        if chunk.dirty or chunk.probe:
            parse(i)
    for i, chunk in enumerate(chunks):
        if chunk.level > 1 or any(_level(t) > 1 for t in parse(i)):
            break

    headings = _headings(chunks, parsed)
    for n, (i, level, title) in enumerate(headings):
        if key_of(title) in read:
            stop = next((j for j, lv, _ in headings[n + 1 :] if lv <= level), len(chunks))
            for j in range(i, stop):
                parse(j)

    out: list[Token] = []
    for i, chunk in enumerate(chunks):
        tokens = parsed[i]
        if tokens is None:
            out.append(chunk.heading())
        else:
            out += tokens
    return out


def _headings(chunks: list[Chunk], parsed: list[list[Token] | None]) -> list[tuple[int, int, str]]:
    """(chunk, level, title) of every heading: from the tokens of a parsed chunk, else the chunk's own."""
    headings: list[tuple[int, int, str]] = []
    for i, chunk in enumerate(chunks):
        tokens = parsed[i]
        if tokens is None:
            headings.append((i, chunk.level, chunk.title))
        else:
            headings += [(i, _level(t), t["text"]) for t in tokens if t["type"] == "heading"]
    return headings


def _level(token: Any) -> int:
    return int(token["attrs"]["level"]) if token["type"] == "heading" else 0
