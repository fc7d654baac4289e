"""The CLI for batches and CI: `plan` over many designs, `build`, `verify`, drift checks, Actions output.

Part of the command layer (it prints and exits); importing it registers `build` and `verify` on the `planner` app.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, NoReturn

import typer

from planner.cli.app import app
from planner.cli.common import (
    DIAGNOSTICS_FORMATS,
    EXIT_ERRORS,
    EXIT_OK,
    EXIT_USAGE,
    ConfigOption,
    DiagnosticsOption,
    JobsOption,
    MaxBytesOption,
    StrictOption,
    _config,
    _design_paths,
    _jobs,
    format_option,
    styled,
)
from planner.diagnostics import Diagnostic, error, has_errors, one_line, sort_diagnostics, warning

if TYPE_CHECKING:
    from planner.ci.drift import Stale
    from planner.ci.provenance import GitProbe
    from planner.config import Config
    from planner.plan import Plan

__all__ = ["EXIT_CHANGED", "build", "progress", "report", "run_plan", "verify"]

# `--check` and `verify`: like `terraform plan -detailed-exitcode`, 2 means "would change" / "changed".
EXIT_CHANGED = 2
# Test-only: a FIFO that `build` announces its staging folder on, then waits to be killed (see tests).
PAUSE_ENV = "PLANNER_TEST_PAUSE_BEFORE_SWAP"
SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
_EXTENSIONS = {"markdown": ".md", "json": ".json", "mermaid": ".mmd"}


def report(diagnostics: Iterable[Diagnostic], fmt: str = "text") -> None:
    """Diagnostics on stderr: `PATH:LINE: severity: message [code]`, or GitHub workflow commands."""
    if fmt == "github":
        from planner.ci.annotations import workflow_commands

        lines = workflow_commands(diagnostics)
    else:
        lines = [styled(d) for d in sort_diagnostics(diagnostics)]
    for line in lines:
        typer.echo(line, err=True)


def _usage(message: str) -> NoReturn:
    typer.echo(f"planner: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


def _fail(diagnostics: Iterable[Diagnostic], fmt: str) -> NoReturn:
    report(diagnostics, fmt)
    raise typer.Exit(EXIT_ERRORS)


@contextmanager
def progress(total: int, label: str, stream: IO[str] | None = None) -> Iterator[Callable[[int, int, str], None] | None]:
    """A rich progress bar on a terminal; None (nothing drawn) when the stream is a pipe, a file or CI."""
    stream = stream if stream is not None else sys.stderr
    if total < 2 or not stream.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=Console(file=stream), transient=True) as bar:
        task = bar.add_task(label, total=total)

        def advance(done: int, count: int, path: str) -> None:
            bar.update(task, completed=done, total=count)

        yield advance


def _config_shown(config: Config) -> str:
    """The config path as recorded in a plan: relative to the working folder when inside it."""
    path = Path(config.path)
    try:
        return path.relative_to(Path.cwd()).as_posix() if path.is_absolute() else path.as_posix()
    except ValueError:
        return path.as_posix()


def _probe() -> GitProbe:
    from planner.ci.provenance import GitProbe

    return GitProbe(os.environ)


def _render(
    plan: Plan, fmt: str, design: str, cfg: Config, target: Path | None, old: str | None, probe: GitProbe | None
) -> str:
    from planner.render import render

    config_shown = _config_shown(cfg)
    if target is not None:
        # A plan written to a file records its paths from that file's folder: its links work in any viewer.
        from planner.ci.paths import relative_to, seen_from

        plan, config_shown = seen_from(plan, target.parent), relative_to(cfg.path, target.parent)
    # Imports per format: a cold `planner plan --format json` loads no Markdown machinery (bench/cold_start.py).
    if fmt == "json":
        from planner.ci.provenance import keep_git_state, with_provenance

        recorded = with_provenance(plan, Path(design), config_shown, cfg.sha256, probe)
        return render(keep_git_state(recorded, old), fmt)
    text = render(plan, fmt)
    if fmt != "markdown":
        return text
    from planner.ci.progress import carry_over

    return carry_over(text, old)


def _old_text(target: Path | None) -> str | None:
    """The file a plan replaces; a plan to stdout imports no file-tree code (ctypes, tempfile: a cold start)."""
    if target is None:
        return None
    from planner.ci.tree import read_text

    return read_text(target)


def _targets(
    results: Sequence[tuple[str, Plan]],
    output: Path | None,
    several: bool,
    fmt: str,
    *,
    check: bool,
    force: bool,
    cfg: Config,
) -> tuple[list[tuple[str, Plan, Path | None]], list[Diagnostic]]:
    """Each design's output file (None: stdout), and what stops them being written (a clash, a bad target)."""
    from planner.files import OutputError, check_output_path

    found: list[Diagnostic] = []
    targets: list[tuple[str, Plan, Path | None]] = []
    owners: dict[Path, str] = {}
    for path, result in results:
        target = output
        if several and output is not None:
            from planner.ci.build import feature_slug  # only for a folder of plans (a cold start pays for it)

            name = feature_slug(result.design.feature, Path(path).stem) + _EXTENSIONS.get(fmt, f".{fmt}")
            target = output / name
            if target in owners:
                found.append(
                    error(
                        "feature-collision",
                        f"{path} and {owners[target]} would both be written to {target}; "
                        "give one design a distinct '# ... Design' title",
                        path,
                        1,
                    )
                )
            owners.setdefault(target, path)
        # A folder still to be created holds no input that a target could destroy.
        if target is not None and not check and target.parent.exists():
            # Before any file is written: a target that is an input (or links to one) would destroy it.
            try:
                check_output_path(target, force=force, inputs={"design doc": path, "repo config": cfg.path})
            except OutputError as exc:
                found.append(error("output", str(exc), str(target), 1))
        targets.append((path, result, target))
    return targets, found


def _check_files(texts: Sequence[tuple[Path | None, str]], fmt: str, diagnostics: str) -> NoReturn:
    """`plan --check`: the diff on stdout, each stale file and why on stderr; exit 2 when any is stale."""
    from planner.ci.drift import stale_file
    from planner.ci.tree import file_diff, read_text

    olds = [(str(target), read_text(target) if target else None, text) for target, text in texts]
    sys.stdout.write("".join(file_diff(target, old, text) for target, old, text in olds))
    stale = [s for target, old, text in olds if (s := stale_file(target, old, text, fmt)) is not None]
    _explain_drift("planner plan --check", stale, len(olds), diagnostics)
    raise typer.Exit(EXIT_CHANGED if stale else EXIT_OK)


def _write_files(texts: Sequence[tuple[Path | None, str]], folder: Path | None, force: bool, diagnostics: str) -> None:
    from planner.files import OutputError, write_atomic

    try:
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _fail([error("output", f"cannot create the folder: {exc}", str(folder), 1)], diagnostics)
    for target, text in texts:
        assert target is not None
        try:
            write_atomic(target, text, force=force)
        except (OutputError, OSError) as exc:
            _fail([error("output", str(exc), str(target), 1)], diagnostics)


def run_plan(
    designs: Sequence[str],
    config: str | None,
    fmt: str,
    output: Path | None,
    *,
    force: bool,
    allow_unapproved: bool,
    strict: bool,
    check: bool,
    diagnostics: str,
    max_bytes: int | None = None,
) -> None:
    """`planner plan`: one design to stdout or a file, or several into a folder; `--check` writes nothing."""
    from planner.design import MAX_DESIGN_BYTES
    from planner.files import OutputError, check_output_path
    from planner.plan import plan_design

    several = len(designs) > 1 or any(Path(d).is_dir() for d in designs)
    if check and output is None:
        _usage("--check compares with the file(s) on disk: give --output")
    if several and (output is None or (output.exists() and not output.is_dir())):
        _usage("several designs are planned into a folder: give --output DIR (created if missing)")
    # A folder still to be created (it is, before writing) cannot hold a symlink or an input to refuse.
    if output is not None and not several and output.parent.exists():
        try:
            check_output_path(output, force=force)
        except OutputError as exc:
            _fail([error("output", str(exc), str(output), 1)], diagnostics)
    paths, problems = _design_paths(designs)
    cfg = _config(config)
    with progress(len(paths), "planning") as advance:
        results: list[tuple[str, Plan]] = []
        for done, path in enumerate(paths, 1):
            limit = max_bytes or MAX_DESIGN_BYTES
            results.append(
                (path, plan_design(path, cfg, allow_unapproved=allow_unapproved, strict=strict, max_bytes=limit))
            )
            if advance is not None:
                advance(done, len(paths), path)
    found = [*problems, *(d for _, r in results for d in r.diagnostic_values())]
    targets, unwritable = _targets(results, output, several, fmt, check=check, force=force, cfg=cfg)
    found += unwritable
    report(found, diagnostics)
    if has_errors(found):
        raise typer.Exit(EXIT_ERRORS)

    probe = _probe() if fmt == "json" else None
    if probe is not None:
        probe.lookup_many([Path(path) for path, _, _ in targets])  # one git call per checkout, not per design
    texts = [
        (target, _render(result, fmt, path, cfg, target, _old_text(target), probe)) for path, result, target in targets
    ]
    if output is None:
        sys.stdout.write("".join(text for _, text in texts))
        return
    if check:
        _check_files(texts, fmt, diagnostics)
    _write_files(texts, output if several else output.parent, force, diagnostics)


def _explain_drift(command: str, stale: Sequence[Stale], total: int, fmt: str) -> None:
    """On stderr: each stale file and why (an `::error` each with `--diagnostics github`), then a count."""
    report([error("stale", f"out of date: {s.reason}", s.path, 1) for s in stale], fmt)
    if stale:
        typer.echo(
            f"{command}: {len(stale)} of {total} file(s) out of date; run it without --check and commit the result",
            err=True,
        )
    else:
        typer.echo(f"{command}: all {total} file(s) up to date", err=True)


def _pause_before_swap(fifo: str) -> Callable[[Path], None]:
    def pause(staging: Path) -> None:
        with open(fifo, "w", encoding="utf-8") as announce:
            announce.write(f"{staging}\n")
        threading.Event().wait()  # until the test kills this process

    return pause


def _write_summary(text: str, fmt: str) -> None:
    from planner.ci.tree import read_text
    from planner.files import OutputError, write_atomic

    target = os.environ.get(SUMMARY_ENV)
    if not target:
        return
    path = Path(target)
    try:
        # The runner hands each step its own file; keep whatever the step wrote there before us.
        write_atomic(path, (read_text(path) or "") + text)
    except (OutputError, OSError) as exc:
        report([warning("step-summary", f"cannot write the job summary: {exc}", target, 1)], fmt)


def _inside(path: str, folder: Path) -> bool:
    try:
        Path(path).resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


@app.command(
    epilog="\b\nExamples:\n"
    "  planner build docs/designs -o plans\n"
    "  planner build docs/designs -o plans --check --diagnostics github   # in CI",
)
def build(
    designs: Annotated[
        list[str], typer.Argument(metavar="DESIGN...", help="Design docs, or folders of them.", show_default=False)
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            "--out",
            metavar="DIR",
            help="The output folder, replaced as a whole (--out is the old spelling).",
            show_default=False,
        ),
    ],
    config: ConfigOption = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Write nothing: exit 0 if DIR is up to date, 2 and say which files and why."),
    ] = False,
    diagnostics: DiagnosticsOption = "text",
    # Before --diagnostics, build's --format was the diagnostics format: kept working, not shown.
    old_format: Annotated[
        str | None, format_option(DIAGNOSTICS_FORMATS, "Old spelling of --diagnostics", "--format", "-f", hidden=True)
    ] = None,
    strict: StrictOption = False,
    max_bytes: MaxBytesOption = None,
    jobs: JobsOption = None,
) -> None:
    """Plan every Approved design into a folder, replaced as a whole.

    Each design gets DIR/<feature>/ (plan.md, plan.json, graph.mmd); DIR/index.md and index.json list them all.
    """
    from planner.ci.build import FAILED, PLANNED, SKIPPED, build_plans
    from planner.ci.summary import step_summary
    from planner.ci.tree import replace_tree, tree_diff, tree_texts
    from planner.design import MAX_DESIGN_BYTES
    from planner.files import OutputError

    diag_fmt = old_format or diagnostics
    paths, problems = _design_paths(designs)
    # The output folder may sit among the designs: its plan.md files are not designs.
    paths = [p for p in paths if not _inside(p, out)]
    if has_errors(problems):
        _fail(problems, diag_fmt)
    cfg = _config(config)
    previous = out if out.is_dir() and not out.is_symlink() else None
    with progress(len(paths), "planning") as advance:
        result = build_plans(
            paths,
            cfg,
            config_path=_config_shown(cfg),
            previous=previous,
            strict=strict,
            probe=_probe(),
            on_design=advance,
            max_bytes=max_bytes or MAX_DESIGN_BYTES,
            out=out,
            jobs=_jobs(jobs),
        )
    report(result.diagnostics(), diag_fmt)
    typer.echo(
        f"planner build: {len(result.designs)} design doc(s): {result.count(PLANNED)} planned, "
        f"{result.count(SKIPPED)} skipped (not approved), {result.count(FAILED)} failed",
        err=True,
    )
    if check:
        from planner.ci.drift import stale_tree

        diff = tree_diff(out, result.files)
        stale = stale_tree(out.as_posix().rstrip("/"), tree_texts(out), result.files)
        _write_summary(step_summary(result, drift=len(stale)), diag_fmt)
        if not result.ok:
            raise typer.Exit(EXIT_ERRORS)
        sys.stdout.write(diff)
        _explain_drift("planner build --check", stale, len(result.files), diag_fmt)
        raise typer.Exit(EXIT_CHANGED if stale else EXIT_OK)
    pause = os.environ.get(PAUSE_ENV)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)  # like `plan -o NEWDIR`: the folder is created
        replace_tree(out, result.files, before_swap=_pause_before_swap(pause) if pause else None)
    except (OutputError, OSError) as exc:
        _fail([error("output", str(exc), str(out), 1)], diag_fmt)
    _write_summary(step_summary(result), diag_fmt)
    if not result.ok:
        raise typer.Exit(EXIT_ERRORS)


@app.command(
    epilog="\b\nExamples:\n  planner verify plans/workflow-schedules/plan.json\n  planner verify schedules.json",
)
def verify(
    plan_file: Annotated[
        Path, typer.Argument(metavar="PLAN", help="A JSON plan (`plan --format json`, or a build's plan.json).")
    ],
) -> None:
    """Exit 0 when the design and config still hash as the plan recorded, 2 when either changed, 1 if missing."""
    from dataclasses import replace

    from planner.ci.paths import relative_to
    from planner.ci.provenance import PlanFileError, verify_plan
    from planner.ci.tree import read_text

    text = read_text(plan_file) if plan_file.is_file() else None
    if text is None:
        _fail([error("not-found", "no such plan file; give a JSON plan", str(plan_file), 1)], "text")
    try:
        # Paths in a plan are relative to the plan file's folder; plans written before that recorded them
        # relative to the folder planner ran in, so those are looked up there.
        base = plan_file.parent
        outcome = verify_plan(text, base)
        if any(e.state == "missing" for e in outcome.entries):
            old_way = verify_plan(text, Path.cwd())
            if not any(e.state == "missing" for e in old_way.entries):
                base, outcome = Path.cwd(), old_way
    except PlanFileError as exc:
        _fail([error("plan-file", str(exc), str(plan_file), 1)], "text")
    missing = []
    for found in outcome.entries:
        # Shown from the working folder, wherever the plan recorded it from.
        entry = replace(found, path=relative_to(base / found.path, Path.cwd()))
        if entry.state == "missing":
            where = one_line(str(base / entry.path))
            missing.append(
                error(
                    "missing",
                    f"the plan's {entry.role} file is gone (looked for {where}); restore it or re-plan",
                    entry.path,
                    1,
                )
            )
        elif entry.state == "changed":
            typer.echo(
                f"{entry.role} {one_line(entry.path)}: changed since the plan was made "
                f"(sha256 {entry.recorded[:12]} -> {(entry.actual or '')[:12]}); re-plan it"
            )
        else:
            typer.echo(f"{entry.role} {one_line(entry.path)}: unchanged")
    if missing:
        _fail(missing, "text")
    raise typer.Exit(EXIT_CHANGED if outcome.changed else EXIT_OK)
