"""Repo dependency graph: cycles, wave ordering of selected repos, and Mermaid/DOT/text renderings."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

if TYPE_CHECKING:
    import networkx as nx

    # Runtime import would be circular: config validation calls find_cycles.
    from planner.config import Config

__all__ = ["Ordering", "find_cycles", "format_cycle", "plan_order", "render_graph", "repo_graph"]

# Cycles longer than this are abbreviated so one huge cycle cannot flood the output.
_MAX_CYCLE_SHOWN = 8
_CYCLE_HEAD = 3


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


def repo_graph(config: Config) -> nx.DiGraph:
    """One node per repo, an edge dependency -> dependent; dependencies on unknown repos are left out."""
    import networkx as nx  # only here: planning and config checks never need it (cold start)

    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(config.repos))
    for name, succs in _successors(config).items():
        graph.add_edges_from((name, succ) for succ in succs)
    return graph


def _successors(config: Config) -> dict[str, list[str]]:
    """The edges of repo_graph as sorted successor lists, without building a networkx graph."""
    succ: dict[str, list[str]] = {name: [] for name in sorted(config.repos)}
    for name in succ:
        for dep in sorted(set(config.repos[name].depends_on)):
            if dep in succ:
                succ[dep].append(name)
    return succ


def find_cycles(config_or_graph: Config | nx.DiGraph) -> list[list[str]]:
    """One cycle per cyclic strongly connected component, rotated to its smallest name, sorted."""
    if hasattr(config_or_graph, "repos"):
        return _cycles(_successors(cast("Config", config_or_graph)))
    graph: Any = config_or_graph
    return _cycles({node: sorted(graph.successors(node)) for node in graph})


def _cycles(succ: Mapping[Any, Sequence[Any]]) -> list[list[Any]]:
    cycles: list[list[Any]] = []
    # One short cycle per component keeps this linear; enumerating simple cycles can be exponential.
    for component in _strong_components(succ):
        if len(component) == 1:
            (node,) = component
            if node in succ[node]:
                cycles.append([node])
            continue
        cycles.append(_shortest_cycle_through_min(succ, component))
    cycles.sort()
    return cycles


def _strong_components(succ: Mapping[Any, Sequence[Any]]) -> list[set[Any]]:
    """Tarjan's strongly connected components, iterative (a 10,000-repo chain must not hit the recursion limit)."""
    index: dict[Any, int] = {}
    low: dict[Any, int] = {}
    on_stack: set[Any] = set()
    stack: list[Any] = []
    found: list[set[Any]] = []
    for root in succ:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(succ[root]))]
        while work:
            node, todo = work[-1]
            for nxt in todo:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(succ[nxt])))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component: set[Any] = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    found.append(component)
    return found


def _shortest_cycle_through_min(succ: Mapping[Any, Sequence[Any]], component: set[Any]) -> list[Any]:
    start = min(component)
    parent: dict[Any, Any] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(succ[node]):
            if nxt == start and node != start:
                path = [node]
                while parent[path[-1]] is not None:
                    path.append(parent[path[-1]])
                return path[::-1]
            if nxt in component and nxt not in parent:
                parent[nxt] = node
                queue.append(nxt)
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


def plan_order(config: Config, selected: Iterable[str]) -> Ordering:
    """Order selected repos by dependencies, including transitive ones through unselected repos.

    Raises ValueError for an unknown repo name or a dependency cycle; validate the config first.
    """
    chosen = set(selected)
    unknown = sorted(chosen - set(config.repos))
    if unknown:
        raise ValueError(f"unknown repo(s): {', '.join(unknown)}")

    preds: dict[str, list[str]] = {
        name: sorted({dep for dep in repo.depends_on if dep in config.repos}) for name, repo in config.repos.items()
    }

    # Only ancestors of selected repos can influence their order: one reverse BFS, no closure.
    relevant = set(chosen)
    queue = deque(chosen)
    while queue:
        for dep in preds[queue.popleft()]:
            if dep not in relevant:
                relevant.add(dep)
                queue.append(dep)

    succs: dict[str, list[str]] = {name: [] for name in relevant}
    remaining = {name: len(preds[name]) for name in relevant}
    for name in relevant:
        for dep in preds[name]:
            succs[dep].append(name)

    # Kahn's algorithm; a node's values are final once all its preds are. `reach` is the highest wave
    # among a node's nearest selected ancestors: waves are then longest paths counted in selected repos,
    # the same as nx.topological_generations of the selected DAG, without materialising its edges
    # (which can be dense: every nearest ancestor is an edge).
    nearest: dict[str, frozenset[str]] = {}
    reach: dict[str, int] = {}
    wave_of: dict[str, int] = {}
    ready = deque(sorted(name for name, count in remaining.items() if count == 0))
    while ready:
        name = ready.popleft()
        contributions: list[frozenset[str]] = []
        highest = 0
        for dep in preds[name]:
            if dep in chosen:
                contributions.append(frozenset((dep,)))
                highest = max(highest, wave_of[dep])
            else:
                contributions.append(nearest[dep])
                highest = max(highest, reach[dep])
        if not contributions:
            nearest[name] = frozenset()
        elif len(contributions) == 1:
            nearest[name] = contributions[0]  # shared, not copied: chains of unselected repos stay O(1)
        else:
            nearest[name] = frozenset().union(*contributions)
        reach[name] = highest
        if name in chosen:
            wave_of[name] = highest + 1
        for succ in succs[name]:
            remaining[succ] -= 1
            if remaining[succ] == 0:
                ready.append(succ)

    if len(nearest) < len(relevant):
        stuck: dict[str, list[str]] = {name: [] for name in relevant if name not in nearest}
        for name in stuck:
            for dep in preds[name]:
                if dep in stuck:
                    stuck[dep].append(name)
        cycles = _cycles(stuck)
        shown = "; ".join(format_cycle(cycle) for cycle in cycles[:3]) or "unknown"
        raise ValueError(f"dependency cycle: {shown}")

    ordered = sorted(chosen)
    upstream = {name: tuple(sorted(nearest[name])) for name in ordered}
    grouped: list[list[str]] = [[] for _ in range(max(wave_of.values(), default=0))]
    for name in ordered:
        grouped[wave_of[name] - 1].append(name)
    waves = tuple(tuple(wave) for wave in grouped)
    return Ordering(waves=waves, upstream=upstream, wave_of={name: wave_of[name] for name in ordered})


def render_graph(config: Config, fmt: Literal["mermaid", "dot", "text"]) -> str:
    """The repo dependency graph as a Mermaid flowchart, a DOT digraph, or plain-text waves."""
    names = sorted(config.repos)
    edges = sorted((dep, name) for name in names for dep in set(config.repos[name].depends_on) if dep in config.repos)
    # Ids by sorted position, so a hostile repo name only ever appears inside an escaped label.
    ids = {name: f"n{number}" for number, name in enumerate(names)}
    if fmt == "mermaid":
        lines = ["flowchart TD"]
        lines += [f'    {ids[name]}["{_mermaid_label(name)}"]' for name in names]
        lines += [f"    {ids[dep]} --> {ids[name]}" for dep, name in edges]
    elif fmt == "dot":
        lines = ["digraph repos {", "    node [shape=box];"]
        lines += [f'    {ids[name]} [label="{_dot_label(name)}"];' for name in names]
        lines += [f"    {ids[dep]} -> {ids[name]};" for dep, name in edges]
        lines.append("}")
    elif fmt == "text":
        ordering = plan_order(config, names)
        lines = [f"wave {number}: {', '.join(wave)}" for number, wave in enumerate(ordering.waves, start=1)]
        lines.append("")
        for name in names:
            deps = sorted(set(config.repos[name].depends_on))
            lines.append(f"{name}: depends on {', '.join(deps) if deps else 'nothing'}")
    else:
        raise ValueError(f"unknown graph format {fmt!r}; use mermaid, dot or text")
    return "\n".join(lines) + "\n"


def _mermaid_label(name: str) -> str:
    out: list[str] = []
    for char in name:
        if char == '"':
            out.append("#quot;")
        elif char.isalnum() or char in " _.-/:@+,":
            out.append(char)
        else:
            # Mermaid entity codes: brackets, quotes, `#`, `<` and newlines cannot end the label.
            out.append(f"#{ord(char)};")
    return "".join(out)


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
