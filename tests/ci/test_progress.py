"""Regenerating a plan keeps people's work: ticked boxes by task id, removed tasks, fenced Notes."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from project import ROOT
from typer.testing import CliRunner

from planner.ci.progress import NOTES_BEGIN, NOTES_END, REMOVED_HEADING, apply_progress, carry_over, read_progress
from planner.cli import app
from planner.plan import plan_design
from planner.render import render
from planner.render.markdown import encode_id

# Read independently of planner.ci.progress: a box, anything, the id marker ending the line.
BOX = re.compile(r"^- \[(.)\] .*<!-- planner:id=(\S+) -->$", re.MULTILINE)

NOTES = f"""{NOTES_BEGIN}
## Notes

Talked to the SRE team: the scheduler loop needs a kill switch.

```text
- [ ] not a task <!-- planner:id=flovyn-server:migration -->
{NOTES_END} inside a fence is still text? no: the first end line closes the block
```
{NOTES_END}"""

MIGRATION = "flovyn-server:migration"
PAGE = "flovyn-app:file:apps/web/app/[org]/schedules/page.tsx"
RUST_CLIENT = "sdk-rust:file:core/src/client/schedules.rs"
PY_CREATE = "sdk-python:grpc:ScheduleService.CreateSchedule"
NEW_FILE = "flovyn-server:file:server/src/scheduler/clock.rs"


def boxes(text: str) -> dict[str, str]:
    """Task id -> box of the plan's task lines before any Removed section or Notes."""
    body = text.split(f"\n{REMOVED_HEADING}\n")[0].split(f"\n{NOTES_BEGIN}\n")[0]
    return {unquote(m.group(2)): m.group(1) for m in BOX.finditer(body)}


def removed(text: str) -> dict[str, str]:
    if f"\n{REMOVED_HEADING}\n" not in text:
        return {}
    section = text.split(f"\n{REMOVED_HEADING}\n")[1].split(f"\n{NOTES_BEGIN}\n")[0]
    return {unquote(m.group(2)): m.group(1) for m in BOX.finditer(section)}


def tick(text: str, ticks: dict[str, str]) -> str:
    for task_id, box in ticks.items():
        marker = f"<!-- planner:id={encode_id(task_id)} -->"
        line = next(line for line in text.split("\n") if line.endswith(marker))
        text = text.replace(line, line.replace("- [ ]", f"- [{box}]", 1))
    return text


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "designs").mkdir()
    (tmp_path / "plans").mkdir()
    (tmp_path / "config").mkdir()
    shutil.copyfile(ROOT / "fixtures" / "schedules.md", tmp_path / "designs" / "schedules.md")
    shutil.copyfile(ROOT / "config" / "repos.toml", tmp_path / "config" / "repos.toml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLANNER_CONFIG", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    return tmp_path


def edit_design(path: Path) -> None:
    """Reword an unrelated paragraph, add a key file, drop one, rename a repo's description."""
    text = path.read_text(encoding="utf-8")
    edits = [
        ("Teams start the same workflow on a timetable today", "Today teams kick off one workflow on a schedule"),
        (
            "- `flovyn-server/server/src/api/rest/schedules.rs` - REST handlers\n",
            "- `flovyn-server/server/src/api/rest/schedules.rs` - REST handlers\n"
            "- `flovyn-server/server/src/scheduler/clock.rs` - injectable clock for tests\n",
        ),
        ("- `flovyn-app/apps/web/app/[org]/schedules/page.tsx` - schedules page\n", ""),
        (
            "- [x] flovyn-app - schedules page: list, create, pause",
            "- [x] flovyn-app - schedules screen with pause/resume",
        ),
    ]
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


def plan_to(args: list[str]) -> None:
    result = CliRunner().invoke(app, ["plan", *args, "--config", "config/repos.toml"])
    assert result.exit_code == 0, result.output


def test_regenerating_after_design_edits_keeps_exactly_the_right_boxes_and_notes(project: Path) -> None:
    out = project / "plans" / "schedules.md"
    plan_to(["designs/schedules.md", "--output", str(out)])
    first = out.read_text(encoding="utf-8")
    assert set(boxes(first).values()) == {" "} and len(boxes(first)) == 23
    ticked = {MIGRATION: "x", PAGE: "x", RUST_CLIENT: "X"}
    out.write_text(tick(first, ticked) + "\n" + NOTES + "\n", encoding="utf-8")

    edit_design(project / "designs" / "schedules.md")
    plan_to(["designs/schedules.md", "--output", str(out)])
    second = out.read_text(encoding="utf-8")

    now = boxes(second)
    # `X` is done, written back as `x`: a box has three states, not a character to keep.
    assert {k: v for k, v in now.items() if v != " "} == {MIGRATION: "x", RUST_CLIENT: "x"}
    assert PAGE not in now and now[NEW_FILE] == " " and PY_CREATE in now
    assert len(now) == 23  # one key file in, one out
    assert removed(second) == {PAGE: "x"}
    assert second.endswith("\n" + NOTES + "\n")
    assert second.count(NOTES_BEGIN) == 1
    assert "- Change: schedules screen with pause/resume" in second
    # The untouched wording and the new wording: the plan did follow the design.
    assert "server/src/scheduler/clock.rs" in second

    # Regenerating again changes nothing, and the drift check agrees.
    plan_to(["designs/schedules.md", "--output", str(out)])
    assert out.read_text(encoding="utf-8") == second
    check = CliRunner().invoke(
        app, ["plan", "designs/schedules.md", "-o", str(out), "--check", "-c", "config/repos.toml"]
    )
    assert check.exit_code == 0 and check.stdout == ""


def test_a_task_that_comes_back_gets_its_box_back(project: Path) -> None:
    out = project / "plans" / "schedules.md"
    design = project / "designs" / "schedules.md"
    original = design.read_text(encoding="utf-8")
    plan_to(["designs/schedules.md", "--output", str(out)])
    out.write_text(tick(out.read_text(encoding="utf-8"), {PAGE: "x"}), encoding="utf-8")
    edit_design(design)
    plan_to(["designs/schedules.md", "--output", str(out)])
    assert removed(out.read_text(encoding="utf-8")) == {PAGE: "x"}
    design.write_text(original, encoding="utf-8")
    plan_to(["designs/schedules.md", "--output", str(out)])
    back = out.read_text(encoding="utf-8")
    assert boxes(back)[PAGE] == "x"
    # The clock.rs task that the edit added is gone again: kept as removed, with its (empty) box.
    assert removed(back) == {NEW_FILE: " "}


def _rendered() -> str:
    return render(plan_design(ROOT / "fixtures" / "schedules.md", ROOT / "config" / "repos.toml"), "markdown")


def test_no_previous_file_means_the_rendered_plan_as_is() -> None:
    text = _rendered()
    assert carry_over(text, None) == text
    assert carry_over(text, "") == text
    assert carry_over(text, "# some unrelated file\n\n- [x] a box without a marker\n") == text


def test_a_marker_counts_wherever_it_stands_but_only_with_a_box() -> None:
    marker = f"<!-- planner:id={encode_id(MIGRATION)} -->"
    page = f"<!-- planner:id={encode_id(PAGE)} -->"
    old = "\n".join(
        [
            f"text that merely mentions {marker} without a box",
            "```",
            f"1. [x] **1.1** an ordered item in a stray code block {marker} and text after it",
            "- [ ] **1.2** a task whose marker was wrapped <!--",
            f"  planner:id={encode_id(PAGE)} -->",
            f"- [✔️] **1.3** and one more {page}",
        ]
    )
    assert read_progress(old).boxes == {MIGRATION: "x", PAGE: "x"}
    assert boxes(carry_over(_rendered(), old))[MIGRATION] == "x"


def test_crlf_plans_and_a_notes_block_without_its_end_marker() -> None:
    text = _rendered()
    old = tick(text, {MIGRATION: "x"}) + f"\n{NOTES_BEGIN}\nkeep me\n\n## and me, to the end\n"
    new = carry_over(text, old.replace("\n", "\r\n"))
    assert boxes(new)[MIGRATION] == "x"
    assert new.endswith(f"\n{NOTES_BEGIN}\nkeep me\n\n## and me, to the end\n")


def test_removed_tasks_are_listed_by_id_with_their_lines_as_they_were() -> None:
    text = _rendered()
    old = tick(text, {PY_CREATE: "x"})
    # The design no longer yields the Python and Rust tasks: drop their lines from the "new" plan.
    gone = {PY_CREATE, RUST_CLIENT}
    new_lines = [line for line in text.split("\n") if not any(line.endswith(f"={encode_id(g)} -->") for g in gone)]
    merged = carry_over("\n".join(new_lines), old)
    section = merged.split(f"\n{REMOVED_HEADING}\n")[1]
    ids = [unquote(m.group(2)) for m in BOX.finditer(section)]
    assert ids == sorted(gone)
    assert "  File: `core/src/client/schedules.rs`" in section  # the task's own lines came along
    assert removed(merged) == {PY_CREATE: "x", RUST_CLIENT: " "}


@settings(max_examples=40, deadline=None)
@given(st.sets(st.sampled_from([MIGRATION, PAGE, RUST_CLIENT, PY_CREATE, NEW_FILE]), max_size=4), st.booleans())
def test_carry_over_is_idempotent_and_keeps_every_tick(chosen: set[str], with_notes: bool) -> None:
    text = _rendered()
    ticks = {t: "x" for t in chosen if t != NEW_FILE}
    old = tick(text, ticks) + ("\n" + NOTES + "\n" if with_notes else "")
    once = carry_over(text, old)
    assert carry_over(text, once) == once
    assert {k for k, v in boxes(once).items() if v == "x"} == set(ticks)
    assert (NOTES in once) is with_notes


@pytest.mark.parametrize(
    ("box", "state"),
    [
        ("x", "x"),
        ("X", "x"),
        ("x ", "x"),
        (" x", "x"),
        ("✔", "x"),
        ("✔️", "x"),
        ("~", "x"),
        ("-", "-"),
        (" ", " "),
        ("", " "),
    ],
)
def test_apply_progress_writes_each_box_people_typed_as_its_state(box: str, state: str) -> None:
    text = _rendered()
    old = tick(text, {MIGRATION: box})
    assert boxes(apply_progress(text, read_progress(old)))[MIGRATION] == state
