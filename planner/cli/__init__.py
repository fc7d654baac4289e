"""The `planner` command: thin typer commands over the library; the only place that prints and exits.

The commands live in submodules, each registering on `app` (or its `export`/`sync` sub-apps) when imported:
planner.cli.plan (plan, check, graph, schema), planner.cli.trackers (export, sync, pull),
planner.cli.ci (build, verify).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from planner import __version__, bulk_mode
from planner.cli.common import EXIT_OK

__all__ = ["app", "export_app", "main", "pull_app", "sync_app"]

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
# `planner pull <tracker> DESIGN --plan PLAN.md` brings a tracker's progress back into the plan's boxes.
pull_app = typer.Typer(
    help="Tick a plan's boxes from a tracker's state (two-way, against a base).", no_args_is_help=True
)
app.add_typer(pull_app, name="pull")


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


# Importing a command module registers its commands, and registration order is `--help` order: keep these three
# in this order (isort would sort them).
# isort: off
from planner.cli import plan as _plan  # noqa: E402, F401
from planner.cli import trackers as _trackers  # noqa: E402, F401
from planner.cli import ci as _ci  # noqa: E402, F401
from planner.cli import suggest as _suggest  # noqa: E402, F401
# isort: on


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: typer's exit codes, and no traceback for an interrupted or closed stream."""
    try:
        with bulk_mode():
            app(args=list(argv) if argv is not None else None, prog_name="planner")
    except KeyboardInterrupt:
        sys.stderr.write("planner: interrupted\n")
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (`planner plan ... | head`): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_OK)
