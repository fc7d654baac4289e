"""What the `planner` commands share: exit codes, format choices, option types, config and diagnostics helpers."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeAlias

import typer

from planner.diagnostics import Diagnostic, error, has_errors, sort_diagnostics
from planner.render import FORMATS

if TYPE_CHECKING:
    from planner.config import Config

__all__ = [
    "EXIT_ERRORS",
    "EXIT_OK",
    "EXIT_USAGE",
    "AllowOption",
    "CheckFormat",
    "ConfigOption",
    "DiagnosticsFormat",
    "GraphFormat",
    "MaxBytesOption",
    "PlanFormat",
    "StrictOption",
]

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2

if TYPE_CHECKING:
    PlanFormat: TypeAlias = str
    CheckFormat: TypeAlias = str
    DiagnosticsFormat: TypeAlias = str
    GraphFormat: TypeAlias = str
else:
    # The registry drives the choices, so a new renderer needs no change here.
    PlanFormat = Enum("PlanFormat", {name: name for name in FORMATS}, type=str)
    CheckFormat = Enum("CheckFormat", {"text": "text", "json": "json", "github": "github"}, type=str)
    DiagnosticsFormat = Enum("DiagnosticsFormat", {"text": "text", "github": "github"}, type=str)
    GraphFormat = Enum("GraphFormat", {n: n for n in ("text", "mermaid", "dot")}, type=str)


def _choice(value: Any) -> str:
    return str(getattr(value, "value", value))


ConfigOption = Annotated[
    str | None,
    typer.Option(
        "--config",
        "-c",
        help="Repo config (TOML). Default: $PLANNER_CONFIG, else the nearest config/repos.toml upward.",
        show_default=False,
    ),
]
StrictOption = Annotated[bool, typer.Option("--strict", help="Treat every warning as an error.")]
# None: planner.design.MAX_DESIGN_BYTES, not imported here so that `--help` stays fast.
MaxBytesOption = Annotated[
    int | None,
    typer.Option(
        "--max-bytes",
        min=1,
        help="Refuse a design doc over this many bytes (default 5 MiB); it is never read past the limit.",
        show_default=False,
    ),
]
AllowOption = Annotated[
    bool, typer.Option("--allow-unapproved", help="Plan a design whose status is not Approved (with a warning).")
]


def _report(diagnostics: Iterable[Diagnostic], fmt: str = "text") -> None:
    """The one way every command prints diagnostics, on stderr: `PATH:LINE: severity: message [code]`
    (`text`), or GitHub workflow commands (`github`); each is one line that no CI runner takes for a command
    it did not mean."""
    if fmt == "github":
        from planner.ci.annotations import workflow_commands

        lines = workflow_commands(diagnostics)
    else:
        lines = [d.format() for d in sort_diagnostics(diagnostics)]
    for line in lines:
        typer.echo(line, err=True)


def _fail(diagnostics: Iterable[Diagnostic], fmt: str = "text") -> NoReturn:
    _report(diagnostics, fmt)
    raise typer.Exit(EXIT_ERRORS)


def _config(explicit: str | None) -> Config:
    """The repo config, or exit 1 with its diagnostics."""
    from planner.config import find_config, load_config

    path = find_config(explicit, os.environ, Path.cwd())
    if path is None:
        _fail(
            [
                error(
                    "no-config",
                    "no repo config found; pass --config, set PLANNER_CONFIG, or add config/repos.toml",
                    "config/repos.toml",
                    1,
                )
            ]
        )
    config, problems = load_config(path)
    if config is None or has_errors(problems):
        _fail(problems)
    _report(problems)
    return config


def _design_paths(targets: Sequence[str]) -> tuple[list[str], list[Diagnostic]]:
    """Files as given; directories expanded to the *.md files below them, sorted, less planner's own output."""
    from planner.files import is_generated

    paths: list[str] = []
    problems: list[Diagnostic] = []
    for target in targets:
        p = Path(target)
        if p.is_dir():
            found = sorted(str(f) for f in p.rglob("*.md") if f.is_file() and not is_generated(f))
            if not found:
                problems.append(
                    error(
                        "no-designs",
                        "no *.md design docs in this folder; give a folder that holds design docs, or a file",
                        target,
                        1,
                    )
                )
            paths += found
        else:
            paths.append(target)
    return list(dict.fromkeys(paths)), problems
