"""Epics: one parent issue per (design, repo), its repo's task issues as sub-issues, within GitHub's limits."""

from __future__ import annotations

import re

from planner.plan import Plan
from planner.render.markdown import code, decode_id, encode_id
from planner.trackers.github.issues import (
    FEATURE_MARKER,
    PLANNER_LABEL,
    TITLE_MAX,
    IssueSpec,
    design_path,
    feature_label,
    fence,
    kind_label,
    plain,
)
from planner.trackers.identity import identity

__all__ = ["EPIC_MARKER", "MAX_BLOCKED_BY", "MAX_SUB_ISSUES", "epic_key", "epic_specs", "limit_problems"]

EPIC_MARKER = re.compile(r"<!-- planner:epic=(\S+) -->")
# GitHub's documented limits: 100 sub-issues per parent, 8 levels of sub-issues (ours are 2), and 50
# "blocked by" dependencies per issue. Checked before any write: a half-made tree is worse than none.
MAX_SUB_ISSUES = 100
MAX_BLOCKED_BY = 50


def epic_key(body: str | None) -> tuple[str, str] | None:
    """(design identity, planner repo) from an epic's markers, or None when the body is not an epic's."""
    epics = EPIC_MARKER.findall(body or "")
    features = FEATURE_MARKER.findall(body or "")
    if not epics or not features:
        return None
    return decode_id(features[-1]), decode_id(epics[-1])


def epic_specs(plan: Plan, specs: tuple[IssueSpec, ...]) -> tuple[IssueSpec, ...]:
    """One epic per repo that has task issues, in plan order; `task_id` is the repo's name."""
    homes = {spec.planner_repo: spec.repo for spec in specs}
    key = identity(plan.design)
    found: list[IssueSpec] = []
    for repo in plan.repos:
        if repo.name not in homes:
            continue
        title = " ".join(f"{plan.design.feature}: {repo.name}".split())
        lines = [
            f"All of {code(repo.name)}'s tasks for {plain(plan.design.feature)} are this issue's sub-issues.",
            "",
            f"- Repository: {code(repo.name)} (wave {repo.wave})" + (f": {plain(repo.change)}" if repo.change else ""),
            f"- Design: {code(design_path(plan.design))}",
        ]
        if plan.design.branch:
            lines.append(f"- Branch: {code(plan.design.branch)}")
        if repo.verify:
            lines += ["", "### Verify", "", *fence(repo.verify)]
        lines += ["", f"<!-- planner:epic={encode_id(repo.name)} -->", f"<!-- planner:feature={encode_id(key)} -->"]
        found.append(
            IssueSpec(
                repo=homes[repo.name],
                planner_repo=repo.name,
                task_id=repo.name,
                title=title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + "…",
                body="\n".join(lines) + "\n",
                labels=tuple(sorted({PLANNER_LABEL, kind_label("epic"), feature_label(key)})),
                blocked_by=(),
            )
        )
    return tuple(found)


def limit_problems(specs: tuple[IssueSpec, ...], epics: bool) -> list[str]:
    """What would break GitHub's limits, each with its fix; empty when the whole tree fits."""
    problems: list[str] = []
    if epics:
        per_repo: dict[str, int] = {}
        for spec in specs:
            per_repo[spec.planner_repo] = per_repo.get(spec.planner_repo, 0) + 1
        problems += [
            f"repo {repo!r} has {count} tasks, over GitHub's {MAX_SUB_ISSUES} sub-issues per parent; "
            "split the design or sync with --no-epics"
            for repo, count in sorted(per_repo.items())
            if count > MAX_SUB_ISSUES
        ]
    problems += [
        f"task {spec.task_id} is blocked by {len(spec.blocked_by)} issues, over GitHub's {MAX_BLOCKED_BY} per "
        "issue; split the task's dependencies in the design"
        for spec in specs
        if len(spec.blocked_by) > MAX_BLOCKED_BY
    ]
    return problems
