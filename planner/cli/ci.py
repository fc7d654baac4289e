"""The CLI for batches and CI: `plan` over many designs, `build`, `verify`, drift checks, Actions output.

Part of the command layer (it prints and exits); importing it registers `build` and `verify` on the `planner` app.
"""

# No `from __future__ import annotations` here: typer would evaluate every command's annotation strings, twice
# per command, on every start (tests/cli/test_cold_start.py).

import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
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
    design_paths,
    fail,
    format_option,
    jobs_or_cores,
    load_config_or_exit,
    print_diagnostics,
)
from planner.diagnostics import Diagnostic, error, has_errors, one_line, printable, warning

if TYPE_CHECKING:
    from planner.ci.drift import Stale
    from planner.ci.outcome import Build
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
    """Diagnostics on stderr (see planner.cli.common._report, the one helper every command uses)."""
    print_diagnostics(diagnostics, fmt)


def _usage(message: str) -> NoReturn:
    typer.echo(f"planner: {printable(message)}", err=True)
    raise typer.Exit(EXIT_USAGE)


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


def _config_shown(config: "Config") -> str:
    """The config path as recorded in a plan: relative to the working folder when inside it."""
    path = Path(config.path)
    try:
        return path.relative_to(Path.cwd()).as_posix() if path.is_absolute() else path.as_posix()
    except ValueError:
        return path.as_posix()


def _probe() -> "GitProbe":
    from planner.ci.provenance import GitProbe

    return GitProbe(os.environ)


def _plan_usage(several: bool, output: Path | None, *, check: bool, force: bool, fmt: str) -> None:
    if check and output is None:
        _usage("--check compares with the file(s) on disk: give --output")
    if several and (output is None or (output.exists() and not output.is_dir())):
        _usage("several designs are planned into a folder: give --output DIR (created if missing)")
    # A folder still to be created (it is, before writing) cannot hold a symlink or an input to refuse.
    if output is not None and not several and output.parent.exists():
        from planner.files import OutputError, check_output_path

        try:
            check_output_path(output, force=force)
        except OutputError as exc:
            fail([error("output", str(exc), str(output), 1)], fmt)


def _targets(results: "Sequence[tuple[str, Plan]]", output: Path | None, several: bool, fmt: str) -> list[Path | None]:
    """Where each plan goes: stdout (None), the one --output file, or a file per feature in --output DIR."""
    if not several or output is None:
        return [output for _ in results]
    from planner.ci.batch import feature_slug  # only for a folder of plans (a cold start pays for it)

    ext = _EXTENSIONS.get(fmt, f".{fmt}")
    return [output / (feature_slug(plan.design.feature, Path(path).stem) + ext) for path, plan in results]


def _unwritable(
    results: "Sequence[tuple[str, Plan]]", targets: Sequence[Path | None], cfg: "Config", force: bool
) -> list[Diagnostic]:
    """Before any file is written: a target that is an input (or links to one) would destroy it."""
    from planner.files import OutputError, check_output_path

    found: list[Diagnostic] = []
    for (path, _), target in zip(results, targets, strict=True):
        if target is None or not target.parent.exists():  # a folder still to be created holds no input
            continue
        try:
            check_output_path(target, force=force, inputs={"design doc": path, "repo config": cfg.path})
        except OutputError as exc:
            found.append(error("output", str(exc), str(target), 1))
    return found


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
    from planner.ci.batch import collisions, output_text, plan_many, with_recorded
    from planner.design import MAX_DESIGN_BYTES
    from planner.files import read_regular

    several = len(designs) > 1 or any(Path(d).is_dir() for d in designs)
    _plan_usage(several, output, check=check, force=force, fmt=diagnostics)
    paths, problems = design_paths(designs)
    cfg = load_config_or_exit(config)
    with progress(len(paths), "planning") as advance:
        results = plan_many(
            paths,
            cfg,
            allow_unapproved=allow_unapproved,
            strict=strict,
            max_bytes=max_bytes or MAX_DESIGN_BYTES,
            on_design=advance,
        )
    targets = _targets(results, output, several, fmt)
    found = [*problems, *(d for _, r in results for d in r.diagnostic_values())]
    if several:
        found += collisions([(p, r.design.feature, str(t)) for (p, r), t in zip(results, targets, strict=True)])
    if not check:
        found += _unwritable(results, targets, cfg, force)
    report(found, diagnostics)
    if has_errors(found):
        raise typer.Exit(EXIT_ERRORS)

    probe = _probe() if fmt == "json" else None
    if probe is not None:
        probe.lookup_many([Path(path) for path, _ in results])  # one git call per checkout, not per design
    texts: list[tuple[Path | None, str | None, str]] = []
    for (path, result), target in zip(results, targets, strict=True):
        # Never through a symlink unless --force writes through it; never a device or FIFO.
        old = read_regular(target, follow=force and not check) if target is not None else None
        seen, config_seen = result, _config_shown(cfg)
        if target is not None:
            # A plan written to a file records its paths from that file's folder: its links work in any viewer.
            from planner.ci.paths import relative_to, seen_from

            seen, config_seen = seen_from(result, target.parent), relative_to(cfg.path, target.parent)
        shown = with_recorded(seen, fmt, Path(path), config_seen, cfg.sha256, probe)
        texts.append((target, old, output_text(shown, fmt, old)))
    if output is None:
        sys.stdout.write(printable("".join(text for _, _, text in texts)))
        return
    if check:
        _check_files([(str(target), old, text) for target, old, text in texts], fmt, diagnostics)
    _write_all([(target, text) for target, _, text in texts], output if several else output.parent, force, diagnostics)


def _check_files(olds: Sequence[tuple[str, str | None, str]], fmt: str, diagnostics: str) -> NoReturn:
    """`plan --check`: the diff on stdout, each stale file and why on stderr; exit 2 when any is stale."""
    from planner.ci.drift import stale_file
    from planner.ci.tree import file_diff

    sys.stdout.write(printable("".join(file_diff(target, old, text) for target, old, text in olds)))
    stale = [s for target, old, text in olds if (s := stale_file(target, old, text, fmt)) is not None]
    _explain_drift("planner plan --check", stale, len(olds), diagnostics)
    raise typer.Exit(EXIT_CHANGED if stale else EXIT_OK)


def _explain_drift(command: str, stale: "Sequence[Stale]", total: int, fmt: str) -> None:
    """On stderr: each stale file and why (an `::error` each with `--diagnostics github`), then a count."""
    report([error("stale", f"out of date: {s.reason}", s.path, 1) for s in stale], fmt)
    if stale:
        typer.echo(
            f"{command}: {len(stale)} of {total} file(s) out of date; run it without --check and commit the result",
            err=True,
        )
    else:
        typer.echo(f"{command}: all {total} file(s) up to date", err=True)


def _write_all(texts: Sequence[tuple[Path | None, str]], folder: Path, force: bool, fmt: str) -> None:
    from planner.files import OutputError, write_atomic

    try:
        folder.mkdir(parents=True, exist_ok=True)  # `plan -o NEWDIR`: the folder is created
    except OSError as exc:
        fail([error("output", f"cannot create the folder: {exc}", str(folder), 1)], fmt)
    for target, text in texts:
        assert target is not None
        try:
            write_atomic(target, text, force=force)
        except (OutputError, OSError) as exc:
            fail([error("output", str(exc), str(target), 1)], fmt)


def _pause_before_swap(fifo: str) -> Callable[[Path], None]:
    def pause(staging: Path) -> None:
        with open(fifo, "w", encoding="utf-8") as announce:
            announce.write(f"{staging}\n")
        threading.Event().wait()  # until the test kills this process

    return pause


def _write_summary(text: str, fmt: str) -> None:
    from planner.files import OutputError, read_regular, write_atomic

    target = os.environ.get(SUMMARY_ENV)
    if not target:
        return
    path = Path(target)
    try:
        # The runner hands each step its own file; keep whatever the step wrote there before us.
        write_atomic(path, (read_regular(path) or "") + text)
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
    prune: Annotated[
        bool,
        typer.Option(
            "--prune",
            help="Drop (and list) the kept plan folders of designs no longer approved or gone; "
            "without it they are kept, with their ticks and notes.",
        ),
    ] = False,
) -> None:
    """Plan every approved design into OUT/<feature>/ (plan.md, plan.json, graph.mmd) with OUT/index.md and .json."""
    from planner.ci.tree import check_out, output_lock
    from planner.files import OutputError

    diag_fmt = old_format or diagnostics
    paths, problems = design_paths(designs)
    # The output folder may sit among the designs: its plan.md files are not designs.
    paths = [p for p in paths if not _inside(p, out)]
    if has_errors(problems):
        fail(problems, diag_fmt)
    report(problems, diag_fmt)  # what the folders held and was passed over (a symlink out of its folder)
    cfg = load_config_or_exit(config)
    run = _BuildRun(cfg, out, strict=strict, max_bytes=max_bytes, prune=prune and not check, jobs=jobs_or_cores(jobs))
    try:
        if not check:
            out.parent.mkdir(parents=True, exist_ok=True)  # like `plan -o NEWDIR`: the folder is created
        # The same rules for reading (--check) as for writing: never through a symlink, never a file.
        check_out(out, writing=not check)
        if check:
            _build_check(paths, run, fmt=diag_fmt)
        with output_lock(out, on_wait=_waiting):
            _build_write(paths, run, fmt=diag_fmt)
    except (OutputError, OSError) as exc:
        fail([error("output", str(exc), str(out), 1)], diag_fmt)


def _waiting(lock: Path) -> None:
    typer.echo(
        f"planner build: another build is writing this output folder (it holds {printable(str(lock))}); "
        "waiting for it to finish",
        err=True,
    )


@dataclass(frozen=True)
class _BuildRun:
    """What one `build` plans with: the config, the output folder and the options."""

    cfg: "Config"
    out: Path
    strict: bool
    max_bytes: int | None
    prune: bool
    jobs: int


def _run_build(paths: list[str], run: _BuildRun, fmt: str) -> "Build":
    from planner.ci.build import build_plans
    from planner.ci.outcome import FAILED, GONE, PLANNED, SKIPPED
    from planner.design import MAX_DESIGN_BYTES

    out = run.out
    previous = out if out.is_dir() and not out.is_symlink() else None
    with progress(len(paths), "planning") as advance:
        result = build_plans(
            paths,
            run.cfg,
            config_path=_config_shown(run.cfg),
            previous=previous,
            strict=run.strict,
            probe=_probe(),
            on_design=advance,
            max_bytes=run.max_bytes or MAX_DESIGN_BYTES,
            prune=run.prune,
            jobs=run.jobs,
            out=out,
        )
    report(result.diagnostics(), fmt)
    kept = f", {result.kept} kept from an earlier build" if result.kept else ""
    gone = f", {result.count(GONE)} gone" if result.count(GONE) else ""
    typer.echo(
        f"planner build: {len(result.designs)} design doc(s): {result.count(PLANNED)} planned, "
        f"{result.count(SKIPPED)} skipped (not approved), {result.count(FAILED)} failed{gone}{kept}",
        err=True,
    )
    return result


def _build_check(paths: list[str], run: _BuildRun, fmt: str) -> None:
    from planner.ci.drift import Stale, stale_tree
    from planner.ci.summary import step_summary
    from planner.ci.tree import special_entries, tree_diff, tree_texts

    result = _run_build(paths, run, fmt)
    diff = tree_diff(run.out, result.files)
    label = run.out.as_posix().rstrip("/")
    stale = stale_tree(label, tree_texts(run.out), result.files)
    # A symlink, FIFO or device in the tree is never read: it is stale by what it is, not by its content.
    odd = [
        Stale(f"{label}/{rel}", f"{kind} where planner writes files; remove it")
        for rel, kind in special_entries(run.out).items()
    ]
    stale = sorted([*(s for s in stale if s.path not in {o.path for o in odd}), *odd], key=lambda s: s.path)
    _write_summary(step_summary(result, drift=len(stale)), fmt)
    if not result.ok:
        raise typer.Exit(EXIT_ERRORS)
    sys.stdout.write(printable(diff))
    _explain_drift("planner build --check", stale, len(result.files), fmt)
    raise typer.Exit(EXIT_CHANGED if stale else EXIT_OK)


def _build_write(paths: list[str], run: _BuildRun, fmt: str) -> None:
    from planner.ci.summary import step_summary
    from planner.ci.tree import replace_tree

    out = run.out
    result = _run_build(paths, run, fmt)
    pause = os.environ.get(PAUSE_ENV)
    replace_tree(out, result.files, before_swap=_pause_before_swap(pause) if pause else None, locked=True)
    for folder in result.pruned:
        typer.echo(f"planner build: --prune dropped {printable(str(out / folder))}/", err=True)
    _write_summary(step_summary(result), fmt)
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
    from planner.files import read_regular

    text = read_regular(plan_file)
    if text is None:
        fail([error("not-found", "no such plan file; give a JSON plan", str(plan_file), 1)], "text")
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
        fail([error("plan-file", str(exc), str(plan_file), 1)], "text")
    missing = []
    for found in outcome.entries:
        # Shown from the working folder, wherever the plan recorded it from.
        entry = replace(found, path=relative_to(base / found.path, Path.cwd()))
        if entry.state == "missing":
            where = one_line(entry.path)  # already the path from here (base / found.path, made relative)
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
        fail(missing, "text")
    raise typer.Exit(EXIT_CHANGED if outcome.changed else EXIT_OK)
