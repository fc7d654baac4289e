"""Repo config: `config/repos.toml` parsed into frozen pydantic models, with diagnostics."""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError, field_validator

from planner.diagnostics import Diagnostic, error, sort_diagnostics
from planner.graph import find_cycles, format_cycle

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_CONFIG_RELPATH",
    "SURFACES",
    "Config",
    "RepoConfig",
    "Surface",
    "TrackerConfig",
    "find_config",
    "load_config",
    "parse_config",
]

Surface = Literal["rest", "grpc", "database"]
SURFACES: tuple[Surface, ...] = ("rest", "grpc", "database")
CONFIG_ENV_VAR = "PLANNER_CONFIG"
DEFAULT_CONFIG_RELPATH = Path("config") / "repos.toml"

# Past this many, listing every known repo in a message would drown the actual problem.
_MAX_LISTED_NAMES = 10


class TrackerConfig(BaseModel):
    """Where a repo's issues live."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    github: str | None = None
    jira: str | None = None
    labels: tuple[str, ...] = ()


class RepoConfig(BaseModel):
    """One repository; `name` is its `[repos.<name>]` table key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str
    language: str
    depends_on: tuple[str, ...] = ()
    provides: tuple[Surface, ...] = ()
    consumes: tuple[Surface, ...] = ()
    verify: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    tracker: TrackerConfig = TrackerConfig()


class Config(BaseModel):
    """The whole config file; `repos` is ordered by name whatever the file order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1]
    repos: Mapping[str, RepoConfig]
    path: str
    sha256: str

    # Lower-cased name/alias -> canonical name; private so it stays out of the schema and dumps.
    _index: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("version", mode="before")
    @classmethod
    def _exact_integer_version(cls, value: Any) -> Any:
        # Lax Literal[1] accepts `true` and `1.0`; a version marker should be exactly the integer 1.
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("version must be the integer 1")
        return value

    @field_validator("repos", mode="after")
    @classmethod
    def _sorted_repos(cls, repos: Mapping[str, RepoConfig]) -> dict[str, RepoConfig]:
        return dict(sorted(repos.items()))

    def model_post_init(self, context: Any, /) -> None:
        index: dict[str, str] = {}
        # Names first so a colliding alias can never shadow a real repo name.
        for name in self.repos:
            index.setdefault(name.lower(), name)
        for name, repo in self.repos.items():
            for alias in repo.aliases:
                index.setdefault(alias.lower(), name)
        self._index = index

    def resolve(self, name: str) -> str | None:
        """Canonical repo name for a name or alias, case-insensitively; None if unknown."""
        return self._index.get(name.lower())

    def suggest(self, name: str) -> str | None:
        """Canonical name of the closest-looking repo name or alias, for did-you-mean hints."""
        matches = difflib.get_close_matches(name.lower(), list(self._index), n=1)
        return self._index[matches[0]] if matches else None


def find_config(explicit: str | None, env: Mapping[str, str], cwd: Path) -> Path | None:
    """Config path: `--config`, else `$PLANNER_CONFIG`, else the nearest `config/repos.toml` upward."""
    # Explicit choices are returned even if missing so the user gets "not found", not a silent fallback.
    if explicit:
        return cwd / explicit
    from_env = env.get(CONFIG_ENV_VAR)
    if from_env:
        return cwd / from_env
    for directory in (cwd, *cwd.parents):
        candidate = directory / DEFAULT_CONFIG_RELPATH
        if candidate.is_file():
            return candidate
    return None


def load_config(path: str | Path) -> tuple[Config | None, tuple[Diagnostic, ...]]:
    """Read and validate a config file; the Config is None whenever there is any error."""
    shown = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return None, (
            error(
                "config-read",
                f"config file not found: {shown}; create it (see config/repos.toml in the planner repo) "
                f"or point --config / ${CONFIG_ENV_VAR} at an existing file",
                shown,
                1,
            ),
        )
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        return None, (
            error(
                "config-read",
                f"cannot read config file {shown}: {reason}; check that it is a readable file "
                f"or pass another one with --config",
                shown,
                1,
            ),
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, (
            error(
                "config-read",
                f"config file is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                f"re-save it as UTF-8",
                shown,
                line,
            ),
        )
    return _parse(text, shown, hashlib.sha256(data).hexdigest())


def parse_config(text: str, path: str) -> tuple[Config | None, tuple[Diagnostic, ...]]:
    """Validate config text; `path` is only used in diagnostics and stored on the Config."""
    return _parse(text, path, hashlib.sha256(text.encode("utf-8")).hexdigest())


def _parse(text: str, path: str, sha256: str) -> tuple[Config | None, tuple[Diagnostic, ...]]:
    # Editors on Windows like to add a BOM, which TOML parsers reject; it carries no meaning.
    body = text[1:] if text.startswith("\ufeff") else text
    try:
        raw = tomllib.loads(body)
    except tomllib.TOMLDecodeError as exc:
        return None, (_syntax_diagnostic(str(exc), body, path),)
    except RecursionError:
        return None, (
            error(
                "config-syntax", "invalid TOML: values are nested too deeply; flatten the structure", path, 1
            ),
        )

    lines = _LineIndex(body)
    diagnostics: list[Diagnostic] = []
    data = dict(raw)
    for reserved in ("path", "sha256"):
        # These fields are filled from the file itself, never written in it.
        if reserved in data:
            del data[reserved]
            diagnostics.append(
                error(
                    "config-invalid",
                    f"unknown top-level key {reserved!r}; remove it. Allowed top-level keys: repos, version",
                    path,
                    lines.line((reserved,)),
                )
            )
    repos_raw = data.get("repos")
    if repos_raw is None:
        diagnostics.append(_empty_diagnostic(path, lines))
        data["repos"] = {}
    elif isinstance(repos_raw, dict):
        data["repos"] = _with_names(repos_raw, path, lines, diagnostics)

    try:
        config = Config.model_validate({**data, "path": path, "sha256": sha256})
    except ValidationError as exc:
        diagnostics.extend(_validation_diagnostic(err, path, lines) for err in exc.errors())
        return None, sort_diagnostics(diagnostics)

    if repos_raw is not None and not config.repos:
        diagnostics.append(_empty_diagnostic(path, lines))
    diagnostics.extend(_semantic_diagnostics(config, lines))
    if diagnostics:
        return None, sort_diagnostics(diagnostics)
    return config, ()


def _with_names(
    repos: dict[str, Any], path: str, lines: _LineIndex, diagnostics: list[Diagnostic]
) -> dict[str, Any]:
    named: dict[str, Any] = {}
    for name, table in repos.items():
        if isinstance(table, dict):
            if "name" in table:
                diagnostics.append(
                    error(
                        "config-invalid",
                        f"repo {name!r}: unknown key 'name'; remove it, a repo's name is its table key "
                        f"[repos.{name}]",
                        path,
                        lines.line(("repos", name, "name")),
                    )
                )
            table = {**table, "name": name}
        named[name] = table
    return named


def _empty_diagnostic(path: str, lines: _LineIndex) -> Diagnostic:
    return error(
        "config-empty",
        "no repositories configured; add at least one [repos.<name>] table with description and language",
        path,
        lines.line(("repos",)),
    )


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)\s*$")


def _syntax_diagnostic(message: str, text: str, path: str) -> Diagnostic:
    position = _TOML_POSITION.search(message)
    if position:
        reason = message[: position.start()]
        line, column = int(position.group(1)), int(position.group(2))
        where = f"line {line}, column {column}"
    else:
        reason = _TOML_AT_END.sub("", message)
        line = text.rstrip("\n").count("\n") + 1
        where = "end of file"
    return error(
        "config-syntax",
        f"invalid TOML at {where}: {reason}; fix the syntax there (an unclosed string, array or table "
        f"header often causes this)",
        path,
        line,
    )


_TOP_KEYS = ("repos", "version")
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


def _validation_diagnostic(err: Any, path: str, lines: _LineIndex) -> Diagnostic:
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
        fix = (
            "write one [repos.<name>] table per repository"
            if loc == ("repos",)
            else f"change it to {expected}"
        )
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


def _semantic_diagnostics(config: Config, lines: _LineIndex) -> list[Diagnostic]:
    path = config.path
    found: list[Diagnostic] = []
    names = list(config.repos)

    for name, repo in config.repos.items():
        if all(dep in config.repos and dep != name for dep in repo.depends_on):
            continue  # the common case: no line lookup needed
        dep_line = lines.line(("repos", name, "depends_on"))
        for dep in repo.depends_on:
            if dep == name or (dep not in config.repos and config.resolve(dep) == name):
                found.append(
                    error(
                        "config-self-dependency",
                        f"repo {name!r} depends on itself ({dep!r}); remove it from depends_on",
                        path,
                        dep_line,
                    )
                )
            elif dep not in config.repos:
                found.append(
                    error(
                        "config-unknown-dependency",
                        f"repo {name!r}: depends_on names unknown repo {dep!r}; "
                        f"{_unknown_hint(config, dep, names)}",
                        path,
                        dep_line,
                    )
                )

    found.extend(_collision_diagnostics(config, lines))

    for cycle in find_cycles(config):
        if len(cycle) < 2:
            continue  # a self-loop is already reported as config-self-dependency
        # Graph edges run upstream -> downstream; reversed, the cycle reads like the depends_on lists.
        depends_cycle = [cycle[0], *reversed(cycle[1:])]
        found.append(
            error(
                "config-cycle",
                f"dependency cycle: {format_cycle(depends_cycle)} (each repo depends on the next); remove "
                f"one of these depends_on entries so the repos can be ordered",
                path,
                lines.line(("repos", cycle[0], "depends_on")),
            )
        )
    return found


def _unknown_hint(config: Config, dep: str, names: list[str]) -> str:
    canonical = config.resolve(dep)
    if canonical is not None:
        return f"did you mean {canonical!r}? depends_on takes canonical repo names, not aliases"
    close = config.suggest(dep)
    if close is not None:
        return f"did you mean {close!r}?"
    if len(names) <= _MAX_LISTED_NAMES:
        return f"use one of: {', '.join(names)}"
    return "add a [repos.<name>] table for it or fix the name"


def _collision_diagnostics(config: Config, lines: _LineIndex) -> list[Diagnostic]:
    path = config.path
    # Lower-cased spelling -> (repo, spelling, is_name) in name order; names before aliases within a repo.
    owners: dict[str, list[tuple[str, str, bool]]] = {}
    for name, repo_config in config.repos.items():
        owners.setdefault(name.lower(), []).append((name, name, True))
        for alias in repo_config.aliases:
            owners.setdefault(alias.lower(), []).append((name, alias, False))

    found: list[Diagnostic] = []
    for claims in owners.values():
        if len({repo for repo, _, _ in claims}) < 2:
            continue  # repeating one's own name as an alias is harmless
        # Blame the aliases, not the names: a name is the identity, an alias is the optional extra.
        first_repo, first_spelling, first_is_name = min(claims, key=lambda c: (not c[2], c[0]))
        first_desc = (
            f"the name of repo {first_repo!r}"
            if first_is_name
            else f"alias {first_spelling!r} of repo {first_repo!r}"
        )
        for repo, spelling, is_name in claims:
            if repo == first_repo:
                continue
            if is_name:
                found.append(
                    error(
                        "config-alias-collision",
                        f"repo names {first_spelling!r} and {spelling!r} differ only in case; rename one, "
                        f"names must be unique case-insensitively",
                        path,
                        lines.line(("repos", repo)),
                    )
                )
            else:
                found.append(
                    error(
                        "config-alias-collision",
                        f"alias {spelling!r} of repo {repo!r} collides with {first_desc} "
                        f"(case-insensitively); rename or remove one of them",
                        path,
                        lines.line(("repos", repo, "aliases")),
                    )
                )
    return found


class _LineIndex:
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
