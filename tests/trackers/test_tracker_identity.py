"""Tracker identity: `**Id:**` survives a retitling, near-identical titles never share items, repo names are safe."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_github import FakeGitHub
from github_world import CONFIG, DESIGN, TOKEN, World
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from planner.cli import app
from planner.config import parse_config
from planner.trackers.github import GitHubError
from planner.trackers.taskwarrior import export_tasks, task_uuid

TASK = shutil.which("task")
if TASK is None:  # pragma: no cover - a missing binary must fail loudly, not skip
    raise RuntimeError("Taskwarrior's `task` is not on PATH; install it (apt-get install taskwarrior)")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    server = FakeGitHub(TOKEN).start()
    server.add_repo("acme/ledger")
    server.add_repo("acme/portal")
    yield World(tmp_path, server)
    server.stop()


def retitle(world: World, title: str, design_id: str | None = None) -> None:
    text = DESIGN.replace("# Refund Ledger Design", f"# {title} Design")
    if design_id is not None:
        text = text.replace("**Status:** Approved", f"**Status:** Approved\n**Id:** {design_id}")
    (world.root / "design.md").write_text(text, encoding="utf-8")


def test_the_id_field_is_read_and_reaches_the_json_plan(world: World) -> None:
    retitle(world, "Refund Ledger", "refunds-v2")
    plan, _ = world.plan()
    assert plan.design.id == "refunds-v2"
    out = world.cli("plan", str(world.root / "design.md"), "--format", "json")
    assert json.loads(out)["design"]["id"] == "refunds-v2"
    retitle(world, "Refund Ledger")
    assert world.plan()[0].design.id is None


def test_retitling_a_design_with_an_id_changes_nothing_in_the_trackers(world: World) -> None:
    retitle(world, "Refund Ledger", "refunds-v2")
    first = world.push()
    before = [t["uuid"] for t in export_tasks(world.plan()[0])]
    retitle(world, "Refunds Everywhere", "refunds-v2")
    again = world.push()
    assert again.count("create") == 0 and first.count("create") == 3
    # Same issues, same markers; only the body's "Feature:" line follows the new title.
    assert {a.detail for a in again.actions} == {"(body)"}
    assert all("<!-- planner:feature=refunds-v2 -->" in i["body"] for i in world.server.all_issues())
    assert [t["uuid"] for t in export_tasks(world.plan()[0])] == before


def test_retitling_a_design_without_an_id_is_reported_with_the_fix_and_creates_nothing(world: World) -> None:
    world.push()
    count = len(world.server.all_issues())
    retitle(world, "Refunds Everywhere")
    with pytest.raises(GitHubError, match=r"retitled\. Add `\*\*Id:\*\* Refund Ledger`"):
        world.push()
    assert len(world.server.all_issues()) == count
    # The fix works: with the old title as its id, the design finds its issues again.
    retitle(world, "Refunds Everywhere", "Refund Ledger")
    assert world.push().count("create") == 0


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_distinct_identities_never_share_a_task_uuid(a: str, b: str) -> None:
    if a != b:
        assert task_uuid(a, "ledger:migration") != task_uuid(b, "ledger:migration")


def test_titles_differing_by_punctuation_or_case_get_distinct_uuids() -> None:
    ids = {task_uuid(title, "ledger:migration") for title in ("Refund Ledger", "refund ledger", "Refund-Ledger")}
    assert len(ids) == 3


def test_delete_removed_of_one_design_spares_a_near_namesake(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "taskrc").write_text("", encoding="utf-8")
    env = {"TASKDATA": str(tmp_path / "data"), "TASKRC": str(tmp_path / "taskrc"), "HOME": str(tmp_path)}
    (tmp_path / "repos.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "a.md").write_text(DESIGN, encoding="utf-8")
    # Same project segment ("Refund-Ledger"), one task id in common: its --delete-removed must not touch a.md's.
    other = (
        DESIGN.replace("# Refund Ledger Design", "# Refund: Ledger Design")
        .replace("- [x] portal", "- [ ] portal")
        .replace("POST /api/refunds\n", "POST /api/credits\nGET /api/credits\n")
    )
    (tmp_path / "b.md").write_text(other, encoding="utf-8")

    def sync(name: str, *extra: str) -> None:
        args = ["sync", "taskwarrior", str(tmp_path / name), "--config", str(tmp_path / "repos.toml"), *extra]
        result = CliRunner().invoke(app, args, env=env)
        assert result.exit_code == 0, result.output

    sync("a.md")
    sync("b.md", "--delete-removed")
    done = subprocess.run(
        [str(TASK), "rc.verbose=nothing", "rc.json.array=on", "export"],
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        check=True,
    )
    tasks: list[dict[str, Any]] = json.loads(done.stdout)
    assert len(tasks) == 6
    assert all(t["status"] == "pending" for t in tasks)


@pytest.mark.parametrize("name", ["api:file", "api file", "-api", "api/x", "ápi"])
def test_repo_names_outside_the_safe_set_are_refused(name: str) -> None:
    text = f'version = 1\n\n[repos."{name}"]\ndescription = "x"\nlanguage = "go"\n'
    config, problems = parse_config(text, "repos.toml")
    assert config is None
    (problem,) = [p for p in problems if p.code == "config-repo-name"]
    assert problem.line == 3
    assert "letters, digits, '.', '_' and '-', starting with a letter or digit" in problem.message


@pytest.mark.parametrize("name", ["api", "api.v2", "sdk_rust", "flovyn-server", "9lives"])
def test_safe_repo_names_are_accepted(name: str) -> None:
    config, problems = parse_config(f'version = 1\n\n[repos."{name}"]\ndescription = "x"\nlanguage = "go"\n', "r")
    assert config is not None, problems


def test_the_project_setting_is_checked() -> None:
    base = 'version = 1\n\n[repos.api]\ndescription = "x"\nlanguage = "go"\n\n[trackers.github]\n'
    config, _ = parse_config(base + 'project = "acme/7"\n', "r")
    assert config is not None and config.trackers.github.project == "acme/7"
    config, problems = parse_config(base + 'project = "acme"\n', "r")
    assert config is None
    (problem,) = problems
    assert problem.code == "config-project" and problem.line == 8 and "OWNER/NUMBER" in problem.message


def test_a_taskwarrior_retitle_without_an_id_is_reported_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "taskrc").write_text("", encoding="utf-8")
    env = {"TASKDATA": str(tmp_path / "data"), "TASKRC": str(tmp_path / "taskrc"), "HOME": str(tmp_path)}
    (tmp_path / "repos.toml").write_text(CONFIG, encoding="utf-8")
    design = tmp_path / "design.md"
    args = ["sync", "taskwarrior", str(design), "--config", str(tmp_path / "repos.toml")]
    design.write_text(DESIGN, encoding="utf-8")
    assert CliRunner().invoke(app, args, env=env).exit_code == 0
    retitled = DESIGN.replace("# Refund Ledger Design", "# Refunds Everywhere Design")
    design.write_text(retitled, encoding="utf-8")
    result = CliRunner().invoke(app, [*args, "--dry-run"], env=env)
    assert result.exit_code == 0
    assert "warning: none of this design's tasks existed yet, but project 'Refund-Ledger' holds 3" in result.output
    assert "add `**Id:** <its old title>`" in result.output
    # The fix: the old title as the id finds the tasks again.
    design.write_text(retitled.replace("**Status:** Approved", "**Status:** Approved\n**Id:** Refund Ledger"), "utf-8")
    again = CliRunner().invoke(app, args, env=env)
    assert again.exit_code == 0 and "0 added" in again.output and "warning" not in again.output
