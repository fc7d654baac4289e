"""Finding a design's sections: as many steps as the design has headings, never their square."""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.design import structure
from planner.design.markdown import LINE, parse_blocks
from planner.design.structure import find_sections, section_key

HEAD = "# T\n\n**Status:** Approved\n\n"
FAMILIES = {
    # The same section written again and again: each copy is read as part of the first.
    "repeated": "## Affected Repositories\n\n- [x] server - x\n\n",
    # Known sections nested in a known section: each is its own, the outer one keeps only its own lines.
    "nested": "### API Changes\n\n- `GET /a` - x\n\n",
}


def steps(text: str) -> int:
    """Lines run inside planner.design.structure while its sections are found."""
    tokens = parse_blocks(text)
    count = 0

    def trace(frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        nonlocal count
        if frame.f_code.co_filename != structure.__file__:
            return None
        count += event == "line"
        return trace

    sys.settrace(trace)
    try:
        find_sections(tokens)
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_sections_are_found_in_steps_linear_in_the_headings(family: str) -> None:
    outer = "## Proposed Solution\n\nText.\n\n"
    small, large = (steps(HEAD + outer + FAMILIES[family] * n) for n in (300, 1200))
    assert large <= 4.5 * small, (small, large)


def _quadratic_find_sections(tokens: list[Any]) -> dict[str, tuple[int, tuple[int, ...], list[Any]]]:
    """The earlier way, scanning ahead from each heading and over every span: the reference."""
    headings = [(i, t["attrs"]["level"]) for i, t in enumerate(tokens) if t["type"] == "heading"]
    spans: dict[str, list[tuple[int, int]]] = {}
    for n, (i, level) in enumerate(headings):
        key = section_key(tokens[i]["text"])
        if key is not None:
            end = next((j for j, lv in headings[n + 1 :] if lv <= level), len(tokens))
            spans.setdefault(key, []).append((i, end))
    every = [span for key_spans in spans.values() for span in key_spans]
    found = {}
    for key, key_spans in spans.items():
        kept: list[Any] = []
        for start, end in key_spans:
            inner = [(s, e) for s, e in every if start < s < end]
            kept += (tokens[j] for j in range(start + 1, end) if not any(s <= j < e for s, e in inner))
        lines = tuple(tokens[start][LINE] for start, _ in key_spans)
        found[key] = (lines[0], lines[1:], kept)
    return found


HEADINGS = ["Proposed Solution", "API Changes", "Affected Repositories", "Key Files", "Notes", "Database Changes"]


@given(st.lists(st.tuples(st.integers(1, 6), st.sampled_from(HEADINGS), st.booleans()), max_size=30))
def test_sections_are_those_of_the_scan_ahead_reference(parts: list[tuple[int, str, bool]]) -> None:
    text = HEAD + "".join("#" * level + f" {name}\n\n" + ("- x\n\n" if body else "") for level, name, body in parts)
    tokens = parse_blocks(text)
    found, _ = find_sections(tokens)
    assert {k: (s.line, s.again, list(s.tokens)) for k, s in found.items()} == _quadratic_find_sections(tokens)
