"""`--write`: the missing sections inserted right after a design's header block, every other byte kept."""

from __future__ import annotations

import re

from planner.design import decode_design, parse_design
from planner.design.markdown import LINE, parse_blocks

__all__ = ["insert_sections", "insertion_line", "with_sections"]

_LINE_END = re.compile(r"\r\n|\r|\n")


def insertion_line(text: str) -> int | None:
    """The line of the first heading after the title (the end of the header block); None: end of file."""
    headings = [t for t in parse_blocks(text) if t["type"] == "heading"]
    if headings and headings[0]["attrs"]["level"] == 1:
        headings = headings[1:]
    return int(headings[0][LINE]) if headings else None


def insert_sections(raw: str, at_line: int | None, lines: list[str]) -> str:
    """`raw` (the file's own text: BOM, line ends and final newline as they are) with `lines` inserted
    before line `at_line` (None: at the end), in the file's line ending, set off by blank lines."""
    ends = list(_LINE_END.finditer(raw))
    newline = ends[0].group() if ends else "\n"
    # Line k starts after the (k-1)th line end (line 1 after any BOM); a last line without its newline is
    # line len(ends) + 1.
    if at_line is None or at_line - 2 >= len(ends):
        offset = len(raw)
    else:
        offset = ends[at_line - 2].end() if at_line > 1 else len(raw) - len(raw.lstrip("\ufeff"))
    before = raw[:offset]
    lead = ""
    if before.lstrip("\ufeff"):
        if not before.endswith(("\n", "\r")):
            lead = newline + newline  # end the last line, then a blank line
        elif _LINE_END.split(before)[-2].strip():
            lead = newline  # set off from the text above by a blank line
    body = newline.join(lines) + newline
    if offset == len(raw):
        body = body.rstrip("\r\n") + newline  # no blank line at the very end of the file
    return before + lead + body + raw[offset:]


def with_sections(raw: str, text: str, sections: tuple[str, ...], lines: list[str]) -> str | None:
    """`raw` with the sections' lines inserted after the header block, or None when the planner would not
    read them back from there (the design ends inside an unclosed code block): then a second run would
    insert them again, so nothing is written."""
    out = insert_sections(raw, insertion_line(text), lines)
    again, _ = decode_design(out.encode("utf-8"), "")
    if again is None:
        return None
    doc, _ = parse_design(again, "")
    present = {"Affected Repositories": doc.repos_line is not None, "Key Files": "key_files" in doc.sections}
    return out if all(present[s] for s in sections) else None
