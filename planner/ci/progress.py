"""Regenerating a Markdown plan keeps people's work: ticked boxes, removed tasks and their Notes.

Pure text in, text out. A task is found again by the id in its invisible marker, never by its number
or title, so rewording the design or reordering tasks keeps every box where it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from planner.render.markdown import decode_id

__all__ = [
    "BOX_DONE",
    "BOX_NOT_PLANNED",
    "BOX_OPEN",
    "NOTES_BEGIN",
    "NOTES_END",
    "REMOVED_HEADING",
    "Progress",
    "apply_progress",
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

# A task's box: open, done, or dropped (a tracker closed it as not planned / deleted it). Any other
# character a person types is kept as is and counts as open.
BOX_OPEN, BOX_DONE, BOX_NOT_PLANNED = " ", "x", "-"

# The marker must end the line: design text is escaped by the renderer, so it can only ever end a line
# that the renderer wrote; an id-like string earlier on the line is text, not a marker.
_TASK = re.compile(r"^(?P<head>\s*[-*+]\s+\[)(?P<box>[^\]\n])(?P<tail>\].*<!-- planner:id=(?P<id>\S+) -->)\s*$")
_TASK_NUMBER = re.compile(r"(?P<box>^\s*[-*+]\s+\[[^\]\n]\]\s+)\*\*\d+(?:\.\d+)*\*\*\s+")
_FENCE_OPEN = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})")
_FENCE_CLOSE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*$")


@dataclass(frozen=True)
class Progress:
    """What a person added to a plan: box state and lines of each task by id, and their Notes blocks."""

    boxes: Mapping[str, str] = field(default_factory=dict)
    blocks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    notes: tuple[tuple[str, ...], ...] = ()


def _lines(text: str) -> list[str]:
    lines = text.replace("\r\n", "\n").split("\n")
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


def read_progress(text: str) -> Progress:
    """The box state and lines of every marked task, and every fenced Notes block, of a plan as people left it."""
    lines = _lines(text)
    boxes: dict[str, str] = {}
    blocks: dict[str, tuple[str, ...]] = {}
    notes: list[tuple[str, ...]] = []
    fence: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if fence is not None:
            fence = None if _closes(line, fence) else fence
            continue
        if line.strip() == NOTES_BEGIN:
            # Verbatim up to the end marker (or the end of the file: a lost marker must not lose notes).
            end = next((j for j in range(i, len(lines)) if lines[j].strip() == NOTES_END), len(lines) - 1)
            notes.append(tuple(lines[i - 1 : end + 1]))
            i = end + 1
            continue
        opened = _FENCE_OPEN.match(line)
        if opened:
            fence = opened.group("fence")
            continue
        match = _TASK.match(line)
        if match is None:
            continue
        start = i - 1
        while i < len(lines) and lines[i].strip() and lines[i][:1] in (" ", "\t"):
            i += 1
        task_id = decode_id(match.group("id"))
        if task_id not in boxes:
            boxes[task_id] = match.group("box")
            blocks[task_id] = tuple(lines[start:i])
    return Progress(boxes, blocks, tuple(notes))


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
    """The plan with the box of each given task id set (its first marked line, as read_progress reads it);
    every other byte, notes and other boxes included, as it was."""
    lines = text.split("\n")  # not _lines: CRLF and the final newline must survive byte for byte
    seen: set[str] = set()
    notes = False
    for i, outside in _outside_fences(lines):
        stripped = lines[i].strip()
        if outside and stripped in (NOTES_BEGIN, NOTES_END):
            notes = stripped == NOTES_BEGIN
        match = _TASK.match(lines[i]) if outside and not notes else None
        if match is None:
            continue
        task_id = decode_id(match.group("id"))
        if task_id in boxes and task_id not in seen:
            lines[i] = lines[i][: match.start("box")] + boxes[task_id] + lines[i][match.end("box") :]
        seen.add(task_id)
    return "\n".join(lines)
