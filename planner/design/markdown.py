"""mistune's block parser, taught to record the 1-based source line of every block token."""

from __future__ import annotations

import re
from bisect import bisect_left
from re import Match
from typing import Any

import mistune
from mistune.block_parser import BlockParser
from mistune.core import BlockState
from mistune.list_parser import LIST_PATTERN

__all__ = ["LINE", "Token", "inline", "parse_blocks"]

# The key under which every block token carries its source line.
LINE = "_line"

Token = dict[str, Any]

_LIST_MARKER = re.compile(LIST_PATTERN)
_NEWLINE = re.compile("\n")
# Deeper nesting than this is flattened into text; it also keeps mistune far from RecursionError.
MAX_NESTING = 12


class _Frame:
    """The container (list or block quote) whose children are being parsed, and where the next child starts."""

    __slots__ = ("kind", "next_line")

    def __init__(self, kind: str, next_line: int) -> None:
        self.kind = kind
        self.next_line = next_line


class LineState(BlockState):
    """A BlockState that knows the source line of its own first line.

    mistune's AST carries no positions. A list item or block quote is parsed from a child source
    whose lines correspond one to one with the parent's (indentation or `>` stripped), so a child
    only needs the line its source starts at; positions inside a state come from its newline index.
    """

    line_base: int
    frames: list[_Frame]
    # The line of the rule being parsed; None between rules, where the cursor gives the line.
    rule_line: int | None
    _newlines: list[int] | None

    def __init__(self, parent: Any | None = None) -> None:
        super().__init__(parent)
        self.line_base = 1
        self.frames = []
        self.rule_line = None
        self._newlines = None

    def process(self, src: str) -> None:
        super().process(src)
        self._newlines = None

    def _index(self) -> list[int]:
        if self._newlines is None:
            self._newlines = [m.start() for m in _NEWLINE.finditer(self.src)]
        return self._newlines

    def line_at(self, pos: int) -> int:
        return self.line_base + bisect_left(self._index(), pos)

    def line_text(self, line: int) -> str:
        """The text of one of this state's own lines (numbered as line_at numbers them)."""
        newlines, index = self._index(), line - self.line_base
        start = newlines[index - 1] + 1 if index > 0 else 0
        return self.src[start : newlines[index]] if index < len(newlines) else self.src[start:]

    def child_state(self, src: str, lazy_line_starts: set[int] | None = None) -> LineState:
        child = super().child_state(src, lazy_line_starts)
        assert isinstance(child, LineState)
        frame = self.frames[-1] if self.frames else None
        if frame is None:
            child.line_base = self.line_at(self.cursor)
        elif frame.kind == "block_quote":
            child.line_base = frame.next_line
        else:
            # A list item: its source starts on the marker line, or on the next line when the
            # marker stands alone. The parent's cursor now sits just past the next item's marker.
            start = frame.next_line
            m = _LIST_MARKER.match(self.line_text(start))
            child.line_base = start if m is not None and m.group("list_3").strip() else start + 1
            frame.next_line = self.line_at(self.cursor) - 1
        return child

    def _stamp(self, token: Token) -> None:
        token.setdefault(LINE, self.rule_line if self.rule_line is not None else self.line_at(self.cursor))

    def append_token(self, token: Token) -> None:
        self._stamp(token)
        super().append_token(token)

    def prepend_token(self, token: Token) -> None:
        self._stamp(token)
        super().prepend_token(token)

    def add_paragraph(self, text: str) -> None:
        last = self.last_token()
        super().add_paragraph(text)
        if self.tokens and self.tokens[-1] is not last:
            self.tokens[-1][LINE] = self.line_at(self.cursor)


# mistune's thematic break, setext underline and blank lines repeat a group per character or line, and
# Python's regex engine keeps state per repetition: a 5 MiB line of `*` or `=` took gigabytes. The same
# languages, with character classes instead (the setext group still captures the last character: the level).
_FLAT_RULES = {
    "thematic_break": r"^ {0,3}(-[ \t]*-[ \t]*-[- \t]*|_[ \t]*_[ \t]*_[_ \t]*|\*[ \t]*\*[ \t]*\*[* \t]*)$",
    "setex_heading": r"^ {0,3}[=-]*(?P<setext_1>[=-])[ \t]*$",
    # Whole blank lines: whitespace ending in a line break (a run of 400,000 empty lines took 400 MiB).
    "blank_line": r"^[ \t\v\f\n]*\n",
}


class LineBlockParser(BlockParser):
    """Stamps each token a rule produces with the line the rule matched at.

    With `simple_lists`, a tight list of one-line text items (a Key Files or Affected Repositories
    list) is built directly, as mistune would build it; anything else goes through mistune's list parser.
    """

    def __init__(self, *, simple_lists: bool = False, max_nested_level: int = MAX_NESTING) -> None:
        super().__init__(max_nested_level=max_nested_level)
        self.simple_lists = simple_lists
        self.specification.update(_FLAT_RULES)

    def parse_list(self, m: Match[str], state: BlockState) -> int:
        if self.simple_lists:
            assert isinstance(state, LineState)
            end = _simple_list(self, m, state)
            if end is not None:
                return end
        return super().parse_list(m, state)

    def parse_method(self, m: Match[str], state: BlockState) -> int | None:
        assert isinstance(state, LineState)
        line = state.line_at(m.start())
        kind = m.lastgroup or ""
        pushed = kind in ("list", "block_quote")
        if pushed:
            state.frames.append(_Frame(kind, line))
        first = max(len(state.tokens) - 1, 0)
        outer, state.rule_line = state.rule_line, line
        try:
            end: int | None = super().parse_method(m, state)
        finally:
            state.rule_line = outer
            if pushed:
                state.frames.pop()
        # A list is inserted, not appended, when a break rule ended it: stamp what is still bare.
        for token in state.tokens[first:]:
            token.setdefault(LINE, line)
            if token["type"] == "list":
                _stamp_items(token)
        return end


# One item of a simple list: bullet, one space, text that mistune reads as nothing but a paragraph.
_SIMPLE_ITEMS = {b: re.compile(re.escape(b) + r" ([^\n]*)\n") for b in "-*+"}
_NOT_PLAIN = re.compile(
    r"[ \t#=\-*_>+<~|]|```|~~~|\d{1,9}[.)](?:[ \t]|$)|" + BlockParser.SPECIFICATION["ref_link"][len("^ {0,3}") :]
)
# What ends a list item's lines in mistune (list_parser._get_list_break_rules), in its order.
_LIST_BREAKS = ["thematic_break", "fenced_code", "atx_heading", "block_quote", "block_html", "list"]


def _simple_list(block: LineBlockParser, m: Match[str], state: LineState) -> int | None:
    """Build a tight list of one-line text items as mistune would; None when the list is anything more.

    Item lines follow each other at column 0 with one bullet. What mistune does at the first other
    line is repeated: another list ends it; an ATX heading is parsed there and then, as part of the
    list rule (which decides token order when the list sits in a block quote); blank lines followed by
    plain text end it. Any other case (continuation, lazy or indented lines, loose lists, fences,
    quotes, HTML or thematic breaks after the list) is left to mistune's list parser.
    """
    if m.group("list_1") or m.group("list_2") not in _SIMPLE_ITEMS:
        return None
    src, end, bullet = state.src, state.cursor_max, m.group("list_2")
    item = _SIMPLE_ITEMS[bullet]
    pos = m.start()
    first = line = state.line_at(pos)
    items: list[Token] = []
    while pos < end:
        found = item.match(src, pos)
        if found is None:
            break
        text = found.group(1)
        if not text or _NOT_PLAIN.match(text):
            return None
        items.append(
            {"type": "list_item", "children": [{"type": "block_text", "text": text + "\n", LINE: line}], LINE: line}
        )
        pos, line = found.end(), line + 1
    if not items:
        return None
    heading: Match[str] | None = None
    if pos < end:
        blank = BlockParser.BLANK_LINE.match(src, pos)
        if blank is not None:
            pos = blank.end()
        if pos < end:
            if src[pos] in (" ", "\t", bullet):
                return None
            brk = block.compile_sc(_LIST_BREAKS).match(src, pos)
            kind = brk.lastgroup if brk is not None else None
            if kind == "atx_heading":
                heading = brk
            elif kind != "list" and (kind is not None or blank is None):
                return None
    state.append_token(
        {
            "type": "list",
            "children": items,
            "tight": True,
            "bullet": bullet,
            "attrs": {"depth": state.depth(), "ordered": False},
            LINE: first,
        }
    )
    if heading is not None:
        return block.parse_method(heading, state)
    return pos


def _stamp_items(token: Token) -> None:
    """A list item starts where its first child does, else where its list does."""
    for item in token.get("children", ()):
        children = item.get("children") or ()
        item.setdefault(LINE, children[0].get(LINE, token[LINE]) if children else token[LINE])


_markdown = mistune.Markdown(renderer=None, block=LineBlockParser(simple_lists=True), inline=None)
# mistune's own list parser throughout: the reference the fast paths are tested against.
_reference = LineBlockParser()


def parse_blocks(text: str, first_line: int = 1, *, reference: bool = False) -> list[Token]:
    """Block tokens of normalised text (LF line ends, final newline), each with its source line.

    `first_line` numbers a slice of a larger text that starts at that line; `reference` parses with
    mistune's list parser only (same tokens, slower: what the tests compare against).
    """
    state = LineState()
    state.line_base = first_line
    state.process(text)
    (_reference if reference else _markdown.block).parse(state)
    return state.tokens


def inline(text: str) -> list[Token]:
    """Inline tokens of one piece of text (no positions: callers parse line by line)."""
    tokens: list[Token] = _markdown.inline(text, {"ref_links": {}})
    return tokens
