"""The GitHub issues a plan asks for: one per task, each carrying hidden markers that find it again."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from planner.config import Config
from planner.diagnostics import Diagnostic, error, warning
from planner.jsonio import json_text
from planner.plan import DesignInfo, Plan, RepoPlan, Task
from planner.render.markdown import TASK_MARKER, code, decode_id, encode_id
from planner.trackers.identity import identity

__all__ = [
    "FEATURE_MARKER",
    "LABEL_MAX",
    "PLANNER_LABEL",
    "REPO_PATTERN",
    "TITLE_MAX",
    "IssueSpec",
    "design_path",
    "feature_label",
    "fence",
    "issue_key",
    "kind_label",
    "plain",
    "plan_issues",
    "render_export",
    "sanitize_label",
]

PLANNER_LABEL = "planner"
# GitHub refuses longer label names and issue titles.
LABEL_MAX = 50
TITLE_MAX = 256
REPO_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
# Task ids are unique within a design, not across designs (two features may both touch
# `server:migration`), so an issue is identified by its feature marker and its task id together.
FEATURE_MARKER = re.compile(r"<!-- planner:feature=(\S+) -->")


@dataclass(frozen=True)
class IssueSpec:
    """One wanted issue: where it lives (`repo` is "owner/name"), what it says, what blocks it (task ids)."""

    repo: str
    planner_repo: str
    task_id: str
    title: str
    body: str
    labels: tuple[str, ...]
    blocked_by: tuple[str, ...]

    def export(self) -> dict[str, object]:
        return {
            "repo": self.repo,
            "title": self.title,
            "body": self.body,
            "labels": list(self.labels),
            "task_id": self.task_id,
            "blocked_by": list(self.blocked_by),
        }


def sanitize_label(text: str) -> str:
    """A label GitHub accepts and the `labels=` filter can name: one line, no commas, at most 50 chars."""
    text = " ".join(text.replace(",", " ").split())
    return text[:LABEL_MAX].rstrip()


def feature_label(feature: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", feature.lower()).strip("-") or "unnamed"
    return sanitize_label(f"feature:{slug}").rstrip("-")


def kind_label(kind: str) -> str:
    return sanitize_label(f"kind:{kind}")


def issue_key(body: str | None) -> tuple[str, str] | None:
    """(feature, task id) from an issue body's markers, or None when it is not a planner issue."""
    if not body:
        return None
    ids = TASK_MARKER.findall(body)
    features = FEATURE_MARKER.findall(body)
    if not ids or not features:
        return None
    # The markers close the body we write; a quoted marker earlier in a hand-edited body loses.
    return decode_id(features[-1]), decode_id(ids[-1])


def _title(task: Task) -> str:
    title = " ".join(task.title.split()) or task.id
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + "…"


def fence(lines: tuple[str, ...]) -> list[str]:
    longest = max((len(m) for line in lines for m in re.findall(r"`{3,}", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}sh", *lines, fence]


def design_path(design: DesignInfo) -> str:
    """The design's path as issue bodies show it: POSIX, normalised."""
    return posixpath.normpath(Path(design.path).as_posix())


def _body(plan: Plan, repo: RepoPlan, task: Task, titles: dict[str, str], homes: dict[str, str]) -> str:
    design = plan.design
    path = design_path(design)
    lines = [
        f"{plain(task.title)}",
        "",
        f"- Feature: {plain(design.feature)}",
        f"- Repository: {code(repo.name)} (wave {repo.wave})" + (f": {plain(repo.change)}" if repo.change else ""),
        f"- Kind: {task.kind}",
        f"- Design: {code(path)}, line {task.source_line}",
    ]
    if design.branch:
        lines.append(f"- Branch: {code(design.branch)}")
    lines.append(f"- Task: {code(task.id)}")
    if task.files:
        lines += ["", "### Files", "", *(f"- {code(f)}" for f in task.files)]
    if task.depends_on:
        lines += ["", "### Depends on", ""]
        for dep in task.depends_on:
            where = f" (in {homes[dep]})" if dep in homes else ""
            lines.append(f"- {code(dep)}: {plain(titles.get(dep, dep))}{where}")
    if repo.verify:
        lines += ["", "### Verify", "", *fence(repo.verify)]
    lines += [
        "",
        f"<!-- planner:id={encode_id(task.id)} -->",
        f"<!-- planner:feature={encode_id(identity(design))} -->",
    ]
    return "\n".join(lines) + "\n"


def plain(text: str) -> str:
    # Design text on one line, and never able to open an HTML comment or a tag inside the body.
    return " ".join(text.split()).replace("<", "&lt;").replace(">", "&gt;")


def plan_issues(plan: Plan, config: Config) -> tuple[tuple[IssueSpec, ...], tuple[Diagnostic, ...]]:
    """The issues of a plan, in plan order (repos by wave, tasks as planned); repos without a target warn."""
    problems: list[Diagnostic] = []
    homes: dict[str, str] = {}
    for repo in plan.repos:
        tracker = config.repos[repo.name].tracker if repo.name in config.repos else None
        target = tracker.github if tracker is not None else None
        line = config_line(config, repo.name)
        if target is None:
            if repo.tasks:
                problems.append(
                    warning(
                        "github-no-repo",
                        f"repo {repo.name!r} has no GitHub repository; its {len(repo.tasks)} task(s) are left "
                        f'out: add `github = "owner/name"` under [repos.{repo.name}.tracker]',
                        config.path,
                        line,
                    )
                )
        elif not REPO_PATTERN.match(target):
            problems.append(
                error(
                    "github-bad-repo",
                    f'[repos.{repo.name}.tracker] github = {target!r} is not "owner/name"; '
                    'write it like github = "octo-org/octo-repo"',
                    config.path,
                    line,
                )
            )
        else:
            homes.update((task.id, target) for task in repo.tasks)
    titles = {task.id: task.title for repo in plan.repos for task in repo.tasks}
    specs: list[IssueSpec] = []
    for repo in plan.repos:
        for task in repo.tasks:
            if task.id not in homes:
                continue
            labels = {PLANNER_LABEL, kind_label(task.kind), feature_label(identity(plan.design))}
            labels |= {sanitize_label(label) for label in config.repos[repo.name].tracker.labels}
            specs.append(
                IssueSpec(
                    repo=homes[task.id],
                    planner_repo=repo.name,
                    task_id=task.id,
                    title=_title(task),
                    body=_body(plan, repo, task, titles, homes),
                    labels=tuple(sorted(label for label in labels if label)),
                    blocked_by=tuple(sorted(dep for dep in task.depends_on if dep in homes)),
                )
            )
    return tuple(specs), tuple(problems)


def config_line(config: Config, repo: str) -> int:
    """Line of `[repos.<repo>.tracker]` (else `[repos.<repo>]`) in the config file, for diagnostics."""
    try:
        text = Path(config.path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return 1
    found = 1
    for number, raw in enumerate(text.split("\n"), start=1):
        header = raw.strip().replace(" ", "").replace('"', "")
        if header == f"[repos.{repo}.tracker]":
            return number
        if header == f"[repos.{repo}]" and found == 1:
            found = number
    return found


def render_export(specs: tuple[IssueSpec, ...]) -> str:
    """The issues as a JSON list, in plan order: what `sync` would create, for `gh api --input` or other tools."""
    return json_text([spec.export() for spec in specs]) + "\n"
