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


class LineBlockParser(BlockParser):
    """Stamps each token a rule produces with the line the rule matched at."""

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


def _stamp_items(token: Token) -> None:
    """A list item starts where its first child does, else where its list does."""
    for item in token.get("children", ()):
        children = item.get("children") or ()
        item.setdefault(LINE, children[0].get(LINE, token[LINE]) if children else token[LINE])


_markdown = mistune.Markdown(renderer=None, block=LineBlockParser(max_nested_level=MAX_NESTING), inline=None)


def parse_blocks(text: str) -> list[Token]:
    """Block tokens of normalised text (LF line ends, final newline), each with its source line."""
    state = LineState()
    state.process(text)
    _markdown.block.parse(state)
    return state.tokens


def inline(text: str) -> list[Token]:
    """Inline tokens of one piece of text (no positions: callers parse line by line)."""
    tokens: list[Token] = _markdown.inline(text, {"ref_links": {}})
    return tokens
