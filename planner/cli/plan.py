"""`planner plan`, `check`, `graph` and `schema`: the commands over one design, a batch of them, or the config."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from planner.cli import app
from planner.cli.common import (
    EXIT_ERRORS,
    AllowOption,
    CheckFormat,
    ConfigOption,
    DiagnosticsFormat,
    GraphFormat,
    MaxBytesOption,
    PlanFormat,
    StrictOption,
    _choice,
    _config,
    _design_paths,
    _report,
)
from planner.diagnostics import has_errors

__all__ = ["check", "graph", "plan", "schema"]


@app.command()
def plan(
    designs: Annotated[
        list[str], typer.Argument(help="Design docs or folders of them (several: --output DIR).", show_default=False)
    ],
    config: ConfigOption = None,
    fmt: Annotated[PlanFormat, typer.Option("--format", "-f", help="Output format.")] = "markdown",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the plan here (atomically) instead of stdout; a folder for several designs. "
            "Ticked boxes and Notes of an existing file are kept.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Write --output even through a symlink.")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing: exit 0 if --output is up to date, 2 with a diff if not.")
    ] = False,
    diagnostics: Annotated[
        DiagnosticsFormat, typer.Option("--diagnostics", help="Diagnostics format on stderr.")
    ] = "text",
    allow_unapproved: AllowOption = False,
    strict: StrictOption = False,
    max_bytes: MaxBytesOption = None,
) -> None:
    """Plan designs: repos in order, each with its tasks."""
    # Imported here, not at the top: planner.cli.ci registers `build` and `verify`, which --help lists after these.
    from planner.cli.ci import run_plan

    run_plan(
        designs,
        config,
        _choice(fmt),
        output,
        force=force,
        allow_unapproved=allow_unapproved,
        strict=strict,
        check=check,
        diagnostics=_choice(diagnostics),
        max_bytes=max_bytes,
    )


@app.command()
def check(
    designs: Annotated[list[str], typer.Argument(help="Design docs or folders of them.", show_default=False)],
    config: ConfigOption = None,
    fmt: Annotated[CheckFormat, typer.Option("--format", "-f", help="Report format.")] = "text",
    allow_unapproved: AllowOption = False,
    strict: StrictOption = False,
    max_bytes: MaxBytesOption = None,
) -> None:
    """Lint design docs without writing anything; exit 1 when any has errors."""
    from planner.ci.batch import plan_many
    from planner.cli.ci import progress
    from planner.cli.ci import report as report_diagnostics
    from planner.design import MAX_DESIGN_BYTES

    paths, problems = _design_paths(designs)
    cfg = _config(config)
    with progress(len(paths), "checking") as advance:
        planned = plan_many(
            paths,
            cfg,
            allow_unapproved=allow_unapproved,
            strict=strict,
            max_bytes=max_bytes or MAX_DESIGN_BYTES,
            on_design=advance,
        )
    results = [plan for _, plan in planned]
    found = [*problems, *(d for r in results for d in r.diagnostic_values())]
    if _choice(fmt) == "json":
        report = [
            {"path": r.design.path, "ok": r.ok, "diagnostics": [d.model_dump() for d in r.diagnostics]} for r in results
        ]
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        _report(problems)  # a folder without designs has no entry in the report: say so on stderr
    else:
        report_diagnostics(found, _choice(fmt))
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
