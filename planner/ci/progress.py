"""Regenerating a Markdown plan keeps people's work: ticked boxes, removed tasks and their Notes.

Pure text in, text out. A task is found again by the id in its invisible marker, never by its number
or title, so rewording the design or reordering tasks keeps every box where it was.

Reading a plan people edited is tolerant by design: each task marker is found wherever it stands (in a
stray code fence, after an unclosed Notes marker, wrapped onto the next line, under a `1.` bullet, with
CR line ends), and its box is read on its own line or, when the marker was wrapped, the line above.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from planner.render.markdown import decode_id

__all__ = [
    "BLANK",
    "DONE",
    "NOTES_BEGIN",
    "NOTES_END",
    "NOT_PLANNED",
    "REMOVED_HEADING",
    "Progress",
    "apply_progress",
    "box_state",
    "carry_over",
    "read_progress",
    "set_boxes",
]

NOTES_BEGIN = "<!-- planner:notes -->"
NOTES_END = "<!-- /planner:notes -->"
REMOVED_HEADING = "## Removed from the design"
_REMOVED_INTRO = (
    "Tasks of an earlier version of this plan that no longer follow from the design, kept with their state. "
    "Delete a line to drop it for good."
)

# The three states a box can be in, as written back: anything but blank or `-` in a box means done.
BLANK, DONE, NOT_PLANNED = " ", "x", "-"
# When a task is there twice, the copy with the higher rank wins: a tick is never lost to a blank copy.
_RANK = {BLANK: 0, NOT_PLANNED: 1, DONE: 2}

# In a plan planner rendered, the marker ends the line: design text is escaped by the renderer, so it can
# only ever end a line that the renderer wrote; an id-like string earlier on the line is text, not a marker.
_TASK = re.compile(r"^(?P<head>\s*[-*+]\s+\[)(?P<box>[^\]\n])(?P<tail>\].*<!-- planner:id=(?P<id>\S+) -->)\s*$")
_TASK_NUMBER = re.compile(r"(?P<box>^\s*[-*+]\s+\[[^\]\n]\]\s+)\*\*\d+(?:\.\d+)*\*\*\s+")
_FENCE_OPEN = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})")
_FENCE_CLOSE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*$")
# In a plan people edited: a marker anywhere, its parts possibly split over lines; a box at the start of a
# line behind any bullet (or none), holding a few characters (`[x ]`, `[✔️]` are several code points).
_MARKER = re.compile(r"<!--\s*planner:id=(?P<id>[^\s>]+?)\s*-->")
_BOX = re.compile(r"^[ \t]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]*)?\[(?P<box>[^\[\]\n]{0,8})\]")
# The code blocks planner writes (Verification commands, the Order chart) hold config and design text as
# is: a marker there is text. Any other fence in an edited plan is someone's stray line, not code.
_OWN_FENCE = re.compile(r"^(?P<fence>`{3,})(?:sh|mermaid)[ \t]*$")
_NOTES_BEGIN = re.compile(r"^\s*<!--\s*planner:notes\s*-->\s*$")
_NOTES_END = re.compile(r"^\s*<!--\s*/\s*planner:notes\s*-->\s*$")


@dataclass(frozen=True)
class Progress:
    """What a person added to a plan: box state and lines of each task by id, and their Notes blocks."""

    boxes: Mapping[str, str] = field(default_factory=dict)
    blocks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    notes: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class _Task:
    id: str
    state: str
    start: int  # the line of its box
    end: int  # one past its last line (marker line and indented continuation lines)


def box_state(box: str) -> str:
    """The state a box's content means: blank, not planned (`-`), or done (`x`, `X`, `✔`, any other mark)."""
    mark = box.strip()
    if not mark:
        return BLANK
    return NOT_PLANNED if mark == NOT_PLANNED else DONE


# What ends a line of a plan: CRLF, a lone CR or LF. set_boxes splits on it, keeping each end to write back;
# _lines splits on the same three by replacing (2.5x faster on a big plan, and it keeps no ends).
_LINE_END = re.compile(r"(\r\n|\r|\n)")


def _lines(text: str) -> list[str]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _closes(line: str, fence: str) -> bool:
    closing = _FENCE_CLOSE.match(line)
    return closing is not None and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= len(fence)


def _outside_fences(lines: list[str]) -> Iterator[tuple[int, bool]]:
    """(index, outside a code fence) for each line; fence lines themselves count as inside."""
    fence: str | None = None
    for i, line in enumerate(lines):
        if fence is not None:
            if _closes(line, fence):
                fence = None
            yield i, False
            continue
        opened = _FENCE_OPEN.match(line)
        if opened:
            fence = opened.group("fence")
        yield i, opened is None


def _own_code(lines: list[str]) -> set[int]:
    """The lines inside planner's own code blocks, their fence lines included."""
    inside: set[int] = set()
    fence: str | None = None
    for i, line in enumerate(lines):
        if fence is not None:
            inside.add(i)
            fence = None if _closes(line, fence) else fence
            continue
        opened = _OWN_FENCE.match(line)
        if opened:
            fence = opened.group("fence")
            inside.add(i)
    return inside


def _find_tasks(lines: list[str], code: set[int]) -> list[_Task]:
    """Every marker with a box, in text order: the box on the marker's line, or on the line above when the
    marker starts its own line (wrapped) and that line has no marker of its own."""
    text = "\n".join(lines)
    offsets = [0]
    for each in lines:
        offsets.append(offsets[-1] + len(each) + 1)
    markers = [(bisect_right(offsets, m.start()) - 1, m) for m in _MARKER.finditer(text)]
    marked = {at for at, _ in markers}
    found: list[tuple[int, int, str, str]] = []
    for line, m in markers:
        if line in code:
            continue
        owner = line
        box = _BOX.match(lines[line])
        if box is None and line > 0 and not text[offsets[line] : m.start()].strip() and line - 1 not in marked:
            owner = line - 1
            box = _BOX.match(lines[owner])
        if box is not None:
            last = bisect_right(offsets, m.end() - 1) - 1
            found.append((owner, last + 1, m.group("id"), box.group("box")))
    starts = {owner for owner, _, _, _ in found}
    tasks: list[_Task] = []
    for owner, end, encoded, content in found:
        while end < len(lines) and lines[end].strip() and lines[end][:1] in " \t" and end not in starts:
            end += 1  # the task's own indented lines (File:, After:) come along to the Removed section
        tasks.append(_Task(decode_id(encoded), box_state(content), owner, end))
    return tasks


def _notes(lines: list[str], task_starts: list[int], code: set[int]) -> list[tuple[int, int, bool]]:
    """(first, end, closed) of each Notes block: to its end marker when one comes before the next begin
    marker; else (a lost end marker) up to the next task, begin marker or the end of the file."""
    begins = [i for i, line in enumerate(lines) if _NOTES_BEGIN.match(line) and i not in code]
    ends = [i for i, line in enumerate(lines) if _NOTES_END.match(line) and i not in code]
    blocks: list[tuple[int, int, bool]] = []
    covered = 0
    for n, begin in enumerate(begins):
        if begin < covered:
            continue  # a begin marker quoted inside an earlier closed block is text
        next_begin = begins[n + 1] if n + 1 < len(begins) else len(lines)
        end = next((e for e in ends if e > begin), None)
        if end is not None and end < next_begin:
            blocks.append((begin, end + 1, True))
            covered = end + 1
            continue
        stop = min([next_begin, *(s for s in task_starts if s > begin)])
        while stop > begin + 1 and not lines[stop - 1].strip():
            stop -= 1
        blocks.append((begin, stop, False))
        covered = stop
    return blocks


def read_progress(text: str) -> Progress:
    """The box state and lines of every marked task, and every Notes block, of a plan as people left it.

    A task line inside a closed Notes block is part of the notes (text someone quoted), not a task.
    """
    lines = _lines(text)
    code = _own_code(lines)
    tasks = _find_tasks(lines, code)
    notes = _notes(lines, sorted({t.start for t in tasks}), code)
    closed = [(first, end) for first, end, is_closed in notes if is_closed]
    boxes: dict[str, str] = {}
    blocks: dict[str, tuple[str, ...]] = {}
    for task in tasks:
        if any(first <= task.start < end for first, end in closed):
            continue
        if task.id not in blocks:
            blocks[task.id] = tuple(lines[task.start : task.end])
        if _RANK[task.state] >= _RANK.get(boxes.get(task.id, BLANK), 0):
            boxes[task.id] = task.state
    for task_id, block in blocks.items():
        head = _BOX.match(block[0])
        assert head is not None  # every task starts on a box line
        blocks[task_id] = (f"{block[0][: head.start('box')]}{boxes[task_id]}{block[0][head.end('box') :]}", *block[1:])
    return Progress(boxes, blocks, tuple(tuple(lines[first:end]) for first, end, _ in notes))


def apply_progress(text: str, progress: Progress) -> str:
    """A freshly rendered plan with the boxes, removed tasks and Notes of an earlier one carried over."""
    lines = _lines(text)
    present: set[str] = set()
    for i, outside in _outside_fences(lines):
        match = _TASK.match(lines[i]) if outside else None
        if match is None:
            continue
        task_id = decode_id(match.group("id"))
        present.add(task_id)
        box = progress.boxes.get(task_id)
        if box is not None:
            lines[i] = f"{match.group('head')}{box}{match.group('tail')}"
    while lines and not lines[-1].strip():
        lines.pop()
    # Sorted by task id: the order stays put however the design and the earlier plan were shuffled.
    removed = sorted(task_id for task_id in progress.blocks if task_id not in present)
    if removed:
        lines += ["", REMOVED_HEADING, "", _REMOVED_INTRO, ""]
        for task_id in removed:
            first, *rest = progress.blocks[task_id]
            # Its old number may now be another task's above: a removed task is listed without one.
            lines += [_TASK_NUMBER.sub(r"\g<box>", first, count=1), *rest]
    for block in progress.notes:
        lines += ["", *block]
    return "\n".join(lines) + "\n"


def carry_over(new_text: str, old_text: str | None) -> str:
    """new_text with the progress of old_text (the file being replaced) carried over; as is when there is none."""
    if old_text is None:
        return new_text
    return apply_progress(new_text, read_progress(old_text))


def set_boxes(text: str, boxes: Mapping[str, str]) -> str:
    """The plan with the box of each given task id set, wherever read_progress finds the task (every copy of
    a task written twice); every other byte, notes and other boxes included, as it was."""
    # The lines _lines reads (CRLF and a lone CR end one too), each line end kept apart to survive byte for byte.
    parts = _LINE_END.split(text)
    lines = parts[::2]
    code = _own_code(lines)
    tasks = _find_tasks(lines, code)
    notes = _notes(lines, [t.start for t in tasks], code)
    for task in tasks:
        if task.id not in boxes or any(first <= task.start < end for first, end, _ in notes):
            continue
        box = _BOX.match(lines[task.start])
        if box is not None:
            line = lines[task.start]
            lines[task.start] = line[: box.start("box")] + boxes[task.id] + line[box.end("box") :]
    parts[::2] = lines
    return "".join(parts)
