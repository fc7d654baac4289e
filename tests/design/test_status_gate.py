"""The approval gate reads the status as people see it rendered: struck-through text does not count."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.design.parse import parse_design

STRIKES = [
    "~~{}~~",
    "~{}~",
    "<s>{}</s>",
    "<del>{}</del>",
    "<strike>{}</strike>",
    "<DEL>{}</DEL>",
    "<s class='x'>{}</s>",
]
STRUCK = ["~~Approved~~ Draft", "<s>Approved</s>", "<del>Approved</del> Rejected", "~Approved~"]
AFTER = ["", " Draft", " Review", " Rejected", " (sent back)", " **Draft**"]


def status_of(line: str, *, section: bool) -> tuple[str | None, bool]:
    if section:
        text = f"# Thing Design\n\n## Status\n\n{line}\n\n## Overview\n\nWords.\n"
    else:
        text = f"# Thing Design\n\n**Status:** {line}\n**Date:** 2026-01-02\n\n## Overview\n\nWords.\n"
    doc, _ = parse_design(text, "thing.md")
    return doc.status, doc.approved


@pytest.mark.parametrize("section", [False, True])
@pytest.mark.parametrize(
    "line",
    [
        "~~Approved~~ Draft",
        "<s>Approved</s>",
        "<del>Approved</del> Rejected",
        "~Approved~",
        "<strike>Approved</strike>",
    ],
)
def test_a_struck_through_approved_is_not_approved(line: str, section: bool) -> None:
    assert status_of(line, section=section)[1] is False


@pytest.mark.parametrize("section", [False, True])
@pytest.mark.parametrize(
    "line", ["Approved", "**Approved** (2026-03-04)", "Approved ~~Draft~~", "<del>Draft</del> Approved"]
)
def test_approved_as_rendered_still_counts(line: str, section: bool) -> None:
    assert status_of(line, section=section)[1] is True


@given(strike=st.sampled_from(STRIKES), after=st.sampled_from(AFTER), section=st.booleans(), case=st.booleans())
def test_no_struck_through_form_of_approved_passes_the_gate(strike: str, after: str, section: bool, case: bool) -> None:
    word = "APPROVED" if case else "Approved"
    status, approved = status_of(strike.format(word) + after, section=section)
    assert approved is False, status
    assert word not in (status or "")
