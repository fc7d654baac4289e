"""`planner export` and `planner sync`: a plan's tasks as GitHub issues, Taskwarrior tasks and a Jira import."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from planner.cli import export_app, sync_app
from planner.cli.common import EXIT_ERRORS, AllowOption, ConfigOption, StrictOption, _config, _fail, _report
from planner.diagnostics import error, has_errors, printable

if TYPE_CHECKING:
    from planner.config import Config
    from planner.plan import Plan
    from planner.trackers.github import IssueSpec

__all__ = ["export_github", "export_jira", "export_taskwarrior", "sync_github", "sync_taskwarrior"]

DesignArgument = Annotated[str, typer.Argument(help="The design doc (Markdown).", show_default=False)]
TrackerOutput = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the file here (atomically) instead of stdout.", show_default=False),
]
TrackerForce = Annotated[bool, typer.Option("--force", help="Write --output even through a symlink.")]


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
    design: DesignArgument,
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
    design: DesignArgument,
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
    min_interval: Annotated[float, typer.Option("--min-interval", min=0, help="Seconds between two writes.")] = 1.0,
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
                report=lambda action: typer.echo(printable(action.format(dry_run))),
            )
    except GitHubError as exc:
        _fail([error("github", str(exc), design, 1)])
    typer.echo(printable(done.summary()))


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


@export_app.command("taskwarrior")
def export_taskwarrior(
    design: DesignArgument,
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
    design: DesignArgument,
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
        sys.stdout.write(printable(format_result(done)))
    _report(done.diagnostics)
    if has_errors(done.diagnostics):
        raise typer.Exit(EXIT_ERRORS)


@export_app.command("jira")
def export_jira(
    design: DesignArgument,
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
