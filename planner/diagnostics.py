"""Diagnostics: what a check found, as values; only the CLI prints them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

__all__ = [
    "Diagnostic",
    "Severity",
    "displayable",
    "error",
    "has_errors",
    "note",
    "one_line",
    "printable",
    "sort_diagnostics",
    "strictened",
    "warning",
]


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    # What the planner did that an author may want to know (a line read from outside its canonical
    # section): never an error, not even under `--strict`.
    NOTE = "note"


_SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.NOTE: 2}


@dataclass(frozen=True)
class Diagnostic:
    """One finding about one place: `path:line`, what is wrong and how to fix it."""

    severity: Severity
    code: str
    message: str
    path: str
    line: int

    def format(self) -> str:
        """One line, always: a path or message with a line break could forge a second diagnostic
        (or, in a CI log, a `::workflow-command`)."""
        line = f"{one_line(self.path)}:{self.line}: {self.severity.value}: {one_line(self.message)} [{self.code}]"
        # `./` names the same file, and makes it no line a CI runner reads as a `::command`.
        return "./" + line if line.lstrip().startswith("::") else line


# C0 and C1 control characters (tab excepted; ESC and CSI start terminal escapes) and Unicode line
# separators, shown as escapes.
CONTROL_CODES = (*range(0x20), 0x7F, *range(0x80, 0xA0))
_CONTROL = {c: f"\\x{c:02x}" for c in CONTROL_CODES if c != 0x09}
_CONTROL.update({0x0A: "\\n", 0x0D: "\\r", 0x2028: "\\u2028", 0x2029: "\\u2029"})
# The same, line breaks kept: for whole texts (a plan on stdout, a diff).
_IN_TEXT = {c: e for c, e in _CONTROL.items() if c != 0x0A}
_COMMAND = re.compile(r"^([ \t]*):(?=:)", re.M)


def displayable(text: str) -> str:
    """Text that can be encoded as UTF-8: a file name's undecodable bytes (Python keeps them as lone
    surrogates) become U+FFFD, so a design named with invalid UTF-8 is shown, not a traceback."""
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        data = text.encode("utf-8", "replace")
    return data.decode("utf-8", "replace")


def one_line(text: str) -> str:
    """Text safe to print as (part of) one line: control characters and line separators escaped."""
    return displayable(text).translate(_CONTROL)


def printable(text: str) -> str:
    """Text safe to print to a terminal or CI log as it is: control characters (CR and the line separators
    included) escaped, and no line starting with `::`, which a CI runner would run as a workflow command
    (its first `:` is shown as `\\x3a`)."""
    return _COMMAND.sub(r"\1\\x3a", displayable(text).translate(_IN_TEXT))


def error(code: str, message: str, path: str, line: int) -> Diagnostic:
    return Diagnostic(Severity.ERROR, code, message, path, max(line, 1))


def warning(code: str, message: str, path: str, line: int) -> Diagnostic:
    return Diagnostic(Severity.WARNING, code, message, path, max(line, 1))


def note(code: str, message: str, path: str, line: int) -> Diagnostic:
    return Diagnostic(Severity.NOTE, code, message, path, max(line, 1))


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """Sorted by path, line, severity (errors, warnings, notes), code, message; duplicates dropped."""
    return tuple(
        sorted(set(diagnostics), key=lambda d: (d.path, d.line, _SEVERITY_RANK[d.severity], d.code, d.message))
    )


def strictened(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """`--strict`: every warning becomes an error (notes stay notes)."""
    return tuple(
        Diagnostic(Severity.ERROR, d.code, d.message, d.path, d.line) if d.severity is Severity.WARNING else d
        for d in diagnostics
    )


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)
