"""Line numbers for config diagnostics: where each TOML table and key sits in the file's text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

__all__ = ["LineIndex"]


class LineIndex:
    """Line of each TOML table header and `key =` line, keyed by the full dotted path."""

    _BARE = re.compile(r"[A-Za-z0-9_-]+")

    def __init__(self, text: str) -> None:
        # Built on the first lookup: only a config with problems needs lines, and a big one is slow to index.
        self._text: str | None = text
        self._exact: dict[tuple[str, ...], int] = {}
        self._first: dict[tuple[str, ...], int] = {}

    def _build(self, text: str) -> None:
        table: tuple[str, ...] = ()
        pending_close: str | None = None  # delimiter of an open multi-line string
        depth = 0  # open [ / { of a value spanning lines
        # split("\n"), not splitlines(): TOML strings may hold U+2028 and friends, which are not line breaks.
        for number, raw in enumerate(text.split("\n"), start=1):
            rest = raw
            if pending_close is not None:
                end = rest.find(pending_close)
                if end < 0:
                    continue
                rest = rest[end + 3 :]
                pending_close, depth = self._scan_value(rest, depth)
                continue
            if depth > 0:
                pending_close, depth = self._scan_value(rest, depth)
                continue
            stripped = rest.strip()
            if stripped.startswith("["):
                is_array = stripped.startswith("[[")
                keys, _ = self._parse_key(stripped[2 if is_array else 1 :])
                if keys:
                    table = tuple(keys)
                    self._record(table, number)
                continue
            keys, after = self._parse_key(rest)
            if keys and after.lstrip().startswith("="):
                self._record((*table, *keys), number)
                pending_close, depth = self._scan_value(after.lstrip()[1:], 0)

    def _record(self, path: tuple[str, ...], number: int) -> None:
        self._exact.setdefault(path, number)
        for size in range(1, len(path) + 1):
            self._first.setdefault(path[:size], number)

    def line(self, loc: Iterable[str | int]) -> int:
        """Best line for a pydantic-style location: the key's line, else its enclosing table's, else 1."""
        if self._text is not None:
            text, self._text = self._text, None
            self._build(text)
        path = tuple(str(part) for part in loc)
        for size in range(len(path), 0, -1):
            prefix = path[:size]
            if prefix in self._exact:
                return self._exact[prefix]
            if prefix in self._first:
                return self._first[prefix]
        return 1

    @classmethod
    def _parse_key(cls, text: str) -> tuple[list[str], str]:
        """Dotted key at the start of `text` and what follows it; ([], text) if there is none."""
        keys: list[str] = []
        rest = text
        while True:
            rest = rest.lstrip(" \t")
            if rest.startswith('"'):
                end = cls._string_end(rest, 1)
                if end < 0:
                    return [], text
                try:
                    keys.append(json.loads(rest[: end + 1]))
                except ValueError:
                    keys.append(rest[1:end])
                rest = rest[end + 1 :]
            elif rest.startswith("'"):
                end = rest.find("'", 1)
                if end < 0:
                    return [], text
                keys.append(rest[1:end])
                rest = rest[end + 1 :]
            else:
                match = cls._BARE.match(rest)
                if not match:
                    return [], text
                keys.append(match.group())
                rest = rest[match.end() :]
            rest = rest.lstrip(" \t")
            if not rest.startswith("."):
                return keys, rest
            rest = rest[1:]

    @staticmethod
    def _string_end(text: str, start: int) -> int:
        """Index of the closing `"` of a basic string whose body starts at `start`, or -1."""
        index = start
        while index < len(text):
            char = text[index]
            if char == "\\":
                index += 2
                continue
            if char == '"':
                return index
            index += 1
        return -1

    @classmethod
    def _scan_value(cls, text: str, depth: int) -> tuple[str | None, int]:
        """Walk a value's text: (open multi-line string delimiter or None, bracket depth after it)."""
        index = 0
        while index < len(text):
            char = text[index]
            if text.startswith('"""', index) or text.startswith("'''", index):
                delimiter = text[index : index + 3]
                end = text.find(delimiter, index + 3)
                if end < 0:
                    return delimiter, depth
                index = end + 3
                # A closing delimiter may be followed by up to two more quotes that belong to the body.
                while index < len(text) and text[index] == delimiter[0]:
                    index += 1
                continue
            if char == '"':
                end = cls._string_end(text, index + 1)
                if end < 0:
                    return None, depth
                index = end + 1
                continue
            if char == "'":
                end = text.find("'", index + 1)
                if end < 0:
                    return None, depth
                index = end + 1
                continue
            if char == "#":
                break
            if char in "[{":
                depth += 1
            elif char in "]}":
                depth = max(depth - 1, 0)
            index += 1
        return None, depth
