"""The mistune hook: every block token's recorded line is the line its text starts on."""

from __future__ import annotations

from pathlib import Path

import pytest
from project import ROOT

from planner.design import decode_design
from planner.design.markdown import LINE, Token, parse_blocks

CORPUS = ROOT.parent / "shared" / "corpus" / "designs"
SAMPLES = sorted(ROOT.glob("fixtures/*.md")) + sorted(CORPUS.glob("*.md"))

TRICKY = """\
# Title

    indented code
    more code

- [x] one
- [ ] two
  continued
-
  after an empty marker

> quote
> - [x] quoted item
>   > nested quote
lazy line

1. first
2. second
   - nested
   - nested with para

     second paragraph

<!-- a comment
spanning lines -->

Setext heading
--------------

```sql
SELECT 1;
```
"""


def _walk(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for token in tokens:
        out.append(token)
        out += _walk(token.get("children") or [])
    return out


def _check(text: str) -> int:
    """Assert each token's first text line stands on its recorded source line; return tokens checked."""
    lines = text.split("\n")
    checked = 0
    for token in _walk(parse_blocks(text)):
        assert LINE in token, token
        line = token[LINE]
        assert 1 <= line <= len(lines), (token["type"], line)
        source = lines[line - 1]
        kind = token["type"]
        if kind in ("paragraph", "block_text", "heading") and token.get("style") != "setext":
            first = token["text"].split("\n", 1)[0].strip()
            assert first.lstrip("#").strip() in source, (line, first, source)
        elif kind == "block_code" and token.get("style") == "fenced":
            assert token["marker"] in source, (line, source)
        elif kind == "block_code" or kind == "block_html":
            assert token["raw"].split("\n", 1)[0].strip() in source, (line, source)
        else:
            continue
        checked += 1
    return checked


def test_tricky_constructs_have_exact_lines() -> None:
    assert _check(TRICKY) >= 15


def test_list_item_line_is_its_marker_line() -> None:
    tokens = parse_blocks(TRICKY)
    items = [item for token in tokens if token["type"] == "list" for item in token["children"]]
    assert [item[LINE] for item in items[:3]] == [6, 7, 10]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_lines_on_real_documents(path: Path) -> None:
    text, problems = decode_design(path.read_bytes(), str(path))
    assert text is not None, problems
    assert _check(text) > 0
