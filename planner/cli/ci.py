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

from planner.cli import app
from planner.cli.common import (
    EXIT_ERRORS,
    EXIT_OK,
    EXIT_USAGE,
    ConfigOption,
    DiagnosticsFormat,
    MaxBytesOption,
    StrictOption,
    _config,
    _design_paths,
    _fail,
    _report,
)
from planner.diagnostics import Diagnostic, error, has_errors, one_line, printable, warning

if TYPE_CHECKING:
    from planner.ci.build import Build
    from planner.ci.provenance import GitProbe
    from planner.config import Config
    from planner.plan import Plan

__all__ = ["EXIT_CHANGED", "DiagnosticsFormat", "build", "progress", "report", "run_plan", "verify"]

# `--check` and `verify`: like `terraform plan -detailed-exitcode`, 2 means "would change" / "changed".
EXIT_CHANGED = 2
# Test-only: a FIFO that `build` announces its staging folder on, then waits to be killed (see tests).
PAUSE_ENV = "PLANNER_TEST_PAUSE_BEFORE_SWAP"
SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
_EXTENSIONS = {"markdown": ".md", "json": ".json", "mermaid": ".mmd"}


def report(diagnostics: Iterable[Diagnostic], fmt: str = "text") -> None:
    """Diagnostics on stderr (see planner.cli.common._report, the one helper every command uses)."""
    _report(diagnostics, fmt)


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


def _plan_usage(several: bool, output: Path | None, *, check: bool, force: bool, fmt: str) -> None:
    if check and output is None:
        _usage("--check compares with the file(s) on disk: give --output")
    if several and (output is None or not output.is_dir()):
        _usage("several designs are planned into a folder: give --output DIR (an existing folder)")
    if output is not None and not several:
        from planner.files import OutputError, check_output_path

        try:
            check_output_path(output, force=force)
        except OutputError as exc:
            _fail([error("output", str(exc), str(output), 1)], fmt)


def _targets(results: Sequence[tuple[str, Plan]], output: Path | None, several: bool, fmt: str) -> list[Path | None]:
    """Where each plan goes: stdout (None), the one --output file, or a file per feature in --output DIR."""
    if not several or output is None:
        return [output for _ in results]
    from planner.ci.batch import feature_slug  # only for a folder of plans (a cold start pays for it)

    ext = _EXTENSIONS.get(fmt, f".{fmt}")
    return [output / (feature_slug(plan.design.feature, Path(path).stem) + ext) for path, plan in results]


def _unwritable(
    results: Sequence[tuple[str, Plan]], targets: Sequence[Path | None], cfg: Config, force: bool
) -> list[Diagnostic]:
    """Before any file is written: a target that is an input (or links to one) would destroy it."""
    from planner.files import OutputError, check_output_path

    found: list[Diagnostic] = []
    for (path, _), target in zip(results, targets, strict=True):
        if target is None:
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
    from planner.ci.tree import file_diff
    from planner.design import MAX_DESIGN_BYTES
    from planner.files import read_regular

    several = len(designs) > 1 or any(Path(d).is_dir() for d in designs)
    _plan_usage(several, output, check=check, force=force, fmt=diagnostics)
    paths, problems = _design_paths(designs)
    cfg = _config(config)
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
        shown = with_recorded(result, fmt, Path(path), _config_shown(cfg), cfg.sha256, probe)
        texts.append((target, old, output_text(shown, fmt, old)))
    if output is None:
        sys.stdout.write(printable("".join(text for _, _, text in texts)))
        return
    if check:
        diff = "".join(file_diff(str(target), old, text) for target, old, text in texts)
        sys.stdout.write(printable(diff))
        raise typer.Exit(EXIT_CHANGED if diff else EXIT_OK)
    _write_all([(target, text) for target, _, text in texts], force, diagnostics)


def _write_all(texts: Sequence[tuple[Path | None, str]], force: bool, fmt: str) -> None:
    from planner.files import OutputError, write_atomic

    for target, text in texts:
        assert target is not None
        try:
            write_atomic(target, text, force=force)
        except (OutputError, OSError) as exc:
            _fail([error("output", str(exc), str(target), 1)], fmt)


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


@app.command()
def build(
    designs: Annotated[list[str], typer.Argument(help="Design docs or folders of them.", show_default=False)],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="The output folder, replaced as a whole.", show_default=False)
    ],
    config: ConfigOption = None,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing: exit 0 if --out is up to date, 2 with a diff if not.")
    ] = False,
    fmt: Annotated[DiagnosticsFormat, typer.Option("--format", "-f", help="Diagnostics format.")] = "text",
    strict: StrictOption = False,
    max_bytes: MaxBytesOption = None,
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

    diag_fmt = str(getattr(fmt, "value", fmt))
    paths, problems = _design_paths(designs)
    # The output folder may sit among the designs: its plan.md files are not designs.
    paths = [p for p in paths if not _inside(p, out)]
    if has_errors(problems):
        _fail(problems, diag_fmt)
    cfg = _config(config)
    try:
        # The same rules for reading (--check) as for writing: never through a symlink, never a file.
        check_out(out, writing=not check)
        if check:
            _build_check(paths, cfg, out, strict=strict, max_bytes=max_bytes, fmt=diag_fmt)
        with output_lock(out, on_wait=_waiting):
            _build_write(paths, cfg, out, strict=strict, max_bytes=max_bytes, prune=prune, fmt=diag_fmt)
    except (OutputError, OSError) as exc:
        _fail([error("output", str(exc), str(out), 1)], diag_fmt)


def _waiting(lock: Path) -> None:
    typer.echo(
        f"planner build: another build is writing this output folder (it holds {printable(str(lock))}); "
        "waiting for it to finish",
        err=True,
    )


def _run_build(
    paths: list[str], cfg: Config, out: Path, *, strict: bool, max_bytes: int | None, prune: bool, fmt: str
) -> Build:
    from planner.ci.build import FAILED, GONE, PLANNED, SKIPPED, build_plans
    from planner.design import MAX_DESIGN_BYTES

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
            prune=prune,
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


def _build_check(paths: list[str], cfg: Config, out: Path, *, strict: bool, max_bytes: int | None, fmt: str) -> None:
    from planner.ci.summary import step_summary
    from planner.ci.tree import tree_diff

    result = _run_build(paths, cfg, out, strict=strict, max_bytes=max_bytes, prune=False, fmt=fmt)
    diff = tree_diff(out, result.files)
    _write_summary(step_summary(result, drift=bool(diff)), fmt)
    if not result.ok:
        raise typer.Exit(EXIT_ERRORS)
    sys.stdout.write(printable(diff))
    raise typer.Exit(EXIT_CHANGED if diff else EXIT_OK)


def _build_write(
    paths: list[str], cfg: Config, out: Path, *, strict: bool, max_bytes: int | None, prune: bool, fmt: str
) -> None:
    from planner.ci.summary import step_summary
    from planner.ci.tree import replace_tree

    result = _run_build(paths, cfg, out, strict=strict, max_bytes=max_bytes, prune=prune, fmt=fmt)
    pause = os.environ.get(PAUSE_ENV)
    replace_tree(out, result.files, before_swap=_pause_before_swap(pause) if pause else None, locked=True)
    for folder in result.pruned:
        typer.echo(f"planner build: --prune dropped {printable(str(out / folder))}/", err=True)
    _write_summary(step_summary(result), fmt)
    if not result.ok:
        raise typer.Exit(EXIT_ERRORS)


@app.command()
def verify(
    plan_file: Annotated[Path, typer.Argument(help="A JSON plan (`plan --format json`, or a build's plan.json).")],
) -> None:
    """Exit 0 when the design and config still hash as the plan recorded, 2 when either changed, 1 if missing."""
    from planner.ci.provenance import PlanFileError, verify_plan
    from planner.files import read_regular

    text = read_regular(plan_file)
    if text is None:
        _fail([error("not-found", "no such plan file; give a JSON plan", str(plan_file), 1)], "text")
    try:
        # Paths in a plan are as given when it was made: relative to the folder planner ran in.
        outcome = verify_plan(text, Path.cwd())
    except PlanFileError as exc:
        _fail([error("plan-file", str(exc), str(plan_file), 1)], "text")
    missing = []
    for entry in outcome.entries:
        if entry.state == "missing":
            missing.append(
                error("missing", f"the plan's {entry.role} file is gone; restore it or re-plan", entry.path, 1)
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
