"""Issue 2, section 1: reading a design doc — the status gate, header fields, encodings, headings."""

from __future__ import annotations

from pathlib import Path

import pytest
from rules_support import CONFIG, HEAD, findings, line_of, plan_text

from planner.design import decode_design, load_design
from planner.plan import plan_design

REPOS = "## Affected Repositories\n\n- [x] flovyn-server - widgets API\n"


def with_status(status_line: str) -> str:
    return f"# Widgets Design\n\n**Date:** 2026-03-01\n{status_line}\n\n{REPOS}"


# -- the status gate ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    ["Approved", "approved", "APPROVED", "**Approved**", "Approved (2026-03-04)", "_approved_ by the team"],
)
def test_approved_status_spellings_are_planned(tmp_path: Path, status: str) -> None:
    plan = plan_text(tmp_path, with_status(f"**Status:** {status}"))
    assert findings(plan) == []
    assert [r.name for r in plan.repos] == ["flovyn-server"]


def test_status_written_inside_the_bold_label_is_read(tmp_path: Path) -> None:
    plan = plan_text(tmp_path, with_status("**Status: Approved**"))
    assert plan.ok and plan.design.status == "Approved"


@pytest.mark.parametrize(
    "status",
    [
        "Draft",
        "Draft | Review | Approved",
        "Approved | Draft",
        "In Review",
        "Implemented",
        "Not approved",
        "unapproved",
    ],
)
def test_any_other_status_is_an_error_naming_it(tmp_path: Path, status: str) -> None:
    text = with_status(f"**Status:** {status}")
    plan = plan_text(tmp_path, text)
    assert findings(plan) == [("error", "not-approved", line_of(text, "**Status:**"))]
    message = plan.diagnostics[0].message
    assert f"'{status}'" in message and "Approved" in message and "--allow-unapproved" in message
    assert not plan.ok


def test_status_under_its_own_heading(tmp_path: Path) -> None:
    approved = HEAD.replace("**Status:** Approved\n", "") + "## Status\n\n**Approved** (2026-03-04)\n\n" + REPOS
    plan = plan_text(tmp_path, approved)
    assert findings(plan) == [] and plan.design.status == "Approved (2026-03-04)"

    draft = HEAD.replace("**Status:** Approved\n", "") + "## Status\n\nDraft, waiting for review\n\n" + REPOS
    plan = plan_text(tmp_path, draft)
    assert findings(plan) == [("error", "not-approved", line_of(draft, "Draft, waiting"))]


def test_missing_status_is_an_error_at_line_1(tmp_path: Path) -> None:
    text = "# Widgets Design\n\n" + REPOS
    plan = plan_text(tmp_path, text)
    assert findings(plan) == [("error", "not-approved", 1)]
    assert "no **Status:** line" in plan.diagnostics[0].message


def test_allow_unapproved_plans_with_a_warning(tmp_path: Path) -> None:
    text = with_status("**Status:** Draft | Review | Approved")
    plan = plan_text(tmp_path, text, allow_unapproved=True)
    assert findings(plan) == [("warning", "not-approved", line_of(text, "**Status:**"))]
    assert plan.ok and [r.name for r in plan.repos] == ["flovyn-server"]


def test_strict_turns_the_allowed_status_warning_into_an_error(tmp_path: Path) -> None:
    text = with_status("**Status:** Draft")
    plan = plan_text(tmp_path, text, allow_unapproved=True, strict=True)
    assert findings(plan) == [("error", "not-approved", line_of(text, "**Status:**"))]
    assert not plan.ok


# -- header fields and title ----------------------------------------------------------------------


def test_title_date_status_branch(tmp_path: Path) -> None:
    plan = plan_text(tmp_path, HEAD + REPOS)
    design = plan.design
    assert (design.title, design.feature) == ("Widgets Design", "Widgets")
    assert (design.date, design.status, design.branch) == ("2026-03-01", "Approved", "feature/widgets")


def test_header_fields_in_bold_variants(tmp_path: Path) -> None:
    text = "# Widgets Design\n\n**Date**: 2026-03-01\n**Status**: approved\n__Branch:__ `feat/w`\n\n" + REPOS
    design = plan_text(tmp_path, text).design
    assert (design.date, design.status, design.branch) == ("2026-03-01", "approved", "feat/w")


def test_no_title_is_a_warning_and_the_file_name_is_the_feature(tmp_path: Path) -> None:
    text = "**Status:** Approved\n\n" + REPOS
    plan = plan_text(tmp_path, text, name="billing-limits.md")
    assert findings(plan) == [("warning", "no-title", 1)]
    assert plan.ok and plan.design.feature == "billing-limits"


# -- encodings ------------------------------------------------------------------------------------

LINES_TEXT = (
    HEAD
    + """## Affected Repositories

- [x] flovyn-server - widgets API
- [x] flovyn-sever - typo

## Open Questions

- [ ] Do widgets expire?
"""
)


@pytest.mark.parametrize(
    ("bom", "newline"),
    [(b"", "\n"), (b"", "\r\n"), (b"\xef\xbb\xbf", "\n"), (b"\xef\xbb\xbf", "\r\n"), (b"", "\r")],
    ids=["lf", "crlf", "bom-lf", "bom-crlf", "cr"],
)
def test_bom_and_line_endings_keep_line_numbers(tmp_path: Path, bom: bytes, newline: str) -> None:
    data = bom + LINES_TEXT.replace("\n", newline).encode("utf-8")
    plan = plan_text(tmp_path, data)
    assert findings(plan) == [
        ("error", "unknown-repo", line_of(LINES_TEXT, "flovyn-sever")),
        ("warning", "open-question", line_of(LINES_TEXT, "Do widgets expire?")),
    ]
    assert plan.design.title == "Widgets Design"  # the BOM is not part of the title


def test_latin1_is_a_clean_error_naming_utf8_and_the_line(tmp_path: Path) -> None:
    text = HEAD + "## Overview\n\nCaf\xe9 orders.\n\n" + REPOS
    plan = plan_text(tmp_path, text.encode("latin-1"))
    assert findings(plan) == [("error", "not-utf8", line_of(text, "Caf"))]
    assert "UTF-8" in plan.diagnostics[0].message and "0xe9" in plan.diagnostics[0].message
    assert plan.repos == ()


def test_utf16_is_a_clean_error_naming_utf8(tmp_path: Path) -> None:
    plan = plan_text(tmp_path, (HEAD + REPOS).encode("utf-16"))
    assert findings(plan) == [("error", "not-text", 1)]
    assert "UTF-8" in plan.diagnostics[0].message


def test_empty_missing_and_directory_inputs_are_clean_errors(tmp_path: Path) -> None:
    assert findings(plan_text(tmp_path, " \n\n")) == [("error", "empty", 1)]
    assert findings(plan_design(tmp_path / "nope.md", CONFIG)) == [("error", "not-found", 1)]
    assert findings(plan_design(tmp_path, CONFIG)) == [("error", "not-a-file", 1)]


def test_an_oversized_design_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.md"
    path.write_text(HEAD + "x" * 200 + "\n", encoding="utf-8")
    doc, problems = load_design(path, max_bytes=100)
    assert doc is None
    assert [(d.code, d.line) for d in problems] == [("too-large", 1)]
    assert "over the 100-byte limit" in problems[0].message


def test_decode_normalises_to_lf_with_a_final_newline() -> None:
    text, problems = decode_design(b"\xef\xbb\xbf# A\r\nb\rc", "d.md")
    assert (text, problems) == ("# A\nb\nc\n", ())


# -- headings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "heading",
    [
        "## Affected Repositories",
        "## Affected Repos:",
        "### AFFECTED REPOSITORIES",
        "#### affected repos",
        "## 3. Affected Repositories",
        "## **Affected Repositories**",
        "# Affected Repository:",
    ],
)
def test_headings_match_by_normalised_text_at_any_level(tmp_path: Path, heading: str) -> None:
    plan = plan_text(tmp_path, HEAD + f"{heading}\n\n- [x] sdk-rust - core\n")
    assert findings(plan) == []
    assert [r.name for r in plan.repos] == ["sdk-rust"]


def test_a_section_ends_at_the_next_heading_of_the_same_or_higher_level(tmp_path: Path) -> None:
    text = HEAD + (
        "## Proposed Solution\n\n"
        "### Affected Repositories\n\n- [x] flovyn-server - API\n\n"
        "#### Backend details\n\n- [x] sdk-rust - a deeper heading stays in the section\n\n"
        "### Rollout\n\n- [x] flovyn-app - a sibling heading ends it\n\n"
        "## Later\n\n- [x] sdk-python - so does a higher one\n"
    )
    plan = plan_text(tmp_path, text)
    assert findings(plan) == []
    assert sorted(r.name for r in plan.repos) == ["flovyn-server", "sdk-rust"]


def test_a_known_section_nested_in_another_is_read_on_its_own(tmp_path: Path) -> None:
    text = HEAD + (
        "## Affected Repositories\n\n- [x] flovyn-server - API\n\n"
        "### Key Files\n\n- `flovyn-server/src/widgets.rs` - handlers\n\n"
        "### Database Changes\n\n- new table `widgets`\n"
    )
    plan = plan_text(tmp_path, text)
    # Neither the key file nor the database bullet is a repo bullet without a checkbox.
    assert findings(plan) == []
    (server,) = plan.repos
    assert [t.id for t in server.tasks] == ["flovyn-server:migration", "flovyn-server:file:src/widgets.rs"]


def test_every_diagnostic_of_a_run_is_reported(tmp_path: Path) -> None:
    text = """# {Feature Name} Design

**Status:** Draft

## Affected Repositories

- [x] flovyn-sever - typo
- [x] flovyn-server - server
- [x] server - again
- sdk-rust - no box

## Key Files

- `flovyn-server/../etc/passwd` - escape
- `sdk-kotlin/Main.kt` - not checked

## API Changes

```
rpc Broken(Req) returns
```

## Open Questions

- [ ] Who owns widgets?
"""
    plan = plan_text(tmp_path, text)
    assert findings(plan) == [
        ("warning", "template-text", 1),
        ("error", "not-approved", line_of(text, "Draft")),
        ("error", "unknown-repo", line_of(text, "flovyn-sever")),
        ("error", "duplicate-repo", line_of(text, "server - again")),
        ("warning", "plain-bullet", line_of(text, "no box")),
        ("error", "key-file-path", line_of(text, "passwd")),
        ("error", "key-file-repo", line_of(text, "Main.kt")),
        ("error", "grpc-syntax", line_of(text, "rpc Broken")),
        ("warning", "open-question", line_of(text, "Who owns")),
    ]
