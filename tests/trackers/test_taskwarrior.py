"""Taskwarrior export and sync, proved against the real `task` binary in a throwaway TASKDATA and TASKRC."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from project import ROOT
from typer.testing import CliRunner

from planner.cli import app
from planner.config import load_config
from planner.plan import Plan, plan_design
from planner.trackers.taskwarrior import find_taskrc, sync_plan, validate_jsonl

TASK = shutil.which("task")
if TASK is None:  # pragma: no cover - .ci/run installs it; a missing binary must fail loudly, not skip
    raise RuntimeError("Taskwarrior's `task` is not on PATH; install it (apt-get install taskwarrior)")

CONFIG = """\
version = 1

[repos.server]
description = "API server"
language = "rust"
provides = ["rest", "database"]
verify = ["cargo test"]

[repos.web]
description = "Web console"
language = "typescript"
depends_on = ["server"]
consumes = ["rest"]

[repos.cli]
description = "Command line client"
language = "go"
depends_on = ["server"]
consumes = ["rest"]
"""

DESIGN = """\
# Widgets Design

**Date:** 2026-01-15
**Status:** Approved

## Overview

Widgets for everyone.

## Proposed Solution

### API Changes

```
GET /api/widgets
POST /api/widgets
```

### Database Changes

```sql
CREATE TABLE widgets (id UUID PRIMARY KEY);
```

### Affected Repositories

- [x] server - widgets API and storage
- [x] web - widgets page
- [ ] cli - later

### Key Files

- `server/src/widgets.rs` - REST handlers for "widgets" [v1]
- `server/src/db.rs` - storage layer
- `web/app/widgets/page.tsx` - widgets page ünïcode
"""


class Taskwarrior:
    """A private Taskwarrior: its own data folder, an empty taskrc, and a HOME nothing may write to."""

    def __init__(self, root: Path) -> None:
        self.data = root / "taskdata"
        self.rc = root / "taskrc"
        self.home = root / "home"
        self.data.mkdir(parents=True)
        self.home.mkdir(parents=True)
        self.rc.write_text("", encoding="utf-8")
        self.env = {"TASKDATA": str(self.data), "TASKRC": str(self.rc), "HOME": str(self.home)}

    def task(self, *args: str) -> str:
        env = {"PATH": os.environ.get("PATH", ""), **self.env}
        done = subprocess.run(
            [str(TASK), "rc.verbose=nothing", "rc.confirmation=off", "rc.uda.planid.type=string", *args],
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def export(self, *filters: str) -> list[dict[str, Any]]:
        tasks: list[dict[str, Any]] = json.loads(self.task("rc.json.array=on", *filters, "export"))
        return tasks

    def by_planid(self, *filters: str) -> dict[str, dict[str, Any]]:
        tasks = [t for t in self.export(*filters) if "planid" in t]
        found = {t["planid"]: t for t in tasks}
        assert len(found) == len(tasks), "two tasks share a planid"
        return found

    def files(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(self.data.iterdir()) if p.is_file()}


@pytest.fixture
def tw(tmp_path: Path) -> Taskwarrior:
    return Taskwarrior(tmp_path / "tw")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "repos.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "design.md").write_text(DESIGN, encoding="utf-8")
    return tmp_path


def planned(workdir: Path, name: str = "design.md") -> Plan:
    config, _ = load_config(workdir / "repos.toml")
    assert config is not None
    result = plan_design(workdir / name, config)
    assert result.ok, result.diagnostics
    return result


def sync(tw: Taskwarrior, workdir: Path, *extra: str, name: str = "design.md") -> str:
    result = CliRunner().invoke(
        app,
        ["sync", "taskwarrior", str(workdir / name), "--config", str(workdir / "repos.toml"), *extra],
        env=tw.env,
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def edit(workdir: Path, old: str, new: str) -> None:
    path = workdir / "design.md"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_export_writes_jsonl_that_task_import_accepts(tw: Taskwarrior, workdir: Path) -> None:
    args = ["export", "taskwarrior", str(workdir / "design.md"), "--config", str(workdir / "repos.toml")]
    first = CliRunner().invoke(app, [*args, "--output", str(workdir / "plan.jsonl")])
    assert first.exit_code == 0, first.output
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    text = (workdir / "plan.jsonl").read_text(encoding="utf-8")
    assert again.stdout == text  # stdout and --output agree, and a second run gives the same bytes
    lines = text.splitlines()
    tasks = [json.loads(line) for line in lines]
    plan = planned(workdir)
    assert [t["planid"] for t in tasks] == [t.id for r in plan.repos for t in r.tasks]
    assert all(uuid.UUID(t["uuid"]).version == 5 for t in tasks)
    assert validate_jsonl(text, "plan.jsonl") == ()

    tw.task("rc.hooks=off", "import", str(workdir / "plan.jsonl"))
    stored = tw.by_planid()
    assert set(stored) == {t["planid"] for t in tasks}
    for item in tasks:
        got = stored[item["planid"]]
        assert got["uuid"] == item["uuid"]
        assert got["entry"] == "20260115T000000Z"  # the design's date, not the clock
        assert got["status"] == "pending"
        assert " " not in got["project"] and got["project"].startswith("Widgets.")
    assert stored["server:file:src/widgets.rs"]["description"] == 'REST handlers for "widgets" [v1]'
    assert stored["web:file:app/widgets/page.tsx"]["description"] == "widgets page ünïcode"
    assert [a["description"] for a in stored["server:file:src/db.rs"]["annotations"]] == ["file: src/db.rs"]
    assert set(stored["server:migration"]["tags"]) == {"server", "migration"}
    # Tags work as Taskwarrior filters.
    assert {t["planid"] for t in tw.export("+migration")} == {"server:migration"}


def test_sync_imports_every_task_with_its_dependencies(tw: Taskwarrior, workdir: Path) -> None:
    out = sync(tw, workdir)
    plan = planned(workdir)
    tasks = [t for r in plan.repos for t in r.tasks]
    stored = tw.by_planid()
    assert set(stored) == {t.id for t in tasks}
    uuid_of = {planid: t["uuid"] for planid, t in stored.items()}
    for task in tasks:
        assert sorted(stored[task.id].get("depends", [])) == sorted(uuid_of[d] for d in task.depends_on)
    # Everything depending on unfinished work is blocked; the migration, depending on nothing, is not.
    blocked = {t["planid"] for t in tw.export("+BLOCKED")}
    assert blocked == {t.id for t in tasks if t.depends_on}
    assert "server:migration" not in blocked
    assert f"taskwarrior: {len(tasks)} added" in out

    tw.task(uuid_of["server:migration"], "done")
    still_blocked = {t["planid"] for t in tw.export("+BLOCKED")}
    assert "server:file:src/db.rs" not in still_blocked  # its only dependency is done
    assert "web:rest:GET:/api/widgets" in still_blocked  # waits for the server's endpoint


def test_resync_of_an_unchanged_design_changes_nothing(tw: Taskwarrior, workdir: Path) -> None:
    sync(tw, workdir)
    before = tw.export()
    files = tw.files()
    out = sync(tw, workdir)
    assert tw.export() == before  # `modified` included: no task was touched
    assert tw.files() == files
    assert "0 added, 0 modified" in out


def test_changed_design_updates_the_same_tasks_and_adds_the_new(tw: Taskwarrior, workdir: Path) -> None:
    sync(tw, workdir)
    before = tw.by_planid()

    edit(workdir, "storage layer", "storage layer on Postgres")  # rename a task
    edit(workdir, "- [ ] cli - later", "- [x] cli - widgets command")  # add a repo
    edit(workdir, "- `web/app/widgets/page.tsx` - widgets page ünïcode\n", "")  # drop a key file
    out = sync(tw, workdir)

    after = tw.by_planid()
    plan_ids = {t.id for r in planned(workdir).repos for t in r.tasks}
    dropped = "web:file:app/widgets/page.tsx"
    assert set(after) == plan_ids | {dropped}  # every planned task once, nothing duplicated
    assert len({t["uuid"] for t in tw.export()}) == len(tw.export())
    for planid, old in before.items():
        assert after[planid]["uuid"] == old["uuid"]
    assert after["server:file:src/db.rs"]["description"] == "storage layer on Postgres"
    assert after["server:migration"]["modified"] == before["server:migration"]["modified"]  # untouched
    added = set(after) - set(before)
    assert added == {"cli:rest:GET:/api/widgets", "cli:rest:POST:/api/widgets"}
    assert all(after[p]["project"].endswith(".cli") for p in added)
    # The dropped task is reported and left alone by default ...
    assert after[dropped]["status"] == "pending"
    assert f"removed from the plan, left alone: {before[dropped]['uuid']}" in out
    # ... and deleted only when asked.
    out = sync(tw, workdir, "--delete-removed")
    final = tw.by_planid()
    assert final[dropped]["status"] == "deleted"
    assert all(final[p]["status"] == "pending" for p in plan_ids)
    assert f"deleted: {before[dropped]['uuid']}" in out


def test_done_and_deleted_tasks_stay_done_through_a_resync(tw: Taskwarrior, workdir: Path) -> None:
    sync(tw, workdir)
    stored = tw.by_planid()
    tw.task(stored["server:migration"]["uuid"], "done")
    tw.task("rc.bulk=0", stored["server:file:src/widgets.rs"]["uuid"], "delete")
    done = tw.by_planid()

    edit(workdir, "CREATE TABLE widgets", "CREATE TABLE gadgets (id UUID);\nCREATE TABLE widgets")
    edit(workdir, "REST handlers for", "HTTP handlers for")
    sync(tw, workdir)

    after = tw.by_planid()
    migration = after["server:migration"]
    assert migration["status"] == "completed"
    assert migration["end"] == done["server:migration"]["end"]
    assert "gadgets" in migration["description"]  # updated, yet still done
    handlers = after["server:file:src/widgets.rs"]
    assert handlers["status"] == "deleted" and handlers["description"].startswith("HTTP handlers")

    unchanged, files = tw.export(), tw.files()
    sync(tw, workdir)
    assert tw.export() == unchanged
    assert tw.files() == files


def test_dry_run_reports_and_changes_nothing(tw: Taskwarrior, workdir: Path) -> None:
    sync(tw, workdir)
    edit(workdir, "storage layer", "storage layer v2")
    edit(workdir, "- [ ] cli - later", "- [x] cli - widgets command")
    files = tw.files()
    before = tw.export()

    preview = sync(tw, workdir, "--dry-run")
    assert tw.files() == files
    assert tw.export() == before
    assert "taskwarrior (dry run): 2 would add, 1 would modify" in preview

    real = sync(tw, workdir)
    stored = tw.by_planid()
    # What the dry run promised is what the real run did, task by task.
    assert (
        preview.replace("would add", "added").replace("would modify", "modified").splitlines()[:-1]
        == (real.splitlines()[:-1])
    )
    modified = [line for line in real.splitlines() if line.startswith("modified: ")]
    assert modified == [f"modified: {stored['server:file:src/db.rs']['uuid']} server:file:src/db.rs: storage layer v2"]


def test_user_edits_survive_a_resync(tw: Taskwarrior, workdir: Path) -> None:
    sync(tw, workdir)
    target = tw.by_planid()["server:file:src/db.rs"]["uuid"]
    tw.task(target, "modify", "priority:H", "+urgent")
    tw.task(target, "annotate", "talk to the DBA first")

    edit(workdir, "storage layer", "storage layer, sharded")
    sync(tw, workdir)
    got = tw.by_planid()["server:file:src/db.rs"]
    assert got["description"] == "storage layer, sharded"
    assert got["priority"] == "H"
    assert {"urgent", "server", "file"} <= set(got["tags"])
    assert sorted(a["description"] for a in got["annotations"]) == ["file: src/db.rs", "talk to the DBA first"]


def test_two_features_planning_the_same_task_ids_do_not_collide(tw: Taskwarrior, workdir: Path) -> None:
    other = DESIGN.replace("# Widgets Design", "# Gadgets Design")
    (workdir / "other.md").write_text(other, encoding="utf-8")
    sync(tw, workdir)
    sync(tw, workdir, name="other.md")
    tasks = tw.export()
    count = sum(len(r.tasks) for r in planned(workdir).repos)
    assert len(tasks) == 2 * count
    assert {t["project"].split(".")[0] for t in tasks} == {"Widgets", "Gadgets"}
    # Syncing one feature again neither touches nor reports the other's tasks as removed.
    files = tw.files()
    out = sync(tw, workdir)
    assert tw.export() == tasks
    assert tw.files() == files
    assert "0 removed" in out


def test_design_without_a_date_gets_the_documented_entry(tw: Taskwarrior, workdir: Path) -> None:
    edit(workdir, "**Date:** 2026-01-15\n", "")
    sync(tw, workdir)
    assert {t["entry"] for t in tw.export()} == {"20000101T000000Z"}


def test_sync_as_a_process_leaves_home_alone_without_a_taskrc(tw: Taskwarrior, workdir: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tw.home)}
    args = ["sync", "taskwarrior", str(workdir / "design.md"), "--config", str(workdir / "repos.toml")]
    done = subprocess.run(
        [sys.executable, "-m", "planner", *args, "--taskdata", str(tw.data)],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert list(tw.home.iterdir()) == []  # no sample ~/.taskrc written
    assert len(tw.export()) == sum(len(r.tasks) for r in planned(workdir).repos)


def test_missing_task_binary_is_a_clear_error(tw: Taskwarrior, workdir: Path) -> None:
    args = ["sync", "taskwarrior", str(workdir / "design.md"), "--config", str(workdir / "repos.toml")]
    done = subprocess.run(
        [sys.executable, "-m", "planner", *args, "--task-binary", str(workdir / "no-such-task")],
        env={**os.environ, **tw.env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 1
    assert "not found; install Taskwarrior" in done.stderr
    assert "Traceback" not in done.stderr
    assert tw.files() == {}


def test_failing_task_becomes_a_diagnostic(tw: Taskwarrior, workdir: Path) -> None:
    fake = workdir / "task"
    fake.write_text("#!/bin/sh\necho 'Could not read the data file.' >&2\nexit 2\n", encoding="utf-8")
    fake.chmod(0o755)
    design = str(workdir / "design.md")
    result = CliRunner().invoke(
        app,
        ["sync", "taskwarrior", design, "--config", str(workdir / "repos.toml"), "--task-binary", str(fake)],
        env=tw.env,
    )
    assert result.exit_code == 1
    assert f"{design}:1: error: 'task export' failed with exit 2: Could not read the data file." in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_missing_taskdata_folder_is_refused(tw: Taskwarrior, workdir: Path) -> None:
    missing = workdir / "nowhere"
    result = CliRunner().invoke(
        app,
        [
            "sync",
            "taskwarrior",
            str(workdir / "design.md"),
            "--config",
            str(workdir / "repos.toml"),
            "--taskdata",
            str(missing),
        ],
        env=tw.env,
    )
    assert result.exit_code == 1
    assert "does not exist" in result.stderr
    assert not missing.exists()


def test_validate_jsonl_names_each_bad_line() -> None:
    good = {"uuid": str(uuid.uuid4()), "description": "a", "status": "pending", "entry": "20260101T000000Z"}
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({**good, "uuid": good["uuid"]}),
        json.dumps({**good, "uuid": str(uuid.uuid4()), "entry": "2026-01-01"}),
        json.dumps({**good, "uuid": str(uuid.uuid4()), "depends": [str(uuid.uuid4())]}),
        json.dumps({**good, "uuid": str(uuid.uuid4()), "status": "open", "tags": ["two words"]}),
        json.dumps(
            {**good, "uuid": str(uuid.uuid4()), "annotations": [{"entry": good["entry"], "description": "x"}] * 2}
        ),
    ]
    found = validate_jsonl("\n".join(lines) + "\n", "plan.jsonl")
    assert {d.line for d in found} == {2, 3, 4, 5, 6, 7}
    assert all(d.path == "plan.jsonl" and d.severity.value == "error" for d in found)
    by_line = {d.line: d.message for d in found}
    assert "repeated (first at line 1)" in by_line[3]
    assert "not a Taskwarrior date" in by_line[4]
    assert "no line of the file defines" in by_line[5]
    assert "share an entry time" in by_line[7]


def test_find_taskrc_follows_taskwarrior_order(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".config" / "task").mkdir(parents=True)
    assert find_taskrc({"HOME": str(home)}) is None
    xdg = home / ".config" / "task" / "taskrc"
    xdg.write_text("", encoding="utf-8")
    assert find_taskrc({"HOME": str(home)}) == xdg
    dot = home / ".taskrc"
    dot.write_text("", encoding="utf-8")
    assert find_taskrc({"HOME": str(home)}) == dot
    explicit = tmp_path / "rc"
    assert find_taskrc({"HOME": str(home), "TASKRC": str(explicit)}) is None  # named but missing
    explicit.write_text("", encoding="utf-8")
    assert find_taskrc({"HOME": str(home), "TASKRC": str(explicit)}) == explicit


def test_feature_and_repo_names_become_filterable_project_and_tags(tw: Taskwarrior, workdir: Path) -> None:
    edit(workdir, "# Widgets Design", "# Größe & Über: v2.0 Design")
    sync(tw, workdir)
    tasks = tw.export()
    count = sum(len(r.tasks) for r in planned(workdir).repos)
    projects = {t["project"] for t in tasks}
    assert all(" " not in p and p.count(".") == 1 for p in projects)
    feature = projects.pop().split(".")[0]
    assert "Größe" in feature and "Über" in feature
    # Taskwarrior's own filters find them: the feature as a project prefix, the repo as a tag.
    assert len(tw.export(f"project:{feature}")) == count
    assert {t["planid"] for t in tw.export("+server")} == {
        t.id for r in planned(workdir).repos if r.name == "server" for t in r.tasks
    }


def test_an_import_that_stores_nothing_is_an_error(workdir: Path) -> None:
    class Forgetful:
        """A `task` that accepts every import and keeps nothing."""

        def __init__(self) -> None:
            self.calls: list[str] = []

        def run(self, args: Sequence[str], stdin: str | None = None) -> str:
            self.calls.append(args[-1])
            return "[]" if args[-1] == "export" else ""

    runner = Forgetful()
    plan = planned(workdir)
    result = sync_plan(plan, runner)
    assert runner.calls == ["export", "import", "export"]
    assert len(result.diagnostics) == sum(len(r.tasks) for r in plan.repos)
    assert all("did not store task" in d.message for d in result.diagnostics)

    dry = Forgetful()
    assert sync_plan(plan, dry, dry_run=True).diagnostics == ()
    assert dry.calls == ["export"]  # a dry run only reads


def test_a_control_character_in_a_title_does_not_break_the_next_sync(tw: Taskwarrior, workdir: Path) -> None:
    # Taskwarrior 2.6 exports it raw inside a JSON string, which strict JSON refuses.
    edit(workdir, "- `server/src/db.rs` - storage layer", "- `server/src/db.rs` - storage \x1b[31m layer\x07")
    sync(tw, workdir)
    out = sync(tw, workdir)
    assert "0 added, 0 modified" in out
