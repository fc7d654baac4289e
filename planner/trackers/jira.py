"""Jira CSV for the issue importer: an Epic per repo, a Task per plan task, `Blocks` links, RFC 4180.

Issue Ids are 1..N in file order: the repos' epics first (plan order: by wave, then name), then every task
(repo by repo, in plan order). A task's `Parent` is its repo epic's Issue Id. The `Link "Blocks"` cells of a
row name the Issue Ids of the tasks that row's issue blocks (the tasks that depend on it), so Jira records
"this issue blocks that one". Multi-valued columns repeat their header, as Jira's importer expects.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from planner.config import Config
from planner.diagnostics import printable
from planner.plan import Plan, RepoPlan, Task

__all__ = ["COLUMNS", "LINK_COLUMN", "JiraRow", "jira_rows", "neutralise", "render_csv"]

COLUMNS = ("Summary", "Issue Type", "Issue Id", "Parent", "Project Key", "Description")
LABEL_COLUMN = "Labels"
LINK_COLUMN = 'Link "Blocks"'
# OWASP CSV injection: a spreadsheet reads a cell starting with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# Jira rejects longer summaries.
_SUMMARY_MAX = 255


@dataclass(frozen=True)
class JiraRow:
    """One issue of the import file, before CSV quoting and formula neutralising."""

    summary: str
    issue_type: str
    issue_id: int
    parent: int | None
    project_key: str
    description: str
    labels: tuple[str, ...]
    blocks: tuple[int, ...]


def neutralise(cell: str) -> str:
    """Prefix `'` to a cell a spreadsheet would run as a formula (OWASP); Jira shows the text as written."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def label(text: str) -> str:
    """Jira labels cannot hold spaces."""
    return re.sub(r"\s+", "_", text.strip())


def jira_rows(plan: Plan, config: Config) -> tuple[JiraRow, ...]:
    """Epics (one per repo) then tasks, numbered 1..N in that order."""
    epic_ids = {repo.name: number for number, repo in enumerate(plan.repos, start=1)}
    tasks = [(repo, task) for repo in plan.repos for task in repo.tasks]
    task_ids = {task.id: number for number, (_, task) in enumerate(tasks, start=len(epic_ids) + 1)}
    blocks: dict[str, list[int]] = {}
    for _, task in tasks:
        for dep in task.depends_on:
            blocks.setdefault(dep, []).append(task_ids[task.id])
    feature = plan.design.feature
    rows = [
        JiraRow(
            summary=_summary(f"{feature}: {repo.name}"),
            issue_type="Epic",
            issue_id=epic_ids[repo.name],
            parent=None,
            project_key=_project_key(config, repo.name),
            description=_epic_description(plan, repo),
            labels=_labels(config, repo.name, feature),
            blocks=(),
        )
        for repo in plan.repos
    ]
    titles = {task.id: task.title for _, task in tasks}
    rows += [
        JiraRow(
            summary=_summary(task.title),
            issue_type="Task",
            issue_id=task_ids[task.id],
            parent=epic_ids[repo.name],
            project_key=_project_key(config, repo.name),
            description=_task_description(plan, repo, task, titles),
            labels=_labels(config, repo.name, feature, task.kind),
            blocks=tuple(sorted(blocks.get(task.id, ()))),
        )
        for repo, task in tasks
    ]
    return tuple(rows)


def render_csv(plan: Plan, config: Config) -> str:
    """The import file: RFC 4180 (every cell quoted, CRLF line ends), header row first."""
    rows = jira_rows(plan, config)
    label_count = max((len(r.labels) for r in rows), default=0)
    link_count = max((len(r.blocks) for r in rows), default=0)
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([*COLUMNS, *[LABEL_COLUMN] * label_count, *[LINK_COLUMN] * link_count])
    for row in rows:
        cells = [
            row.summary,
            row.issue_type,
            str(row.issue_id),
            "" if row.parent is None else str(row.parent),
            row.project_key,
            row.description,
            *_padded(row.labels, label_count),
            *_padded([str(n) for n in row.blocks], link_count),
        ]
        # Escaped control characters: the file is printed to terminals, where ESC would run a sequence.
        writer.writerow([neutralise(printable(cell)) for cell in cells])
    return out.getvalue()


def _padded(values: Sequence[str], width: int) -> list[str]:
    return [*values, *[""] * (width - len(values))]


def _summary(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _SUMMARY_MAX else flat[: _SUMMARY_MAX - 1] + "…"


def _project_key(config: Config, repo: str) -> str:
    # Empty when not configured: the importer then puts the issue in the project chosen in its wizard.
    settings = config.repos.get(repo)
    return (settings.tracker.jira or "") if settings else ""


def _labels(config: Config, repo: str, feature: str, kind: str | None = None) -> tuple[str, ...]:
    settings = config.repos.get(repo)
    extra = settings.tracker.labels if settings else ()
    found = {label(x) for x in ("planner", feature, *(k for k in (kind,) if k), *extra)}
    return tuple(sorted(x for x in found if x))


def _epic_description(plan: Plan, repo: RepoPlan) -> str:
    lines = [
        f"{repo.name}: {repo.change}" if repo.change else repo.name,
        f"Repository: {repo.description} ({repo.language})",
        f"Wave {repo.wave}" + (f", after {', '.join(repo.depends_on)}" if repo.depends_on else ""),
        f"Design: {plan.design.path}",
    ]
    if repo.verify:
        lines += ["Verify:", *(f"  {command}" for command in repo.verify)]
    return "\n".join(lines)


def _task_description(plan: Plan, repo: RepoPlan, task: Task, titles: dict[str, str]) -> str:
    lines = [f"Plan task: {task.id}", f"Repository: {repo.name}", f"Design: {plan.design.path}:{task.source_line}"]
    if task.files:
        lines += ["Files:", *(f"  {path}" for path in task.files)]
    if task.depends_on:
        lines += [
            "Depends on:",
            *(f"  {dep}: {titles[dep]}" if dep in titles else f"  {dep}" for dep in task.depends_on),
        ]
    if repo.verify:
        lines += ["Verify:", *(f"  {command}" for command in repo.verify)]
    return "\n".join(lines)
