"""Taskwarrior 2.6: a plan's tasks as JSONL for `task import`, and an idempotent sync with a real `task`."""

from __future__ import annotations

from planner.trackers.taskwarrior.jsonl import (
    FALLBACK_ENTRY,
    NAMESPACE,
    entry_date,
    export_tasks,
    project_name,
    render_jsonl,
    tag_name,
    task_uuid,
    validate_jsonl,
)
from planner.trackers.taskwarrior.sync import (
    Change,
    SubprocessRunner,
    SyncResult,
    TaskRunner,
    TaskwarriorError,
    find_taskrc,
    format_result,
    read_tasks,
    sync_plan,
)

__all__ = [
    "FALLBACK_ENTRY",
    "NAMESPACE",
    "Change",
    "SubprocessRunner",
    "SyncResult",
    "TaskRunner",
    "TaskwarriorError",
    "entry_date",
    "export_tasks",
    "find_taskrc",
    "format_result",
    "project_name",
    "read_tasks",
    "render_jsonl",
    "sync_plan",
    "tag_name",
    "task_uuid",
    "validate_jsonl",
]
