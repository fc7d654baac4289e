"""What the `planner` commands share: exit codes, format choices, option types, config and diagnostics helpers."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from planner.diagnostics import Diagnostic, error, has_errors, one_line, sort_diagnostics, warning
from planner.render import FORMATS

if TYPE_CHECKING:
    from planner.config import Config

__all__ = [
    "EXIT_ERRORS",
    "EXIT_OK",
    "EXIT_USAGE",
    "AllowOption",
    "ConfigOption",
    "DiagnosticsOption",
    "JobsOption",
    "MaxBytesOption",
    "StrictOption",
    "format_option",
    "styled",
]

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2

PLAN_FORMATS = tuple(FORMATS)  # the registry drives the choices, so a new renderer needs no change here
CHECK_FORMATS = ("text", "json", "github")
DIAGNOSTICS_FORMATS = ("text", "github")
GRAPH_FORMATS = ("text", "mermaid", "dot")


def _one_of(choices: Sequence[str]) -> Callable[[str | None], str | None]:
    """A format option's check: a value outside `choices` is a usage error that lists them, on one line."""

    def check(value: str | None) -> str | None:
        if value is not None and value not in choices:  # None: an optional one (an old alias) not given
            raise typer.BadParameter(f"{one_line(repr(value))} is not one of: {', '.join(choices)}")
        return value

    return check


def format_option(choices: Sequence[str], what: str, *names: str, hidden: bool = False) -> Any:
    """A `--format`-like option over fixed choices: metavar FORMAT, the choices in its help, completed by the shell."""
    return typer.Option(
        *names,
        metavar="FORMAT",
        help=f"{what}: {', '.join(choices)}.",
        callback=_one_of(choices),
        autocompletion=lambda: list(choices),
        hidden=hidden,
    )


def choice(value: Any) -> str:
    return str(getattr(value, "value", value))


ConfigOption = Annotated[
    str | None,
    typer.Option(
        "--config",
        "-c",
        metavar="PATH",
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
        metavar="N",
        help="Refuse a design over N bytes (default 5 MiB); it is never read past the limit.",
        show_default=False,
    ),
]
# None: every core (planner.ci.parallel.default_jobs); the output is the same whatever the number.
JobsOption = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        metavar="N",
        help="Plan on this many processes (default: the number of cores); 1 plans in this process. "
        "The output is the same for any number.",
        show_default=False,
    ),
]
AllowOption = Annotated[
    bool, typer.Option("--allow-unapproved", help="Plan a design whose status is not Approved (with a warning).")
]


DiagnosticsOption = Annotated[
    str, format_option(DIAGNOSTICS_FORMATS, "Diagnostics format on stderr (github: workflow commands)", "--diagnostics")
]

_SEVERITY_COLOURS = {"error": "red", "warning": "yellow", "note": "cyan"}


def colour(stream: IO[str]) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set to anything (https://no-color.org)."""
    return not os.environ.get("NO_COLOR") and stream.isatty()


def styled(d: Diagnostic, stream: IO[str] | None = None) -> str:
    """A diagnostic's line, in colour on a terminal: the place dim, the severity red, yellow or cyan."""
    if not colour(stream if stream is not None else sys.stderr):
        return d.format()
    place = typer.style(f"{one_line(d.path)}:{d.line}:", dim=True)
    severity = typer.style(d.severity.value, fg=_SEVERITY_COLOURS[d.severity.value], bold=True)
    return f"{place} {severity}: {one_line(d.message)} [{d.code}]"


def print_diagnostics(diagnostics: Iterable[Diagnostic], fmt: str = "text") -> None:
    """The one way every command prints diagnostics, on stderr: `PATH:LINE: severity: message [code]`
    (`text`, in colour on a terminal), or GitHub workflow commands (`github`); each is one line that no CI
    runner takes for a command it did not mean."""
    if fmt == "github":
        from planner.ci.annotations import workflow_commands

        lines = workflow_commands(diagnostics)
    else:
        lines = [styled(d) for d in sort_diagnostics(diagnostics)]
    for line in lines:
        typer.echo(line, err=True)


def fail(diagnostics: Iterable[Diagnostic], fmt: str = "text") -> NoReturn:
    print_diagnostics(diagnostics, fmt)
    raise typer.Exit(EXIT_ERRORS)


def jobs_or_cores(jobs: int | None) -> int:
    from planner.ci.parallel import default_jobs

    return jobs if jobs is not None else default_jobs()


def load_config_or_exit(explicit: str | None) -> Config:
    """The repo config, or exit 1 with its diagnostics."""
    from planner.config import find_config, load_config

    path = find_config(explicit, os.environ, Path.cwd())
    if path is not None and not path.exists():
        # Named as the path it is, not as `PATH:1` of a file that is not there.
        given = explicit or os.environ.get("PLANNER_CONFIG", str(path))
        source = "--config" if explicit else "$PLANNER_CONFIG"
        typer.echo(
            f"planner: config file {one_line(given)} (from {source}) does not exist; give the path of a repo config, "
            "e.g. --config config/repos.toml",
            err=True,
        )
        raise typer.Exit(EXIT_ERRORS)
    if path is None:
        # No file to point at, so no `PATH:LINE:`: say where planner looked.
        typer.echo(
            f"planner: no repo config found: no config/repos.toml in {one_line(str(Path.cwd()))} or above; "
            "pass --config PATH, set PLANNER_CONFIG, or add config/repos.toml [no-config]",
            err=True,
        )
        raise typer.Exit(EXIT_ERRORS)
    config, problems = load_config(path)
    if config is None or has_errors(problems):
        fail(problems)
    print_diagnostics(problems)
    return config


_OUTSIDE = "a symlink to a file outside the folder given; not read: name the file itself to plan it"


def design_paths(targets: Sequence[str]) -> tuple[list[str], list[Diagnostic]]:
    """Files as given; directories expanded to the *.md files below them, sorted, less planner's own output."""
    from planner.files import is_generated

    paths: list[str] = []
    problems: list[Diagnostic] = []
    for target in targets:
        p = Path(target)
        if p.is_dir():
            found = sorted(str(f) for f in p.rglob("*.md") if f.is_file() and not is_generated(f))
            # A symlink out of the folder (to a CI secret, say) would be read and quoted: only its name is.
            root = p.resolve()
            outside = {f for f in found if not Path(f).resolve().is_relative_to(root)}
            problems += (warning("outside-folder", _OUTSIDE, f, 1) for f in sorted(outside))
            found = [f for f in found if f not in outside]
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
