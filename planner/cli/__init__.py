"""The `planner` command: thin typer commands over the library; the only place that prints and exits."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeAlias

import typer

from planner import __version__
from planner.diagnostics import Diagnostic, error, has_errors, sort_diagnostics
from planner.render import FORMATS

if TYPE_CHECKING:
    from planner.config import Config
    from planner.plan import Plan
    from planner.trackers.github import IssueSpec

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
    from planner.cli.ci import progress
    from planner.cli.ci import report as report_diagnostics
    from planner.design import MAX_DESIGN_BYTES
    from planner.plan import plan_design

    paths, problems = _design_paths(designs)
    cfg = _config(config)
    results = []
    with progress(len(paths), "checking") as advance:
        for done, p in enumerate(paths, 1):
            results.append(
                plan_design(
                    p, cfg, allow_unapproved=allow_unapproved, strict=strict, max_bytes=max_bytes or MAX_DESIGN_BYTES
                )
            )
            if advance is not None:
                advance(done, len(paths), p)
    found = [*problems, *(d for r in results for d in r.diagnostic_values())]
    if _choice(fmt) == "json":
        report = [
            {"path": r.design.path, "ok": r.ok, "diagnostics": [d.model_dump() for d in r.diagnostics]}
            for r in results
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


# -- GitHub Issues -------------------------------------------------------------------------------


def _github_issues(
    design: str, config: str | None, allow_unapproved: bool, strict: bool
) -> tuple[Plan, Config, tuple[IssueSpec, ...]]:
    """(plan, config, issue specs) for a design, or exit 1 with the diagnostics."""
    from planner.diagnostics import strictened
    from planner.plan import plan_design
    from planner.trackers.github import plan_issues

    cfg = _config(config)
    result = plan_design(design, cfg, allow_unapproved=allow_unapproved, strict=strict)
    _report(result.diagnostic_values())
    if not result.ok:
        raise typer.Exit(EXIT_ERRORS)
    specs, problems = plan_issues(result, cfg)
    problems = strictened(problems) if strict else problems
    if has_errors(problems):
        _fail(problems)
    _report(problems)
    return result, cfg, specs


@export_app.command("github")
def export_github(
    design: Annotated[str, typer.Argument(help="The design doc (Markdown).", show_default=False)],
    config: ConfigOption = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the JSON here (atomically) instead of stdout.", show_default=False),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Write --output even through a symlink.")] = False,
    allow_unapproved: AllowOption = False,
    strict: StrictOption = False,
) -> None:
    """Write the plan's GitHub issues as JSON: repo, title, body, labels, task_id, blocked_by."""
    from planner.files import OutputError, check_output_path, write_atomic
    from planner.trackers.github import render_export

    if output is not None:
        try:
            check_output_path(output, force=force, inputs={"design doc": design})
        except OutputError as exc:
            _fail([error("output", str(exc), str(output), 1)])
    _, cfg, specs = _github_issues(design, config, allow_unapproved, strict)
    text = render_export(specs)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        write_atomic(output, text, force=force, inputs={"design doc": design, "repo config": cfg.path})
    except (OutputError, OSError) as exc:
        _fail([error("output", str(exc), str(output), 1)])


@sync_app.command("github")
def sync_github(
    design: Annotated[str, typer.Argument(help="The design doc (Markdown).", show_default=False)],
    config: ConfigOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the create/update/link/close actions; send no write.")
    ] = False,
    api_url: Annotated[
        str, typer.Option("--api-url", help="REST API root; GitHub Enterprise: https://HOST/api/v3.")
    ] = "https://api.github.com",
    close_removed: Annotated[
        bool, typer.Option("--close-removed", help="Close (as not planned) open issues whose task left the plan.")
    ] = False,
    max_wait: Annotated[
        float, typer.Option("--max-wait", min=0, help="Longest rate-limit wait in seconds before giving up.")
    ] = 900.0,
    min_interval: Annotated[
        float, typer.Option("--min-interval", min=0, help="Seconds between two writes.")
    ] = 1.0,
    allow_unapproved: AllowOption = False,
    strict: StrictOption = False,
) -> None:
    """Create, update and link one GitHub issue per task (token: $GITHUB_TOKEN); re-running changes nothing."""
    import time

    from planner.trackers.github import GitHubClient, GitHubError, Pacing
    from planner.trackers.github import sync_github as run_sync

    token = os.environ.get("GITHUB_TOKEN") or None
    if token is None and not dry_run:
        _fail([error("github-token", "GITHUB_TOKEN is not set; export a token that may write issues", design, 1)])
    if not api_url.startswith(("https://", "http://")):
        _fail([error("github-api-url", f"--api-url {api_url!r} is not an http(s) URL", design, 1)])
    result, cfg, _ = _github_issues(design, config, allow_unapproved, strict)
    pacing = Pacing(
        sleep=time.sleep, monotonic=time.monotonic, now=time.time, min_interval=min_interval, max_wait=max_wait
    )
    try:
        with GitHubClient(api_url, token, pacing) as client:
            done = run_sync(
                result,
                cfg,
                client,
                dry_run=dry_run,
                close_removed=close_removed,
                report=lambda action: typer.echo(action.format(dry_run)),
            )
    except GitHubError as exc:
        _fail([error("github", str(exc), design, 1)])
    typer.echo(done.summary())


# -- Taskwarrior and Jira ------------------------------------------------------------------------


def _tracker_plan(design: str, config: str | None, allow_unapproved: bool, strict: bool) -> tuple[Plan, Config]:
    """The plan and config for a tracker command, or exit 1 with the diagnostics."""
    from planner.plan import plan_design

    cfg = _config(config)
    result = plan_design(design, cfg, allow_unapproved=allow_unapproved, strict=strict)
    _report(result.diagnostic_values())
    if not result.ok:
        raise typer.Exit(EXIT_ERRORS)
    return result, cfg


def _tracker_output(output: Path | None, force: bool, make: Callable[[], str], design: str) -> None:
    """Refuse a bad --output (one that is the design, too) before any work, then write `make()` there
    atomically, or to stdout."""
    from planner.files import OutputError, check_output_path, write_atomic

    inputs = {"design doc": design}
    if output is not None:
        try:
            check_output_path(output, force=force, inputs=inputs)
        except OutputError as exc:
            _fail([error("output", str(exc), str(output), 1)])
    text = make()
    if output is None:
        sys.stdout.write(text)
        return
    try:
        write_atomic(output, text, force=force, inputs=inputs)
    except (OutputError, OSError) as exc:
        _fail([error("output", str(exc), str(output), 1)])


TrackerOutput = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the file here (atomically) instead of stdout.", show_default=False),
]
TrackerForce = Annotated[bool, typer.Option("--force", help="Write --output even through a symlink.")]


@export_app.command("taskwarrior")
def export_taskwarrior(
    design: Annotated[str, typer.Argument(help="The design doc (Markdown).", show_default=False)],
    config: ConfigOption = None,
    output: TrackerOutput = None,
    force: TrackerForce = False,
    allow_unapproved: AllowOption = False,
    strict: StrictOption = False,
) -> None:
    """Write the plan's tasks as Taskwarrior JSONL (`task import FILE`), one task per line."""
    from planner.trackers.taskwarrior import render_jsonl

    def make() -> str:
        return render_jsonl(_tracker_plan(design, config, allow_unapproved, strict)[0])

    _tracker_output(output, force, make, design)


@sync_app.command("taskwarrior")
def sync_taskwarrior(
    design: Annotated[str, typer.Argument(help="The design doc (Markdown).", show_default=False)],
    config: ConfigOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be added, modified or left alone; change nothing.")
    ] = False,
    taskdata: Annotated[
        Path | None,
        typer.Option(
            "--taskdata", help="Taskwarrior data folder (default: $TASKDATA, else the taskrc's).", show_default=False
        ),
    ] = None,
    delete_removed: Annotated[
        bool, typer.Option("--delete-removed", help="Delete open tasks the plan no longer has (default: report).")
    ] = False,
    task_binary: Annotated[str, typer.Option("--task-binary", help="The Taskwarrior 2.6 executable.")] = "task",
    allow_unapproved: AllowOption = False,
    strict: StrictOption = False,
) -> None:
    """Import the plan into Taskwarrior: adds the missing, updates the changed, keeps done tasks done."""
    import tempfile

    from planner.trackers.taskwarrior import SubprocessRunner, find_taskrc, format_result, sync_plan

    if taskdata is not None and not taskdata.is_dir():
        _fail([error("taskdata", f"folder {taskdata} does not exist; create it first", str(taskdata), 1)])
    result, _ = _tracker_plan(design, config, allow_unapproved, strict)
    env = dict(os.environ)
    if taskdata is not None:
        env["TASKDATA"] = str(taskdata.resolve())
    with tempfile.TemporaryDirectory(prefix="planner-taskrc-") as scratch:
        if find_taskrc(env) is None:
            # Without any taskrc, `task` writes a sample ~/.taskrc: an empty one of our own leaves $HOME alone.
            empty = Path(scratch) / "taskrc"
            empty.write_text("", encoding="utf-8")
            env["TASKRC"] = str(empty)
        runner = SubprocessRunner(env, binary=task_binary)
        done = sync_plan(result, runner, dry_run=dry_run, delete_removed=delete_removed)
    if done.changes or not has_errors(done.diagnostics):
        sys.stdout.write(format_result(done))
    _report(done.diagnostics)
    if has_errors(done.diagnostics):
        raise typer.Exit(EXIT_ERRORS)


@export_app.command("jira")
def export_jira(
    design: Annotated[str, typer.Argument(help="The design doc (Markdown).", show_default=False)],
    config: ConfigOption = None,
    output: TrackerOutput = None,
    force: TrackerForce = False,
    allow_unapproved: AllowOption = False,
    strict: StrictOption = False,
) -> None:
    """Write the plan as CSV for Jira's importer: an Epic per repo, a Task per task, Blocks links."""
    from planner.trackers.jira import render_csv

    def make() -> str:
        return render_csv(*_tracker_plan(design, config, allow_unapproved, strict))

    _tracker_output(output, force, make, design)


# `build` and `verify` live in their own module; importing it registers them on `app`.
from planner.cli import ci as _cli_ci  # noqa: E402, F401


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
