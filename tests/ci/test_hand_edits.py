"""Carry-over survives hand edits: random edits of the kinds people make to a ticked plan never lose a
tick of a task that is still planned, and never make a task appear twice."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from fuzz_designs import FUZZ
from hypothesis import given
from hypothesis import strategies as st
from project import EXAMPLE_CONFIG, FIXTURES

from planner.ci.progress import NOTES_BEGIN, NOTES_END, carry_over, read_progress
from planner.plan import plan_design
from planner.render import render
from planner.render.markdown import TASK_MARKER, decode_id, encode_id

STATES = [" ", "x", "-"]
RANK = {" ": 0, "-": 1, "x": 2}
# What people type into a box that they mean as done.
DONE_VARIANTS = ["x", "X", "x ", " x", "✔", "✔️", "✓", "*", "v", "☑"]
STRAY_FENCES = ["```", "~~~", "````", "```text", "~~~ python", "    ```"]
NOTES = f"{NOTES_BEGIN}\nMy own notes, kept as written.\n{NOTES_END}"


@cache
def fresh() -> str:
    return render(plan_design(FIXTURES / "schedules.md", EXAMPLE_CONFIG), "markdown")


def task_ids(text: str) -> list[str]:
    return [decode_id(m.group(1)) for m in TASK_MARKER.finditer(text)]


@dataclass
class Edited:
    lines: list[str]
    expected: dict[str, str]


def _task_line(lines: list[str], task_id: str) -> int | None:
    marker = f"<!-- planner:id={encode_id(task_id)} -->"
    return next((i for i, line in enumerate(lines) if line.endswith(marker) and re.match(r"\s*(-|\d+\.)", line)), None)


def _in_own_code(lines: list[str], pos: int) -> bool:
    """Whether pos is inside one of planner's own code blocks (Verification, Order): their text is code."""
    opened = False
    for line in lines[:pos]:
        if not opened and line in ("```sh", "```mermaid"):
            opened = True
        elif opened and line == "```":
            opened = False
    return opened


def _safe(lines: list[str], pos: int) -> int:
    """Never between a task line and the marker someone wrapped onto the next line, nor inside planner's
    own code blocks (a task line pasted into the Verification commands is a command)."""
    while 0 < pos < len(lines) and (
        ("planner:id=" not in lines[pos - 1] and "planner:id=" in lines[pos]) or _in_own_code(lines, pos)
    ):
        pos += 1
    return pos


def _set_box(line: str, box: str) -> str:
    return re.sub(r"^(\s*(?:-|\d+\.) \[)[^\]]*(\])", lambda m: f"{m.group(1)}{box}{m.group(2)}", line, count=1)


def apply_edit(state: Edited, edit: tuple[str, float, str]) -> None:
    kind, where, choice = edit
    lines = state.lines
    ids = sorted(state.expected)
    task_id = ids[int(where * len(ids)) % len(ids)]
    at = _task_line(lines, task_id)
    pos = _safe(lines, int(where * (len(lines) + 1)))
    if kind == "fence":
        lines.insert(pos, choice)
    elif kind == "notes":
        lines.insert(pos, NOTES_BEGIN)
    elif kind == "dup" and at is not None:
        # The copy carries its own box; the ticked copy (done over not planned over blank) wins.
        box = choice if choice in STATES else "x"
        lines.insert(pos, _set_box(lines[at], box))
        if RANK[box] > RANK[state.expected[task_id]]:
            state.expected[task_id] = box
    elif kind == "wrap" and at is not None:
        head, marker = lines[at].rsplit(" <!-- ", 1)
        if choice == "split":
            lines[at : at + 1] = [f"{head} <!--", marker]
        else:
            lines[at : at + 1] = [head, f"  <!-- {marker}"]
    elif kind == "ordered" and at is not None:
        lines[at] = re.sub(r"^- ", "1. ", lines[at], count=1)
    elif kind == "variant" and at is not None and state.expected[task_id] == "x":
        lines[at] = _set_box(lines[at], DONE_VARIANTS[int(where * len(DONE_VARIANTS))])


EDITS = st.tuples(
    st.sampled_from(["fence", "notes", "dup", "wrap", "ordered", "variant"]),
    st.floats(min_value=0, max_value=0.999),
    st.sampled_from([*STRAY_FENCES, *DONE_VARIANTS, *STATES, "split", "move"]),
)


@FUZZ
@given(
    ticks=st.lists(st.sampled_from(STATES), min_size=1, max_size=30),
    edits=st.lists(EDITS, min_size=1, max_size=12),
    notes=st.booleans(),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_random_hand_edits_never_lose_a_tick_or_double_a_task(
    ticks: list[str], edits: list[tuple[str, float, str]], notes: bool, newline: str
) -> None:
    text = fresh()
    ids = task_ids(text)
    expected = {task_id: ticks[n % len(ticks)] for n, task_id in enumerate(ids)}
    lines = text.rstrip("\n").split("\n")
    for task_id, box in expected.items():
        at = _task_line(lines, task_id)
        assert at is not None
        lines[at] = _set_box(lines[at], box)
    state = Edited(lines, dict(expected))
    for edit in edits:
        apply_edit(state, edit)
    if notes:
        state.lines += ["", NOTES]
    edited = newline.join(state.lines) + newline

    merged = carry_over(text, edited)
    assert dict(read_progress(merged).boxes) == state.expected
    assert sorted(task_ids(merged)) == sorted(ids)  # every task exactly once
    if notes:
        assert merged.count(NOTES) == 1
    assert carry_over(text, merged) == merged


def test_each_kind_of_hand_edit_on_its_own_keeps_the_tick() -> None:
    text = fresh()
    first = task_ids(text)[0]
    lines = text.rstrip("\n").split("\n")
    at = _task_line(lines, first)
    assert at is not None
    ticked = _set_box(lines[at], "x")
    marker = f"<!-- planner:id={encode_id(first)} -->"
    variants = {
        "stray fence before": [*lines[:at], "```", ticked, *lines[at + 1 :]],
        "unclosed notes before": [*lines[:at], NOTES_BEGIN, ticked, *lines[at + 1 :]],
        "twice, blank copy first": [*lines[:at], lines[at], ticked, *lines[at + 1 :]],
        "marker on the next line": [*lines[:at], ticked.replace(f" {marker}", ""), f"  {marker}", *lines[at + 1 :]],
        "ordered bullet": [*lines[:at], "1." + ticked[1:], *lines[at + 1 :]],
        "box with a space": [*lines[:at], ticked.replace("[x]", "[x ]"), *lines[at + 1 :]],
        "check mark with a variation selector": [*lines[:at], ticked.replace("[x]", "[✔️]"), *lines[at + 1 :]],
    }
    for name, edited in variants.items():
        for newline in ("\n", "\r"):
            merged = carry_over(text, newline.join(edited) + newline)
            assert read_progress(merged).boxes[first] == "x", (name, newline)
            assert task_ids(merged).count(first) == 1, (name, newline)
