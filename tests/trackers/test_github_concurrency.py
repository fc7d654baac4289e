"""Two GitHub syncs of one design at once converge to one open issue per task (and per epic)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_github import FakeGitHub
from github_world import TOKEN, World, duplicates

from planner.trackers.github import SyncResult

TRIALS = 5


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    server = FakeGitHub(TOKEN).start()
    server.add_repo("acme/ledger")
    server.add_repo("acme/portal")
    yield World(tmp_path, server)
    server.stop()


def test_an_issue_created_by_another_sync_meanwhile_wins_when_its_number_is_lower(world: World) -> None:
    # Deterministic race: just before each of our creates, "the other sync" creates the same issue.
    def other_sync(fake: FakeGitHub, repo: str, body: Any) -> None:
        fake.seed_locked(repo, body["title"], body["body"], tuple(body.get("labels", [])))

    world.server.before_create = other_sync
    result = world.push()
    world.server.before_create = None
    assert duplicates(world.server) == 0
    closed = [i for i in world.server.all_issues() if i["state"] == "closed"]
    assert len(closed) == result.count("create") == result.count("duplicate")
    for issue in closed:
        assert issue["state_reason"] == "not_planned"
        assert world.server.comments[issue["id"]][0].startswith("Duplicate of #")
    # The links join the surviving issues only.
    survivors = {i["id"] for i in world.server.all_issues() if i["state"] == "open"}
    links = [(issue, blocker) for issue in survivors for blocker in world.server.blocked_by.get(issue, [])]
    assert links and all(blocker in survivors for _, blocker in links)
    # And the next sync has nothing left to do.
    again = world.push()
    assert again.count("create") == again.count("duplicate") == again.count("link") == 0


def run_two(world: World, **options: Any) -> list[SyncResult]:
    results: list[SyncResult] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def one() -> None:
        start.wait()
        try:
            results.append(world.push(**options))
        except BaseException as exc:  # handed to the main thread, which fails the test
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


@pytest.mark.parametrize("trial", range(TRIALS))
def test_two_concurrent_syncs_leave_no_duplicate(world: World, trial: int) -> None:
    run_two(world)
    assert duplicates(world.server) == 0
    again = world.push()
    assert again.count("create") == 0
    assert duplicates(world.server) == 0


@pytest.mark.parametrize("trial", range(TRIALS))
def test_two_concurrent_syncs_with_epics_leave_one_epic_per_repo(world: World, trial: int) -> None:
    run_two(world, epics=True)
    assert duplicates(world.server) == 0
    for repo in ("acme/ledger", "acme/portal"):
        epics = [i for i in world.server.issues(repo) if "planner:epic=" in i["body"] and i["state"] == "open"]
        assert len(epics) == 1
        children = world.server.sub_issues.get(epics[0]["id"], [])
        tasks = [i["id"] for i in world.server.issues(repo) if "planner:id=" in i["body"] and i["state"] == "open"]
        assert sorted(set(children) & set(tasks)) == sorted(tasks)
    again = world.push(epics=True)
    assert again.count("create") == again.count("epic") == again.count("nest") == 0
