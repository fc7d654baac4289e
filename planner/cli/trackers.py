"""`planner export` and `planner sync`: a plan's tasks as GitHub issues, Taskwarrior tasks and a Jira import."""

# No `from __future__ import annotations` here: typer would evaluate every command's annotation strings, twice
# per command, on every start (tests/cli/test_cold_start.py).

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeAlias

import typer

from planner.cli.app import export_app, pull_app, sync_app
from planner.cli.common import (
    EXIT_ERRORS,
    EXIT_USAGE,
    AllowOption,
    ConfigOption,
    StrictOption,
    choice,
    fail,
    load_config_or_exit,
    print_diagnostics,
)
from planner.diagnostics import error, has_errors, printable

if TYPE_CHECKING:
    from planner.config import Config
    from planner.plan import Plan
    from planner.trackers.github import GitHubClient, IssueSpec
    from planner.trackers.taskwarrior import SubprocessRunner
    from planner.trackers.twoway import Side, State, Step

    PreferChoice: TypeAlias = str
else:
    PreferChoice = Enum("PreferChoice", {"plan": "plan", "tracker": "tracker"}, type=str)

__all__ = [
    "export_github",
    "export_jira",
    "export_taskwarrior",
    "pull_github",
    "pull_taskwarrior",
    "sync_github",
    "sync_taskwarrior",
]

DesignArgument = Annotated[str, typer.Argument(metavar="DESIGN", help="The design doc (Markdown).", show_default=False)]
TrackerOutput = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", metavar="PATH", help="Write the file here (atomically) instead of stdout.", show_default=False
    ),
]
TrackerForce = Annotated[bool, typer.Option("--force", help="Write --output even through a symlink.")]
PlanFileOption = Annotated[
    Path | None,
    typer.Option(
        "--plan",
        metavar="PLAN.md",
        help="The Markdown plan whose boxes are synced (its base: .<name>.sync.json beside it).",
        show_default=False,
    ),
]
PullPlanOption = Annotated[
    Path,
    typer.Option("--plan", help="The Markdown plan whose boxes are ticked (its base: .<name>.sync.json beside it)."),
]
PreferOption = Annotated[
    PreferChoice | None,
    typer.Option("--prefer", help="The side that wins a conflict (both changed since the base).", show_default=False),
]
PullDryRunOption = Annotated[bool, typer.Option("--dry-run", help="Print the box changes and counts; write nothing.")]
PullCheckOption = Annotated[
    bool, typer.Option("--check", help="Write nothing; exit 2 when the plan is behind the tracker, 0 when in step.")
]
ApiUrlOption = Annotated[
    str, typer.Option("--api-url", metavar="URL", help="REST API root; GitHub Enterprise: https://HOST/api/v3.")
]
MaxWaitOption = Annotated[
    float,
    typer.Option("--max-wait", min=0, metavar="SECONDS", help="Longest rate-limit wait in seconds before giving up."),
]
MinIntervalOption = Annotated[
    float, typer.Option("--min-interval", min=0, metavar="SECONDS", help="Seconds between two writes.")
]
TaskdataOption = Annotated[
    Path | None,
    typer.Option(
        "--taskdata",
        metavar="DIR",
        help="Taskwarrior data folder (default: $TASKDATA, else the taskrc's).",
        show_default=False,
    ),
]
TaskBinaryOption = Annotated[str, typer.Option("--task-binary", metavar="PATH", help="The Taskwarrior 2.6 executable.")]


# -- GitHub Issues -------------------------------------------------------------------------------


def _github_issues(
    design: str, config: str | None, allow_unapproved: bool, strict: bool
) -> "tuple[Plan, Config, tuple[IssueSpec, ...]]":
    """(plan, config, issue specs) for a design, or exit 1 with the diagnostics."""
    from planner.diagnostics import strictened
    from planner.plan import plan_design
    from planner.trackers.github import plan_issues

    cfg = load_config_or_exit(config)
    result = plan_design(design, cfg, allow_unapproved=allow_unapproved, strict=strict)
    print_diagnostics(result.diagnostic_values())
    if not result.ok:
        raise typer.Exit(EXIT_ERRORS)
    specs, problems = plan_issues(result, cfg)
    problems = strictened(problems) if strict else problems
    if has_errors(problems):
        fail(problems)
    print_diagnostics(problems)
    return result, cfg, specs


@export_app.command("github", epilog="\b\nExample:\n  planner export github docs/designs/schedules.md -o issues.json")
def export_github(
    design: DesignArgument,
    config: ConfigOption = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="PATH",
            help="Write the JSON here (atomically) instead of stdout.",
            show_default=False,
        ),
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
            fail([error("output", str(exc), str(output), 1)])
    _, cfg, specs = _github_issues(design, config, allow_unapproved, strict)
    text = render_export(specs)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        write_atomic(output, text, force=force, inputs={"design doc": design, "repo config": cfg.path})
    except (OutputError, OSError) as exc:
        fail([error("output", str(exc), str(output), 1)])


@sync_app.command(
    "github",
    epilog="\b\nExamples:\n  planner sync github docs/designs/schedules.md --dry-run\n"
    "  GITHUB_TOKEN=... planner sync github docs/designs/schedules.md --close-removed",
)
def sync_github(
    design: DesignArgument,
    config: ConfigOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the create/update/link/close actions; send no write.")
    ] = False,
    api_url: ApiUrlOption = "https://api.github.com",
    close_removed: Annotated[
        bool, typer.Option("--close-removed", help="Close (as not planned) open issues whose task left the plan.")
    ] = False,
    plan: PlanFileOption = None,
    prefer: PreferOption = None,
    no_epics: Annotated[
        bool, typer.Option("--no-epics", help="No parent issue per repo; tasks are not made its sub-issues.")
    ] = False,
    max_wait: MaxWaitOption = 900.0,
    min_interval: MinIntervalOption = 1.0,
    allow_unapproved: AllowOption = False,
    strict: StrictOption = False,
) -> None:
    """Create, update and link one GitHub issue per task (token: $GITHUB_TOKEN); re-running changes nothing.

    With --plan, a box ticked (or set to [-]) in the plan since the last pull or sync closes its issue too.
    """
    from planner.trackers.github import GitHubError
    from planner.trackers.github import sync_github as run_sync
    from planner.trackers.github.state import issue_states, set_issue_states

    _check_plan_file(plan)
    _github_token(api_url, dry_run, design)  # before planning or any request: the fix at once
    result, cfg, _ = _github_issues(design, config, allow_unapproved, strict)
    try:
        with _github_client(api_url, dry_run, design, min_interval, max_wait) as client:
            done = run_sync(
                result,
                cfg,
                client,
                dry_run=dry_run,
                close_removed=close_removed,
                epics=not no_epics,
                report=lambda action: typer.echo(printable(action.format(dry_run))),
            )
            typer.echo(printable(done.summary()))
            print_diagnostics(done.notes)
            if plan is not None:
                found = issue_states(result, cfg, client)
                _two_way(
                    "tracker",
                    "github",
                    plan,
                    result,
                    lambda: {task_id: state for task_id, (state, _, _) in found.items()},
                    lambda steps: set_issue_states(client, steps, {t: (r, n) for t, (_, r, n) in found.items()}),
                    dry_run=dry_run,
                    prefer=prefer,
                )
    except GitHubError as exc:
        fail([error("github", _redacted(str(exc)), design, 1)])
    except (KeyError, TypeError, ValueError) as exc:
        fail([error("github", _unexpected(exc), design, 1)])


@pull_app.command("github")
def pull_github(
    design: DesignArgument,
    plan: PullPlanOption,
    config: ConfigOption = None,
    dry_run: PullDryRunOption = False,
    check: PullCheckOption = False,
    prefer: PreferOption = None,
    api_url: ApiUrlOption = "https://api.github.com",
    max_wait: MaxWaitOption = 900.0,
    allow_unapproved: AllowOption = False,
    strict: StrictOption = False,
) -> None:
    """Tick the plan's boxes from its issues: closed as completed [x], closed as not planned [-], reopened [ ]."""
    from planner.trackers.github import GitHubError
    from planner.trackers.github.state import issue_states

    _check_plan_file(plan)
    result, cfg, _ = _github_issues(design, config, allow_unapproved, strict)
    try:
        with _github_client(api_url, True, design, 1.0, max_wait) as client:
            found = issue_states(result, cfg, client)
    except GitHubError as exc:
        fail([error("github", _redacted(str(exc)), design, 1)])
    except (KeyError, TypeError, ValueError) as exc:
        fail([error("github", _unexpected(exc), design, 1)])
    states = {task_id: state for task_id, (state, _, _) in found.items()}
    _two_way("plan", "github", plan, result, lambda: states, None, dry_run=dry_run or check, prefer=prefer, check=check)


def _github_token(api_url: str, read_only: bool, design: str) -> str | None:
    """$GITHUB_TOKEN (required unless only reading) for an http(s) API root, or exit 1 with the fix."""
    token = os.environ.get("GITHUB_TOKEN") or None
    if token is None and not read_only:
        message = (
            "GITHUB_TOKEN is not set; export GITHUB_TOKEN=<a token that may write issues in the repos> "
            "(or pass --dry-run to see the changes without one)"
        )
        fail([error("github-token", message, design, 1)])
    if not api_url.startswith(("https://", "http://")) or not _url_host(api_url):
        fail([error("github-api-url", f"--api-url {api_url!r} is not an http(s) URL with a host", design, 1)])
    return token


def _redacted(message: str) -> str:
    """The message without $GITHUB_TOKEN: a server or proxy may echo the Authorization header back."""
    token = os.environ.get("GITHUB_TOKEN")
    return message.replace(token, "***") if token else message


def _unexpected(exc: Exception) -> str:
    """An answer without the fields GitHub's API has (a proxy, another API at --api-url)."""
    said = _redacted(f"{type(exc).__name__}: {exc}")
    return f"GitHub's answer has an unexpected shape ({said}); check --api-url points at GitHub's REST API"


def _url_host(url: str) -> str:
    """The URL's host, or '' when httpx cannot read it (`http://[::1`, a port that is not a number)."""
    import httpx

    try:
        return httpx.URL(url).host
    except httpx.InvalidURL:
        return ""


@contextmanager
def _github_client(
    api_url: str, read_only: bool, design: str, min_interval: float, max_wait: float
) -> "Iterator[GitHubClient]":
    """A paced client for $GITHUB_TOKEN (required unless only reading), or exit 1 naming what is wrong."""
    import time

    from planner.trackers.github import GitHubClient, Pacing

    token = _github_token(api_url, read_only, design)
    pacing = Pacing(
        sleep=time.sleep, monotonic=time.monotonic, now=time.time, min_interval=min_interval, max_wait=max_wait
    )
    try:
        client = GitHubClient(api_url, token, pacing)
    except ValueError as exc:  # httpx refuses a proxy from the environment it cannot use (its password masked)
        message = f"cannot set up the HTTP client ({exc}); check --api-url and HTTPS_PROXY, HTTP_PROXY and ALL_PROXY"
        fail([error("github-client", message, design, 1)])
    with client:
        yield client


# -- both ways -----------------------------------------------------------------------------------


def _check_plan_file(plan: Path | None) -> None:
    if plan is not None and not plan.is_file():
        fail(
            [
                error(
                    "plan-file",
                    f"plan {plan} not found; write it first with `planner plan DESIGN -o {plan}`",
                    str(plan),
                    1,
                )
            ]
        )


def _two_way(
    side: "Side",
    tracker: str,
    plan_file: Path,
    plan: "Plan",
    read: "Callable[[], dict[str, State]]",
    write: "Callable[[tuple[Step, ...]], int] | None",
    *,
    dry_run: bool,
    prefer: "PreferChoice | None",
    check: bool = False,
) -> None:
    """Reconcile the plan's boxes with a tracker against the base, print it, then write `side` and the base.

    Exit 2 with `check` when the plan is behind, 1 on a conflict left unresolved.
    """
    from planner.files import OutputError
    from planner.trackers.twoway import (
        BaseError,
        Report,
        base_path,
        conflict_diagnostics,
        new_base,
        plan_states,
        read_base,
        reconcile,
        write_base,
        write_plan,
    )

    shown = str(plan_file)
    base_file = base_path(plan_file)
    try:
        # Bytes, not read_text: its newline translation would turn a CRLF plan into LF on the write back.
        text = plan_file.read_bytes().decode("utf-8")
        base = read_base(base_file, tracker)
        ids = tuple(task.id for repo in plan.repos for task in repo.tasks)
        ours = plan_states(text, ids)
        theirs = read()
        won = choice(prefer) if prefer is not None else None
        steps = reconcile(ours, theirs, base, "plan" if won == "plan" else "tracker" if won else None)
        report = Report(tracker, side, steps, sum(1 for t in ours if t not in theirs), dry_run)
        sys.stdout.write(printable(report.lines()))
        if check:
            raise typer.Exit(EXIT_USAGE if report.behind else 0)
        if dry_run:
            return
        if side == "plan":
            write_plan(plan_file, text, steps)
        elif write is not None:
            write(steps)
        write_base(base_file, tracker, new_base(steps, base, side))
    except BaseError as exc:
        fail([error("sync-base", str(exc), str(base_file), 1)])
    except (OSError, UnicodeDecodeError, OutputError) as exc:  # OutputError: a symlinked plan or base
        fail([error("plan-file", f"cannot read or write {shown}: {exc}", shown, 1)])
    conflicts = conflict_diagnostics(steps, shown, text)
    if conflicts:
        fail(conflicts)


# -- Taskwarrior and Jira ------------------------------------------------------------------------


def _tracker_plan(design: str, config: str | None, allow_unapproved: bool, strict: bool) -> "tuple[Plan, Config]":
    """The plan and config for a tracker command, or exit 1 with the diagnostics."""
    from planner.plan import plan_design

    cfg = load_config_or_exit(config)
    result = plan_design(design, cfg, allow_unapproved=allow_unapproved, strict=strict)
    print_diagnostics(result.diagnostic_values())
    if not result.ok:
        raise typer.Exit(EXIT_ERRORS)
    return result, cfg


def _tracker_output(output: Path | None, force: bool, make: Callable[[], str], design: str, config: str | None) -> None:
    """Refuse a bad --output (one that is the design or the config, too) before any work, then write `make()`
    there atomically, or to stdout."""
    from planner.config import find_config
    from planner.files import OutputError, check_output_path, write_atomic

    inputs: dict[str, str | Path] = {"design doc": design}
    config_path = find_config(config, os.environ, Path.cwd())
    if config_path is not None:
        inputs["repo config"] = config_path
    if output is not None:
        try:
            check_output_path(output, force=force, inputs=inputs)
        except OutputError as exc:
            fail([error("output", str(exc), str(output), 1)])
    text = make()
    if output is None:
        sys.stdout.write(text)
        return
    try:
        write_atomic(output, text, force=force, inputs=inputs)
    except (OutputError, OSError) as exc:
        fail([error("output", str(exc), str(output), 1)])


@export_app.command(
    "taskwarrior",
    epilog="\b\nExample:\n  planner export taskwarrior docs/designs/schedules.md -o tasks.jsonl   # then: task import",
)
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

    _tracker_output(output, force, make, design, config)


@sync_app.command(
    "taskwarrior",
    epilog="\b\nExamples:\n  planner sync taskwarrior docs/designs/schedules.md --dry-run\n"
    "  planner sync taskwarrior docs/designs/schedules.md --taskdata ~/.task",
)
def sync_taskwarrior(
    design: DesignArgument,
    config: ConfigOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be added, modified or left alone; change nothing.")
    ] = False,
    taskdata: TaskdataOption = None,
    delete_removed: Annotated[
        bool, typer.Option("--delete-removed", help="Delete open tasks the plan no longer has (default: report).")
    ] = False,
    plan: PlanFileOption = None,
    prefer: PreferOption = None,
    task_binary: TaskBinaryOption = "task",
    allow_unapproved: AllowOption = False,
    strict: StrictOption = False,
) -> None:
    """Import the plan into Taskwarrior: adds the missing, updates the changed, keeps done tasks done.

    With --plan, a box ticked (or set to [-]) in the plan since the last pull or sync completes (deletes) its task.
    """
    from planner.trackers.taskwarrior import TaskwarriorError, format_result, sync_plan
    from planner.trackers.taskwarrior.state import set_states, task_states

    _check_plan_file(plan)
    result, _ = _tracker_plan(design, config, allow_unapproved, strict)
    with _task_runner(taskdata, task_binary) as runner:
        done = sync_plan(result, runner, dry_run=dry_run, delete_removed=delete_removed)
        if done.changes or not has_errors(done.diagnostics):
            sys.stdout.write(printable(format_result(done)))
        print_diagnostics(done.diagnostics)
        if has_errors(done.diagnostics):
            raise typer.Exit(EXIT_ERRORS)
        if plan is None:
            return
        try:
            _two_way(
                "tracker",
                "taskwarrior",
                plan,
                result,
                lambda: task_states(result, runner),
                lambda steps: set_states(result, runner, steps),
                dry_run=dry_run,
                prefer=prefer,
            )
        except TaskwarriorError as exc:
            fail([error("taskwarrior", str(exc), design, 1)])


@pull_app.command("taskwarrior")
def pull_taskwarrior(
    design: DesignArgument,
    plan: PullPlanOption,
    config: ConfigOption = None,
    dry_run: PullDryRunOption = False,
    check: PullCheckOption = False,
    prefer: PreferOption = None,
    taskdata: TaskdataOption = None,
    task_binary: TaskBinaryOption = "task",
    allow_unapproved: AllowOption = False,
    strict: StrictOption = False,
) -> None:
    """Tick the plan's boxes from Taskwarrior: completed [x], deleted [-], pending again [ ]."""
    from planner.trackers.taskwarrior import TaskwarriorError
    from planner.trackers.taskwarrior.state import task_states

    _check_plan_file(plan)
    result, _ = _tracker_plan(design, config, allow_unapproved, strict)
    with _task_runner(taskdata, task_binary) as runner:
        try:
            states = task_states(result, runner)
        except TaskwarriorError as exc:
            fail([error("taskwarrior", str(exc), design, 1)])
    _two_way(
        "plan", "taskwarrior", plan, result, lambda: states, None, dry_run=dry_run or check, prefer=prefer, check=check
    )


@contextmanager
def _task_runner(taskdata: Path | None, task_binary: str) -> "Iterator[SubprocessRunner]":
    """The `task` binary on this environment (with --taskdata), never letting it write a sample ~/.taskrc."""
    import tempfile

    from planner.trackers.taskwarrior import SubprocessRunner, find_taskrc

    if taskdata is not None and not taskdata.is_dir():
        fail([error("taskdata", f"folder {taskdata} does not exist; create it first", str(taskdata), 1)])
    env = dict(os.environ)
    if taskdata is not None:
        env["TASKDATA"] = str(taskdata.resolve())
    with tempfile.TemporaryDirectory(prefix="planner-taskrc-") as scratch:
        if find_taskrc(env) is None:
            # Without any taskrc, `task` writes a sample ~/.taskrc: an empty one of our own leaves $HOME alone.
            empty = Path(scratch) / "taskrc"
            empty.write_text("", encoding="utf-8")
            env["TASKRC"] = str(empty)
        yield SubprocessRunner(env, binary=task_binary)


@export_app.command("jira", epilog="\b\nExample:\n  planner export jira docs/designs/schedules.md -o jira.csv")
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

    _tracker_output(output, force, make, design, config)
