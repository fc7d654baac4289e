"""The section scan does linear work on every pathological family: counted in regex calls, not timed."""

from __future__ import annotations

import re
from typing import Any

import pytest

import planner.design.sections as sections
from planner.design.parse import parse_design

HEAD = "# Growth Design\n\n**Status:** Approved\n\n## Overview\n\n"
FAMILIES = {
    "block quotes": "> a\n",
    "HTML lines": "<div>\n",
    "reference definitions": "[r]: /u\n",
    "quote then text": "> a\nb\n",
}


class Counting:
    """A compiled pattern that counts the calls made to it."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.pattern, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return method(*args, **kwargs)

        return counted


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_scan_calls_grow_linearly_with_the_run(family: str, monkeypatch: pytest.MonkeyPatch) -> None:
    n = 2000
    blank, listed = Counting(sections._BLANK), Counting(sections._LIST_LINE)
    monkeypatch.setattr(sections, "_BLANK", blank)
    monkeypatch.setattr(sections, "_LIST_LINE", listed)
    parse_design(HEAD + FAMILIES[family] * n + "\n## Proposed Solution\n\nText.\n", "g.md")
    # A run without a blank line is searched for its end once, not once per line (each search reads to
    # the end of the run: quadratic); a quote run is scanned for a list once, not from each quote line.
    assert blank.calls <= 5, blank.calls
    assert listed.calls <= n * FAMILIES[family].count("\n") + 5, listed.calls


@pytest.mark.parametrize("line", ["*" * 5000, "-" * 5000, "=" * 5000, "_ " * 2500])
def test_the_flat_rules_parse_as_mistune_does(line: str) -> None:
    from planner.design.markdown import parse_blocks

    plain = __import__("mistune").create_markdown(renderer=None)
    ours = [t["type"] for t in parse_blocks("Title\n" + line + "\n")]
    theirs = [t["type"] for t in plain("Title\n" + line + "\n")]
    assert ours == theirs
