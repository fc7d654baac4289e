"""The `planner` command: thin typer commands over the library; the only place that prints and exits."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeAlias

import typer

from planner import __version__
from planner.diagnostics import Diagnostic, error, has_errors, sort_diagnostics
from planner.render import FORMATS

if TYPE_CHECKING:
    from planner.config import Config

__all__ = ["app", "main"]

app = typer.Typer(
    name="planner",
    help="Turn an approved design document into an ordered per-repository implementation plan.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# `planner export <tracker> DESIGN` writes a tracker's feed; `planner sync <tracker> DESIGN` pushes it.
export_app = typer.Typer(help="Write a plan's tasks in a tracker's import format.", no_args_is_help=True)
sync_app = typer.Typer(help="Push a plan's tasks into a tracker, idempotently.", no_args_is_help=True)
app.add_typer(export_app, name="export")
app.add_typer(sync_app, name="sync")

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2

if TYPE_CHECKING:
    PlanFormat: TypeAlias = str
    CheckFormat: TypeAlias = str
    GraphFormat: TypeAlias = str
else:
    # The registry drives the choices, so a new renderer needs no change here.
    PlanFormat = Enum("PlanFormat", {name: name for name in FORMATS}, type=str)
    CheckFormat = Enum("CheckFormat", {"text": "text", "json": "json"}, type=str)
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
AllowOption = Annotated[
    bool, typer.Option("--allow-unapproved", help="Plan a design whose status is not Approved (with a warning).")
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"planner {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Turn an approved design document into an ordered per-repository implementation plan."""


def _report(diagnostics: Iterable[Diagnostic]) -> None:
    for d in sort_diagnostics(diagnostics):
        typer.echo(d.format(), err=True)


def _fail(diagnostics: Iterable[Diagnostic]) -> NoReturn:
    _report(diagnostics)
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
    """Files as given; directories expanded to the *.md files below them, sorted."""
    paths: list[str] = []
    problems: list[Diagnostic] = []
    for target in targets:
        p = Path(target)
        if p.is_dir():
            found = sorted(str(f) for f in p.rglob("*.md") if f.is_file())
            if not found:
                problems.append(error("no-designs", "no *.md design docs in this folder", target, 1))
            paths += found
        else:
            paths.append(target)
    return list(dict.fromkeys(paths)), problems


@app.command()
def plan(
    design: Annotated[str, typer.Argument(help="The design doc (Markdown).", show_default=False)],
    config: ConfigOption = None,
    fmt: Annotated[PlanFormat, typer.Option("--format", "-f", help="Output format.")] = "markdown",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the plan here (atomically) instead of stdout.", show_default=False),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Write --output even through a symlink.")] = False,
    allow_unapproved: AllowOption = False,
    strict: StrictOption = False,
) -> None:
    """Plan one design: repos in order, each with its tasks."""
    from planner.files import OutputError, check_output_path, write_atomic
    from planner.plan import plan_design
    from planner.render import render

    if output is not None:
        try:
            check_output_path(output, force=force)
        except OutputError as exc:
            _fail([error("output", str(exc), str(output), 1)])
    result = plan_design(design, _config(config), allow_unapproved=allow_unapproved, strict=strict)
    _report(result.diagnostic_values())
    if not result.ok:
        raise typer.Exit(EXIT_ERRORS)
    text = render(result, _choice(fmt))
    if output is None:
        sys.stdout.write(text)
        return
    try:
        write_atomic(output, text, force=force)
    except (OutputError, OSError) as exc:
        _fail([error("output", str(exc), str(output), 1)])


@app.command()
def check(
    designs: Annotated[list[str], typer.Argument(help="Design docs or folders of them.", show_default=False)],
    config: ConfigOption = None,
    fmt: Annotated[CheckFormat, typer.Option("--format", "-f", help="Report format.")] = "text",
    allow_unapproved: AllowOption = False,
    strict: StrictOption = False,
) -> None:
    """Lint design docs without writing anything; exit 1 when any has errors."""
    from planner.plan import plan_design

    paths, problems = _design_paths(designs)
    cfg = _config(config)
    results = [plan_design(p, cfg, allow_unapproved=allow_unapproved, strict=strict) for p in paths]
    found = [*problems, *(d for r in results for d in r.diagnostic_values())]
    if _choice(fmt) == "json":
        report = [
            {"path": r.design.path, "ok": r.ok, "diagnostics": [d.model_dump() for d in r.diagnostics]}
            for r in results
        ]
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        _report(problems)  # a folder without designs has no entry in the report: say so on stderr
    else:
        _report(found)
    if has_errors(found):
        raise typer.Exit(EXIT_ERRORS)


@app.command()
def graph(
    config: ConfigOption = None,
    fmt: Annotated[GraphFormat, typer.Option("--format", "-f", help="Output format.")] = "text",
) -> None:
    """Show the config's repo dependency graph."""
    from planner.graph import render_graph

    sys.stdout.write(render_graph(_config(config), _choice(fmt)))  # type: ignore[arg-type]


@app.command()
def schema() -> None:
    """Print the JSON Schema of the JSON plan."""
    from planner.plan import Plan

    typer.echo(json.dumps(Plan.model_json_schema(mode="serialization"), indent=2, sort_keys=True))


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: typer's exit codes, and no traceback for an interrupted or closed stream."""
    try:
        app(args=list(argv) if argv is not None else None, prog_name="planner")
    except KeyboardInterrupt:
        sys.stderr.write("planner: interrupted\n")
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (`planner plan ... | head`): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_OK)
