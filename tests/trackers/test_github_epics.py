"""Epics: one parent issue per (design, repo) with the repo's task issues as sub-issues, within GitHub's limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_github import FakeGitHub
from github_world import DESIGN, TOKEN, World

from planner.trackers.github import GitHubError, IssueSpec
from planner.trackers.github.epics import MAX_BLOCKED_BY, MAX_SUB_ISSUES, epic_key, limit_problems


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    server = FakeGitHub(TOKEN).start()
    server.add_repo("acme/ledger")
    server.add_repo("acme/portal")
    yield World(tmp_path, server)
    server.stop()


def epics(server: FakeGitHub, repo: str) -> list[dict[str, object]]:
    return [i for i in server.issues(repo) if "<!-- planner:epic=" in str(i["body"])]


def test_each_repo_gets_one_epic_whose_sub_issues_are_its_tasks_in_plan_order(world: World) -> None:
    result = world.push(epics=True)
    assert result.count("epic") == 2
    for repo, name in (("acme/ledger", "ledger"), ("acme/portal", "portal")):
        (epic,) = epics(world.server, repo)
        assert epic["title"] == f"Refund Ledger: {name}"
        assert epic_key(str(epic["body"])) == ("Refund Ledger", name)
        tasks = [i["id"] for i in world.server.issues(repo) if "<!-- planner:id=" in i["body"]]
        assert world.server.sub_issues[epic["id"]] == tasks  # type: ignore[index]
    ledger = str(epics(world.server, "acme/ledger")[0]["body"])
    assert "(wave 1): refunds table and endpoint" in ledger
    assert "```sh\ngo test ./...\n```" in ledger
    # Epics are not tasks: pulling and task counts ignore them.
    assert result.count("create") == 3


def test_a_second_sync_changes_no_epic_and_nests_nothing_again(world: World) -> None:
    world.push(epics=True)
    writes = len(world.server.writes())
    again = world.push(epics=True)
    assert again.count("epic") == again.count("nest") == 0
    assert len(world.server.writes()) == writes


def test_sub_issues_are_added_by_issue_id_not_number(world: World) -> None:
    world.push(epics=True)
    posts = [r for r in world.server.requests if r.method == "POST" and r.path.endswith("/sub_issues")]
    ids = {i["id"] for i in world.server.all_issues()}
    numbers = {i["number"] for i in world.server.all_issues()}
    assert posts and all(r.body["sub_issue_id"] in ids - numbers for r in posts)


def test_the_fake_rejects_a_second_parent_like_github(world: World) -> None:
    world.push(epics=True)
    (epic,) = epics(world.server, "acme/ledger")
    other = world.server.seed("acme/ledger", "Another parent")
    status, payload, _ = world.server.handle(
        "POST",
        f"/repos/acme/ledger/issues/{other['number']}/sub_issues",
        {"authorization": f"Bearer {TOKEN}"},
        f'{{"sub_issue_id": {world.server.sub_issues[epic["id"]][0]}}}'.encode(),  # type: ignore[index]
    ) or (0, None, None)
    assert status == 422 and "more than one parent" in str(payload)


def test_dry_run_reports_epics_and_writes_nothing(world: World) -> None:
    result = world.push(epics=True, dry_run=True)
    assert result.count("epic") == 2 and result.count("nest") == 3
    assert world.server.writes() == []


def test_without_epics_no_parent_is_made(world: World) -> None:
    world.push()
    assert epics(world.server, "acme/ledger") == []
    assert world.server.sub_issues == {}


def test_the_cli_makes_epics_unless_no_epics(world: World) -> None:
    design = str(world.root / "design.md")
    world.cli("sync", "github", design, "--min-interval", "0", "--no-epics")
    assert epics(world.server, "acme/ledger") == []
    out = world.cli("sync", "github", design, "--min-interval", "0")
    assert "epic acme/ledger#" in out and len(epics(world.server, "acme/ledger")) == 1


def test_over_100_tasks_in_one_repo_stops_before_any_write(world: World) -> None:
    endpoints = "\n".join(f"POST /api/refunds/r{i}" for i in range(MAX_SUB_ISSUES + 1))
    big = DESIGN.replace("POST /api/refunds\n", endpoints + "\n").replace("- [x] portal - refund button\n", "")
    (world.root / "design.md").write_text(big, encoding="utf-8")
    with pytest.raises(GitHubError, match=r"over GitHub's 100 sub-issues per parent.*--no-epics"):
        world.push(epics=True)
    assert world.server.writes() == []
    out = world.cli("sync", "github", str(world.root / "design.md"), "--min-interval", "0", code=1)
    assert "nothing was written" in out
    assert world.server.writes() == []


def spec(task_id: str, blocked_by: int = 0, repo: str = "ledger") -> IssueSpec:
    deps = tuple(f"x:{n}" for n in range(blocked_by))
    return IssueSpec("acme/ledger", repo, task_id, task_id, "", ("planner",), deps)


def test_limits_count_sub_issues_per_repo_and_blockers_per_issue() -> None:
    fits = tuple(spec(f"ledger:t{n}") for n in range(MAX_SUB_ISSUES))
    assert limit_problems(fits, epics=True) == []
    over = (*fits, spec("ledger:extra"))
    assert len(limit_problems(over, epics=True)) == 1
    assert limit_problems(over, epics=False) == []
    blocked = (spec("ledger:a", MAX_BLOCKED_BY), spec("ledger:b", MAX_BLOCKED_BY + 1))
    (problem,) = limit_problems(blocked, epics=False)
    assert "ledger:b" in problem and "51" in problem
