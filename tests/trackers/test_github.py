"""GitHub Issues sync against a local fake of the REST API: state on the server is what is asserted."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from fake_github import FakeGitHub
from project import ROOT
from typer.testing import CliRunner

from planner.cli import app
from planner.config import Config, load_config
from planner.plan import Plan, plan_design
from planner.trackers.github import GitHubClient, GitHubError, Pacing, SyncResult, sync_github

CONFIG = ROOT / "config" / "repos.toml"
SCHEDULES = ROOT / "fixtures" / "schedules.md"
TOKEN = "test-token"

TAGS = """\
# Workflow Tags Design

**Date:** 2026-03-10
**Status:** Approved
**Branch:** feature/tags

## Overview

Tags on workflows.

## Proposed Solution

### API Changes

```
GET /api/orgs/{org_slug}/tags
```

### Database Changes

```sql
CREATE TABLE tags (id UUID PRIMARY KEY, name TEXT NOT NULL);
```

### Affected Repositories

- [x] flovyn-server - tags API and storage
- [x] flovyn-app - tag picker

### Key Files

- `flovyn-server/server/src/api/rest/schedules.rs` - REST handlers, now with tags
"""


class FakeClock:
    """Monotonic and wall clock in one; `sleep` advances it and records the wait."""

    def __init__(self) -> None:
        self.t = 1_800_000_000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds

    def now(self) -> float:
        return self.t


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> Iterator[FakeGitHub]:
    fake = FakeGitHub(TOKEN, clock=clock.now).start()
    config, _ = load_config(CONFIG)
    assert config is not None
    for repo in config.repos.values():
        assert repo.tracker.github is not None
        fake.add_repo(repo.tracker.github)
    yield fake
    fake.stop()


def planned(design: Path, config: Path = CONFIG) -> tuple[Plan, Config]:
    cfg, problems = load_config(config)
    assert cfg is not None, problems
    plan = plan_design(design, cfg)
    assert plan.ok, plan.diagnostic_values()
    return plan, cfg


def sync(
    server: FakeGitHub,
    clock: FakeClock,
    design: Path,
    config: Path = CONFIG,
    *,
    min_interval: float = 1.0,
    max_wait: float = 900.0,
    **options: Any,
) -> SyncResult:
    plan, cfg = planned(design, config)
    pacing = Pacing(sleep=clock.sleep, monotonic=clock.now, now=clock.now, min_interval=min_interval, max_wait=max_wait)
    with GitHubClient(server.url, TOKEN, pacing) as client:
        return sync_github(plan, cfg, client, **options)


def key(body: str | None) -> tuple[str, str] | None:
    """(feature, task id) read from the markers with the test's own parser."""
    ids = re.findall(r"<!-- planner:id=(\S+) -->", body or "")
    features = re.findall(r"<!-- planner:feature=(\S+) -->", body or "")
    return (unquote(features[-1]), unquote(ids[-1])) if ids and features else None


def feature_issues(server: FakeGitHub, feature: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(repo, task id) -> issue for one feature; fails on a duplicate."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for repo in sorted(server.repos):
        for issue in server.issues(repo):
            k = key(issue["body"])
            if k is not None and k[0] == feature:
                assert (repo, k[1]) not in found, f"duplicate issue for {k[1]} in {repo}"
                found[repo, k[1]] = issue
    return found


def assert_converged(server: FakeGitHub, design: Path, config: Path = CONFIG) -> dict[tuple[str, str], dict[str, Any]]:
    """Exactly one issue per task, titled as planned, with every dependency present exactly once."""
    plan, cfg = planned(design, config)
    home: dict[str, str] = {
        task.id: github for repo in plan.repos for task in repo.tasks if (github := cfg.repos[repo.name].tracker.github)
    }
    found = feature_issues(server, plan.design.feature)
    assert set(found) == {(repo, task) for task, repo in home.items()}
    for repo in plan.repos:
        for task in repo.tasks:
            if task.id not in home:
                continue
            issue = found[home[task.id], task.id]
            assert issue["title"] == task.title
            blockers = server.blockers(issue)
            assert len(blockers) == len(set(blockers)), f"a dependency of {task.id} is doubled"
            wanted = {found[home[d], d]["id"] for d in task.depends_on if d in home}
            assert set(blockers) == wanted, task.id
    return found


def snapshot(server: FakeGitHub) -> list[tuple[Any, ...]]:
    return [
        (
            i["repository_url"],
            i["number"],
            i["title"],
            i["body"],
            i["state"],
            sorted(x["name"] for x in i["labels"]),
            server.blockers(i),
        )
        for i in server.all_issues()
    ]


def touched(server: FakeGitHub, repo: str, number: int, since: int = 0) -> bool:
    """Whether any write from the `since`-th on went to this issue (an update, or a link added to it)."""
    return any(re.match(rf"/repos/{repo}/issues/{number}(/|$)", r.path) for r in server.writes()[since:])


def task_count(design: Path) -> int:
    plan, _ = planned(design)
    return sum(len(repo.tasks) for repo in plan.repos)


def edited(tmp_path: Path, name: str, text: str, *replacements: tuple[str, str]) -> Path:
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- first sync, re-run, pagination --------------------------------------------------------------


def test_first_sync_makes_one_issue_per_task_with_every_dependency(server: FakeGitHub, clock: FakeClock) -> None:
    result = sync(server, clock, SCHEDULES)
    found = assert_converged(server, SCHEDULES)
    assert len(found) == task_count(SCHEDULES) == result.count("create")
    # Cross-repository links exist: an app task is blocked by the server task that implements its endpoint.
    app_get = found["flovyn/flovyn-app", "flovyn-app:rest:GET:/api/orgs/{org_slug}/schedules"]
    server_get = found["flovyn/flovyn-server", "flovyn-server:rest:GET:/api/orgs/{org_slug}/schedules"]
    assert server.blockers(app_get) == [server_get["id"]]
    migration = found["flovyn/flovyn-server", "flovyn-server:migration"]
    labels = {label["name"] for label in migration["labels"]}
    assert {"planner", "backend", "kind:migration", "feature:workflow-schedules"} <= labels
    assert server.writes() and all(r.path.startswith("/repos/") for r in server.writes())


def test_rerun_is_a_no_op(server: FakeGitHub, clock: FakeClock) -> None:
    sync(server, clock, SCHEDULES)
    before, writes = snapshot(server), len(server.writes())
    again = sync(server, clock, SCHEDULES)
    assert len(server.writes()) == writes
    assert again.writes == 0 and not again.actions
    assert again.unchanged == task_count(SCHEDULES)
    assert snapshot(server) == before


def test_listing_follows_every_page_and_skips_pull_requests(server: FakeGitHub, clock: FakeClock) -> None:
    server.max_per_page = 2
    for n in range(3):
        server.seed("flovyn/flovyn-server", f"unrelated {n}", "no marker here", ("planner",))
    # A pull request carrying a task's marker must not stand in for the task's issue.
    pr_body = "<!-- planner:id=flovyn-server:migration -->\n<!-- planner:feature=Workflow%20Schedules -->"
    pr = server.seed("flovyn/flovyn-server", "a PR", pr_body, ("planner",), pull_request={"url": "x"})
    sync(server, clock, SCHEDULES)
    assert_converged(server, SCHEDULES)
    writes, seen = len(server.writes()), len(server.requests)
    sync(server, clock, SCHEDULES)
    assert not touched(server, "flovyn/flovyn-server", pr["number"])
    assert len(server.writes()) == writes  # every existing issue was found, on whatever page
    pages = [r.query.get("page") for r in server.requests[seen:] if r.path == "/repos/flovyn/flovyn-server/issues"]
    assert pages == [None, "2", "3", "4", "5", "6", "7", "8"]  # 12 issues, 3 unrelated and a PR, 2 a page
    assert pr["title"] == "a PR" and pr["state"] == "open"


def test_listing_asks_for_every_state_and_no_label(server: FakeGitHub, clock: FakeClock) -> None:
    # Not filtered by the planner label: a renamed label must not hide planner's issues (see test_pull_github).
    sync(server, clock, SCHEDULES)
    lists = [r for r in server.requests if r.method == "GET" and r.path.endswith("/issues")]
    assert lists and all("labels" not in r.query and r.query.get("state") == "all" for r in lists)


# -- changes to the design -----------------------------------------------------------------------


def test_changed_design_updates_in_place_creates_new_and_reports_removed(
    server: FakeGitHub, clock: FakeClock, tmp_path: Path
) -> None:
    text = SCHEDULES.read_text(encoding="utf-8")
    first = edited(tmp_path, "schedules.md", text)
    sync(server, clock, first)
    before = feature_issues(server, "Workflow Schedules")
    second = edited(
        tmp_path,
        "schedules.md",
        text,
        ("- the scheduler loop", "- the scheduler loop, now leader-elected"),
        ("- `sdk-python/flovyn/schedules.py` - Python wrapper over the core client\n", ""),
        ("GET /api/orgs/{org_slug}/schedules\n", "GET /api/orgs/{org_slug}/schedules\nGET /api/orgs/{org_slug}/runs\n"),
    )
    result = sync(server, clock, second)
    after = feature_issues(server, "Workflow Schedules")
    loop = ("flovyn/flovyn-server", "flovyn-server:file:server/src/scheduler/mod.rs")
    assert after[loop]["number"] == before[loop]["number"]
    assert after[loop]["title"] == "the scheduler loop, now leader-elected"
    new = set(after) - set(before)
    assert ("flovyn/flovyn-server", "flovyn-server:rest:GET:/api/orgs/{org_slug}/runs") in new
    assert ("flovyn/flovyn-app", "flovyn-app:rest:GET:/api/orgs/{org_slug}/runs") in new
    dropped = ("flovyn/sdk-python", "sdk-python:file:flovyn/schedules.py")
    assert after[dropped]["state"] == "open"  # reported, not closed, without --close-removed
    assert [(a.verb, a.task_id) for a in result.actions if a.verb == "removed"] == [("removed", dropped[1])]
    # Everything except the dropped task matches the new design.
    assert {k for k in after if k != dropped} == set(assert_converged_without(server, second, dropped))

    closing = sync(server, clock, second, close_removed=True)
    assert [(a.verb, a.task_id) for a in closing.actions] == [("close", dropped[1])]
    closed = feature_issues(server, "Workflow Schedules")[dropped]
    assert (closed["state"], closed["state_reason"]) == ("closed", "not_planned")
    writes = len(server.writes())
    sync(server, clock, second, close_removed=True)
    assert len(server.writes()) == writes


def assert_converged_without(
    server: FakeGitHub, design: Path, dropped: tuple[str, str]
) -> dict[tuple[str, str], dict[str, Any]]:
    plan, _ = planned(design)
    found = feature_issues(server, plan.design.feature)
    found.pop(dropped)
    expected = {task.id for repo in plan.repos for task in repo.tasks}
    assert {task for _, task in found} == expected
    return found


def test_a_closed_issue_stays_closed_and_untouched(server: FakeGitHub, clock: FakeClock, tmp_path: Path) -> None:
    text = SCHEDULES.read_text(encoding="utf-8")
    sync(server, clock, edited(tmp_path, "s.md", text))
    loop = feature_issues(server, "Workflow Schedules")[
        "flovyn/flovyn-server", "flovyn-server:file:server/src/scheduler/mod.rs"
    ]
    loop["state"], loop["state_reason"] = "closed", "completed"  # done by a person on GitHub
    kept, writes = dict(loop), len(server.writes())
    result = sync(server, clock, edited(tmp_path, "s.md", text, ("- the scheduler loop", "- the new loop")))
    assert loop == kept
    assert result.kept_closed == 1 and not result.actions
    assert not touched(server, "flovyn/flovyn-server", loop["number"], writes)


def test_another_features_issues_in_the_same_repo_are_left_alone(
    server: FakeGitHub, clock: FakeClock, tmp_path: Path
) -> None:
    tags = edited(tmp_path, "tags.md", TAGS)
    sync(server, clock, SCHEDULES)
    schedules_before = snapshot(server)
    sync(server, clock, tags)
    # Both designs have the tasks `flovyn-server:migration` and the same key file: each gets its own issue.
    schedules = assert_converged(server, SCHEDULES)
    tags_found = assert_converged(server, tags)
    shared = ("flovyn/flovyn-server", "flovyn-server:migration")
    assert schedules[shared]["number"] != tags_found[shared]["number"]
    assert [row for row in snapshot(server) if row in schedules_before] == schedules_before
    writes = len(server.writes())
    for design in (SCHEDULES, tags):
        result = sync(server, clock, design, close_removed=True)
        assert not result.actions
    assert len(server.writes()) == writes
    assert all(i["state"] == "open" for i in server.all_issues())


def test_tasks_of_a_dropped_repo_are_reported_removed(server: FakeGitHub, clock: FakeClock, tmp_path: Path) -> None:
    text = SCHEDULES.read_text(encoding="utf-8")
    sync(server, clock, edited(tmp_path, "s.md", text))
    without = edited(
        tmp_path,
        "s.md",
        text,
        ("- [x] sdk-python", "- [ ] sdk-python"),
        ("- `sdk-python/flovyn/schedules.py` - Python wrapper over the core client\n", ""),
    )
    result = sync(server, clock, without)
    removed = {(a.repo, a.task_id) for a in result.actions if a.verb == "removed"}
    assert removed == {k for k in feature_issues(server, "Workflow Schedules") if k[0] == "flovyn/sdk-python"}
    assert len(removed) == 3


def test_links_the_plan_no_longer_has_are_removed_others_kept(
    server: FakeGitHub, clock: FakeClock, tmp_path: Path
) -> None:
    text = SCHEDULES.read_text(encoding="utf-8")
    sync(server, clock, edited(tmp_path, "s.md", text))
    found = feature_issues(server, "Workflow Schedules")
    rest = found["flovyn/flovyn-server", "flovyn-server:rest:GET:/api/orgs/{org_slug}/schedules"]
    outside = server.seed("flovyn/flovyn-server", "ops ticket", "made by a person")
    server.blocked_by[rest["id"]].append(outside["id"])  # a link a person added
    start = text.index("### Database Changes")
    no_db = text[:start] + text[text.index("### Affected Repositories") :]
    result = sync(server, clock, edited(tmp_path, "s.md", no_db), close_removed=True)
    migration = found["flovyn/flovyn-server", "flovyn-server:migration"]
    assert migration["state"] == "closed"
    # The migration's link went; the domain type's (a task the plan still has) and the person's stay.
    schedule = found["flovyn/flovyn-server", "flovyn-server:domain:Schedule"]
    assert sorted(server.blockers(rest)) == sorted([schedule["id"], outside["id"]])
    assert result.count("unlink") == 11  # every other server task (domain types too) waited for the migration
    gone = ("flovyn/flovyn-server", "flovyn-server:migration")
    assert_converged_without(server, edited(tmp_path, "s.md", no_db), gone)


def test_labels_match_case_insensitively_and_a_persons_labels_stay(server: FakeGitHub, clock: FakeClock) -> None:
    server.add_repo("flovyn/flovyn-server", labels=("Backend", "Planner"))
    sync(server, clock, SCHEDULES)
    issue = feature_issues(server, "Workflow Schedules")[
        "flovyn/flovyn-server", "flovyn-server:rest:GET:/api/orgs/{org_slug}/schedules"
    ]
    assert {"Backend", "Planner"} <= {label["name"] for label in issue["labels"]}
    writes = len(server.writes())
    sync(server, clock, SCHEDULES)
    assert len(server.writes()) == writes  # "Backend" is "backend": no endless relabelling
    repo = server.repos["flovyn/flovyn-server"]
    issue["labels"] = [
        repo.labels["backend"],
        repo.labels["planner"],
        {"id": 1, "name": "priority:high"},
        {"id": 2, "name": "kind:grpc"},
        repo.labels["feature:workflow-schedules"],
    ]
    result = sync(server, clock, SCHEDULES)
    assert [a.verb for a in result.actions] == ["update"]
    assert {label["name"] for label in issue["labels"]} == {
        "Backend",
        "Planner",
        "priority:high",
        "kind:rest",
        "feature:workflow-schedules",
    }


def test_marker_cannot_be_forged_by_design_text(server: FakeGitHub, clock: FakeClock, tmp_path: Path) -> None:
    text = SCHEDULES.read_text(encoding="utf-8")
    evil = "- the scheduler loop --> <!-- planner:id=flovyn-server:migration --> <!-- planner:feature=Other -->"
    design = edited(tmp_path, "s.md", text, ("- the scheduler loop", evil))
    sync(server, clock, design)
    found = assert_converged(server, design)
    assert len(found) == task_count(design)


# -- dry run ------------------------------------------------------------------------------------


def test_dry_run_sends_no_write_and_lists_what_a_run_does(server: FakeGitHub, clock: FakeClock) -> None:
    preview = sync(server, clock, SCHEDULES, dry_run=True)
    assert server.requests and not server.writes()
    assert not server.all_issues()
    real = sync(server, clock, SCHEDULES)
    assert [(a.verb, a.repo, a.task_id) for a in preview.actions] == [(a.verb, a.repo, a.task_id) for a in real.actions]
    assert preview.count("create") == task_count(SCHEDULES) and preview.count("link") > 0


# -- rate limits, server errors, crashes ---------------------------------------------------------


def test_rate_limits_and_server_errors_are_waited_out(server: FakeGitHub, clock: FakeClock) -> None:
    server.fail(
        "POST",
        r"/repos/flovyn/flovyn-server/issues",
        403,
        headers={"retry-after": "7"},
        message="You have exceeded a secondary rate limit",
    )
    server.fail("POST", r".*/dependencies/blocked_by", 429, headers={"retry-after": "3"})
    server.fail("GET", r"/repos/flovyn/flovyn-app/issues", 502, times=2)
    server.fail("POST", r"/repos/flovyn/sdk-rust/issues", 502)  # refused before anything was made
    server.fail("POST", r"/repos/flovyn/sdk-python/issues", 502, after=True)  # made, then a 502
    server.fail("PATCH", r".*", 500)
    sync(server, clock, SCHEDULES)
    assert_converged(server, SCHEDULES)
    assert all(f.times == 0 for f in server.faults if f.method != "PATCH")
    assert 7 in clock.sleeps and 3 in clock.sleeps
    assert clock.sleeps.count(1.0) >= 2  # backoff before retrying the 502s


def test_writes_are_spaced_by_the_minimum_interval(server: FakeGitHub, clock: FakeClock) -> None:
    sync(server, clock, SCHEDULES, min_interval=1.5)
    times = [r.time for r in server.writes()]
    assert len(times) > 10
    assert all(later - earlier >= 1.5 for earlier, later in itertools.pairwise(times))


def test_exhausted_rate_limit_waits_for_the_reset(server: FakeGitHub, clock: FakeClock) -> None:
    reset = int(clock.t) + 40
    server.limit_after = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
    server.fail(
        "POST",
        r"/repos/flovyn/flovyn-app/issues",
        403,
        message="API rate limit exceeded",
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset + 100)},
    )
    sync(server, clock, SCHEDULES)
    assert all(r.time >= reset for r in server.requests[1:])
    app_creates = [r for r in server.requests if r.method == "POST" and r.path == "/repos/flovyn/flovyn-app/issues"]
    assert app_creates[1].time >= reset + 100
    assert_converged(server, SCHEDULES)


def test_a_wait_beyond_max_wait_is_a_clean_error(server: FakeGitHub, clock: FakeClock) -> None:
    server.fail("POST", r".*/issues", 429, headers={"retry-after": "5000"})
    with pytest.raises(GitHubError, match="over --max-wait 60s"):
        sync(server, clock, SCHEDULES, max_wait=60)
    assert max(clock.sleeps, default=0) < 60


def test_a_refusal_carries_githubs_message(server: FakeGitHub, clock: FakeClock) -> None:
    server.fail("POST", r"/repos/flovyn/flovyn-server/issues", 422, message="Validation Failed: no way")
    with pytest.raises(GitHubError, match="422 Validation Failed: no way") as caught:
        sync(server, clock, SCHEDULES)
    assert caught.value.status == 422
    assert not server.all_issues()


def test_a_dropped_connection_after_a_create_does_not_double_it(server: FakeGitHub, clock: FakeClock) -> None:
    server.drop_after_creates = 3  # the third issue is made, then the connection closes unanswered
    server.fail("POST", r".*/dependencies/blocked_by", 0, drop=True, after=True)  # same for a link
    server.fail("POST", r".*/dependencies/blocked_by", 0, drop=True)  # and a link that never arrived
    sync(server, clock, SCHEDULES)
    assert_converged(server, SCHEDULES)
    assert server.creates == task_count(SCHEDULES)


@pytest.mark.parametrize("crash_after", [1, 7, 21])
def test_a_run_that_dies_half_way_converges_when_run_again(
    server: FakeGitHub, clock: FakeClock, crash_after: int
) -> None:
    server.drop_after_creates, server.stay_down = crash_after, True  # the network goes away for good
    with pytest.raises(GitHubError, match="connection lost"):
        sync(server, clock, SCHEDULES)
    assert len(server.all_issues()) == crash_after
    server.network_down = False
    sync(server, clock, SCHEDULES)
    found = assert_converged(server, SCHEDULES)
    assert len(server.all_issues()) == len(found) == task_count(SCHEDULES)
    writes = len(server.writes())
    sync(server, clock, SCHEDULES)
    assert len(server.writes()) == writes


def test_a_run_killed_while_linking_converges_when_run_again(server: FakeGitHub, clock: FakeClock) -> None:
    server.fail("POST", r".*/dependencies/blocked_by", 0, drop=True, after=True, times=1)
    server.fail("GET", r".*/dependencies/blocked_by", 0, drop=True, times=100)
    with pytest.raises(GitHubError):
        sync(server, clock, SCHEDULES)
    server.faults.clear()
    sync(server, clock, SCHEDULES)
    assert_converged(server, SCHEDULES)


# -- repos without a target ----------------------------------------------------------------------


def test_a_repo_without_a_github_target_is_left_out_with_a_warning(
    server: FakeGitHub, clock: FakeClock, tmp_path: Path
) -> None:
    text = CONFIG.read_text(encoding="utf-8")
    config = edited(tmp_path, "repos.toml", text, ('github = "flovyn/sdk-rust"\n', ""))
    result = sync(server, clock, SCHEDULES, config)
    assert [d.code for d in result.diagnostics] == ["github-no-repo"]
    assert result.diagnostics[0].path == str(config)
    assert config.read_text().split("\n")[result.diagnostics[0].line - 1] == "[repos.sdk-rust.tracker]"
    assert not server.issues("flovyn/sdk-rust")
    assert_converged(server, SCHEDULES, config)


# -- CLI -----------------------------------------------------------------------------------------


def test_cli_export_writes_the_issues_as_deterministic_json(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["export", "github", str(SCHEDULES), "--config", str(CONFIG)]
    first, second = runner.invoke(app, args), runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    issues = json.loads(first.stdout)
    plan, _ = planned(SCHEDULES)
    tasks = {task.id: task for repo in plan.repos for task in repo.tasks}
    assert [i["task_id"] for i in issues] == [task.id for repo in plan.repos for task in repo.tasks]
    for issue in issues:
        assert set(issue) == {"repo", "title", "body", "labels", "task_id", "blocked_by"}
        task = tasks[issue["task_id"]]
        assert issue["title"] == task.title
        assert issue["blocked_by"] == sorted(task.depends_on)
        assert key(issue["body"]) == ("Workflow Schedules", task.id)
        assert issue["labels"] == sorted(issue["labels"]) and all(len(label) <= 50 for label in issue["labels"])
        assert {"planner", f"kind:{task.kind}", "feature:workflow-schedules"} <= set(issue["labels"])
    out = tmp_path / "issues.json"
    written = runner.invoke(app, [*args, "--output", str(out)])
    assert written.exit_code == 0 and out.read_text(encoding="utf-8") == first.stdout


def test_cli_export_sanitises_a_long_feature_label(tmp_path: Path) -> None:
    title = "# Tags, Labels, and a very long feature name that goes on and on and on Design"
    design = edited(tmp_path, "tags.md", TAGS, ("# Workflow Tags Design", title))
    result = CliRunner().invoke(app, ["export", "github", str(design), "--config", str(CONFIG)])
    assert result.exit_code == 0, result.output
    labels = {label for issue in json.loads(result.stdout) for label in issue["labels"]}
    feature = [label for label in labels if label.startswith("feature:")]
    assert len(feature) == 1 and len(feature[0]) <= 50 and "," not in feature[0]


def test_cli_sync_through_the_runner(server: FakeGitHub) -> None:
    runner = CliRunner()
    args = ["sync", "github", str(SCHEDULES), "--config", str(CONFIG), "--api-url", server.url, "--min-interval", "0"]
    result = runner.invoke(app, args, env={"GITHUB_TOKEN": TOKEN})
    assert result.exit_code == 0, result.output
    assert_converged(server, SCHEDULES)
    assert result.stdout.count("\ncreate ") + result.stdout.startswith("create ") == task_count(SCHEDULES)
    writes = len(server.writes())
    again = runner.invoke(app, args, env={"GITHUB_TOKEN": TOKEN})
    assert again.exit_code == 0 and len(server.writes()) == writes
    assert "create 0, update 0, link 0" in again.stdout


def test_cli_dry_run_prints_actions_and_writes_nothing(server: FakeGitHub) -> None:
    args = ["sync", "github", str(SCHEDULES), "--config", str(CONFIG), "--api-url", server.url, "--dry-run"]
    result = CliRunner().invoke(app, args, env={"GITHUB_TOKEN": TOKEN})
    assert result.exit_code == 0, result.output
    assert not server.writes() and not server.all_issues()
    lines = result.stdout.splitlines()
    assert sum(line.startswith("would create ") for line in lines) == task_count(SCHEDULES)
    assert any(line.startswith("would link ") for line in lines)


def test_cli_errors_are_diagnostics_without_traceback(server: FakeGitHub, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["sync", "github", str(SCHEDULES), "--config", str(CONFIG), "--api-url", server.url, "--min-interval", "0"]
    no_token = runner.invoke(app, base, env={"GITHUB_TOKEN": ""})
    assert no_token.exit_code == 1 and "GITHUB_TOKEN is not set" in no_token.stderr
    bad_token = runner.invoke(app, base, env={"GITHUB_TOKEN": "wrong"})
    assert bad_token.exit_code == 1
    assert "401 Bad credentials" in bad_token.stderr and "check GITHUB_TOKEN" in bad_token.stderr
    del server.repos["flovyn/sdk-kotlin"]
    missing = runner.invoke(app, base, env={"GITHUB_TOKEN": TOKEN})
    assert missing.exit_code == 1 and "404 Not Found" in missing.stderr
    server.fail("POST", r".*/issues", 403, headers={"retry-after": "99999"})
    server.add_repo("flovyn/sdk-kotlin")
    limited = runner.invoke(app, [*base, "--max-wait", "5"], env={"GITHUB_TOKEN": TOKEN})
    assert limited.exit_code == 1 and "--max-wait" in limited.stderr
    for result in (no_token, bad_token, missing, limited):
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert re.search(r"^\S+:\d+: error: .+ \[github(-token)?\]$", result.stderr, re.MULTILINE)
    assert not server.all_issues()


def test_cli_sync_as_a_process_against_an_enterprise_api_root(clock: FakeClock) -> None:
    fake = FakeGitHub(TOKEN, prefix="/api/v3", clock=clock.now).start()
    try:
        for name in ("flovyn-server", "flovyn-app", "sdk-rust", "sdk-python", "sdk-kotlin"):
            fake.add_repo(f"flovyn/{name}")
        env = {**os.environ, "GITHUB_TOKEN": TOKEN}
        args = [
            sys.executable,
            "-m",
            "planner",
            "sync",
            "github",
            str(SCHEDULES),
            "--config",
            str(CONFIG),
            "--api-url",
            fake.url,
            "--min-interval",
            "0",
        ]
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        assert_converged(fake, SCHEDULES)
        assert all(r.path.startswith("/repos/") for r in fake.requests)
        again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert again.returncode == 0 and "create 0" in again.stdout
    finally:
        fake.stop()


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (lambda r: httpx.Response(302, headers={"location": f"{r.url}x"}), "redirect"),
        (lambda r: httpx.Response(200, headers={"content-encoding": "gzip"}, content=b"not gzip"), "decode"),
        (lambda r: httpx.Response(200, content=b"[" * 100_000 + b"]" * 100_000), "not JSON"),
        (lambda r: httpx.Response(418, content=b"[" * 100_000 + b"]" * 100_000), "418"),
    ],
)
def test_a_redirect_loop_or_an_undecodable_answer_is_a_github_error(
    clock: FakeClock, answer: Callable[[httpx.Request], httpx.Response], said: str
) -> None:
    pacing = Pacing(sleep=clock.sleep, monotonic=clock.now, now=clock.now)
    transport = httpx.MockTransport(answer)
    with (
        GitHubClient("https://ghe.example/api/v3", TOKEN, pacing, transport=transport) as client,
        pytest.raises(GitHubError, match=said),
    ):
        client.get_all("/repos/o/r/issues")


@pytest.mark.parametrize("url", ["http://[::1", "http://host:abc/", "https://"])
def test_an_api_url_httpx_cannot_read_is_a_diagnostic(url: str) -> None:
    for command in ("sync", "pull"):
        args = [command, "github", str(SCHEDULES), "--config", str(CONFIG), "--api-url", url, "--plan", str(SCHEDULES)]
        result = CliRunner().invoke(app, args, env={"GITHUB_TOKEN": TOKEN})
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "[github-api-url]" in result.stderr


def test_the_token_never_appears_in_an_error_even_when_the_server_echoes_it(server: FakeGitHub) -> None:
    server.fail("GET", r".*/issues", 401, message=f"Bad credentials: Bearer {TOKEN}")
    args = ["sync", "github", str(SCHEDULES), "--config", str(CONFIG), "--api-url", server.url, "--min-interval", "0"]
    result = CliRunner().invoke(app, args, env={"GITHUB_TOKEN": TOKEN})
    assert result.exit_code == 1 and "401 Bad credentials" in result.stderr
    assert TOKEN not in result.output


@pytest.mark.parametrize("wait", ["nan", "NaN", "inf"])
def test_a_rate_limit_wait_that_is_not_a_finite_number_is_a_github_error(clock: FakeClock, wait: str) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"retry-after": wait, "x-ratelimit-reset": wait}, json={"message": "slow"})

    pacing = Pacing(sleep=time.sleep, monotonic=clock.now, now=clock.now, max_wait=5)
    transport = httpx.MockTransport(answer)
    with (
        GitHubClient("https://ghe.example/api/v3", TOKEN, pacing, transport=transport) as client,
        pytest.raises(GitHubError),
    ):
        client.get_all("/repos/o/r/issues")


def test_an_answer_of_an_unexpected_shape_is_a_diagnostic_not_a_traceback(server: FakeGitHub) -> None:
    server.fail("POST", r"/repos/[^/]+/[^/]+/issues", 201, message="not an issue")  # 201, but no number or id
    args = ["sync", "github", str(SCHEDULES), "--config", str(CONFIG), "--api-url", server.url, "--min-interval", "0"]
    result = CliRunner().invoke(app, args, env={"GITHUB_TOKEN": TOKEN})
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), repr(result.exception)
    assert "unexpected shape" in result.stderr and "[github]" in result.stderr


def test_a_proxy_variable_httpx_cannot_use_is_named_as_such() -> None:
    args = ["sync", "github", str(SCHEDULES), "--config", str(CONFIG), "--min-interval", "0"]
    env = {"GITHUB_TOKEN": TOKEN, "HTTPS_PROXY": "ftp://user:pw@proxy.example"}
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), repr(result.exception)
    assert "HTTPS_PROXY" in result.stderr and "[github-client]" in result.stderr and ":pw@" not in result.stderr
