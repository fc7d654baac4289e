"""`planner graph`: the config's repo dependency graph as plain-text waves, a Mermaid flowchart or a DOT digraph."""

from __future__ import annotations

from typing import Literal

import networkx as nx

from planner.graph import plan_order
from planner.render.mermaid import flowchart

__all__ = ["GRAPH_FORMATS", "render_graph"]

GraphFormat = Literal["text", "mermaid", "dot"]
GRAPH_FORMATS: tuple[GraphFormat, ...] = ("text", "mermaid", "dot")


def render_graph(graph: nx.DiGraph, fmt: GraphFormat) -> str:
    """The repo graph (edges dependency -> dependent) in one of GRAPH_FORMATS; names sorted, edges sorted."""
    if fmt == "text":
        return _text(graph)
    if fmt == "mermaid":
        return flowchart(sorted(graph), graph.edges)
    if fmt == "dot":
        return _dot(graph)
    raise ValueError(f"unknown graph format {fmt!r}; use {', '.join(GRAPH_FORMATS)}")


def _text(graph: nx.DiGraph) -> str:
    ordering = plan_order(graph, list(graph))
    lines = [f"wave {number}: {', '.join(wave)}" for number, wave in enumerate(ordering.waves, start=1)]
    lines.append("")
    for name in sorted(graph):
        deps = sorted(graph.pred[name])
        lines.append(f"{name}: depends on {', '.join(deps) if deps else 'nothing'}")
    return "\n".join(lines) + "\n"


def _dot(graph: nx.DiGraph) -> str:
    # Ids by sorted position, so a hostile repo name only ever appears inside an escaped label.
    ids = {name: f"n{number}" for number, name in enumerate(sorted(graph))}
    lines = ["digraph repos {", "    node [shape=box];"]
    lines += [f'    {node} [label="{_dot_label(name)}"];' for name, node in ids.items()]
    lines += [f"    {ids[dep]} -> {ids[name]};" for dep, name in sorted(graph.edges)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_label(name: str) -> str:
    out: list[str] = []
    for char in name:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif ord(char) < 32 or ord(char) == 127:
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)
