"""One Mermaid label escaper for plans and `planner graph`: hostile repo names stay inside their labels."""

from __future__ import annotations

import re

from fuzz_designs import FUZZ
from hypothesis import given
from hypothesis import strategies as st

from planner.config import Config, RepoConfig
from planner.render.graph import render_graph
from planner.render.mermaid import flowchart, label

# What Mermaid turns back into characters: `#name;` and `#number;` (decimal) entity codes.
_NAMED = {"quot": '"', "lt": "<", "gt": ">", "amp": "&"}
_CODE = re.compile(r"#(\w+);")


def unescape(text: str) -> str:
    return _CODE.sub(lambda m: _NAMED.get(m[1]) or chr(int(m[1])), text)


HOSTILE = ['x"] --> evil["y', "a(b)c", "<b>bold</b>", "fish & chips", "#quot;", "#35;", "`md`", "a\nb", "[x]{y}|z;"]


def test_the_characters_that_need_it_become_entity_codes() -> None:
    assert label('say "hi"') == "say #quot;hi#quot;"
    assert label("a<b>c") == "a#lt;b#gt;c"
    assert label("fish & chips") == "fish #amp; chips"
    assert label("#1") == "#35;1"
    assert label("`x`") == "#96;x#96;"
    # Parentheses, brackets and braces are plain text inside a quoted label: left as they are.
    assert label("sdk (beta) [x] {y}") == "sdk (beta) [x] {y}"
    assert label("two\nlines\there") == "two lines here"


@FUZZ
@given(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=20), st.text(alphabet='"<>&#;`()[] \nab1', max_size=20)))
def test_a_label_cannot_end_early_and_reads_back_as_the_name(name: str) -> None:
    text = label(name)
    # No quote to end the label, no HTML, no Markdown string, no raw `&` or `#` that Mermaid would decode.
    assert not set(text) & set('"<>`&\n')
    assert all(m[1] in _NAMED or m[1] in ("35", "96") for m in _CODE.finditer(text))
    assert unescape(text) == " ".join(name.split())


def test_graph_and_plan_charts_use_the_same_labels() -> None:
    names = sorted(["safe", *HOSTILE])
    repos = {name: RepoConfig(name=name, description="d", language="x", depends_on=()) for name in names}
    config = Config(version=1, repos=repos, path="mem.toml", sha256="0" * 64)
    chart = render_graph(config.graph, "mermaid")
    assert chart == flowchart(names, [])
    for number, name in enumerate(names):
        assert f'    n{number}["{label(name)}"]' in chart.splitlines()
