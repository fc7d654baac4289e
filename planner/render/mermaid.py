"""Mermaid flowcharts of repos and their order; names go in quoted labels, never in syntax."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from planner.plan import Plan

__all__ = ["flowchart", "label", "render"]

_ENTITIES = {'"': "#quot;", "<": "#lt;", ">": "#gt;", "#": "#35;", "&": "#amp;", "`": "#96;"}
# One pass in C rather than a join over characters: an org chart can have ten thousand labels.
_ENTITY_TABLE = str.maketrans(_ENTITIES)


def label(text: str) -> str:
    """A Mermaid label body: quotes, angle brackets, hashes and backticks as entity codes."""
    return " ".join(text.split()).translate(_ENTITY_TABLE)


def flowchart(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> str:
    """`flowchart TD` with nodes n0.. in the order given and edges upstream --> downstream, sorted."""
    index = {name: i for i, name in enumerate(nodes)}
    lines = ["flowchart TD"]
    lines += [f'    n{i}["{label(name)}"]' for name, i in index.items()]
    pairs = sorted((index[a], index[b]) for a, b in edges)
    lines += [f"    n{a} --> n{b}" for a, b in pairs]
    return "\n".join(lines) + "\n"


def render(plan: Plan) -> str:
    return flowchart((r.name for r in plan.repos), ((up, r.name) for r in plan.repos for up in r.depends_on))
