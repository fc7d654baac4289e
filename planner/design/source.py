"""A design file's bytes to normalised text: bounded reads, decoding, and load_design's file handling."""

from __future__ import annotations

from pathlib import Path

from planner.design.model import DesignDoc
from planner.design.parse import parse_design
from planner.diagnostics import Diagnostic, error
from planner.files import read_at_most

__all__ = [
    "MAX_DESIGN_BYTES",
    "decode_design",
    "load_design",
]

MAX_DESIGN_BYTES = 5 * 1024 * 1024


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
        return None, (
            error(
                "empty",
                "design doc is empty; start from the template: planner new 'Feature Name' (or planner template)",
                path,
                1,
            ),
        )
    if not text.endswith("\n"):
        text += "\n"
    return text, ()


def _line_of_offset(data: bytes, offset: int) -> int:
    """1-based line of a byte offset, with CRLF, CR and LF each ending a line (as decode_design reads them)."""
    head = data[:offset]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


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
        data = read_at_most(p, max_bytes + 1)
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
