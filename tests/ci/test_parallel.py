"""`--jobs`: designs planned on several processes give the very output of one process, in every mode."""

from __future__ import annotations

import gc
import json
import os
import shutil
import signal
import subprocess
import sys
import weakref
from collections.abc import Generator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from project import EXAMPLE_CONFIG
from typer.testing import CliRunner

from planner.bulk import bulk_mode
from planner.ci.build import build_plans
from planner.ci.parallel import MIN_PER_PROCESS, default_jobs, ordered_map
from planner.cli import app
from planner.config import load_config
from planner.plan import Plan

# Enough designs that two processes really share them out (each gets more than MIN_PER_PROCESS).
REPOS = ("flovyn-server", "sdk-rust", "sdk-python", "flovyn-app", "sdk-kotlin")
TOPICS = (
    "Run Labels",
    "Quiet Hours",
    "Retry Budgets",
    "Payload Limits",
    "Audit Trail",
    "Tenant Quotas",
    "Slow Start",
    "Signal Replay",
    "Timer Wheels",
    "Lease Renewal",
    "Child Cancel",
    "Poll Backoff",
)


def design(topic: str, checked: tuple[str, ...], status: str = "Approved", extra: str = "") -> str:
    """A short design of our own: the sections planner reads, the given repos checked."""
    boxes = "\n".join(f"- [{'x' if r in checked else ' '}] {r} - {topic.lower()} work" for r in REPOS)
    files = "\n".join(
        f"- `{r}/src/{topic.lower().replace(' ', '_')}.rs` - where {topic.lower()} lives" for r in checked
    )
    return (
        f"# {topic} Design\n\n**Date:** 2026-03-01\n**Status:** {status}\n\n## Overview\n\n"
        f"{topic} for every workflow run.\n\n## Proposed Solution\n\n### Affected Repositories\n\n{boxes}\n{extra}\n"
        f"### Key Files\n\n{files}\n\n## Open Questions\n\n- [x] Who owns it? The platform team.\n"
    )


def write_designs(folder: Path) -> None:
    """Approved designs, a draft, one with an error, one with a warning, two that collide on a feature name."""
    folder.mkdir(parents=True)
    for i, topic in enumerate(TOPICS):
        checked = REPOS[: 1 + i % len(REPOS)]
        (folder / f"{i:02d}-{topic.lower().replace(' ', '-')}.md").write_text(design(topic, checked), encoding="utf-8")
    (folder / "20-draft.md").write_text(design("Night Mode", REPOS[:2], status="Draft"), encoding="utf-8")
    (folder / "21-unknown.md").write_text(
        design("Ghost Repo", ("flovyn-server",), extra="- [x] no-such-repo\n"), encoding="utf-8"
    )
    (folder / "22-warning.md").write_text(
        design("Loose Files", ("sdk-rust",)) + "\n- `nowhere/x.rs` - stray\n", encoding="utf-8"
    )
    (folder / "23-twin.md").write_text(design("Run Labels", ("sdk-python",)), encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_designs(tmp_path / "designs")
    (tmp_path / "config").mkdir()
    shutil.copyfile(EXAMPLE_CONFIG, tmp_path / "config" / "repos.toml")
    return tmp_path


def run(cwd: Path, *args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PLANNER_CONFIG", "GITHUB_STEP_SUMMARY"}}
    env["GIT_CEILING_DIRECTORIES"] = str(cwd.parent)
    done = subprocess.run(
        [sys.executable, "-m", "planner", *args, "-c", "config/repos.toml"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def square(n: int) -> int:
    return n * n


# -- the map -------------------------------------------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(-1000, 1000), max_size=40), st.integers(1, 3))
def test_results_and_progress_come_in_input_order_whatever_the_jobs(items: list[int], jobs: int) -> None:
    calls: list[tuple[int, int, int]] = []
    results = list(ordered_map(square, items, jobs, lambda done, total, item: calls.append((done, total, item))))
    assert results == [n * n for n in items]
    assert calls == [(i, len(items), item) for i, item in enumerate(items, 1)]


def test_jobs_above_one_really_use_other_processes() -> None:
    items = list(range(4 * MIN_PER_PROCESS))
    assert set(ordered_map(lambda _: os.getpid(), items, 2)) - {os.getpid()}
    assert set(ordered_map(lambda _: os.getpid(), items, 1)) == {os.getpid()}


def test_a_batch_too_small_to_share_stays_in_this_process() -> None:
    items = list(range(2 * MIN_PER_PROCESS - 1))
    assert set(ordered_map(lambda _: os.getpid(), items, 2)) == {os.getpid()}


def fail_on_seven(n: int) -> int:
    if n == 7:
        raise ValueError("seven")
    return n


def test_an_error_in_a_worker_reaches_the_caller_as_in_one_process() -> None:
    for jobs in (1, 2):
        with pytest.raises(ValueError, match="seven"):
            list(ordered_map(fail_on_seven, list(range(40)), jobs))


def test_a_caller_that_stops_reading_stops_the_pool() -> None:
    results: Generator[int, None, None] = ordered_map(square, list(range(400)), 2)
    assert [next(results) for _ in range(3)] == [0, 1, 4]
    results.close()  # shuts the pool down, dropping the chunks not started; must not hang


class Node:
    """An object in a reference cycle, as a plan's models and graphs make."""

    def __init__(self) -> None:
        self.me = self


def cyclic(alive: list[weakref.ref[Node]], n: int) -> int:
    node = Node()
    alive.append(weakref.ref(node))
    return n


def test_with_the_collector_paused_each_items_cycles_are_freed_as_the_batch_goes() -> None:
    alive: list[weakref.ref[Node]] = []
    with bulk_mode():  # as the CLI runs
        for n in ordered_map(partial(cyclic, alive), list(range(50)), 1):
            # Every earlier item's cycle is gone by the time the next result comes: memory stays flat.
            assert sum(ref() is not None for ref in alive[:n]) == 0
        assert not gc.isenabled()
    assert len(alive) == 50


def test_default_jobs_is_the_cores_this_process_may_use() -> None:
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert default_jobs() == expected


# -- the library ---------------------------------------------------------------------------------------------


def _record(calls: list[tuple[int, int, str]], done: int, total: int, path: str) -> None:
    calls.append((done, total, path))


def test_build_plans_reports_the_same_progress_and_build_for_any_jobs(project: Path) -> None:
    config, problems = load_config(project / "config" / "repos.toml")
    assert config is not None, problems
    paths = sorted(str(p) for p in (project / "designs").glob("*.md"))
    seen: dict[int, list[tuple[int, int, str]]] = {}
    builds = {}
    for jobs in (1, 2):
        calls: list[tuple[int, int, str]] = []
        seen[jobs] = calls
        builds[jobs] = build_plans(
            paths,
            config,
            config_path="config/repos.toml",
            jobs=jobs,
            on_design=partial(_record, calls),
        )
    assert seen[1] == seen[2] == [(i, len(paths), p) for i, p in enumerate(paths, 1)]
    assert builds[1] == builds[2]
    assert builds[1].count("planned") > MIN_PER_PROCESS and builds[1].count("failed: errors") >= 2


# -- the CLI, as a process -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("check", "designs"),
        ("check", "designs", "--strict"),
        ("check", "designs", "--format", "json"),
        ("check", "designs", "--format", "github"),
        ("check", "designs", "--allow-unapproved", "--max-bytes", "900"),
        ("check", "designs", "--require-approved", "--format", "json"),
        ("check", "designs", "--strict", "--require-approved", "--format", "github"),
        ("check", "designs", "--quiet"),
    ],
)
def test_check_prints_the_same_report_and_exit_code_for_any_jobs(project: Path, args: tuple[str, ...]) -> None:
    one = run(project, *args, "--jobs", "1")
    two = run(project, *args, "-j", "2")
    assert one == two
    assert one[0] == 1 and "no-such-repo" in one[1] + one[2]


def test_check_of_clean_designs_exits_0_for_any_jobs(project: Path) -> None:
    for name in ("20-draft.md", "21-unknown.md"):
        (project / "designs" / name).unlink()
    assert run(project, "check", "designs", "-j", "1") == run(project, "check", "designs", "-j", "2")
    assert run(project, "check", "designs", "-j", "2")[0] == 0


def test_build_writes_the_same_tree_and_reports_the_same_for_any_jobs(project: Path) -> None:
    twin = project.parent / f"{project.name}-twin"
    shutil.copytree(project, twin)
    outcomes = {}
    for jobs, folder in (("1", project), ("2", twin)):
        first = run(folder, "build", "designs", "--out", "out", "--jobs", "1")
        assert first[0] == 1  # the unknown repo and the feature collision fail; the rest is planned
        plan = folder / "out" / "retry-budgets" / "plan.md"
        plan.write_text(plan.read_text(encoding="utf-8").replace("- [ ]", "- [x]", 1), encoding="utf-8")
        (folder / "designs" / "03-payload-limits.md").unlink()
        again = run(folder, "build", "designs", "--out", "out", "--jobs", jobs)
        failed_tree = snapshot(folder / "out")
        for name in ("21-unknown.md", "23-twin.md"):
            (folder / "designs" / name).unlink()
        drift = run(folder, "build", "designs", "--out", "out", "--check", "--format", "github", "--jobs", jobs)
        clean = run(folder, "build", "designs", "--out", "out", "--jobs", jobs)
        same = run(folder, "build", "designs", "--out", "out", "--check", "--jobs", jobs)
        outcomes[jobs] = (again, failed_tree, drift, clean, same, snapshot(folder / "out"))
    assert outcomes["1"] == outcomes["2"]
    again, failed_tree, drift, clean, same, tree = outcomes["1"]
    assert again[0] == 1 and "- [x]" in failed_tree["retry-budgets/plan.md"].decode()
    assert "payload-limits/plan.md" in failed_tree  # a deleted design keeps its folder until --prune
    assert drift[0] == 2 and "index.json" in drift[1]
    assert (clean[0], same[0], same[1]) == (0, 0, "")
    assert "- [x]" in tree["retry-budgets/plan.md"].decode()


@pytest.mark.parametrize(
    "args", [("--strict",), ("--prune",), ("--format", "github"), ("--max-bytes", "900"), ("--check", "--prune")]
)
def test_build_options_give_the_same_tree_and_report_for_any_jobs(project: Path, args: tuple[str, ...]) -> None:
    assert run(project, "build", "designs", "--out", "out", "--jobs", "1")[0] == 1
    for name in ("03-payload-limits.md", "05-tenant-quotas.md"):
        (project / "designs" / name).unlink()  # gone: their folders are kept, or dropped by --prune
    twin = project.parent / f"{project.name}-twin"
    shutil.copytree(project, twin)
    one = run(project, "build", "designs", "--out", "out", *args, "--jobs", "1")
    two = run(twin, "build", "designs", "--out", "out", *args, "--jobs", "2")
    assert one == two and one[0] in (1, 2)
    assert snapshot(project / "out") == snapshot(twin / "out")


def test_in_git_every_process_records_the_same_commit_and_dirtiness(project: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    for args in (["init", "-q"], ["add", "designs", "config"], ["commit", "-q", "-m", "designs"]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", *args], cwd=project, env=env, check=True)
    edited = project / "designs" / "02-retry-budgets.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    twin = project.parent / f"{project.name}-twin"
    shutil.copytree(project, twin)
    assert run(project, "build", "designs", "--out", "out", "--jobs", "1") == run(
        twin, "build", "designs", "--out", "out", "--jobs", "2"
    )
    tree = snapshot(project / "out")
    assert tree == snapshot(twin / "out")
    dirty = {
        name.split("/")[0]: json.loads(text)["provenance"]["git_dirty"]
        for name, text in tree.items()
        if name.endswith("/plan.json")
    }
    assert dirty["retry-budgets"] is True and dirty["quiet-hours"] is False
    assert sorted(name for name, flag in dirty.items() if flag) == ["retry-budgets"]


def test_what_a_build_worker_returns_is_texts_and_counts_never_a_plan(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import planner.ci.build as build

    returned: list[object] = []

    def recording(*args: Any, **kwargs: Any) -> Generator[Any, None, None]:
        for result in ordered_map(*args, **kwargs):
            returned.append(result)
            yield result

    monkeypatch.setattr(build, "ordered_map", recording)
    config, problems = load_config(project / "config" / "repos.toml")
    assert config is not None, problems
    paths = sorted(str(p) for p in (project / "designs").glob("*.md"))
    result = build_plans(paths, config, config_path="config/repos.toml", jobs=2)
    assert len(returned) == len(paths)
    for one in returned:
        assert not any(isinstance(value, Plan) for value in vars(one).values())
    planned = {f"{r.directory}/{name}" for r in result.designs if r.directory for name in ("plan.md", "plan.json")}
    assert planned <= set(result.files)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_parallel_build_leaves_the_previous_tree_intact(project: Path, signum: int) -> None:
    assert run(project, "build", "designs", "--out", "out")[0] == 1
    old = snapshot(project / "out")
    # A design that is a pipe: the worker that reads it waits until we write, so the build is surely mid-way.
    fifo = project / "designs" / "zz-pipe.md"
    os.mkfifo(fifo)
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(project.parent)}
    args = [sys.executable, "-m", "planner", "build", "designs", str(fifo), "--out", "out", "-c", "config/repos.toml"]
    child = subprocess.Popen(
        [*args, "--jobs", "2"],
        cwd=project,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # As from a terminal: a test runner's worker may ignore SIGINT, and an ignored signal stays ignored in
        # the processes it starts (Python then never raises KeyboardInterrupt).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        with open(fifo, "w", encoding="utf-8"):  # opens once a worker has opened the pipe to read the design
            os.killpg(child.pid, signum)  # Ctrl-C signals the whole process group; `kill` the one process
            _, stderr = child.communicate(timeout=120)  # a guard against a hang, not a measurement
    finally:
        child.kill()
    assert snapshot(project / "out") == old
    # No staging folder is left; the lock file may stay (flock is released when its holder dies).
    assert [p.name for p in project.iterdir() if p.name.startswith(".out.") and p.name != ".out.planner-lock"] == []
    if signum == signal.SIGINT:
        # typer turns the KeyboardInterrupt into exit 130, as for an interrupted one-process run.
        assert child.returncode == 130 and "Traceback" not in stderr
    else:
        assert child.returncode == -signal.SIGTERM


@pytest.mark.parametrize("command", [["check"], ["build", "--out", "out"]])
def test_jobs_must_be_at_least_one(project: Path, command: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    result = CliRunner().invoke(app, [*command, "designs", "--jobs", "0", "-c", "config/repos.toml"])
    assert result.exit_code == 2 and "--jobs" in result.stderr
    assert not (project / "out").exists()


def test_jobs_in_process_matches_one_process(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    runs = [CliRunner().invoke(app, ["check", "designs", "-c", "config/repos.toml", "-j", j]) for j in ("1", "3")]
    assert [(r.exit_code, r.stdout, r.stderr) for r in runs[:1]] == [
        (r.exit_code, r.stdout, r.stderr) for r in runs[1:]
    ]
    assert runs[0].exit_code == 1 and "no-such-repo" in runs[0].stderr
