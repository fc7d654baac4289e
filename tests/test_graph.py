"""Tests for planner.graph: cycles, wave ordering through unselected repos, and `planner graph`'s renderings."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence

import networkx as nx
import pytest
from fuzz_designs import FUZZ
from hypothesis import given
from hypothesis import strategies as st
from project import EXAMPLE_CONFIG

from planner.config import Config, RepoConfig, load_config
from planner.graph import (
    DependencyError,
    Ordering,
    _upstream_part,
    dependency_graph,
    find_cycles,
    format_cycle,
    plan_order,
)
from planner.render.graph import render_graph

EXAMPLE = EXAMPLE_CONFIG


def make_config(deps: Mapping[str, Iterable[str]], order: Sequence[str] | None = None) -> Config:
    """A Config built in memory; `order` is the insertion order of the repos table."""
    names = list(order) if order is not None else list(deps)
    repos = {
        name: RepoConfig(name=name, description=name, language="x", depends_on=tuple(deps[name])) for name in names
    }
    return Config(version=1, repos=repos, path="mem.toml", sha256="0" * 64)


def graph_of(deps: Mapping[str, Iterable[str]], order: Sequence[str] | None = None) -> nx.DiGraph:
    """The dependency graph of a config built in memory, the way planning gets it."""
    return make_config(deps, order).graph


def example() -> Config:
    config, diagnostics = load_config(EXAMPLE)
    assert config is not None, diagnostics
    return config


def nearest_by_definition(graph: nx.DiGraph, selected: set[str], node: str) -> tuple[str, ...]:
    """The definition, checked path by path: a selected ancestor is nearest when some path from it to `node`
    passes no other selected repo."""
    nearest = set()
    for ancestor in nx.ancestors(graph, node) & selected:
        detour = graph.subgraph(set(graph) - (selected - {ancestor, node}))
        if nx.has_path(detour, ancestor, node):
            nearest.add(ancestor)
    return tuple(sorted(nearest))


def test_chain() -> None:
    config = make_config({"a": [], "b": ["a"], "c": ["b"]})
    ordering = plan_order(config.graph, ["c", "a", "b"])
    assert ordering.waves == (("a",), ("b",), ("c",))
    assert ordering.upstream == {"a": (), "b": ("a",), "c": ("b",)}
    assert ordering.wave_of == {"a": 1, "b": 2, "c": 3}
    assert ordering.order == ("a", "b", "c")


def test_parallel_waves() -> None:
    config = make_config({"a": [], "z": [], "b": ["a", "z"], "y": ["z"]})
    ordering = plan_order(config.graph, ["a", "b", "y", "z"])
    assert ordering.waves == (("a", "z"), ("b", "y"))
    assert ordering.upstream["b"] == ("a", "z")
    assert ordering.upstream["y"] == ("z",)


def test_transitive_through_unselected_repo() -> None:
    config = example()
    ordering = plan_order(config.graph, ["sdk-python", "flovyn-server"])
    assert ordering.waves == (("flovyn-server",), ("sdk-python",))
    assert ordering.upstream == {"flovyn-server": (), "sdk-python": ("flovyn-server",)}
    assert ordering.wave_of == {"flovyn-server": 1, "sdk-python": 2}


def test_example_everything_selected() -> None:
    ordering = plan_order(example().graph, list(example().repos))
    assert ordering.waves == (("flovyn-server",), ("flovyn-app", "sdk-rust"), ("sdk-kotlin", "sdk-python"))
    assert ordering.upstream["sdk-kotlin"] == ("sdk-rust",)


def test_unrelated_repos_share_wave_one() -> None:
    ordering = plan_order(example().graph, ["flovyn-app", "sdk-kotlin"])
    assert ordering.waves == (("flovyn-app", "sdk-kotlin"),)
    assert ordering.upstream == {"flovyn-app": (), "sdk-kotlin": ()}


def test_diamond() -> None:
    config = make_config({"top": [], "left": ["top"], "right": ["top"], "bottom": ["left", "right"]})
    ordering = plan_order(config.graph, ["top", "left", "right", "bottom"])
    assert ordering.waves == (("top",), ("left", "right"), ("bottom",))
    assert ordering.upstream["bottom"] == ("left", "right")
    # With the middle unselected, both paths lead to the same nearest repo, reported once.
    ordering = plan_order(config.graph, ["top", "bottom"])
    assert ordering.upstream["bottom"] == ("top",)
    assert ordering.waves == (("top",), ("bottom",))


def test_upstream_excludes_repos_reached_only_through_selected_repo() -> None:
    # root -> mid -> leaf, plus root -> hidden -> leaf where hidden is unselected.
    config = make_config({"root": [], "mid": ["root"], "leaf": ["mid"], "other": [], "x": ["other"]})
    ordering = plan_order(config.graph, ["root", "mid", "leaf"])
    assert ordering.upstream["leaf"] == ("mid",)
    config = make_config({"root": [], "mid": ["root"], "hidden": ["root"], "leaf": ["mid", "hidden"]})
    ordering = plan_order(config.graph, ["root", "mid", "leaf"])
    assert ordering.upstream["leaf"] == ("mid", "root")
    assert ordering.waves == (("root",), ("mid",), ("leaf",))


def test_unselected_descendants_are_ignored() -> None:
    config = make_config({"a": [], "b": ["a"], "c": ["b"]})
    ordering = plan_order(config.graph, ["a"])
    assert ordering == Ordering(waves=(("a",),), upstream={"a": ()}, wave_of={"a": 1})


def test_empty_selection() -> None:
    assert plan_order(example().graph, []).waves == ()


def test_unknown_selected_repo_raises() -> None:
    with pytest.raises(DependencyError, match="ghost"):
        plan_order(example().graph, ["ghost"])


def test_cycle_raises_value_error_naming_it() -> None:
    config = make_config({"a": ["b"], "b": ["a"], "c": ["a"]})
    with pytest.raises(DependencyError, match=r"a -> b -> a"):
        plan_order(config.graph, ["c"])
    # A cycle not upstream of the selection does not matter.
    assert plan_order(graph_of({"a": ["b"], "b": ["a"], "c": []}), ["c"]).waves == (("c",),)


def test_waves_invariant_under_shuffled_config() -> None:
    rng = random.Random(7)
    names = [f"r{i:02d}" for i in range(40)]
    deps = {name: sorted(rng.sample(names[:i], min(i, rng.randint(0, 3)))) for i, name in enumerate(names)}
    selected = set(rng.sample(names, 15))
    expected = plan_order(graph_of(deps), selected)
    for _ in range(5):
        order = names[:]
        rng.shuffle(order)
        shuffled_deps = {name: list(reversed(deps[name])) for name in order}
        selection = list(selected)
        rng.shuffle(selection)
        got = plan_order(graph_of(shuffled_deps, order), selection)
        assert got == expected
        assert list(got.upstream) == sorted(selected)


def test_repo_graph_edges_upstream_to_downstream() -> None:
    graph = example().graph
    assert set(graph.nodes) == set(example().repos)
    assert graph.has_edge("flovyn-server", "sdk-rust")
    assert graph.has_edge("sdk-rust", "sdk-python")
    assert not graph.has_edge("sdk-python", "sdk-rust")
    assert graph.number_of_edges() == 4


def test_find_cycles() -> None:
    config = make_config({"a": ["b"], "b": ["c"], "c": ["a"], "s": ["s"], "x": ["y"], "y": ["x"], "free": ["a"]})
    cycles = find_cycles(config.graph)
    # Graph direction: c depends on b, so the edge runs b -> c.
    assert cycles == [["a", "c", "b"], ["s"], ["x", "y"]]
    assert find_cycles(graph_of({"a": [], "b": ["a"]})) == []


def test_find_cycles_on_huge_cycle_finds_one_cycle() -> None:
    graph = nx.DiGraph()
    nx.add_cycle(graph, [f"n{i:05d}" for i in range(10_000)])
    graph.add_edges_from((f"n{i:05d}", f"n{(i + 7) % 10_000:05d}") for i in range(0, 10_000, 3))
    cycles = find_cycles(graph)
    assert len(cycles) == 1
    assert cycles[0][0] == "n00000"
    cycle = cycles[0]
    assert all(graph.has_edge(u, v) for u, v in zip(cycle, cycle[1:] + cycle[:1], strict=True))
    assert len(set(cycle)) == len(cycle)


def test_format_cycle() -> None:
    assert format_cycle(["a", "b"]) == "a -> b -> a"
    assert format_cycle(["s"]) == "s -> s"
    names = [f"n{i}" for i in range(10_000)]
    assert format_cycle(names) == "n0 -> n1 -> n2 -> ... (9,996 more) -> n9999 -> n0"
    assert format_cycle(names[:8]) == " -> ".join([*names[:8], "n0"])


def test_render_mermaid() -> None:
    text = render_graph(example().graph, "mermaid")
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    assert lines[1:6] == [
        '    n0["flovyn-app"]',
        '    n1["flovyn-server"]',
        '    n2["sdk-kotlin"]',
        '    n3["sdk-python"]',
        '    n4["sdk-rust"]',
    ]
    assert lines[6:] == ["    n1 --> n0", "    n1 --> n4", "    n4 --> n2", "    n4 --> n3"]


def test_render_dot() -> None:
    text = render_graph(example().graph, "dot")
    lines = text.splitlines()
    assert lines[0] == "digraph repos {" and lines[-1] == "}"
    assert '    n1 [label="flovyn-server"];' in lines
    assert [line for line in lines if "->" in line] == [
        "    n1 -> n0;",
        "    n1 -> n4;",
        "    n4 -> n2;",
        "    n4 -> n3;",
    ]


def test_render_text() -> None:
    lines = render_graph(example().graph, "text").splitlines()
    assert lines[:3] == [
        "wave 1: flovyn-server",
        "wave 2: flovyn-app, sdk-rust",
        "wave 3: sdk-kotlin, sdk-python",
    ]
    assert "sdk-python: depends on sdk-rust" in lines
    assert "flovyn-server: depends on nothing" in lines


def test_render_escapes_hostile_names() -> None:
    hostile = 'x"] --> evil["<b>&#quot;{}\\\n'
    config = make_config({"safe": [], hostile: ["safe"]})
    mermaid = render_graph(config.graph, "mermaid")
    node_lines = [line for line in mermaid.splitlines()[1:] if "[" in line]
    assert len(mermaid.splitlines()) == 4
    for line in node_lines:
        label = line.split('["', 1)[1]
        assert label.endswith('"]')
        # Nothing inside the label can close it (a quote) or start HTML or a Markdown string.
        assert not any(char in label[:-2] for char in '"<>`\n')
    assert "#quot;" in mermaid
    assert "evil" not in mermaid.split('"')[0]

    dot = render_graph(config.graph, "dot")
    hostile_line = next(line for line in dot.splitlines() if "evil" in line)
    label = hostile_line.split('label="', 1)[1].rsplit('"];', 1)[0]
    # Every quote inside the label is escaped, so the label ends where we expect.
    assert '"' not in label.replace('\\"', "")
    assert "\n" not in label
    assert [line for line in dot.splitlines() if line.endswith(";") and "label=" not in line][1:] == ["    n0 -> n1;"]


def test_render_rejects_unknown_format() -> None:
    with pytest.raises(ValueError):
        render_graph(example().graph, "svg")  # type: ignore[arg-type]


def layered_config(rng: random.Random, layers: int, width: int, fan_in: int) -> dict[str, list[str]]:
    grid = [[f"l{layer:02d}n{i:04d}" for i in range(width)] for layer in range(layers)]
    deps: dict[str, list[str]] = {}
    for layer, names in enumerate(grid):
        for name in names:
            if layer == 0:
                deps[name] = []
                continue
            chosen = {rng.choice(grid[rng.randrange(max(0, layer - 3), layer)]) for _ in range(fan_in)}
            deps[name] = sorted(chosen)
    return deps


def test_large_layered_graph_orders_every_selected_repo() -> None:
    # Its speed is measured by bench/scale.py, not asserted here.
    rng = random.Random(20240501)
    deps = layered_config(rng, layers=20, width=500, fan_in=3)
    assert len(deps) == 10_000
    assert sum(map(len, deps.values())) > 27_000
    selected = rng.sample(sorted(deps), 2_000)
    ordering = plan_order(graph_of(deps), selected)
    assert sorted(ordering.order) == sorted(selected)
    # Spot-check the ordering invariant on every selected edge.
    for name, ups in ordering.upstream.items():
        assert all(ordering.wave_of[up] < ordering.wave_of[name] for up in ups)


# -- Invariants, whatever the config ----------------------------------------------------------------

NAMES = [f"r{i}" for i in range(8)]


@st.composite
def acyclic_configs(draw: st.DrawFn) -> tuple[dict[str, list[str]], set[str]]:
    """A dependency mapping over NAMES without a cycle (each repo depends only on repos before it in a drawn
    order), and a selection of repos to plan."""
    names = draw(st.permutations(NAMES))
    deps = {name: draw(st.lists(st.sampled_from(names[:i]), max_size=3)) if i else [] for i, name in enumerate(names)}
    selected = draw(st.sets(st.sampled_from(names), min_size=1))
    return deps, selected


@FUZZ
@given(acyclic_configs())
def test_every_repo_comes_after_all_its_upstream_repos(case: tuple[dict[str, list[str]], set[str]]) -> None:
    deps, selected = case
    graph = graph_of(deps)
    ordering = plan_order(graph, selected)
    assert sorted(ordering.order) == sorted(selected)
    for name in selected:
        # After every selected repo it depends on, directly or through any chain of repos ...
        assert all(ordering.wave_of[up] < ordering.wave_of[name] for up in nx.ancestors(graph, name) & selected)
        # ... and no later than it has to be: right after its nearest upstream repos, which the plan names.
        assert ordering.upstream[name] == nearest_by_definition(graph, selected, name)
        assert ordering.wave_of[name] == 1 + max((ordering.wave_of[up] for up in ordering.upstream[name]), default=0)
    for number, names_in_wave in enumerate(ordering.waves, start=1):
        assert list(names_in_wave) == sorted(names_in_wave)
        assert all(ordering.wave_of[n] == number for n in names_in_wave)


@FUZZ
@given(acyclic_configs(), st.randoms(use_true_random=False))
def test_order_ignores_the_config_order(case: tuple[dict[str, list[str]], set[str]], rng: random.Random) -> None:
    deps, selected = case
    shuffled = list(deps)
    rng.shuffle(shuffled)
    selection = sorted(selected)
    rng.shuffle(selection)
    reordered = {name: rng.sample(deps[name], len(deps[name])) for name in shuffled}
    assert plan_order(graph_of(reordered, shuffled), selection) == plan_order(graph_of(deps), selected)


@FUZZ
@given(st.dictionaries(st.sampled_from(NAMES), st.lists(st.sampled_from(NAMES), max_size=3)), st.randoms())
def test_every_named_cycle_is_a_cycle_of_the_config(deps: dict[str, list[str]], rng: random.Random) -> None:
    graph = graph_of(deps)
    cycles = find_cycles(graph)
    cyclic = [c for c in nx.strongly_connected_components(graph) if len(c) > 1 or graph.has_edge(min(c), min(c))]
    # One per cyclic component, starting at its smallest name ...
    assert sorted(cycle[0] for cycle in cycles) == sorted(min(c) for c in cyclic)
    for cycle in cycles:
        # ... a real cycle: distinct repos, each an edge to the next (dependency -> dependent), the last back ...
        assert len(set(cycle)) == len(cycle)
        assert all(graph.has_edge(a, b) for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True))
        # ... and a shortest one through its first repo.
        back = [p for p in graph.pred[cycle[0]] if p != cycle[0] and nx.has_path(graph, cycle[0], p)]
        if back:
            assert len(cycle) == 1 + min(nx.shortest_path_length(graph, cycle[0], p) for p in back)
    # The same cycles whatever the config order.
    shuffled = list(deps)
    rng.shuffle(shuffled)
    assert find_cycles(graph_of({name: deps[name][::-1] for name in shuffled}, shuffled)) == cycles
    if cycles:
        with pytest.raises(DependencyError, match="dependency cycle"):
            plan_order(graph, list(graph))
    else:
        assert sorted(plan_order(graph, list(graph)).order) == sorted(graph)


@FUZZ
@given(st.dictionaries(st.sampled_from(NAMES), st.lists(st.sampled_from(NAMES), max_size=3)), st.data())
def test_the_upstream_part_is_the_subgraph_in_graph_order(deps: dict[str, list[str]], data: st.DataObject) -> None:
    graph = dependency_graph({name: deps.get(name, []) for name in NAMES})
    chosen = data.draw(st.sets(st.sampled_from(NAMES), min_size=1))
    keep = set().union(*nx.bfs_layers(graph.reverse(copy=False), sorted(chosen)))
    part, expected = _upstream_part(graph, keep), graph.subgraph(keep).copy()
    assert set(part.nodes) == set(expected.nodes) and set(part.edges) == set(expected.edges)
    # In the graph's own (sorted) order, whatever the set's: a view of a small subset iterates the set.
    assert list(part.nodes) == [n for n in graph if n in keep]
    assert list(part.edges) == [(u, v) for u, v in graph.edges if v in keep]
