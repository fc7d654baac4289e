"""Issue 12: `planner suggest --write` inserts only the missing sections, keeps every other byte, and is idempotent."""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzz_designs import EXAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st
from project import ROOT
from typer.testing import CliRunner

from planner.cli import app
from planner.design import decode_design, parse_design
from planner.suggest.write import insert_sections, insertion_line, with_sections

CONFIG = ROOT / "fixtures" / "suggest" / "repos.toml"

DESIGN = (
    "# Invoice Export Design\n"
    "\n"
    "**Status:** Draft\n"
    "\n"
    "## Overview\n"
    "\n"
    "The billing-api streams `services/export/csv.go`; the portal shows a button.\n"
)
BLOCK = [
    "## Affected Repositories",
    "",
    '- [ ] billing-api - suggested: line 7 "billing-api", line 7 `services/export/csv.go`',
    '- [ ] portal - suggested: line 7 "portal"',
    "",
    "## Key Files",
    "",
    "- [ ] `billing-api/services/export/csv.go` - line 7",
    "",
]


def write(tmp_path: Path, data: bytes) -> tuple[Path, int, str]:
    design = tmp_path / "design.md"
    design.write_bytes(data)
    result = CliRunner().invoke(app, ["suggest", "--config", str(CONFIG), "--write", str(design)])
    return design, result.exit_code, result.stderr


@pytest.mark.parametrize(
    ("prefix", "newline", "final"),
    [("", "\n", True), ("", "\r\n", True), ("\ufeff", "\n", True), ("", "\n", False), ("\ufeff", "\r\n", False)],
)
def test_write_inserts_before_the_first_section_keeping_bom_line_ends_and_final_newline(
    tmp_path: Path, prefix: str, newline: str, final: bool
) -> None:
    text = prefix + DESIGN.replace("\n", newline)
    if not final:
        text = text.removesuffix(newline)
    design, code, err = write(tmp_path, text.encode("utf-8"))
    assert code == 0, err
    assert "inserted Affected Repositories, Key Files" in err
    after = design.read_bytes().decode("utf-8")
    block = newline.join(BLOCK) + newline
    assert after == text.replace(f"## Overview{newline}", block + f"## Overview{newline}", 1)


def test_a_second_write_changes_nothing(tmp_path: Path) -> None:
    design, code, _ = write(tmp_path, DESIGN.replace("\n", "\r\n").encode())
    first = design.read_bytes()
    result = CliRunner().invoke(app, ["suggest", "--config", str(CONFIG), "--write", str(design)])
    assert code == 0 and result.exit_code == 0
    assert design.read_bytes() == first
    assert "inserted" not in result.stderr
    assert "Nothing to add" in result.stdout


def test_only_the_missing_section_is_inserted(tmp_path: Path) -> None:
    text = DESIGN + "\n## Key Files\n\n- `portal/ui/Button.tsx` - the button\n"
    design, code, _ = write(tmp_path, text.encode())
    after = design.read_text(encoding="utf-8")
    assert code == 0
    assert after.count("## Key Files") == 1 and after.count("## Affected Repositories") == 1
    start, end = after.index("## Affected Repositories"), after.index("## Overview")
    assert after[:start] + after[end:] == text
    assert "- [ ] portal - suggested:" in after[start:end]


def test_without_write_nothing_is_written(tmp_path: Path) -> None:
    design = tmp_path / "design.md"
    design.write_text(DESIGN, encoding="utf-8")
    result = CliRunner().invoke(app, ["suggest", "--config", str(CONFIG), str(design)])
    assert result.exit_code == 0
    assert design.read_text(encoding="utf-8") == DESIGN
    assert "## Affected Repositories" in result.stdout


def test_the_written_sections_are_read_by_the_planner_unticked(tmp_path: Path) -> None:
    design, _, _ = write(tmp_path, DESIGN.encode())
    text, _ = decode_design(design.read_bytes(), "design.md")
    assert text is not None
    doc, _ = parse_design(text, "design.md")
    assert [(r.name, r.checked) for r in doc.repos] == [("billing-api", False), ("portal", False)]
    assert doc.status == "Draft"


def test_a_design_without_sections_gets_them_at_the_end(tmp_path: Path) -> None:
    design, code, _ = write(tmp_path, b"# Export\n\nThe billing-api exports.")
    assert code == 0
    assert design.read_text(encoding="utf-8") == (
        "# Export\n\nThe billing-api exports.\n\n"
        '## Affected Repositories\n\n- [ ] billing-api - suggested: line 3 "billing-api"\n'
    )


def test_an_unwritable_design_is_an_error_and_stays_as_it_was(tmp_path: Path) -> None:
    target = tmp_path / "real.md"
    target.write_text(DESIGN, encoding="utf-8")
    link = tmp_path / "design.md"
    link.symlink_to(target)
    result = CliRunner().invoke(app, ["suggest", "--config", str(CONFIG), "--write", str(link)])
    assert result.exit_code == 1
    assert "symlink" in result.stderr and "Traceback" not in result.stderr
    assert target.read_text(encoding="utf-8") == DESIGN


def test_a_design_ending_in_an_open_code_block_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    text = "# Export\n\nThe billing-api exports.\n\n```\nunclosed\n"
    design, code, err = write(tmp_path, text.encode())
    assert code == 1
    assert "design.md:6: error: the design ends inside an unclosed code block" in err
    assert design.read_text(encoding="utf-8") == text


# Lines of text that may be headings, with any of the three line ends, maybe a BOM and no final newline.
_LINE = st.sampled_from(["# Title", "## Part", "text", "", "  indented", "- item", "```", "**Status:** x"])


_BLOCK = ["## Affected Repositories", "", '- [ ] a - suggested: line 1 "a"', ""]


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    lines=st.lists(_LINE, min_size=1, max_size=12),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    bom=st.booleans(),
    final=st.booleans(),
)
def test_insertion_keeps_every_other_byte(lines: list[str], newline: str, bom: bool, final: bool) -> None:
    raw = ("\ufeff" if bom else "") + newline.join(lines) + (newline if final else "")
    text, _ = decode_design(raw.encode("utf-8"), "x.md")
    if text is None:
        return  # blank: nothing to suggest for
    at = insertion_line(text)
    out = insert_sections(raw, at, _BLOCK)
    # Where line `at` starts in the raw text (after a BOM); the end of the file when there is no such line.
    starts = [0, *(i + len(newline) for i in range(len(raw)) if raw.startswith(newline, i))]
    offset = len(raw) if at is None or at > len(starts) else starts[at - 1]
    offset = max(offset, 1) if bom else offset
    middle = out[offset : len(out) - (len(raw) - offset)]
    assert out[:offset] == raw[:offset] and out[offset + len(middle) :] == raw[offset:]
    used = newline if newline in raw else "\n"
    assert "\r" not in middle.replace(used, "") and "\n" not in middle.replace(used, "")
    pieces = middle.split(used)
    while pieces and pieces[0] == "":
        pieces.pop(0)
    assert pieces[:3] == _BLOCK[:3]
    assert all(p == "" for p in pieces[3:])
    # Written (not refused), the section is read back: a second run finds nothing missing.
    written = with_sections(raw, text, ("Affected Repositories",), _BLOCK)
    if written is not None:
        assert written == out
        again, _ = decode_design(written.encode("utf-8"), "x.md")
        assert again is not None and parse_design(again, "x.md")[0].repos_line is not None
