"""Diagnostics as GitHub Actions workflow commands (`::error file=F,line=L,title=T::message`).

The runner treats any output line starting with `::` as a command, so every value is escaped the way
actions/toolkit does it: one diagnostic is always exactly one line, whatever the design's text holds.
"""

from __future__ import annotations

from collections.abc import Iterable

from planner.diagnostics import CONTROL_CODES, Diagnostic, Severity, sort_diagnostics

__all__ = ["escape_data", "escape_property", "workflow_command", "workflow_commands"]


# The other C0 and C1 controls (tab kept), shown as `\xNN`: ESC or CSI would run in a terminal or log viewer.
_CONTROLS = {c: f"\\x{c:02x}" for c in CONTROL_CODES if c not in (0x09, 0x0A, 0x0D)}


def escape_data(text: str) -> str:
    """A command's message: other controls as `\\xNN`, then `%`, CR and LF (`%` first: an escape stays literal)."""
    return text.translate(_CONTROLS).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command's property value: as data, plus `:` and `,` which would end the value early."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(diagnostic: Diagnostic) -> str:
    """One diagnostic as one `::error`, `::warning` or `::notice` line."""
    properties = ",".join(
        [
            f"file={escape_property(diagnostic.path)}",
            f"line={diagnostic.line}",
            f"title={escape_property(f'planner {diagnostic.code}')}",
        ]
    )
    level = "notice" if diagnostic.severity is Severity.NOTE else diagnostic.severity.value
    return f"::{level} {properties}::{escape_data(diagnostic.message)}"


def workflow_commands(diagnostics: Iterable[Diagnostic]) -> list[str]:
    """Each diagnostic as a command line, in the stable diagnostic order."""
    return [workflow_command(d) for d in sort_diagnostics(diagnostics)]
