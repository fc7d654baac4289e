"""Issue 12: `planner suggest` on any design text: no exception, and every stated order and rule holds."""

from __future__ import annotations

from fuzz_designs import EXAMPLES, design_bytes
from hypothesis import given, settings
from project import ROOT

from planner.config import load_config
from planner.design import decode_design, parse_design
from planner.graph import plan_order
from planner.suggest import suggest_text
from planner.suggest.render import missing_sections, sections_markdown
from planner.suggest.write import with_sections

CONFIG, _ = load_config(ROOT / "config" / "repos.toml")


@settings(max_examples=EXAMPLES, deadline=None)
@given(data=design_bytes())
def test_suggest_holds_its_rules_on_any_design(data: bytes) -> None:
    assert CONFIG is not None
    text, _ = decode_design(data, "d.md")
    if text is None:
        return
    s, doc = suggest_text(text, "d.md", CONFIG, min_evidence=2)
    names = [r.name for r in s.repos]
    assert names == list(plan_order(CONFIG.graph, names).order)
    for repo in s.repos:
        assert len(repo.evidence) >= 2
        keys = [(e.line, e.kind, e.text) for e in repo.evidence]
        assert keys == sorted(set(keys))
    rank = {n: i for i, n in enumerate(names)}
    files = [(rank[k.repo], k.path) for k in s.key_files]
    assert files == sorted(set(files))
    assert [(u.line, u.path) for u in s.unresolved] == sorted({(u.line, u.path) for u in s.unresolved})
    # Unresolved: a path of a repo that is not suggested, or one that names no repo (then every suggested one).
    assert all(u.candidates == tuple(names) or u.candidates[0] not in rank for u in s.unresolved)
    assert [(n.line, n.code, n.message) for n in s.notes] == sorted({(n.line, n.code, n.message) for n in s.notes})
    sections = missing_sections(doc, s)
    if not sections:
        return
    raw = data.decode("utf-8")
    written = with_sections(raw, text, sections, sections_markdown(s, sections))
    if written is None:
        return
    assert len(written) > len(raw)
    again, _ = decode_design(written.encode("utf-8"), "d.md")
    assert again is not None
    redo, _ = suggest_text(again, "d.md", CONFIG, min_evidence=2)
    assert missing_sections(parse_design(again, "d.md")[0], redo) == ()
