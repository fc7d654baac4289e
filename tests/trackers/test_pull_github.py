"""Two-way GitHub against the local fake: close, reopen, not planned, conflicts, and sync --plan closing issues."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_github import FakeGitHub
from github_world import API, MIG, TOKEN, UI, World, duplicates


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    server = FakeGitHub(TOKEN).start()
    server.add_repo("acme/ledger")
    server.add_repo("acme/portal")
    w = World(tmp_path, server)
    w.cli("plan", str(tmp_path / "design.md"), "-o", str(w.plan_file))
    w.push()
    yield w
    server.stop()


def test_closed_as_completed_ticks_the_box(world: World) -> None:
    world.close(MIG)
    assert "would set plan box [x] (open -> done) [ledger:migration]" in world.pull("--check", code=2)
    world.pull()
    assert world.box(MIG) == "x" and world.box(API) == " "
    world.pull("--check")
    assert json.loads(world.base.read_text(encoding="utf-8"))["github"][MIG] == "done"


def test_closed_as_not_planned_gives_the_distinct_box_and_reopening_clears_it(world: World) -> None:
    world.close(UI, "not_planned")
    world.pull()
    assert world.box(UI) == "-"
    issue = world.issue(UI)
    issue["state"], issue["state_reason"] = "open", "reopened"
    world.pull()
    assert world.box(UI) == " "


def test_dry_run_prints_changes_and_writes_nothing(world: World) -> None:
    world.close(MIG)
    before = world.plan_file.read_text(encoding="utf-8")
    out = world.pull("--dry-run")
    assert "would set plan box [x]" in out and "would change 1 plan task(s)" in out
    assert world.plan_file.read_text(encoding="utf-8") == before
    assert not world.base.exists()


def test_a_box_ticked_in_the_plan_closes_its_issue_on_sync(world: World) -> None:
    world.tick(API, "x")
    world.tick(UI, "-")
    out = world.sync()
    assert "set tracker done (open -> done) [ledger:rest:POST:/api/refunds]" in out
    assert (world.issue(API)["state"], world.issue(API)["state_reason"]) == ("closed", "completed")
    assert (world.issue(UI)["state"], world.issue(UI)["state_reason"]) == ("closed", "not_planned")
    world.pull("--check")
    # Unticking later reopens it.
    world.tick(API, " ")
    world.sync()
    assert world.issue(API)["state"] == "open"


def test_a_conflict_is_reported_per_task_and_changes_neither_side(world: World) -> None:
    world.close(API)
    world.tick(API, "-")
    out = world.pull(code=1)
    assert "tracker-conflict" in out and "plan.md:" in out
    assert world.box(API) == "-"
    out = world.sync(code=1)
    assert world.issue(API)["state_reason"] == "completed"
    world.sync("--prefer", "plan")
    assert world.issue(API)["state_reason"] == "not_planned"
    world.pull("--check")


def test_a_renamed_or_deleted_label_does_not_duplicate(world: World) -> None:
    count = len(world.server.all_issues())
    world.server.rename_label("acme/ledger", "planner", "tracked")
    world.server.delete_label("acme/portal", "planner")
    result = world.push()
    assert result.count("create") == 0
    assert len(world.server.all_issues()) == count
    assert duplicates(world.server) == 0
    # The next sync puts the planner label back on its issues.
    assert all("planner" in {x["name"] for x in i["labels"]} for i in world.server.issues("acme/portal"))


def test_a_body_without_markers_is_matched_by_title_and_its_markers_restored(world: World) -> None:
    issue = world.issue(API)
    issue["body"] = "Someone rewrote this issue and dropped the hidden lines."
    count = len(world.server.all_issues())
    result = world.push()
    assert result.count("create") == 0 and result.count("restore") == 1
    assert len(world.server.all_issues()) == count
    assert f"<!-- planner:id={API} -->" in issue["body"]
