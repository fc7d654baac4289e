"""Two-way tracker state: the plan's boxes against a tracker, judged against the base both last agreed on.

The base is a sidecar file next to the plan (`.<plan file name>.sync.json`): per tracker, per task id, the
state plan and tracker had when they last agreed. A side that moved away from the base since then wins; both
moving to different states is a conflict, left alone unless `prefer` names the side that wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from planner.ci.progress import BLANK, DONE, NOT_PLANNED, read_progress, set_boxes
from planner.ci.progress import box_state as progress_box_state
from planner.diagnostics import Diagnostic, error
from planner.errors import PlannerError
from planner.files import write_atomic
from planner.jsonio import json_text, parse_json
from planner.render.markdown import encode_id

__all__ = [
    "BASE_VERSION",
    "BaseError",
    "Outcome",
    "Prefer",
    "Report",
    "Side",
    "State",
    "Step",
    "base_path",
    "box_state",
    "changes",
    "conflict_diagnostics",
    "new_base",
    "plan_states",
    "read_base",
    "reconcile",
    "state_box",
    "write_base",
    "write_plan",
]

State = Literal["open", "done", "not-planned"]
Side = Literal["plan", "tracker"]
Prefer = Side
Outcome = Literal["in-step", "to-plan", "to-tracker", "conflict"]
BASE_VERSION = 1
_STATES: tuple[str, ...] = get_args(State)
_BOXES: dict[State, str] = {"open": BLANK, "done": DONE, "not-planned": NOT_PLANNED}


class BaseError(PlannerError):
    """The base file cannot be read; the message names it and the fix."""


def box_state(box: str) -> State:
    """A box's tracker state, as the carry-over reads the box: done (`x`, `✔`, any mark), not planned (`-`), open."""
    return {DONE: "done", NOT_PLANNED: "not-planned"}.get(progress_box_state(box), "open")  # type: ignore[return-value]


def state_box(state: State) -> str:
    return _BOXES[state]


@dataclass(frozen=True)
class Step:
    """One task: both sides' state, the base, the outcome, and the state both hold after it is applied."""

    task_id: str
    plan: State
    tracker: State
    base: State
    outcome: Outcome
    result: State | None  # None for an unresolved conflict

    def format(self, dry_run: bool = False) -> str:
        would = "would " if dry_run else ""
        if self.outcome == "to-plan":
            return f"{would}set plan box [{state_box(self.tracker)}] ({self.plan} -> {self.tracker}) [{self.task_id}]"
        if self.outcome == "to-tracker":
            return f"{would}set tracker {self.plan} ({self.tracker} -> {self.plan}) [{self.task_id}]"
        if self.outcome == "conflict" and self.result is None:
            return (
                f"conflict: plan says {self.plan}, tracker says {self.tracker}, both changed since {self.base}; "
                f"left alone (--prefer plan|tracker decides) [{self.task_id}]"
            )
        side = "plan" if self.result == self.plan else "tracker"
        return f"{would}resolve conflict for the {side}: {self.result} [{self.task_id}]"


def reconcile(
    plan: Mapping[str, State],
    tracker: Mapping[str, State],
    base: Mapping[str, State],
    prefer: Prefer | None = None,
) -> tuple[Step, ...]:
    """One step per task both sides hold, in the plan's order; a task never synced has the base "open"."""
    steps: list[Step] = []
    for task_id, ours in plan.items():
        theirs = tracker.get(task_id)
        if theirs is None:
            continue
        # Every task starts open on both sides, so "open" is the base of one never synced before.
        was = base.get(task_id, "open")
        if ours == theirs:
            steps.append(Step(task_id, ours, theirs, was, "in-step", ours))
        elif ours == was:
            steps.append(Step(task_id, ours, theirs, was, "to-plan", theirs))
        elif theirs == was:
            steps.append(Step(task_id, ours, theirs, was, "to-tracker", ours))
        else:
            won = {"plan": ours, "tracker": theirs, None: None}[prefer]
            steps.append(Step(task_id, ours, theirs, was, "conflict", won))
    return tuple(steps)


def changes(step: Step, side: Side) -> bool:
    """Whether applying the step writes to this side: its state differs from the agreed result."""
    return step.result is not None and step.result != (step.plan if side == "plan" else step.tracker)


def new_base(steps: tuple[Step, ...], base: Mapping[str, State], side: Side) -> dict[str, State]:
    """The base after writing only `side`, sorted by task id: what both sides then hold, else the loser's state.

    A conflict resolved for the side not written keeps the loser's state as its base, so the next run in
    the other direction sees the winner as the side that changed and sends it without another --prefer.
    """
    new = dict(base)
    for step in steps:
        if step.result is None:
            continue
        other = step.tracker if side == "plan" else step.plan
        if step.result == other or changes(step, side):
            new[step.task_id] = step.result
        elif step.outcome == "conflict":
            new[step.task_id] = other
    return dict(sorted(new.items()))


def plan_states(text: str, task_ids: tuple[str, ...]) -> dict[str, State]:
    """The state of each of the given tasks in a plan's text, in the given order; unmarked tasks are left out."""
    boxes = read_progress(text).boxes
    return {task_id: box_state(boxes[task_id]) for task_id in task_ids if task_id in boxes}


def write_plan(path: Path, text: str, steps: tuple[Step, ...]) -> int:
    """Set the boxes the steps change in the plan (atomically); how many changed."""
    boxes = {s.task_id: state_box(s.result) for s in steps if s.result is not None and changes(s, "plan")}
    if boxes:
        write_atomic(path, set_boxes(text, boxes))
    return len(boxes)


def base_path(plan: Path) -> Path:
    """`.<plan file name>.sync.json` beside the plan: regenerating the plan leaves it, no server holds it."""
    return plan.with_name(f".{plan.name}.sync.json")


def read_base(path: Path, tracker: str) -> dict[str, State]:
    """One tracker's base from the file (empty when there is none yet); BaseError for a broken one."""
    data = _read(path)
    section = data.get(tracker, {})
    if not isinstance(section, dict) or not all(isinstance(v, str) and v in _STATES for v in section.values()):
        raise BaseError(f"{path}: [{tracker!r}] must map task ids to one of {', '.join(_STATES)}; {_FIX}")
    return {str(k): v for k, v in section.items()}


def write_base(path: Path, tracker: str, states: Mapping[str, State]) -> bool:
    """Store one tracker's base (other trackers' kept), sorted keys, atomically; False when nothing changed."""
    data = _read(path)
    data["version"] = BASE_VERSION
    data[tracker] = dict(sorted(states.items()))
    text = json_text(data, sort_keys=True) + "\n"
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    write_atomic(path, text)
    return True


_FIX = "delete the file to start again from an 'all open' base"


def _read(path: Path) -> dict[str, object]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise BaseError(f"{path}: cannot read the sync base ({exc}); {_FIX}") from exc
    try:
        data = parse_json(text)
    except ValueError as exc:
        raise BaseError(f"{path}: the sync base is not JSON ({exc}); {_FIX}") from exc
    if not isinstance(data, dict) or data.get("version") != BASE_VERSION:
        raise BaseError(f"{path}: not a version {BASE_VERSION} sync base; {_FIX}")
    return data


@dataclass(frozen=True)
class Report:
    """A pull or a plan-to-tracker sync: its steps, how many plan tasks the tracker lacks, and what it wrote."""

    tracker: str
    side: Side
    steps: tuple[Step, ...]
    missing: int
    dry_run: bool

    @property
    def behind(self) -> bool:
        """Whether the written side lacks a change of the other (a conflict counts: neither shows both)."""
        return any(changes(s, self.side) or (s.outcome == "conflict" and s.result is None) for s in self.steps)

    def lines(self) -> str:
        """One line per task that is not in step (in plan order), then the counts."""
        shown = [s.format(self.dry_run) for s in self.steps if s.outcome != "in-step" and _concerns(s, self.side)]
        written = sum(1 for s in self.steps if changes(s, self.side))
        other = sum(1 for s in self.steps if changes(s, "tracker" if self.side == "plan" else "plan"))
        conflicts = sum(1 for s in self.steps if s.outcome == "conflict" and s.result is None)
        verb = "would change" if self.dry_run else "changed"
        later = "left for `planner sync --plan`" if self.side == "plan" else "left for `planner pull`"
        head = f"{self.tracker} {'pull' if self.side == 'plan' else 'sync'}{' (dry run)' if self.dry_run else ''}"
        counts = (
            f"{head}: {verb} {written} {self.side} task(s); {other} {later}; {conflicts} conflict(s); "
            f"{sum(1 for s in self.steps if s.outcome == 'in-step')} in step; {self.missing} not in {self.tracker}"
        )
        return "\n".join([*shown, counts]) + "\n"


def _concerns(step: Step, side: Side) -> bool:
    """A step worth a line on this run: it writes this side, or it is a conflict."""
    return changes(step, side) or step.outcome == "conflict"


def conflict_diagnostics(steps: tuple[Step, ...], path: str, text: str) -> tuple[Diagnostic, ...]:
    """One error per unresolved conflict, at the task's line in the plan, naming both sides and the fix."""
    lines = text.split("\n")
    found: list[Diagnostic] = []
    for step in steps:
        if step.outcome != "conflict" or step.result is not None:
            continue
        marker = f"<!-- planner:id={encode_id(step.task_id)} -->"
        line = next((n for n, raw in enumerate(lines, start=1) if marker in raw), 1)
        found.append(
            error(
                "tracker-conflict",
                f"task {step.task_id}: the plan says {step.plan} and the tracker says {step.tracker}; both "
                f"changed since they agreed on {step.base}. Neither was changed: make them agree by hand, or run "
                "again with --prefer plan or --prefer tracker",
                path,
                line,
            )
        )
    return tuple(found)
