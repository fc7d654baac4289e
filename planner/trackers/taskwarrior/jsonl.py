"""Taskwarrior JSONL: one task object per plan task, under a uuid derived from the task id."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

from planner.diagnostics import Diagnostic, error
from planner.jsonio import json_text, parse_json
from planner.plan import Plan, RepoPlan, Task
from planner.trackers.identity import identity

__all__ = [
    "FALLBACK_ENTRY",
    "FILE_ANNOTATION",
    "NAMESPACE",
    "entry_date",
    "export_tasks",
    "jsonl",
    "project_name",
    "project_segment",
    "render_jsonl",
    "tag_name",
    "task_uuid",
    "tw_date",
    "validate_jsonl",
]

# Fixed forever: changing it would give every task already in someone's Taskwarrior a new uuid.
NAMESPACE = uuid.UUID("5d0c4a7e-2f61-4b8e-9c3a-7e1f0b6d9a42")
# A design without a parsable date still needs a deterministic `entry`: 2000-01-01T00:00:00Z, i.e.
# 946684800 s after the Unix epoch (Taskwarrior 2.6 rejects the epoch itself as "not a valid date").
FALLBACK_ENTRY = datetime(2000, 1, 1, tzinfo=timezone.utc)
# Annotations the plan owns start with this; any other annotation on a task is the user's and is kept.
FILE_ANNOTATION = "file: "

_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?!\d)")
_TW_DATE = re.compile(r"^\d{8}T\d{6}Z$")
STATUSES = ("pending", "waiting", "completed", "deleted")


def project_segment(text: str) -> str:
    """One level of a Taskwarrior project: dots would nest levels and spaces break filters, so both go."""
    return re.sub(r"[^\w-]+", "-", text).strip("-") or "plan"


def project_name(feature: str, repo: str) -> str:
    """`<feature>.<repo>`: Taskwarrior nests the repo under the feature (`project:<feature>` shows both)."""
    return f"{project_segment(feature)}.{project_segment(repo)}"


def tag_name(text: str) -> str:
    """A tag usable as `+tag`: Taskwarrior reads `+a-b` as arithmetic, and its virtual tags are upper case."""
    return re.sub(r"[^\w]+", "_", text.lower()).strip("_") or "tag"


def task_uuid(identity: str, task_id: str) -> str:
    """uuid5 of the task id in the design identity's namespace: stable across runs, distinct across designs."""
    # Task ids are unique within a plan only: two designs may both plan `server:migration`. The namespace is
    # the exact identity, not its project segment: "Auth: v2" and "auth v2" must not share tasks.
    return str(uuid.uuid5(uuid.uuid5(NAMESPACE, identity), task_id))


def entry_date(design_date: str | None) -> datetime:
    """The design's `**Date:**` (YYYY-MM-DD, midnight UTC), else FALLBACK_ENTRY."""
    match = _DATE.match(design_date or "")
    if match:
        try:
            day = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return FALLBACK_ENTRY
        if day.year >= 1971:
            return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    return FALLBACK_ENTRY


def tw_date(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def export_tasks(plan: Plan) -> tuple[dict[str, Any], ...]:
    """One Taskwarrior task object per plan task, in plan order (repos by wave, tasks as planned)."""
    key = identity(plan.design)
    entry = entry_date(plan.design.date)
    uuids = {t.id: task_uuid(key, t.id) for r in plan.repos for t in r.tasks}
    # The project follows the identity too, so retitling a design with an `**Id:**` changes no task.
    return tuple(_task_object(key, repo, task, entry, uuids) for repo in plan.repos for task in repo.tasks)


def _task_object(feature: str, repo: RepoPlan, task: Task, entry: datetime, uuids: Mapping[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "uuid": uuids[task.id],
        "description": task.title,
        "status": "pending",
        "entry": tw_date(entry),
        "project": project_name(feature, repo.name),
        "tags": sorted({tag_name(repo.name), tag_name(task.kind)}),
        "planid": task.id,
    }
    depends = sorted({uuids[d] for d in task.depends_on if d in uuids})
    if depends:
        item["depends"] = depends
    if task.files:
        # Taskwarrior keys annotations by their entry second: one second apart, or all but one vanish.
        item["annotations"] = [
            {"entry": tw_date(entry + timedelta(seconds=i)), "description": f"{FILE_ANNOTATION}{path}"}
            for i, path in enumerate(task.files)
        ]
    return item


def jsonl(tasks: Iterable[Mapping[str, Any]]) -> str:
    """JSONL: one task per line (2.6 aborts a whole JSON array on one bad task; a bad line fails alone)."""
    return "".join(json_text(t, indent=None, sort_keys=True) + "\n" for t in tasks)


def render_jsonl(plan: Plan) -> str:
    """The plan's tasks as JSONL for `task import`, keys sorted so that output is byte-stable."""
    return jsonl(export_tasks(plan))


def validate_jsonl(text: str, path: str) -> tuple[Diagnostic, ...]:
    """Check JSONL against what `task import` needs, before Taskwarrior ever sees it."""
    problems: list[Diagnostic] = []
    seen: dict[str, int] = {}
    wanted: list[tuple[str, int]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            item = parse_json(line)
        except ValueError as exc:
            problems.append(
                error("taskwarrior-jsonl", f"not JSON ({exc}); write one task object per line", path, number)
            )
            continue
        if not isinstance(item, dict):
            problems.append(
                error("taskwarrior-jsonl", "not a JSON object; write one task object per line", path, number)
            )
            continue
        found = _line_problems(item)
        problems += [error("taskwarrior-jsonl", message, path, number) for message in found]
        key = item.get("uuid")
        if isinstance(key, str) and not found:
            if key in seen:
                problems.append(
                    error("taskwarrior-jsonl", f"uuid {key} is repeated (first at line {seen[key]})", path, number)
                )
            seen.setdefault(key, number)
            wanted += [(d, number) for d in item.get("depends", [])]
    for dep, number in wanted:
        if dep not in seen:
            problems.append(
                error("taskwarrior-jsonl", f"depends on {dep}, which no line of the file defines", path, number)
            )
    return tuple(problems)


def _line_problems(item: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for key in ("uuid", "description", "status", "entry"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            found.append(f"'{key}' must be a non-empty string")
    if found:
        return found
    if not _is_uuid(item["uuid"]):
        found.append(f"uuid {item['uuid']!r} is not a UUID")
    if item["status"] not in STATUSES:
        found.append(f"status {item['status']!r} is not one of {', '.join(STATUSES)}")
    if not _TW_DATE.match(item["entry"]):
        found.append(f"entry {item['entry']!r} is not a Taskwarrior date (YYYYMMDDTHHMMSSZ)")
    tags = item.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t and not re.search(r"\s", t) for t in tags):
        found.append("'tags' must be a list of non-empty strings without spaces")
    depends = item.get("depends", [])
    if not isinstance(depends, list) or not all(isinstance(d, str) and _is_uuid(d) for d in depends):
        found.append("'depends' must be a list of task uuids")
    annotations = item.get("annotations", [])
    if not isinstance(annotations, list) or not all(_is_annotation(a) for a in annotations):
        found.append("'annotations' must be a list of {entry, description} objects with Taskwarrior dates")
    elif len({a["entry"] for a in annotations}) != len(annotations):
        found.append("two annotations share an entry time; Taskwarrior would keep only one of them")
    for key in ("project", "planid"):
        if key in item and not isinstance(item[key], str):
            found.append(f"'{key}' must be a string")
    return found


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def _is_annotation(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("entry"), str)
        and bool(_TW_DATE.match(value["entry"]))
        and isinstance(value.get("description"), str)
    )
