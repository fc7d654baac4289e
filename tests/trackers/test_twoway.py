"""The two-way core: three-way reconcile against the base, the base file, and setting boxes in a plan's text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.ci.progress import read_progress, set_boxes
from planner.trackers.twoway import (
    BaseError,
    State,
    Step,
    base_path,
    box_state,
    changes,
    new_base,
    read_base,
    reconcile,
    write_base,
)

STATES: tuple[State, ...] = ("open", "done", "not-planned")
states = st.sampled_from(STATES)
ids = st.lists(st.sampled_from([f"r:t{n}" for n in range(6)]), unique=True, max_size=6)


def apply(steps: tuple[Step, ...], plan: dict[str, State], tracker: dict[str, State]) -> None:
    for step in steps:
        if changes(step, "plan"):
            assert step.result is not None
            plan[step.task_id] = step.result
        if changes(step, "tracker"):
            assert step.result is not None
            tracker[step.task_id] = step.result


def test_the_three_outcomes_and_a_conflict() -> None:
    plan: dict[str, State] = {"a": "open", "b": "done", "c": "done", "d": "done"}
    tracker: dict[str, State] = {"a": "done", "b": "open", "c": "done", "d": "not-planned"}
    steps = {s.task_id: s for s in reconcile(plan, tracker, {"c": "open", "d": "open"})}
    assert steps["a"].outcome == "to-plan" and steps["a"].result == "done"
    assert steps["b"].outcome == "to-tracker" and steps["b"].result == "done"
    assert steps["c"].outcome == "in-step"
    assert steps["d"].outcome == "conflict" and steps["d"].result is None
    assert not changes(steps["d"], "plan") and not changes(steps["d"], "tracker")


def test_tasks_only_one_side_holds_are_left_out_in_plan_order() -> None:
    steps = reconcile({"z": "open", "a": "open", "m": "open"}, {"m": "done", "z": "open"}, {})
    assert [s.task_id for s in steps] == ["z", "m"]


@given(st.data())
def test_applying_both_directions_leaves_every_task_in_step(data: st.DataObject) -> None:
    tasks = data.draw(ids)
    plan = {t: data.draw(states) for t in tasks}
    tracker = {t: data.draw(states) for t in tasks}
    base = {t: data.draw(states) for t in tasks if data.draw(st.booleans())}
    prefer = data.draw(st.sampled_from(["plan", "tracker"]))
    steps = reconcile(plan, tracker, base, prefer)  # type: ignore[arg-type]
    apply(steps, plan, tracker)
    assert plan == tracker
    # A pull (plan side) then a sync (tracker side), each storing its base, settle everything.
    assert all(s.outcome == "in-step" for s in reconcile(plan, tracker, new_base(steps, base, "plan")))


@given(st.data())
def test_a_pull_then_a_sync_without_prefer_settle_all_but_conflicts(data: st.DataObject) -> None:
    tasks = data.draw(ids)
    plan = {t: data.draw(states) for t in tasks}
    tracker = {t: data.draw(states) for t in tasks}
    base = {t: data.draw(states) for t in tasks}
    pulled = reconcile(plan, tracker, base)
    for step in pulled:
        if changes(step, "plan"):
            plan[step.task_id] = tracker[step.task_id]
    base = new_base(pulled, base, "plan")
    synced = reconcile(plan, tracker, base)
    for step in synced:
        if changes(step, "tracker"):
            tracker[step.task_id] = plan[step.task_id]
    base = new_base(synced, base, "tracker")
    conflicts = {s.task_id for s in pulled if s.outcome == "conflict"}
    assert {t for t in tasks if plan[t] != tracker[t]} == conflicts
    assert all(base.get(t) == plan[t] for t in tasks if t not in conflicts)


def test_prefer_on_a_pull_moves_the_base_so_that_sync_sends_the_winner() -> None:
    steps = reconcile({"a": "not-planned"}, {"a": "done"}, {}, "plan")
    assert not changes(steps[0], "plan") and changes(steps[0], "tracker")
    base = new_base(steps, {}, "plan")
    (later,) = reconcile({"a": "not-planned"}, {"a": "done"}, base)
    assert later.outcome == "to-tracker"


@pytest.mark.parametrize(("box", "state"), [("x", "done"), ("X", "done"), ("-", "not-planned"), (" ", "open")])
def test_box_states(box: str, state: State) -> None:
    assert box_state(box) == state


PLAN = """\
# Plan
- [ ] First <!-- planner:id=r:one -->
  - [ ] a sub-point a person added
- [x] Second <!-- planner:id=r:two -->\r
```sh
- [ ] fenced <!-- planner:id=r:one -->
```
<!-- planner:notes -->
- [ ] noted <!-- planner:id=r:two -->
<!-- /planner:notes -->
"""


def test_set_boxes_changes_only_the_named_boxes_outside_planners_code_and_notes() -> None:
    # planner's own code blocks (```sh, ```mermaid) hold text; any other fence is a stray line (see carry-over).
    out = set_boxes(PLAN, {"r:one": "x", "r:two": "-"})
    assert out == PLAN.replace("- [ ] First", "- [x] First").replace("- [x] Second", "- [-] Second")
    assert read_progress(out).boxes == {"r:one": "x", "r:two": "-"}
    assert set_boxes(out, {"r:one": "x", "r:two": "-"}) == out


@pytest.mark.parametrize("end", ["\r", "\r\n"])
def test_set_boxes_sets_the_boxes_read_progress_reads_whatever_the_line_ends(end: str) -> None:
    # sync reads the plan as bytes: a plan saved with old Mac line ends (a lone CR) is read line by line, and
    # a box it reports set but never wrote would record in the base a state the plan does not show.
    text = PLAN.replace("\r\n", "\n").replace("\n", end)
    out = set_boxes(text, {"r:one": "x"})
    assert read_progress(out).boxes == {"r:one": "x", "r:two": "x"}
    assert out == text.replace("- [ ] First", "- [x] First")


@given(st.dictionaries(st.sampled_from(["r:one", "r:two", "r:three"]), st.sampled_from([" ", "x", "-"])))
def test_set_boxes_round_trips_through_read_progress(boxes: dict[str, str]) -> None:
    out = set_boxes(PLAN, boxes)
    assert len(out) == len(PLAN)
    read = read_progress(out).boxes
    assert all(read[k] == v for k, v in boxes.items() if k in read)


def test_the_base_file_sits_beside_the_plan_and_keeps_other_trackers(tmp_path: Path) -> None:
    path = base_path(tmp_path / "plan.md")
    assert path.name == ".plan.md.sync.json"
    assert read_base(path, "github") == {}
    assert write_base(path, "github", {"b": "done", "a": "open"})
    assert not write_base(path, "github", {"a": "open", "b": "done"})
    write_base(path, "taskwarrior", {"a": "not-planned"})
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == {"github": {"a": "open", "b": "done"}, "taskwarrior": {"a": "not-planned"}, "version": 1}
    assert list(data["github"]) == ["a", "b"]
    assert read_base(path, "github") == {"a": "open", "b": "done"}


@pytest.mark.parametrize(
    "text",
    [
        "{",
        "[]",
        '{"version": 2}',
        '{"version": 1, "github": {"a": "closed"}}',
        '{"version": 1, "github": []}',
        "[" * 100_000 + "]" * 100_000,
    ],
)
def test_a_broken_base_names_the_file_and_the_fix(tmp_path: Path, text: str) -> None:
    path = tmp_path / ".plan.md.sync.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BaseError, match=r"\.plan\.md\.sync\.json.*delete the file"):
        read_base(path, "github")
