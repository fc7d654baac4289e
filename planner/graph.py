"""Repo dependency graph with networkx: one DiGraph per config, its cycles, and the wave order of planned repos.

A leaf: it takes plain mappings (repo -> the repos it depends on) and knows nothing of the config model.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import networkx as nx

from planner.errors import PlannerError

__all__ = ["DependencyError", "Ordering", "dependency_graph", "find_cycles", "format_cycle", "plan_order"]

# Cycles longer than this are abbreviated so one huge cycle cannot flood the output.
_MAX_CYCLE_SHOWN = 8
_CYCLE_HEAD = 3
# A plan_order error names at most this many cycles.
_CYCLES_IN_ERROR = 3


class DependencyError(PlannerError, ValueError):
    """Repos that cannot be ordered: an unknown name or a dependency cycle (validate the config first)."""


@dataclass(frozen=True)
class Ordering:
    """Selected repos in dependency waves, with each repo's nearest selected upstream repos."""

    waves: tuple[tuple[str, ...], ...]
    upstream: Mapping[str, tuple[str, ...]]
    wave_of: Mapping[str, int]

    @property
    def order(self) -> tuple[str, ...]:
        """All selected repos, wave by wave."""
        return tuple(name for wave in self.waves for name in wave)


def dependency_graph(depends_on: Mapping[str, Iterable[str]]) -> nx.DiGraph:
    """One node per repo, an edge dependency -> dependent; dependencies on unknown repos are left out.

    Nodes and edges go in sorted, so every walk over the graph (and so every result) ignores the mapping's order;
    frozen, because one graph is shared by every use of its config.
    """
    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(depends_on))
    graph.add_edges_from(
        sorted((dep, name) for name, deps in depends_on.items() for dep in set(deps) if dep in depends_on)
    )
    return nx.freeze(graph)


def find_cycles(graph: nx.DiGraph) -> list[list[str]]:
    """One short cycle per cyclic strongly connected component, starting at its smallest name; sorted.

    Each is a shortest cycle through that smallest name: enumerating all simple cycles can be exponential.
    """
    cycles: list[list[str]] = []
    for component in nx.strongly_connected_components(graph):
        start = min(component)
        if len(component) > 1:
            cycles.append(_shortest_cycle_through(graph.subgraph(component), start))
        elif graph.has_edge(start, start):
            cycles.append([start])
    return sorted(cycles)


def _shortest_cycle_through(component: nx.DiGraph, start: str) -> list[str]:
    # Breadth first from start, in sorted successor order: the first node reached that leads back to start
    # closes a shortest cycle (ties go to the node breadth-first search reaches first).
    parent: dict[str, str] = {}
    for node, via in nx.bfs_predecessors(component, start):
        parent[node] = via
        if component.has_edge(node, start):
            path = [node]
            while path[-1] != start:
                path.append(parent[path[-1]])
            return path[::-1]
    raise AssertionError("a strongly connected component with several nodes always has a cycle")


def format_cycle(cycle: Sequence[str]) -> str:
    """`a -> b -> a`; cycles over 8 repos become `a -> b -> c -> ... (N more) -> z -> a`."""
    if not cycle:
        return ""
    if len(cycle) <= _MAX_CYCLE_SHOWN:
        shown = list(cycle)
    else:
        hidden = len(cycle) - _CYCLE_HEAD - 1
        shown = [*cycle[:_CYCLE_HEAD], f"... ({hidden:,} more)", cycle[-1]]
    return " -> ".join([*shown, cycle[0]])


def plan_order(graph: nx.DiGraph, selected: Collection[str]) -> Ordering:
    """Order selected repos by dependencies, including transitive ones through unselected repos.

    Raises DependencyError for an unknown repo name or a dependency cycle upstream of the selection.
    """
    chosen = set(selected)
    unknown = sorted(chosen - set(graph))
    if unknown:
        raise DependencyError(f"unknown repo(s): {', '.join(unknown)}")
    # Only the selection and its ancestors bear on the order: a cycle elsewhere in the config does not.
    upstream_part = _upstream_part(graph, set().union(*nx.bfs_layers(graph.reverse(copy=False), sorted(chosen))))
    try:
        nearest = _nearest_selected_upstream(upstream_part, chosen)
    except nx.NetworkXUnfeasible:
        shown = "; ".join(format_cycle(cycle) for cycle in find_cycles(upstream_part)[:_CYCLES_IN_ERROR])
        raise DependencyError(f"dependency cycle: {shown}") from None
    # Transitive dependencies through unselected repos, the choice: the selected repos get a DAG of their own
    # with an edge from each repo's nearest selected upstream repos (reached without passing another selected
    # one), rather than the closure over all selected ancestors. Both have the same longest paths, so the same
    # topological generations, and this one has far fewer edges on a dense org; its edges are also the plan's
    # `depends_on`, so the waves and the arrows a plan shows come from one graph.
    order_graph = nx.DiGraph()
    order_graph.add_nodes_from(sorted(chosen))
    order_graph.add_edges_from((up, name) for name in sorted(chosen) for up in nearest[name])
    waves = tuple(tuple(sorted(wave)) for wave in nx.topological_generations(order_graph))
    wave_of = {name: number for number, wave in enumerate(waves, start=1) for name in wave}
    return Ordering(
        waves=waves,
        upstream={name: tuple(sorted(nearest[name])) for name in sorted(chosen)},
        wave_of=dict(sorted(wave_of.items())),
    )


def _upstream_part(graph: nx.DiGraph, keep: set[str]) -> nx.DiGraph:
    """The subgraph of `keep`, a set closed under predecessors, as a graph of its own in the graph's order."""
    # The nodes and edges of graph.subgraph(keep).copy(), always in the graph's order, at half the cost on a
    # big org: a view filters every node and adjacency it copies, while the edges into `keep` come only from
    # `keep`, so one test per edge does.
    part = nx.DiGraph()
    part.add_nodes_from(node for node in graph if node in keep)
    part.add_edges_from((dep, name) for dep, name in graph.edges if name in keep)
    return part


def _nearest_selected_upstream(dag: nx.DiGraph, chosen: set[str]) -> dict[str, frozenset[str]]:
    """For every repo of the DAG, the selected repos reached going upstream without passing another selected one.

    Raises NetworkXUnfeasible when the graph has a cycle.
    """
    # One pass in topological order: a repo's nearest set is its selected predecessors plus the nearest sets
    # of its unselected ones. Sets are shared, not copied, along chains of unselected repos.
    nearest: dict[str, frozenset[str]] = {}
    for name in nx.topological_sort(dag):
        parts: list[frozenset[str]] = [frozenset((dep,)) if dep in chosen else nearest[dep] for dep in dag.pred[name]]
        nearest[name] = parts[0] if len(parts) == 1 else frozenset().union(*parts)
    return nearest
