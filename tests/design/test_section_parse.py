"""The fast paths read designs exactly as the full parse does.

planner parses only the sections it reads (planner.design.sections), builds simple lists without mistune's
list parser (planner.design.markdown) and takes shortcuts for plain key-file lines and clean paths
(planner.design). Each is checked here against the plain, full mistune parse: same DesignDoc, same
diagnostics (and lines), and, chunk by chunk, the very same tokens. Sources: every fixture, every
corpus design (read in place when ../shared/corpus is there), generated designs from bench/gen.py,
and Hypothesis documents built to hit the hard cases (headings in fences, setext headings, headings
in lists and quotes, HTML blocks and comments over headings, unclosed fences, reference definitions).
"""

from __future__ import annotations

import importlib.util
import math
import re
import sys
from pathlib import Path
from types import ModuleType
from urllib.parse import quote

import pytest
from fuzz_designs import FUZZ, markdown_docs
from hypothesis import given
from hypothesis import strategies as st
from project import ROOT

from planner.design import decode_design, parse_design
from planner.design.markdown import LINE, Token, parse_blocks
from planner.design.reader import Reader
from planner.design.rules import LEFTOVER_HINT, _path_rules, lead_code, may_leave, name_and_rest, path_problem
from planner.design.sections import scan_chunks
from planner.render import markdown as render_markdown

FIXTURES = sorted((ROOT / "fixtures").glob("*.md"))
CORPUS = sorted((ROOT.parent / "shared" / "corpus" / "designs").glob("*.md"))


def _bench_gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_gen", ROOT / "bench" / "gen.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _generated() -> list[tuple[str, str]]:
    gen = _bench_gen()
    organisation = gen.org(40, seed=3, layers=5)
    return [(f"generated-{seed}.md", gen.design_text(organisation, seed)) for seed in range(12)]


def _text(path: Path) -> str:
    text, problems = decode_design(path.read_bytes(), str(path))
    assert text is not None, problems
    return text


def _top_headings(tokens: list[Token]) -> list[Token]:
    return [t for t in tokens if t["type"] == "heading"]


def assert_same_reading(text: str, path: str = "doc.md") -> None:
    """Fast and full parse agree on the design, and every chunk parses alone as it does in the whole."""
    assert parse_design(text, path) == parse_design(text, path, full=True)

    full = parse_blocks(text, reference=True)
    assert parse_blocks(text) == full  # simple lists built directly == mistune's list parser
    chunks = scan_chunks(text, LEFTOVER_HINT, may_leave)
    for i, chunk in enumerate(chunks):
        end = chunks[i + 1].start if i + 1 < len(chunks) else len(text)
        end_line = chunks[i + 1].line if i + 1 < len(chunks) else math.inf
        expected = [t for t in full if chunk.line <= t[LINE] < end_line]
        alone = parse_blocks(text[chunk.start : end], chunk.line, reference=True)
        assert alone == expected, f"chunk at line {chunk.line} parses differently alone"
        if chunk.level:
            assert expected[0] == chunk.heading()
        if not chunk.dirty:
            # A clean chunk has no heading but its first line: skipping it loses no section boundary.
            assert len(_top_headings(expected)) == (1 if chunk.level else 0)
            if not chunk.probe:
                # Nor any template text (its heading stays, and is checked, even when the rest is skipped).
                reader = Reader(path)
                reader.leftovers(expected[1:] if chunk.level else expected)
                assert reader.diagnostics == []


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fixtures(path: Path) -> None:
    assert_same_reading(_text(path), str(path))


@pytest.mark.parametrize("name,text", _generated(), ids=lambda v: v if v.endswith(".md") else "")
def test_generated_designs(name: str, text: str) -> None:
    assert_same_reading(text, name)


def test_corpus() -> None:
    """Every corpus design, read in place; when the corpus is absent the other sources still run."""
    for path in CORPUS:
        assert_same_reading(_text(path), str(path))


def test_fast_path_skips_the_unread_sections() -> None:
    """Not vacuous: on a template-shaped design most chunks are clean, so they are skipped."""
    text = _generated()[0][1]
    chunks = scan_chunks(text, LEFTOVER_HINT, may_leave)
    assert len(chunks) > 10
    assert sum(not c.dirty and not c.probe for c in chunks) > len(chunks) // 2


# -- hard cases, one by one (each also runs through the properties below) -------------------------

_SKELETON = """# Hard Design

**Status:** Approved

## Proposed Solution

### Affected Repositories

- [x] flovyn-server - x

### Key Files

- `flovyn-server/src/a.rs` - a

"""

HARD_CASES = {
    "heading in a fence": "```\n\n## Key Files\n- `flovyn-server/b.rs` - b\n```\n",
    "heading in a tilde fence with a longer closer": (
        "~~~~\n\n## Status\n~~~\nDraft\n~~~~~\n\n## Open Questions\n\n- [ ] q\n"
    ),
    "unclosed fence swallows the rest": "```rust\n\n## Key Files\n\n- `flovyn-server/c.rs` - c\n",
    "indented fence in a list item": "- item\n\n  ```\n\n## Key Files\n\n- `flovyn-server/d.rs` - d\n",
    "setext heading": "Key Files\n---------\n\n- `flovyn-server/e.rs` - e\n",
    "setext level 1 after text": "Some Title\n==========\n\n## Open Questions\n\n- [ ] open\n",
    "heading in a list": "- ## Key Files\n- `flovyn-server/f.rs` - f\n",
    "heading in a quote": "> ## Key Files\n>\n> - `flovyn-server/g.rs` - g\n",
    "lazy heading after a quote": "> quoted\n## Key Files\n\n- `flovyn-server/h.rs` - h\n",
    "html comment over a heading": "<!--\n\n## Key Files\n\n-->\n\n- `flovyn-server/i.rs` - i\n",
    "indented html comment": "  <!--\n\n## Status\n\n-->\n",
    "html block to blank line": "<div>\n## Key Files\n- `flovyn-server/j.rs` - j\n\n## Open Questions\n\n- [ ] q\n",
    "pre block": "<pre>\n\n## Key Files\n\n</pre>\n",
    "reference label over a blank line": "[a\n\n## Key Files\n]: /x\n\n- `flovyn-server/k.rs` - k\n",
    "heading under text": "Text right above\n## Key Files\n- `flovyn-server/l.rs` - l\n",
    "template text in a skipped section": (
        "## Overview\n\nBrief description of what this feature does\n\n{Feature Name} here\n"
    ),
    "braces only in code spans": "## Overview\n\nCall `GET /api/{org}` and `{id}`.\n",
    "braces after an escaped backtick": "## Overview\n\n\\`{x}` and [`](u){y}`\n",
    "tabs and odd blank lines": "## Overview\n\n\t{tab}\n \t \n## Key Files\n\n- `flovyn-server/m.rs` - m\n",
    "loose list": "## Key Files\n\n- `flovyn-server/n.rs` - n\n\n- `flovyn-server/o.rs` - o\n",
    "list then heading": "## Key Files\n- `flovyn-server/p.rs` - p\n## Open Questions\n- [ ] q\n",
    "second title": "# Another Title\n\n**Status:** Draft\n",
    "list under a quote runs into the heading": "> q\n- [x] sdk-rust - y\n\n### Key Files\n\n- `sdk-rust/a.rs` - a\n",
    "list under a lazy quote line": "> q\nlazy\n- b\n\n## Open Questions\n\n- [ ] q\n",
    "pre tag under a list item": "- [x] flovyn-server - x\n<pre>\n# Title\n",
}


@pytest.mark.parametrize("name", sorted(HARD_CASES))
def test_hard_cases(name: str) -> None:
    for text in (_SKELETON + HARD_CASES[name], HARD_CASES[name], HARD_CASES[name] + "\n" + _SKELETON):
        assert_same_reading(text)


# -- properties -----------------------------------------------------------------------------------

_LINES = [
    "# Title",
    "## Key Files",
    "### Affected Repositories",
    "## Status",
    "#### API Changes",
    "## Open Questions ##",
    "##Key Files",
    " ## Key Files",
    "   ### Database Changes",
    "    ## indented code",
    "## Overview",
    "## Proposed Solution",
    "#",
    "Key Files",
    "---",
    "===",
    "***",
    "- - -",
    "```",
    "~~~",
    "````",
    " ```",
    "  ~~~",
    "```js`",
    "```sql",
    "\t```",
    "<!--",
    "-->",
    "<!-- x -->",
    "<div>",
    "</div>",
    "<pre>",
    "</pre>",
    "<?",
    "?>",
    "<![CDATA[",
    "]]>",
    "<!DOCTYPE x>",
    "<span>",
    "<custom-tag>",
    " <!--",
    "  <div>",
    "[a]: /u",
    "[a]:",
    "[multi",
    "line]: /x",
    '[a]: /u "title',
    'end"',
    "- [x] flovyn-server - x",
    "- [ ] sdk-rust - y",
    "- `flovyn-server/a.rs` - a",
    "* `sdk-rust/b.rs` - b",
    "  - nested",
    "1. item",
    "- ```",
    "-",
    "+ x",
    "- # not a heading",
    "- > quote",
    "- <div>",
    "-\tx",
    "> text",
    "> ## Key Files",
    "> ```",
    ">",
    "> - [x] flovyn-server",
    "",
    "",
    "",
    "   ",
    "\tcode",
    "    code",
    "text",
    "more text here",
    "{Feature Name}",
    "`{x}` only",
    "YYYY-MM-DD",
    "Brief description of what this feature does",
    "\\{x}",
    "[`](u){y}`",
    "&#123;x}",
    "GET /api/{org}/x",
    "- POST /x/{id}",
    "rpc Get(A) returns (B);",
    "CREATE TABLE t (id INT);",
    "pub struct S {",
]


@st.composite
def structural_docs(draw: st.DrawFn) -> str:
    lines = draw(st.lists(st.sampled_from(_LINES), max_size=40))
    return "\n".join(lines) + "\n"


@FUZZ
@given(structural_docs())
def test_structural_docs(text: str) -> None:
    assert_same_reading(text)


@FUZZ
@given(markdown_docs())
def test_fuzz_docs(text: str) -> None:
    normal, _ = decode_design(text.encode("utf-8", "surrogatepass"), "doc.md")
    if normal is not None:
        assert_same_reading(normal)


@FUZZ
@given(
    st.lists(
        st.one_of(
            st.sampled_from(["- ", "* ", "+ ", "-", "- [x] ", "1. ", "  - ", "-  ", "- \t"]).flatmap(
                lambda lead: st.text(alphabet="ab `#>*_-=[]:<!1.\t{}x", max_size=12).map(lambda t: lead + t)
            ),
            st.sampled_from(["", "## H", "text", "  indented", "    code", "---", "```", "> q"]),
        ),
        max_size=15,
    )
)
def test_simple_lists(lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    assert parse_blocks(text) == parse_blocks(text, reference=True)


# -- the other shortcuts ----------------------------------------------------------------------------

_LINE_TEXT = st.text(alphabet="ab/`_*-\u2013: \t[]<>!\\&~x.{}é", max_size=20)


@FUZZ
@given(st.one_of(_LINE_TEXT, _LINE_TEXT.map(lambda t: "`" + t)))
def test_lead_code_shortcut(line: str) -> None:
    assert lead_code(line) == lead_code(line, full=True)


@FUZZ
@given(st.one_of(_LINE_TEXT, st.text(max_size=20)))
def test_name_and_rest_shortcut(text: str) -> None:
    assert name_and_rest(text) == name_and_rest(text, full=True)


@FUZZ
@given(st.one_of(st.text(max_size=20), st.text(alphabet="ab./_-+@~,=%20 \\:", max_size=14)))
def test_clean_path_shortcut(rel: str) -> None:
    assert path_problem(rel) == _path_rules(rel)


def _inline_rules(text: str) -> str:
    """render.markdown.inline without its shortcut for text with nothing to escape."""
    text = " ".join(text.split())
    text = render_markdown._SPECIAL.sub(r"\\\1", text)
    text = render_markdown._ENTITY.sub(r"&amp;\1", text)
    text = render_markdown._UNDERSCORE.sub(r"\\_", text)
    return render_markdown._LINE_START.sub(r"\1\\\2", text)


@FUZZ
@given(st.text(alphabet="ab1. #+-=>_&;`*[]<>|!~$\\\t\n", max_size=20))
def test_render_inline_shortcut(text: str) -> None:
    assert render_markdown.inline(text) == _inline_rules(text)


@FUZZ
@given(st.one_of(st.text(max_size=16), st.text(alphabet="ab:/-_.~{}@+=,% \u00e9", max_size=16)))
def test_render_encode_id_shortcut(task_id: str) -> None:
    rules = re.sub("-(?=-)", "%2D", quote(task_id, safe=":/{}._~@+=,"))
    assert render_markdown.encode_id(task_id) == rules
