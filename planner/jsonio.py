"""JSON in and out, one rule each: texts valid through `printable`, and no input that can crash the reader."""

from __future__ import annotations

import json
from typing import Any

from planner.diagnostics import CONTROL_CODES, displayable

__all__ = ["json_text", "parse_json"]

# The control characters json.dumps leaves raw (DEL, C1: U+009B is a terminal's CSI) and the line separators,
# as `\\uNNNN`: `printable` would show them as `\\xNN`, which is no JSON escape, so a JSON text printed
# through it would stop being JSON.
_JSON_CONTROL = {c: f"\\u{c:04x}" for c in (*CONTROL_CODES, 0x2028, 0x2029) if c >= 0x7F}


def json_text(data: object, *, indent: int | None = 2, sort_keys: bool = False) -> str:
    """`data` as JSON, non-ASCII text kept as it is except the control characters (all escaped)."""
    # displayable: a non-UTF-8 file name's lone surrogates would otherwise reach stdout as raw bytes (not UTF-8).
    text = json.dumps(data, indent=indent, sort_keys=sort_keys, ensure_ascii=False)
    return displayable(text).translate(_JSON_CONTROL)


def parse_json(text: str | bytes, *, strict: bool = True) -> Any:
    """`json.loads`, with JSON nested too deep for the interpreter's stack a ValueError like any bad JSON
    (a hand-edited or hostile file must not end in a RecursionError traceback)."""
    try:
        return json.loads(text, strict=strict)
    except RecursionError:
        raise ValueError("nested too deep") from None
