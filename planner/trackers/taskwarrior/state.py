"""Taskwarrior's side of the two-way sync: each plan task's status, and setting it with `task done/delete`."""

from __future__ import annotations

from collections.abc import Iterable

from planner.plan import Plan
from planner.trackers.identity import identity
from planner.trackers.taskwarrior.jsonl import task_uuid
from planner.trackers.taskwarrior.sync import BASE_RC, TaskRunner, read_tasks
from planner.trackers.twoway import State, Step, changes

__all__ = ["set_states", "task_states"]

_STATE: dict[str, State] = {"completed": "done", "deleted": "not-planned"}


def _uuids(plan: Plan) -> dict[str, str]:
    key = identity(plan.design)
    return {task.id: task_uuid(key, task.id) for repo in plan.repos for task in repo.tasks}


def task_states(plan: Plan, runner: TaskRunner) -> dict[str, State]:
    """Task id -> state for every plan task Taskwarrior holds: completed done, deleted not planned, else open."""
    stored = {str(t["uuid"]): str(t.get("status", "pending")) for t in read_tasks(runner)}
    return {task_id: _STATE.get(stored[uuid], "open") for task_id, uuid in _uuids(plan).items() if uuid in stored}


def set_states(plan: Plan, runner: TaskRunner, steps: Iterable[Step]) -> int:
    """Give Taskwarrior the state each step decided for it; how many tasks changed."""
    uuids = _uuids(plan)
    count = 0
    for step in steps:
        if step.result is None or not changes(step, "tracker"):
            continue
        uuid = uuids[step.task_id]
        if step.tracker != "open":
            # `done` and `delete` take only open tasks; a reopened task is pending again (its end date goes).
            runner.run([*BASE_RC, uuid, "modify", "status:pending"])
        if step.result == "done":
            runner.run([*BASE_RC, uuid, "done"])
        elif step.result == "not-planned":
            runner.run([*BASE_RC, uuid, "delete"])
        count += 1
    return count
