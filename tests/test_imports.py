"""No import cycle between planner's modules, read from the source with `ast` (every import counts)."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
from project import ROOT

PACKAGE = ROOT / "planner"


def module_name(path: Path) -> str:
    """`planner/ci/build.py` -> `planner.ci.build`; a package's `__init__.py` is the package itself."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, modules: set[str]) -> set[str]:
    """Every planner module `path` imports anywhere: top level, in functions and under TYPE_CHECKING alike."""
    name = module_name(path)
    # Relative imports resolve against the package: the module itself for an __init__, else its parent.
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from pkg import sub` imports the module pkg.sub when there is one, else a name of pkg.
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in modules else base)
    return {module for module in found if module in modules}


def module_graph() -> nx.DiGraph:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(path) for path in paths}
    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(modules))
    for path in paths:
        graph.add_edges_from((module_name(path), target) for target in sorted(imported_modules(path, modules)))
    return graph


def test_the_graph_sees_every_kind_of_import() -> None:
    graph = module_graph()
    # A function-level import (the CLI's lazy command imports) ...
    assert graph.has_edge("planner.cli.plan", "planner.plan")
    # ... a TYPE_CHECKING-only one (the lazy package face) ...
    assert graph.has_edge("planner", "planner.config")
    # ... and `from pkg import submodule`.
    assert graph.has_edge("planner.cli", "planner.cli.plan")


# Cycles in modules other engineers own this round, each to be broken there (the report names the fix); listed
# whole, so that one growing, or any new cycle, still fails. Remove an entry once its cycle is gone.
KNOWN_CYCLES: set[frozenset[str]] = set()


def import_cycles(graph: nx.DiGraph) -> dict[frozenset[str], str]:
    """Each strongly connected group of modules, with one of its cycles spelled out."""
    found: dict[frozenset[str], str] = {}
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1:
            cycle = [source for source, _ in nx.find_cycle(graph.subgraph(component), source=min(component))]
            found[frozenset(component)] = " -> ".join([*cycle, cycle[0]])
    return found


def test_finds_a_cycle_when_there_is_one() -> None:
    graph = nx.DiGraph([("planner.a", "planner.b"), ("planner.b", "planner.a"), ("planner.b", "planner.c")])
    assert import_cycles(graph) == {frozenset({"planner.a", "planner.b"}): "planner.a -> planner.b -> planner.a"}


def test_no_import_cycle() -> None:
    cycles = import_cycles(module_graph())
    new = sorted(shown for component, shown in cycles.items() if component not in KNOWN_CYCLES)
    assert new == [], f"import cycles: {new}"
