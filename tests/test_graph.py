"""Tests for planner.graph: cycles, wave ordering through unselected repos, and renderings."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence

import networkx as nx
import pytest
from project import EXAMPLE_CONFIG

from planner.config import Config, RepoConfig, load_config
from planner.graph import Ordering, find_cycles, format_cycle, plan_order, render_graph, repo_graph

EXAMPLE = EXAMPLE_CONFIG


def make_config(deps: Mapping[str, Iterable[str]], order: Sequence[str] | None = None) -> Config:
    """A Config built in memory; `order` is the insertion order of the repos table."""
    names = list(order) if order is not None else list(deps)
    repos = {
        name: RepoConfig(name=name, description=name, language="x", depends_on=tuple(deps[name])) for name in names
    }
    return Config(version=1, repos=repos, path="mem.toml", sha256="0" * 64)


def example() -> Config:
    config, diagnostics = load_config(EXAMPLE)
    assert config is not None, diagnostics
    return config


def reference_order(
    deps: Mapping[str, Iterable[str]], selected: set[str]
) -> tuple[dict[str, tuple[str, ...]], dict[str, int]]:
    """Brute force: nearest selected ancestors via nx.ancestors + path checks; waves by longest path."""
    graph = nx.DiGraph()
    graph.add_nodes_from(deps)
    graph.add_edges_from((d, n) for n, ds in deps.items() for d in ds)
    upstream: dict[str, tuple[str, ...]] = {}
    for node in selected:
        ups = set()
        for anc in nx.ancestors(graph, node) & selected:
            # anc is nearest iff some path anc -> node avoids every other selected repo.
            blocked = graph.subgraph(set(graph) - (selected - {anc, node}))
            if nx.has_path(blocked, anc, node):
                ups.add(anc)
        upstream[node] = tuple(sorted(ups))
    wave: dict[str, int] = {}
    for node in nx.topological_sort(graph):
        if node in selected:
            above = [wave[a] for a in nx.ancestors(graph, node) & selected]
            wave[node] = 1 + max(above, default=0)
    return upstream, wave


def test_chain() -> None:
    config = make_config({"a": [], "b": ["a"], "c": ["b"]})
    ordering = plan_order(config, ["c", "a", "b"])
    assert ordering.waves == (("a",), ("b",), ("c",))
    assert ordering.upstream == {"a": (), "b": ("a",), "c": ("b",)}
    assert ordering.wave_of == {"a": 1, "b": 2, "c": 3}
    assert ordering.order == ("a", "b", "c")


def test_parallel_waves() -> None:
    config = make_config({"a": [], "z": [], "b": ["a", "z"], "y": ["z"]})
    ordering = plan_order(config, ["a", "b", "y", "z"])
    assert ordering.waves == (("a", "z"), ("b", "y"))
    assert ordering.upstream["b"] == ("a", "z")
    assert ordering.upstream["y"] == ("z",)


def test_transitive_through_unselected_repo() -> None:
    config = example()
    ordering = plan_order(config, ["sdk-python", "flovyn-server"])
    assert ordering.waves == (("flovyn-server",), ("sdk-python",))
    assert ordering.upstream == {"flovyn-server": (), "sdk-python": ("flovyn-server",)}
    assert ordering.wave_of == {"flovyn-server": 1, "sdk-python": 2}


def test_example_everything_selected() -> None:
    ordering = plan_order(example(), example().repos)
    assert ordering.waves == (("flovyn-server",), ("flovyn-app", "sdk-rust"), ("sdk-kotlin", "sdk-python"))
    assert ordering.upstream["sdk-kotlin"] == ("sdk-rust",)


def test_unrelated_repos_share_wave_one() -> None:
    ordering = plan_order(example(), ["flovyn-app", "sdk-kotlin"])
    assert ordering.waves == (("flovyn-app", "sdk-kotlin"),)
    assert ordering.upstream == {"flovyn-app": (), "sdk-kotlin": ()}


def test_diamond() -> None:
    config = make_config({"top": [], "left": ["top"], "right": ["top"], "bottom": ["left", "right"]})
    ordering = plan_order(config, ["top", "left", "right", "bottom"])
    assert ordering.waves == (("top",), ("left", "right"), ("bottom",))
    assert ordering.upstream["bottom"] == ("left", "right")
    # With the middle unselected, both paths lead to the same nearest repo, reported once.
    ordering = plan_order(config, ["top", "bottom"])
    assert ordering.upstream["bottom"] == ("top",)
    assert ordering.waves == (("top",), ("bottom",))


def test_upstream_excludes_repos_reached_only_through_selected_repo() -> None:
    # root -> mid -> leaf, plus root -> hidden -> leaf where hidden is unselected.
    config = make_config({"root": [], "mid": ["root"], "leaf": ["mid"], "other": [], "x": ["other"]})
    ordering = plan_order(config, ["root", "mid", "leaf"])
    assert ordering.upstream["leaf"] == ("mid",)
    config = make_config({"root": [], "mid": ["root"], "hidden": ["root"], "leaf": ["mid", "hidden"]})
    ordering = plan_order(config, ["root", "mid", "leaf"])
    assert ordering.upstream["leaf"] == ("mid", "root")
    assert ordering.waves == (("root",), ("mid",), ("leaf",))


def test_unselected_descendants_are_ignored() -> None:
    config = make_config({"a": [], "b": ["a"], "c": ["b"]})
    ordering = plan_order(config, ["a"])
    assert ordering == Ordering(waves=(("a",),), upstream={"a": ()}, wave_of={"a": 1})


def test_empty_selection() -> None:
    assert plan_order(example(), []).waves == ()


def test_unknown_selected_repo_raises() -> None:
    with pytest.raises(ValueError, match="ghost"):
        plan_order(example(), ["ghost"])


def test_cycle_raises_value_error_naming_it() -> None:
    config = make_config({"a": ["b"], "b": ["a"], "c": ["a"]})
    with pytest.raises(ValueError, match=r"a -> b -> a"):
        plan_order(config, ["c"])
    # A cycle not upstream of the selection does not matter.
    assert plan_order(make_config({"a": ["b"], "b": ["a"], "c": []}), ["c"]).waves == (("c",),)


def test_waves_invariant_under_shuffled_config() -> None:
    rng = random.Random(7)
    names = [f"r{i:02d}" for i in range(40)]
    deps = {name: sorted(rng.sample(names[:i], min(i, rng.randint(0, 3)))) for i, name in enumerate(names)}
    selected = set(rng.sample(names, 15))
    expected = plan_order(make_config(deps), selected)
    for _ in range(5):
        order = names[:]
        rng.shuffle(order)
        shuffled_deps = {name: list(reversed(deps[name])) for name in order}
        selection = list(selected)
        rng.shuffle(selection)
        got = plan_order(make_config(shuffled_deps, order), selection)
        assert got == expected
        assert list(got.upstream) == sorted(selected)


def test_repo_graph_edges_upstream_to_downstream() -> None:
    graph = repo_graph(example())
    assert set(graph.nodes) == set(example().repos)
    assert graph.has_edge("flovyn-server", "sdk-rust")
    assert graph.has_edge("sdk-rust", "sdk-python")
    assert not graph.has_edge("sdk-python", "sdk-rust")
    assert graph.number_of_edges() == 4


def test_find_cycles() -> None:
    config = make_config({"a": ["b"], "b": ["c"], "c": ["a"], "s": ["s"], "x": ["y"], "y": ["x"], "free": ["a"]})
    cycles = find_cycles(config)
    # Graph direction: c depends on b, so the edge runs b -> c.
    assert cycles == [["a", "c", "b"], ["s"], ["x", "y"]]
    assert find_cycles(make_config({"a": [], "b": ["a"]})) == []


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
    text = render_graph(example(), "mermaid")
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
    text = render_graph(example(), "dot")
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
    lines = render_graph(example(), "text").splitlines()
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
    mermaid = render_graph(config, "mermaid")
    node_lines = [line for line in mermaid.splitlines()[1:] if "[" in line]
    assert len(mermaid.splitlines()) == 4
    for line in node_lines:
        label = line.split('["', 1)[1]
        assert label.endswith('"]')
        # Nothing inside the label can close it or start markup.
        assert not any(char in label[:-2] for char in '"[]<>{}\n\\')
    assert "#quot;" in mermaid
    assert "evil" not in mermaid.split('"')[0]

    dot = render_graph(config, "dot")
    hostile_line = next(line for line in dot.splitlines() if "evil" in line)
    label = hostile_line.split('label="', 1)[1].rsplit('"];', 1)[0]
    # Every quote inside the label is escaped, so the label ends where we expect.
    assert '"' not in label.replace('\\"', "")
    assert "\n" not in label
    assert [line for line in dot.splitlines() if line.endswith(";") and "label=" not in line][1:] == ["    n0 -> n1;"]


def test_render_rejects_unknown_format() -> None:
    with pytest.raises(ValueError):
        render_graph(example(), "svg")  # type: ignore[arg-type]


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
    config = make_config(deps)
    selected = rng.sample(sorted(deps), 2_000)
    ordering = plan_order(config, selected)
    assert sorted(ordering.order) == sorted(selected)
    # Spot-check the ordering invariant on every selected edge.
    for name, ups in ordering.upstream.items():
        assert all(ordering.wave_of[up] < ordering.wave_of[name] for up in ups)


@pytest.mark.parametrize("seed", range(40))
def test_matches_brute_force_reference(seed: int) -> None:
    rng = random.Random(seed)
    names = [f"r{i:02d}" for i in range(30)]
    rng.shuffle(names)
    # Edges only from earlier to later names keep it acyclic; density varies with the seed.
    density = rng.uniform(0.03, 0.25)
    deps = {name: [names[j] for j in range(i) if rng.random() < density] for i, name in enumerate(names)}
    selected = set(rng.sample(names, rng.randint(1, 30)))
    ordering = plan_order(make_config(deps), selected)
    upstream, wave = reference_order(deps, selected)
    assert dict(ordering.upstream) == dict(sorted(upstream.items()))
    assert dict(ordering.wave_of) == dict(sorted(wave.items()))
    for number, names_in_wave in enumerate(ordering.waves, start=1):
        assert list(names_in_wave) == sorted(names_in_wave)
        assert all(ordering.wave_of[n] == number for n in names_in_wave)
