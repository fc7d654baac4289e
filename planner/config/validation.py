"""Pydantic validation errors on a config, as diagnostics that name the key, its line and the fix."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from planner.config.lines import LineIndex
from planner.config.model import SURFACES, RepoConfig, TrackerConfig
from planner.config.templates import TEMPLATE_KINDS
from planner.diagnostics import Diagnostic, error

__all__ = ["validation_diagnostic"]

_TOP_KEYS = ("repos", "templates", "trackers", "version")
_REPO_KEYS = tuple(sorted(set(RepoConfig.model_fields) - {"name"}))
_TRACKER_KEYS = tuple(sorted(TrackerConfig.model_fields))
_TOML_TYPE_NAMES: dict[type, str] = {
    bool: "a boolean",
    int: "an integer",
    float: "a float",
    str: "a string",
    list: "an array",
    dict: "a table",
}
_EXPECTED: dict[str, str] = {
    "string_type": "a string",
    "tuple_type": "an array",
    "list_type": "an array",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
}


def validation_diagnostic(err: Any, path: str, lines: LineIndex) -> Diagnostic:
    loc: tuple[str | int, ...] = tuple(err["loc"])
    line = lines.line(loc)
    kind: str = err["type"]
    value = err.get("input")

    if loc and loc[0] == "version":
        if kind == "missing":
            message = "missing required key 'version'; add `version = 1` at the top of the file"
        else:
            message = f"unsupported config version {_show(value)}; set `version = 1`"
        return error("config-invalid", message, path, line)

    if loc and loc[0] == "repos" and len(loc) >= 2:
        inner = loc[2:]
        in_tracker = inner[:1] == ("tracker",)
        allowed = _TRACKER_KEYS if in_tracker else _REPO_KEYS
        table = f"[repos.{loc[1]}{'.tracker' if in_tracker else ''}]"
        field = _field_name(inner)
        owner = f"repo {loc[1]!r}"
        subject = f"{owner}: {field}" if field else owner
        unknown = f"repo {loc[1]!r}: unknown key"
        if inner[:1] == ("templates",) and kind == "extra_forbidden":
            allowed, unknown = TEMPLATE_KINDS, f"[repos.{loc[1]}.templates]: unknown task kind"
    elif loc[:1] == ("templates",) and kind == "extra_forbidden":
        inner, allowed, table, owner = loc, TEMPLATE_KINDS, "[templates]", "the file"
        field, subject, unknown = _field_name(inner), _field_name(inner), "[templates]: unknown task kind"
    else:
        inner = loc
        allowed = _TOP_KEYS
        table = "the top level of the file"
        field = _field_name(inner)
        owner = "the file"
        subject = field or owner
        unknown = "unknown top-level key"

    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else "remove it. "
        message = f"{unknown} {field!r}; {hint}Allowed keys: {', '.join(allowed)}"
    elif kind == "missing":
        key = str(loc[-1]) if loc else "?"
        message = f'{owner}: missing required key {key!r}; add `{key} = "..."` to {table}'
    elif kind == "literal_error" and inner[:1] in (("provides",), ("consumes",)):
        message = (
            f"{subject} is {_show(value)}, which is not an API surface; "
            f"use one of {', '.join(repr(s) for s in SURFACES)}"
        )
    elif kind in _EXPECTED:
        expected = _EXPECTED[kind]
        fix = "write one [repos.<name>] table per repository" if loc == ("repos",) else f"change it to {expected}"
        message = f"{subject} must be {expected}, got {_type_name(value)} {_show(value)}; {fix}"
    else:
        message = f"{subject}: {err['msg']} (got {_show(value)}); fix the value in {table}"
    return error("config-invalid", message, path, line)


def _field_name(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _type_name(value: Any) -> str:
    for kind, name in _TOML_TYPE_NAMES.items():
        if type(value) is kind:
            return name
    return "a date/time" if value is not None else "nothing"


def _show(value: Any) -> str:
    shown = repr(value)
    # Huge inline tables would otherwise be pasted whole into the message.
    return shown if len(shown) <= 60 else shown[:57] + "..."
