"""Sync with a real Taskwarrior: read its state, import what changed, never reopen done work."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from planner.diagnostics import Diagnostic, error, warning
from planner.errors import PlannerError
from planner.jsonio import parse_json
from planner.plan import Plan
from planner.trackers.identity import identity
from planner.trackers.taskwarrior.jsonl import FILE_ANNOTATION, export_tasks, jsonl, task_uuid, validate_jsonl

__all__ = [
    "BASE_RC",
    "PLANID_RC",
    "Change",
    "SubprocessRunner",
    "SyncResult",
    "TaskRunner",
    "TaskwarriorError",
    "find_taskrc",
    "format_result",
    "read_tasks",
    "sync_plan",
]

# Every `task` call declares the `planid` UDA, so Taskwarrior stores and exports it as a proper field.
PLANID_RC = ("rc.uda.planid.type=string", "rc.uda.planid.label=Plan id")


def find_taskrc(env: Mapping[str, str]) -> Path | None:
    """The taskrc Taskwarrior 2.6 would read: $TASKRC, ~/.taskrc, then $XDG_CONFIG_HOME/task/taskrc."""
    home = Path(env["HOME"]) if env.get("HOME") else None
    if env.get("TASKRC"):
        candidates: Iterable[Path] = [Path(env["TASKRC"])]
    else:
        xdg = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else (home / ".config" if home else None)
        candidates = [p for p in (home / ".taskrc" if home else None, xdg / "task" / "taskrc" if xdg else None) if p]
    # A missing file is "none": 2.6 would then silently write a sample taskrc there.
    return next((p for p in candidates if p.is_file()), None)


class TaskwarriorError(PlannerError):
    """`task` is missing or failed; the message says what happened and what to do."""


class TaskRunner(Protocol):
    """Runs `task` with the given arguments and stdin, returns its stdout; raises TaskwarriorError."""

    def run(self, args: Sequence[str], stdin: str | None = None) -> str: ...


@dataclass(frozen=True)
class SubprocessRunner:
    """The real `task` binary, run with exactly the environment it is given (the CLI passes its own)."""

    env: Mapping[str, str]
    binary: str = "task"
    timeout: float = 600.0

    def run(self, args: Sequence[str], stdin: str | None = None) -> str:
        try:
            # stdin is always a closed pipe, so a prompt Taskwarrior might still show reads EOF, never hangs.
            done = subprocess.run(
                [self.binary, *args],
                input=stdin or "",
                capture_output=True,
                text=True,
                env=dict(self.env),
                timeout=self.timeout,
                check=False,
            )
        except FileNotFoundError as exc:
            raise TaskwarriorError(
                f"'{self.binary}' not found; install Taskwarrior 2.6 (Debian/Ubuntu: apt-get install "
                "taskwarrior) or pass --task-binary"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise TaskwarriorError(f"'{self.binary} {args[-1]}' did not finish within {self.timeout:.0f} s") from exc
        except OSError as exc:
            raise TaskwarriorError(f"cannot run '{self.binary}': {exc}") from exc
        if done.returncode != 0:
            said = (done.stderr.strip() or done.stdout.strip() or "no message").splitlines()
            raise TaskwarriorError(f"'task {args[-1]}' failed with exit {done.returncode}: {' / '.join(said[-3:])}")
        return done.stdout


# Never ask, never print chatter, never run the user's hooks on our bulk import.
BASE_RC = ("rc.confirmation=off", "rc.verbose=nothing", "rc.hooks=off", *PLANID_RC)
# Reading must write nothing: no garbage collection, no recurrence instances.
READ_RC = ("rc.json.array=on", "rc.json.depends.array=on", "rc.gc=off", "rc.recurrence=off")
# The plan owns these fields; tags are only added to and the user's own annotations stay.
_MANAGED = ("description", "project", "entry", "planid", "depends")
_VOLATILE = ("id", "urgency", "modified")
_OPEN = ("pending", "waiting")


@dataclass(frozen=True)
class Change:
    """What sync does (or would do) to one task: add, modify, unchanged, removed (left alone) or delete."""

    action: str
    uuid: str
    planid: str
    description: str


@dataclass(frozen=True)
class SyncResult:
    """Every task's change in plan order (then the removed ones), and what went wrong."""

    changes: tuple[Change, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    dry_run: bool = False

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)


def read_tasks(runner: TaskRunner) -> list[dict[str, Any]]:
    """Every task Taskwarrior holds (pending, completed and deleted), as `task export` gives them."""
    out = runner.run([*BASE_RC, *READ_RC, "export"])
    try:
        # strict=False: Taskwarrior 2.6 writes a control character in a description raw, unescaped.
        tasks = parse_json(out or "[]", strict=False)
    except ValueError as exc:
        raise TaskwarriorError(f"'task export' printed no JSON ({exc}); check the taskrc for json.* settings") from exc
    if not isinstance(tasks, list) or not all(isinstance(t, dict) and "uuid" in t for t in tasks):
        raise TaskwarriorError("'task export' printed something other than a list of tasks")
    return tasks


def sync_plan(plan: Plan, runner: TaskRunner, *, dry_run: bool = False, delete_removed: bool = False) -> SyncResult:
    """Make Taskwarrior hold the plan's tasks: add the missing, update the changed, never reopen done work."""
    path = plan.design.path
    wanted = export_tasks(plan)
    problems = validate_jsonl(jsonl(wanted), f"{path} (taskwarrior JSONL)")
    if problems:
        return SyncResult(diagnostics=problems, dry_run=dry_run)
    try:
        current = {t["uuid"]: _normal(t) for t in read_tasks(runner)}
        changes, payload = _reconcile(identity(plan.design), wanted, current, delete_removed)
        notes = _retitled(plan, wanted, current)
        if dry_run or not payload:
            return SyncResult(changes=changes, diagnostics=notes, dry_run=dry_run)
        runner.run([*BASE_RC, "import"], stdin=jsonl(payload))
        after = {t["uuid"]: t for t in read_tasks(runner)}
    except TaskwarriorError as exc:
        return SyncResult(diagnostics=(error("taskwarrior", str(exc), path, 1),), dry_run=dry_run)
    # Judge by what Taskwarrior holds afterwards, not by its exit code alone.
    lost = tuple(
        error(
            "taskwarrior",
            f"'task import' did not store task {sent['uuid']} ({sent['planid']}) as sent; "
            "check `task diagnostics` and the data folder's permissions",
            path,
            1,
        )
        for sent in payload
        if {k: after.get(sent["uuid"], {}).get(k) for k in ("description", "status")}
        != {"description": sent["description"], "status": sent["status"]}
    )
    return SyncResult(changes=changes, diagnostics=(*notes, *lost))


def _retitled(
    plan: Plan, wanted: Sequence[Mapping[str, Any]], current: Mapping[str, Mapping[str, Any]]
) -> tuple[Diagnostic, ...]:
    """A warning when a design without an `**Id:**` has none of its tasks in Taskwarrior yet, but open tasks of
    another design carry at least half of its task ids: perhaps this design, retitled. Only a warning: two
    designs may well plan the same task ids, and tasks do not record their design's path."""
    if plan.design.id or not wanted or any(t["uuid"] in current for t in wanted):
        return ()
    ids = {str(t["planid"]) for t in wanted}
    key = identity(plan.design)
    projects: dict[str, set[str]] = {}
    for task in current.values():
        planid = str(task.get("planid", ""))
        if planid in ids and task.get("status") in _OPEN and not _owned(task, key):
            projects.setdefault(str(task.get("project", "")).split(".")[0], set()).add(planid)
    found = sorted((p, len(v)) for p, v in projects.items() if 2 * len(v) >= len(ids))
    return tuple(
        warning(
            "taskwarrior-retitled",
            f"none of this design's tasks existed yet, but project {project!r} holds {count} open task(s) with "
            "its task ids: if the design was retitled, add `**Id:** <its old title>` to its header, sync again and "
            "delete the copies just added; if it is a new design, give it an `**Id:**` to silence this",
            plan.design.path,
            1,
        )
        for project, count in found
    )


def _reconcile(
    key: str, wanted: Sequence[dict[str, Any]], current: Mapping[str, dict[str, Any]], delete_removed: bool
) -> tuple[tuple[Change, ...], list[dict[str, Any]]]:
    changes: list[Change] = []
    payload: list[dict[str, Any]] = []
    for ours in wanted:
        old = current.get(ours["uuid"])
        if old is None:
            action, new = "add", ours
        else:
            new = _merged(old, ours)
            action = "unchanged" if new == old else "modify"
        changes.append(Change(action, ours["uuid"], ours["planid"], ours["description"]))
        if action != "unchanged":
            payload.append(new)
    planned = {t["uuid"] for t in wanted}
    gone = sorted(
        (t for t in current.values() if t["uuid"] not in planned and t.get("status") in _OPEN and _owned(t, key)),
        key=lambda t: (str(t["planid"]), t["uuid"]),
    )
    for old in gone:
        changes.append(
            Change(
                "delete" if delete_removed else "removed",
                old["uuid"],
                str(old["planid"]),
                str(old.get("description", "")),
            )
        )
        if delete_removed:
            payload.append({**old, "status": "deleted"})
    return tuple(changes), payload


def _owned(task: Mapping[str, Any], key: str) -> bool:
    """Whether this design made the task: its uuid is the one its planid has in the identity's namespace."""
    # Exact, unlike the project name: two designs whose titles differ by punctuation share a project segment.
    return "planid" in task and task["uuid"] == task_uuid(key, str(task["planid"]))


def _normal(task: Mapping[str, Any]) -> dict[str, Any]:
    """An exported task as it would be imported: no computed fields, lists in a fixed order."""
    out = {k: v for k, v in task.items() if k not in _VOLATILE}
    depends = out.pop("depends", None)
    if isinstance(depends, str):  # json.depends.array=off in an older taskrc
        depends = depends.split(",")
    if depends:
        out["depends"] = sorted(d for d in depends if d)
    if out.get("tags"):
        out["tags"] = sorted(out["tags"])
    else:
        out.pop("tags", None)
    if out.get("annotations"):
        out["annotations"] = sorted(out["annotations"], key=lambda a: (a.get("entry", ""), a.get("description", "")))
    else:
        out.pop("annotations", None)
    return out


def _merged(old: Mapping[str, Any], ours: Mapping[str, Any]) -> dict[str, Any]:
    """The stored task with the plan's fields laid over it; status, dates and user fields kept."""
    new = dict(old)
    for key in _MANAGED:
        if key in ours:
            new[key] = ours[key]
        else:
            new.pop(key, None)
    new["tags"] = sorted(set(old.get("tags", ())) | set(ours["tags"]))
    notes = [a for a in old.get("annotations", ()) if not str(a.get("description", "")).startswith(FILE_ANNOTATION)]
    notes += ours.get("annotations", [])
    if notes:
        new["annotations"] = sorted(notes, key=lambda a: (a.get("entry", ""), a.get("description", "")))
    else:
        new.pop("annotations", None)
    return new


_VERBS = {
    "add": ("would add", "added"),
    "modify": ("would modify", "modified"),
    "unchanged": ("unchanged", "unchanged"),
    "removed": ("removed from the plan, left alone", "removed from the plan, left alone"),
    "delete": ("would delete", "deleted"),
}


def format_result(result: SyncResult) -> str:
    """One line per task, then the counts: what sync did, or with --dry-run what it would do."""
    lines = [f"{_VERBS[c.action][not result.dry_run]}: {c.uuid} {c.planid}: {c.description}" for c in result.changes]
    counts = ", ".join(f"{result.count(a)} {_VERBS[a][not result.dry_run].split(',')[0]}" for a in _VERBS)
    lines.append(f"taskwarrior{' (dry run)' if result.dry_run else ''}: {counts}")
    if result.count("removed"):
        lines.append("pass --delete-removed to delete the tasks the plan no longer has")
    return "\n".join(lines) + "\n"
