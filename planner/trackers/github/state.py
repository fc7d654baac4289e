"""GitHub's side of the two-way sync: each task issue's open/closed state and reason, and setting it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from planner.config import Config
from planner.plan import Plan
from planner.trackers.github.client import GitHubClient
from planner.trackers.github.issues import issue_key, plan_issues
from planner.trackers.identity import identity
from planner.trackers.twoway import State, Step, changes

__all__ = ["issue_state", "issue_states", "list_issues", "set_issue_states"]

# GitHub's close reasons for work that will not be done; "completed" and a missing reason mean done.
_DROPPED = ("not_planned", "duplicate")


def list_issues(client: GitHubClient, repo: str) -> list[dict[str, Any]]:
    """Every issue of a repository, open and closed, without pull requests.

    Not filtered by the `planner` label: a renamed or deleted label must not hide planner's issues.
    """
    items = client.get_all(f"repos/{repo}/issues", {"state": "all", "per_page": 100})
    return [item for item in items if "pull_request" not in item]


def issue_state(item: Mapping[str, Any]) -> State:
    if item.get("state") != "closed":
        return "open"
    return "not-planned" if item.get("state_reason") in _DROPPED else "done"


def issue_states(plan: Plan, config: Config, client: GitHubClient) -> dict[str, tuple[State, str, int]]:
    """Task id -> (state, repo, number) of the plan's issues; of two with one task's markers, the lowest number."""
    specs, _ = plan_issues(plan, config)
    key = identity(plan.design)
    found: dict[str, tuple[State, str, int]] = {}
    for repo in sorted({spec.repo for spec in specs}):
        wanted = {spec.task_id for spec in specs if spec.repo == repo}
        for item in sorted(list_issues(client, repo), key=lambda i: -int(i["number"])):
            marks = issue_key(item.get("body"))
            if marks is not None and marks[0] == key and marks[1] in wanted:
                found[marks[1]] = (issue_state(item), repo, int(item["number"]))
    return found


def set_issue_states(client: GitHubClient, steps: Iterable[Step], where: Mapping[str, tuple[str, int]]) -> int:
    """Close (as completed or not planned) or reopen each issue a step changes; how many changed."""
    count = 0
    for step in steps:
        if step.result is None or not changes(step, "tracker"):
            continue
        path = "repos/{}/issues/{}".format(*where[step.task_id])
        if step.tracker != "open" or step.result == "open":
            # GitHub ignores a new state_reason unless the state changes with it: reopen, then close anew.
            client.write("PATCH", path, {"state": "open"}, idempotent=True)
        if step.result != "open":
            reason = "completed" if step.result == "done" else "not_planned"
            client.write("PATCH", path, {"state": "closed", "state_reason": reason}, idempotent=True)
        count += 1
    return count
