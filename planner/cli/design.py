"""`planner new` and `planner template`: start a design from the template shipped with planner."""

# No `from __future__ import annotations` here: typer would evaluate every command's annotation strings, twice
# per command, on every start (tests/cli/test_cold_start.py).

import sys
from pathlib import Path
from typing import Annotated

import typer

from planner.cli.app import app
from planner.cli.common import ConfigOption, fail, load_config_or_exit
from planner.diagnostics import error, one_line

__all__ = ["new", "template"]


@app.command(epilog="\b\nExample:\n  planner template > docs/designs/my-feature.md   # or let `planner new` fill it in")
def template() -> None:
    """Print the design template: the sections planner reads, with a placeholder in each."""
    from planner.design.template import design_template

    sys.stdout.write(design_template())


@app.command(
    epilog="\b\nExamples:\n"
    '  planner new "Workflow Schedules" > schedules.md\n'
    '  planner new "Workflow Schedules" --repos flovyn-server,app -o docs/designs/schedules.md',
)
def new(
    feature: Annotated[str, typer.Argument(metavar="FEATURE", help="The feature's name, e.g. 'Workflow Schedules'.")],
    repos: Annotated[
        str | None,
        typer.Option(
            "--repos",
            "-r",
            metavar="REPO,...",
            help="Repos to tick under Affected Repositories (names or aliases, comma-separated); "
            "every other configured repo is listed unticked.",
            show_default=False,
        ),
    ] = None,
    config: ConfigOption = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="PATH",
            help="Write the design here (its folder is created; an existing file is never overwritten) "
            "instead of stdout.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Start a design: the template with the title, today's date, Status Draft and the configured repos."""
    from datetime import date

    from planner.ci.build import feature_slug
    from planner.design.template import new_design
    from planner.files import OutputError, write_new
    from planner.plan.resolve import unknown_repo

    name = feature.strip()
    if not name or any(c in name for c in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"):
        raise typer.BadParameter("give the feature's name on one line, e.g. 'Workflow Schedules'", param_hint="FEATURE")
    if one_line(name) != name:
        # ESC and its kin would reach the terminal with the design printed on stdout.
        raise typer.BadParameter("give the feature's name without control characters", param_hint="FEATURE")
    cfg = load_config_or_exit(config)
    ticked = []
    for given in filter(None, (v.strip() for v in (repos or "").split(","))):
        canonical = cfg.resolve(given)
        if canonical is None:
            raise typer.BadParameter(unknown_repo(given, cfg, str(cfg.path)), param_hint="--repos")
        ticked.append(canonical)
    text = new_design(name, feature_slug(name, "design"), sorted(cfg.repos), set(ticked), date.today())
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        write_new(output, text)
    except (OutputError, OSError) as exc:
        fail([error("output", str(exc), str(output), 1)])
    shown = one_line(str(output))
    typer.echo(f"planner new: wrote {shown}; fill in the placeholders, then `planner check {shown}`", err=True)
