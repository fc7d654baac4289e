"""Two-way Taskwarrior: push, complete in `task`, pull, tick in the plan, sync, check, with the real binary."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from planner.cli import app
from planner.config import load_config
from planner.plan import plan_design
from planner.trackers.taskwarrior import task_uuid

TASK = shutil.which("task")
if TASK is None:  # pragma: no cover - a missing binary must fail loudly, not skip
    raise RuntimeError("Taskwarrior's `task` is not on PATH; install it (apt-get install taskwarrior)")

CONFIG = """\
version = 1

[repos.ledger]
description = "Ledger service"
language = "go"
provides = ["rest", "database"]

[repos.portal]
description = "Customer portal"
language = "typescript"
depends_on = ["ledger"]
consumes = ["rest"]
"""

DESIGN = """\
# Refund Ledger Design

**Date:** 2026-02-01
**Status:** Approved

## Overview

Refunds are written to the ledger and shown in the portal.

## Proposed Solution

### API Changes

```
POST /api/refunds
```

### Database Changes

```sql
CREATE TABLE refunds (id UUID PRIMARY KEY, amount BIGINT NOT NULL);
```

### Affected Repositories

- [x] ledger - refunds table and endpoint
- [x] portal - refund button
"""


MIG, API, UI = "ledger:migration", "ledger:rest:POST:/api/refunds", "portal:rest:POST:/api/refunds"


class Env:
    """A private Taskwarrior plus a folder with the config, the design and its plan."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "data").mkdir(parents=True)
        (root / "home").mkdir()
        (root / "taskrc").write_text("", encoding="utf-8")
        (root / "repos.toml").write_text(CONFIG, encoding="utf-8")
        (root / "design.md").write_text(DESIGN, encoding="utf-8")
        self.env = {"TASKDATA": str(root / "data"), "TASKRC": str(root / "taskrc"), "HOME": str(root / "home")}
        self.plan = root / "plan.md"
        self.base = root / ".plan.md.sync.json"

    def planner(self, *args: str, code: int = 0) -> str:
        config = ["--config", str(self.root / "repos.toml")]
        result = CliRunner().invoke(app, [*args, *config], env=self.env)
        assert result.exit_code == code, result.output
        return result.output

    def task(self, *args: str) -> str:
        env = {"PATH": os.environ.get("PATH", ""), **self.env}
        done = subprocess.run(
            [str(TASK), "rc.verbose=nothing", "rc.confirmation=off", *args],
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def status(self, task_id: str) -> str:
        found: list[dict[str, Any]] = json.loads(self.task("rc.json.array=on", self.uuid(task_id), "export"))
        assert len(found) == 1
        return str(found[0]["status"])

    def uuid(self, task_id: str) -> str:
        config, _ = load_config(self.root / "repos.toml")
        assert config is not None
        return task_uuid(plan_design(self.root / "design.md", config).design.feature, task_id)

    def box(self, task_id: str) -> str:
        for line in self.plan.read_text(encoding="utf-8").splitlines():
            if line.rstrip().endswith(f"<!-- planner:id={task_id} -->"):
                match = re.match(r"\s*- \[(.)\]", line)
                assert match is not None
                return match.group(1)
        raise AssertionError(f"{task_id} not in the plan")

    def tick(self, task_id: str, box: str) -> None:
        text = self.plan.read_text(encoding="utf-8")
        lines = [
            re.sub(r"\[.\]", f"[{box}]", line, count=1) if line.endswith(f"<!-- planner:id={task_id} -->") else line
            for line in text.split("\n")
        ]
        self.plan.write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture
def env(tmp_path: Path) -> Env:
    e = Env(tmp_path)
    e.planner("plan", str(tmp_path / "design.md"), "-o", str(e.plan))
    e.planner("sync", "taskwarrior", str(tmp_path / "design.md"))
    return e


def pull(env: Env, *extra: str, code: int = 0) -> str:
    return env.planner("pull", "taskwarrior", str(env.root / "design.md"), "--plan", str(env.plan), *extra, code=code)


def sync(env: Env, *extra: str, code: int = 0) -> str:
    design = str(env.root / "design.md")
    return env.planner("sync", "taskwarrior", design, "--plan", str(env.plan), *extra, code=code)


def test_completing_in_task_ticks_the_box_on_pull_and_nothing_else(env: Env) -> None:
    before = env.plan.read_text(encoding="utf-8")
    env.task(env.uuid(MIG), "done")
    assert pull(env, "--check", code=2).startswith("would set plan box [x] (open -> done) [ledger:migration]")
    out = pull(env)
    assert "changed 1 plan task(s)" in out
    after = env.plan.read_text(encoding="utf-8")
    assert env.box(MIG) == "x"
    # Exactly one character differs: the box; notes, other boxes and every other byte stay.
    assert len(after) == len(before)
    assert [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [after.index("[x]") + 1]
    assert json.loads(env.base.read_text(encoding="utf-8"))["taskwarrior"][MIG] == "done"
    pull(env, "--check")  # in step now: exit 0


def test_a_pull_into_a_crlf_plan_changes_only_the_box(env: Env) -> None:
    # A plan saved by a Windows editor: the pull ticks its box and keeps every CRLF.
    before = env.plan.read_bytes().replace(b"\n", b"\r\n")
    env.plan.write_bytes(before)
    env.task(env.uuid(MIG), "done")
    assert "changed 1 plan task(s)" in pull(env)
    after = env.plan.read_bytes()
    assert after.count(b"\r\n") == before.count(b"\r\n") and len(after) == len(before)
    assert [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [after.index(b"[x]") + 1]


def test_a_pull_into_a_plan_with_lone_cr_line_ends_ticks_the_box_it_reports(env: Env) -> None:
    # Old Mac line ends: a box reported changed but not written would leave the base saying done, and the
    # next sync would read the open box as a reopening in the plan and push it back to `task`.
    before = env.plan.read_bytes().replace(b"\n", b"\r")
    env.plan.write_bytes(before)
    env.task(env.uuid(MIG), "done")
    assert "changed 1 plan task(s)" in pull(env)
    assert env.plan.read_bytes() == before.replace(b"[ ] **1.1**", b"[x] **1.1**", 1)
    sync(env)
    assert env.status(MIG) == "completed"


def test_deleting_in_task_gives_the_not_planned_box_and_reopening_clears_it(env: Env) -> None:
    env.task(env.uuid(UI), "delete")
    pull(env)
    assert env.box(UI) == "-"
    env.task(env.uuid(UI), "modify", "status:pending")
    pull(env)
    assert env.box(UI) == " "


def test_ticking_in_the_plan_completes_the_task_on_sync(env: Env) -> None:
    env.tick(API, "x")
    env.tick(UI, "-")
    assert "would set tracker done" in sync(env, "--dry-run")
    assert env.status(API) == "pending"
    sync(env)
    assert env.status(API) == "completed"
    assert env.status(UI) == "deleted"
    # Pull now finds both sides in step and writes nothing to the plan.
    before = env.plan.read_text(encoding="utf-8")
    assert "changed 0 plan task(s)" in pull(env)
    assert env.plan.read_text(encoding="utf-8") == before
    pull(env, "--check")


def test_a_pull_leaves_a_plan_side_change_for_sync(env: Env) -> None:
    env.tick(API, "x")
    out = pull(env)
    assert "1 left for `planner sync --plan`" in out
    assert env.box(API) == "x"
    assert env.status(API) == "pending"
    sync(env)
    assert env.status(API) == "completed"


def test_a_conflict_changes_neither_side_until_prefer_decides(env: Env) -> None:
    env.task(env.uuid(API), "done")
    env.tick(API, "-")
    out = pull(env, code=1)
    assert "conflict: plan says not-planned, tracker says done" in out
    assert "tracker-conflict" in out and "--prefer" in out
    assert env.box(API) == "-" and env.status(API) == "completed"
    pull(env, "--check", code=2)
    # The plan wins on pull: the base moves to the tracker's state, so sync then sends the plan's.
    pull(env, "--prefer", "plan")
    assert env.box(API) == "-"
    sync(env)
    assert env.status(API) == "deleted"
    pull(env, "--check")


def test_prefer_tracker_resolves_a_conflict_into_the_plan(env: Env) -> None:
    env.task(env.uuid(API), "done")
    env.tick(API, "-")
    pull(env, "--prefer", "tracker")
    assert env.box(API) == "x"


def test_the_base_survives_regenerating_the_plan(env: Env) -> None:
    env.task(env.uuid(MIG), "done")
    pull(env)
    env.planner("plan", str(env.root / "design.md"), "-o", str(env.plan))
    assert env.box(MIG) == "x"
    assert env.base.is_file()
    pull(env, "--check")


def test_a_broken_base_is_an_error_naming_the_file_and_nothing_is_written(env: Env) -> None:
    env.base.write_text("{not json", encoding="utf-8")
    env.task(env.uuid(MIG), "done")
    before = env.plan.read_text(encoding="utf-8")
    out = pull(env, code=1)
    assert ".plan.md.sync.json" in out and "delete the file" in out
    assert env.plan.read_text(encoding="utf-8") == before


def test_a_missing_plan_is_an_error_with_the_fix(env: Env) -> None:
    out = env.planner("pull", "taskwarrior", str(env.root / "design.md"), "--plan", str(env.root / "nope.md"), code=1)
    assert "planner plan DESIGN -o" in out


def test_pull_runs_as_a_process(env: Env) -> None:
    env.task(env.uuid(MIG), "done")
    args = ["pull", "taskwarrior", str(env.root / "design.md"), "--plan", str(env.plan), "--check"]
    args += ["--config", str(env.root / "repos.toml")]
    done = subprocess.run(
        [sys.executable, "-m", "planner", *args],
        env={**os.environ, **env.env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "[ledger:migration]" in done.stdout


def test_a_symlinked_plan_is_refused_with_a_diagnostic_not_a_traceback(env: Env) -> None:
    real = env.root / "real.md"
    env.plan.rename(real)
    env.plan.symlink_to(real)
    env.task(env.uuid(MIG), "done")
    before = real.read_text(encoding="utf-8")
    args = ["pull", "taskwarrior", str(env.root / "design.md"), "--plan", str(env.plan)]
    result = CliRunner().invoke(app, [*args, "--config", str(env.root / "repos.toml")], env=env.env)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), repr(result.exception)
    assert "is a symlink" in result.stderr and "[plan-file]" in result.stderr
    assert real.read_text(encoding="utf-8") == before and env.plan.is_symlink()
