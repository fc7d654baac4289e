"""Finding, reading and validating a config file: a Config, or diagnostics with lines and fixes."""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from planner.config.checks import semantic_diagnostics
from planner.config.lines import LineIndex
from planner.config.model import Config
from planner.config.templates import TEMPLATE_KINDS, Templates, template_diagnostics
from planner.config.validation import validation_diagnostic
from planner.diagnostics import Diagnostic, error, sort_diagnostics
from planner.files import read_at_most, special_kind

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib

__all__ = ["CONFIG_ENV_VAR", "DEFAULT_CONFIG_RELPATH", "find_config", "load_config", "parse_config"]

CONFIG_ENV_VAR = "PLANNER_CONFIG"
DEFAULT_CONFIG_RELPATH = Path("config") / "repos.toml"


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


# Against an endless stream (`/dev/zero`, a runaway `<(cmd)`), not against big orgs: a config of 20,000 repos
# is about 6 MiB, and 64 MiB holds some 200,000.
_MAX_CONFIG_BYTES = 64 * 1024 * 1024


def load_config(path: str | Path) -> tuple[Config | None, tuple[Diagnostic, ...]]:
    """Read and validate a config file; the Config is None whenever there is any error."""
    shown = str(path)
    try:
        kind = special_kind(Path(path).stat().st_mode)
    except (OSError, ValueError):
        kind = None  # absent or unreadable: the read below names the reason
    if kind is not None and kind != "a FIFO":
        # Reading `/dev/zero` would fill memory; a pipe (`--config <(cmd)`) is read, bounded, below.
        return None, (
            error(
                "config-read",
                f"config file {shown} is {kind}, not a regular file; pass a TOML file with --config",
                shown,
                1,
            ),
        )
    try:
        data = read_at_most(Path(path), _MAX_CONFIG_BYTES + 1)
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
    if len(data) > _MAX_CONFIG_BYTES:
        limit = f"{_MAX_CONFIG_BYTES:,}-byte limit"
        message = f"config file {shown} is over the {limit}; check that --config names a repo config"
        return None, (error("config-read", message, shown, 1),)
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
            error("config-syntax", "invalid TOML: values are nested too deeply; flatten the structure", path, 1),
        )

    lines = LineIndex(body)
    diagnostics: list[Diagnostic] = []
    data = dict(raw)
    for reserved in ("path", "sha256"):
        # These fields are filled from the file itself, never written in it.
        if reserved in data:
            del data[reserved]
            diagnostics.append(
                error(
                    "config-invalid",
                    f"unknown top-level key {reserved!r}; remove it. Allowed top-level keys: repos, templates, version",
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
        diagnostics.extend(validation_diagnostic(err, path, lines) for err in exc.errors())
        return None, sort_diagnostics(diagnostics)

    if repos_raw is not None and not config.repos:
        diagnostics.append(_empty_diagnostic(path, lines))
    diagnostics.extend(semantic_diagnostics(config, lines))
    diagnostics.extend(_template_diagnostics(config, lines, body))
    if diagnostics:
        return None, sort_diagnostics(diagnostics)
    return config, ()


def _template_diagnostics(config: Config, lines: LineIndex, body: str) -> list[Diagnostic]:
    tables: list[tuple[tuple[str, ...], Templates]] = [(("templates",), config.templates)]
    tables += [(("repos", name, "templates"), repo.templates) for name, repo in config.repos.items()]
    found: list[Diagnostic] = []
    text_lines: list[str] | None = None
    for where, templates in tables:
        kinds = [k for k in TEMPLATE_KINDS if templates.lines(k) is not None]
        if not kinds:
            continue
        text_lines = body.split("\n") if text_lines is None else text_lines
        key_line = {kind: lines.line((*where, kind)) for kind in kinds}
        found += template_diagnostics(templates, where, text_lines, key_line, config.path)
    return found


def _with_names(repos: dict[str, Any], path: str, lines: LineIndex, diagnostics: list[Diagnostic]) -> dict[str, Any]:
    named: dict[str, Any] = {}
    for name, table in repos.items():
        if isinstance(table, dict):
            if "name" in table:
                diagnostics.append(
                    error(
                        "config-invalid",
                        f"repo {name!r}: unknown key 'name'; remove it, a repo's name is its table key [repos.{name}]",
                        path,
                        lines.line(("repos", name, "name")),
                    )
                )
            table = {**table, "name": name}
        named[name] = table
    return named


def _empty_diagnostic(path: str, lines: LineIndex) -> Diagnostic:
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
