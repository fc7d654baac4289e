"""Scale bench: `planner plan` on a 10,000-repo org vs a tomllib load plus networkx's topological_generations.

python bench/scale.py            # 10k repos (~30k edges), a design checking 2,000 with 20,000 key files
python bench/scale.py --quick    # small sizes, few runs: proves the bench still works
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import tomllib
from common import ROOT, machine, peak_rss_mb, print_table, ratio, time_calls
from gen import write_scale

sys.path.insert(0, str(ROOT))


def planner_run(config: Path, design: Path) -> int:
    """What `planner plan DESIGN --config CONFIG` does in-process: load, plan, render Markdown."""
    from planner import bulk_mode
    from planner.plan import plan_design
    from planner.render import render

    with bulk_mode():  # as the CLI entry does: plan_design itself no longer pauses the collector
        plan = plan_design(design, config)
    if not plan.ok:
        raise SystemExit(f"scale design does not plan cleanly: {plan.diagnostics[:3]}")
    return len(render(plan, "markdown"))


def baseline_run(config: Path) -> int:
    """The floor: parse the TOML, build the dependency graph, take its topological generations."""
    import networkx as nx

    with config.open("rb") as f:
        data = tomllib.load(f)
    graph = nx.DiGraph()
    for name, repo in data["repos"].items():
        graph.add_node(name)
        graph.add_edges_from((dep, name) for dep in repo["depends_on"])
    return len(list(nx.topological_generations(graph)))


def _edges(config: Path) -> int:
    with config.open("rb") as f:
        return sum(len(r["depends_on"]) for r in tomllib.load(f)["repos"].values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and 2 runs, to prove the bench works")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per case (default 5)")
    parser.add_argument("--sizes", type=int, nargs="+", default=None, help="org sizes (default 1k 2k 5k 10k)")
    args = parser.parse_args()
    runs = args.runs or (2 if args.quick else 5)
    sizes = args.sizes or ([200, 500] if args.quick else [1_000, 2_000, 5_000, 10_000])

    print(f"machine: {machine()}")
    print(f"runs per case: {runs} (median), interleaved\n")
    with tempfile.TemporaryDirectory(prefix="planner-scale-") as tmp:
        rows = []
        first: tuple[int, float] | None = None
        cases = {}
        for n in sizes:
            # A fifth of the org checked, ten key files per checked repo: 10k repos -> 2,000 and 20,000.
            config, design = write_scale(Path(tmp), n, checked=n // 5, key_files=2 * n)
            cases[n] = (config, design)
            times = time_calls(
                {
                    "planner": lambda c=config, d=design: planner_run(c, d),
                    "baseline": lambda c=config: baseline_run(c),
                },
                runs,
            )
            if first is None:
                first = (n, times["planner"])
            growth = (times["planner"] / first[1]) / (n / first[0])
            rows.append(
                [
                    f"{n:,}",
                    f"{_edges(config):,}",
                    f"{n // 5:,} / {2 * n:,}",
                    f"{times['baseline'] * 1000:.0f} ms",
                    f"{times['planner'] * 1000:.0f} ms",
                    ratio(times["planner"], times["baseline"]),
                    f"{growth:.2f}",
                ]
            )
        print_table(
            [
                "repos",
                "edges",
                "checked / key files",
                "tomllib + nx",
                "planner plan",
                "ratio",
                "time per repo vs smallest",
            ],
            rows,
        )
        config, design = cases[sizes[-1]]
        head = f"import sys; sys.path[:0] = [{str(ROOT / 'bench')!r}, {str(ROOT)!r}]; from pathlib import Path; "
        planner_mb = peak_rss_mb(
            head + f"from scale import planner_run; planner_run(Path({str(config)!r}), Path({str(design)!r}))"
        )
        base_mb = peak_rss_mb(head + f"from scale import baseline_run; baseline_run(Path({str(config)!r}))")
        print_table(
            ["peak memory (fresh process)", "MiB"],
            [
                [f"tomllib + nx, {sizes[-1]:,} repos", f"{base_mb:.0f}"],
                [f"planner plan, {sizes[-1]:,} repos", f"{planner_mb:.0f}"],
            ],
        )
        print("target: planner plan <= 2.00x tomllib + nx; time per repo roughly flat as the org grows")


if __name__ == "__main__":
    main()
