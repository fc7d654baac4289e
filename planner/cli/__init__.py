"""The `planner` command: thin typer commands over the library; the only place that prints and exits.

The commands live in submodules, each registering on `app` (or its `export`/`sync` sub-apps) when imported:
planner.cli.design (new, template), planner.cli.plan (plan, check, graph, schema), planner.cli.trackers (export,
sync, pull), planner.cli.ci (build, verify), planner.cli.suggest (suggest).
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence

from planner import bulk_mode

__all__ = ["app", "export_app", "main", "pull_app", "sync_app"]

# typer and the command modules make tens of thousands of objects that live as long as the process: none is
# garbage, so the collector pauses while they are made, and they are frozen after (no collection ever
# traverses them again, nor touches their pages in forked `--jobs` workers), as the gc docs advise.
with bulk_mode():
    from planner.cli.app import app, export_app, pull_app, sync_app
    from planner.cli.common import EXIT_OK

    # Importing a command module registers its commands, and registration order is `--help` order: keep
    # these in this order (isort would sort them).
    # isort: off
    from planner.cli import design as _design  # noqa: F401
    from planner.cli import plan as _plan  # noqa: F401
    from planner.cli import trackers as _trackers  # noqa: F401
    from planner.cli import ci as _ci  # noqa: F401
    from planner.cli import suggest as _suggest  # noqa: F401

    # isort: on
    gc.freeze()


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: typer's exit codes, and no traceback for an interrupted or closed stream."""
    try:
        with bulk_mode():
            try:
                app(args=list(argv) if argv is not None else None, prog_name="planner")
            finally:
                # The process ends with the command. Re-enabling the collector would start a young-generation
                # collection over every object made while it was paused (about 100 ms of CPU on a cold `plan`, a
                # fifth of the libraries' import): frozen, they are left to the exit instead.
                gc.freeze()
    except KeyboardInterrupt:
        sys.stderr.write("planner: interrupted\n")
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (`planner plan ... | head`): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_OK)
