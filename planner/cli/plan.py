"""`planner plan`, `check`, `graph` and `schema`: the commands over one design, a batch of them, or the config."""

# No `from __future__ import annotations` here: typer would evaluate every command's annotation strings, twice
# per command, on every start (tests/cli/test_cold_start.py).

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer

from planner.cli.app import app
from planner.cli.common import (
    CHECK_FORMATS,
    EXIT_ERRORS,
    GRAPH_FORMATS,
    PLAN_FORMATS,
    AllowOption,
    ConfigOption,
    DiagnosticsOption,
    JobsOption,
    MaxBytesOption,
    StrictOption,
    design_paths,
    format_option,
    jobs_or_cores,
    load_config_or_exit,
    print_diagnostics,
)
from planner.diagnostics import Diagnostic, Severity, has_errors
from planner.jsonio import json_text

__all__ = ["check", "graph", "plan", "schema"]

DesignsArgument = Annotated[
    list[str], typer.Argument(metavar="DESIGN...", help="Design docs, or folders of them.", show_default=False)
]


@app.command(
    epilog="\b\nExamples:\n"
    "  planner plan docs/designs/schedules.md -o plans/schedules.md\n"
    "  planner plan docs/designs -o plans --format json --check",
)
def plan(
    designs: DesignsArgument,
    config: ConfigOption = None,
    fmt: Annotated[str, format_option(PLAN_FORMATS, "Output format", "--format", "-f")] = "markdown",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="PATH",
            help="Write the plan here (atomically) instead of stdout; for several designs, a folder (created if "
            "missing). Ticked boxes and Notes of an existing file are kept.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Write --output even through a symlink.")] = False,
    check: Annotated[
        bool,
        typer.Option("--check", help="Write nothing: exit 0 if --output is up to date, 2 and say why if not."),
    ] = False,
    diagnostics: DiagnosticsOption = "text",
    allow_unapproved: AllowOption = False,
    strict: StrictOption = False,
    max_bytes: MaxBytesOption = None,
) -> None:
    """Plan designs: each checked repo in order, with its tasks."""
    # Imported here, not at the top: planner.cli.ci registers `build` and `verify`, which --help lists after these.
    from planner.cli.ci import run_plan

    run_plan(
        designs,
        config,
        fmt,
        output,
        force=force,
        allow_unapproved=allow_unapproved,
        strict=strict,
        check=check,
        diagnostics=diagnostics,
        max_bytes=max_bytes,
    )


def _summary(designs: int, found: Iterable[Diagnostic]) -> str:
    counts = {s: 0 for s in Severity}
    for d in found:
        counts[d.severity] += 1
    return (
        f"planner check: {designs} design doc(s), {counts[Severity.ERROR]} error(s), "
        f"{counts[Severity.WARNING]} warning(s), {counts[Severity.NOTE]} note(s)"
    )


@app.command(
    epilog="\b\nExamples:\n"
    "  planner check docs/designs\n"
    "  planner check --quiet --require-approved docs/designs/schedules.md",
)
def check(
    designs: DesignsArgument,
    config: ConfigOption = None,
    fmt: Annotated[str, format_option(CHECK_FORMATS, "Report format", "--format", "-f")] = "text",
    require_approved: Annotated[
        bool, typer.Option("--require-approved", help="A design whose status is not Approved is an error.")
    ] = False,
    allow_unapproved: Annotated[
        bool, typer.Option("--allow-unapproved", hidden=True, help="The default now; kept for old scripts.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print errors only, and no summary.")] = False,
    skip_generated: Annotated[
        bool,
        typer.Option(
            "--skip-generated", help="Pass over plans planner wrote, even when named (for hooks given every file)."
        ),
    ] = False,
    strict: StrictOption = False,
    max_bytes: MaxBytesOption = None,
    jobs: JobsOption = None,
) -> None:
    """Lint design docs, writing nothing; exit 1 when any has errors.

    Every finding is printed as PATH:LINE: severity: message [code], then a one-line count. A design that is
    not Approved yet is a note here (plan and build refuse it), unless --require-approved.
    """
    from functools import partial

    from planner.ci.parallel import check_design, ordered_map
    from planner.cli.ci import progress
    from planner.cli.ci import report as report_diagnostics
    from planner.design import MAX_DESIGN_BYTES
    from planner.files import is_generated

    paths, problems = design_paths(designs)
    if skip_generated:
        paths = [p for p in paths if not is_generated(Path(p))]
    cfg = load_config_or_exit(config)
    limit = max_bytes or MAX_DESIGN_BYTES
    # A linter: a design not Approved yet is what a draft is, so it is noted, not failed (plan and build refuse it).
    gate = Severity.ERROR if require_approved else Severity.NOTE
    work = partial(check_design, config=cfg, unapproved=gate, strict=strict, max_bytes=limit)
    with progress(len(paths), "checking") as advance:
        # Each design's diagnostics, not its plan: a check of thousands of designs stays small.
        results = list(ordered_map(work, paths, jobs_or_cores(jobs), advance))
    found = [*problems, *(d for r in results for d in r.diagnostics)]
    if fmt == "json":
        report = [
            {
                "path": r.path,
                "ok": not has_errors(r.diagnostics),
                "diagnostics": [{**d.__dict__, "severity": d.severity.value} for d in r.diagnostics],
            }
            for r in results
        ]
        typer.echo(json_text(report))
        print_diagnostics(problems)  # a folder without designs has no entry in the report: say so on stderr
    else:
        shown = [d for d in found if d.severity is Severity.ERROR] if quiet else found
        report_diagnostics(shown, fmt)
        if not quiet and fmt == "text":  # github: every line stays a workflow command
            typer.echo(_summary(len(paths), found), err=True)
    if has_errors(found):
        raise typer.Exit(EXIT_ERRORS)


@app.command(epilog="\b\nExamples:\n  planner graph\n  planner graph --format mermaid -c config/repos.toml")
def graph(
    config: ConfigOption = None,
    fmt: Annotated[str, format_option(GRAPH_FORMATS, "Output format", "--format", "-f")] = "text",
) -> None:
    """Show the config's repo dependency graph."""
    from planner.render.graph import render_graph

    sys.stdout.write(render_graph(load_config_or_exit(config).graph, fmt))  # type: ignore[arg-type]


@app.command(epilog="\b\nExample:\n  planner schema > plan.schema.json")
def schema() -> None:
    """Print the JSON Schema of the JSON plan."""
    from planner.plan import Plan

    typer.echo(json.dumps(Plan.model_json_schema(mode="serialization"), indent=2, sort_keys=True))
