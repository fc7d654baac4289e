"""Task templates: the `[templates]` tables, their closed set of placeholders, and each step's id suffix."""

# No `from __future__ import annotations`: pydantic would compile every field's annotation string at import.
import re
import string
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from planner.diagnostics import Diagnostic, error

__all__ = ["PLACEHOLDERS", "TEMPLATE_KINDS", "Templates", "fill", "placeholder_problem", "step_suffix"]

# Every template may use {repo} and {feature}; each kind adds the names of its subject.
_COMMON = ("repo", "feature")
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "rest_provide": (*_COMMON, "method", "path", "endpoint"),
    "rest_consume": (*_COMMON, "method", "path", "endpoint"),
    "grpc_provide": (*_COMMON, "rpc", "service", "name"),
    "grpc_consume": (*_COMMON, "rpc", "service", "name"),
    "migration": (*_COMMON, "tables"),
    "domain": (*_COMMON, "type", "language"),
    "file": (*_COMMON, "file", "description"),
    "change": (*_COMMON, "change"),
}
TEMPLATE_KINDS: tuple[str, ...] = tuple(PLACEHOLDERS)


class Templates(BaseModel):
    """Per task kind, the lines that make a subject's steps; None: the built-in single task."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rest_provide: tuple[str, ...] | None = None
    rest_consume: tuple[str, ...] | None = None
    grpc_provide: tuple[str, ...] | None = None
    grpc_consume: tuple[str, ...] | None = None
    migration: tuple[str, ...] | None = None
    domain: tuple[str, ...] | None = None
    file: tuple[str, ...] | None = None
    change: tuple[str, ...] | None = None

    def lines(self, kind: str) -> tuple[str, ...] | None:
        value: tuple[str, ...] | None = getattr(self, kind)
        return value


_FORMATTER = string.Formatter()


def placeholder_problem(kind: str, line: str) -> str | None:
    """What is wrong with one template line's placeholders, or None."""
    try:
        parts = list(_FORMATTER.parse(line))
    except ValueError as exc:
        return f"cannot be read ({exc}); write placeholders as {{name}} and a literal brace as {{{{ or }}}}"
    allowed = PLACEHOLDERS[kind]
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in allowed or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            return f"has unknown placeholder {shown}; {kind} templates may use " + ", ".join(
                "{" + a + "}" for a in allowed
            )
    return None


def fill(line: str, values: Mapping[str, str]) -> str:
    """A validated template line with its placeholders replaced."""
    return line.format_map(values)


def step_suffix(line: str) -> str:
    """The id suffix of a step after the first: its literal words, so an edit elsewhere keeps it."""
    words = "".join(literal + (f" {name} " if name else "") for literal, name, _, _ in _FORMATTER.parse(line))
    return re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")[:48].rstrip("-") or "step"


def template_diagnostics(
    templates: Templates, where: tuple[str, ...], text_lines: list[str], key_line: dict[str, int], path: str
) -> list[Diagnostic]:
    """Unknown placeholders, empty lists and steps with the same id suffix, each at its line."""
    found: list[Diagnostic] = []
    table = ".".join(where)
    for kind in TEMPLATE_KINDS:
        lines = templates.lines(kind)
        if lines is None:
            continue
        first = key_line.get(kind, 1)
        if not lines:
            found.append(error("config-template", f"[{table}] {kind} is empty; give at least one line", path, first))
            continue
        seen: dict[str, str] = {}
        for n, line in enumerate(lines):
            at = _line_of(line, text_lines, first)
            problem = placeholder_problem(kind, line)
            if problem:
                found.append(error("config-template", f"[{table}] {kind} line {line!r} {problem}", path, at))
                continue
            suffix = step_suffix(line)
            if n and suffix in seen:
                found.append(
                    error(
                        "config-template",
                        f"[{table}] {kind} lines {seen[suffix]!r} and {line!r} make the same task id suffix "
                        f"':{suffix}'; reword one of them",
                        path,
                        at,
                    )
                )
            if n:
                seen.setdefault(suffix, line)
    return found


def _line_of(line: str, text_lines: list[str], first: int) -> int:
    """The config line holding a template line's text: its key's line or the first one after it."""
    for number in range(first, min(len(text_lines), first + 200) + 1):
        if line in text_lines[number - 1]:
            return number
    return first
