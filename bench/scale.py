"""Scale bench: `planner plan` as a process on orgs of 1k to 20k repos vs a process that loads the same config with
tomllib and takes networkx's topological_generations of its graph.

python bench/scale.py                       # 1k, 2k, 5k, 10k, 20k repos; a fifth checked, 2 key files per repo
python bench/scale.py --sizes 10000         # one size
python bench/scale.py --before /tmp/old     # also time another source tree (git archive REV), interleaved
python bench/scale.py --quick               # small sizes, 1 run: proves the bench still works
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import tomllib
from common import (
    cli_peak_rss_mb,
    compile_bytecode,
    machine,
    peak_rss_mb,
    planner_at,
    print_table,
    ratio,
    time_commands_cpu,
)
from gen import write_scale

# The floor, as its own process: what any tool that reads this config and orders its repos has to do.
BASELINE = """
import sys, tomllib
import networkx as nx
with open(sys.argv[1], "rb") as f:
    data = tomllib.load(f)
graph = nx.DiGraph()
for name, repo in data["repos"].items():
    graph.add_node(name)
    graph.add_edges_from((dep, name) for dep in repo["depends_on"])
print(len(list(nx.topological_generations(graph))))
"""


def _edges(config: Path) -> int:
    with config.open("rb") as f:
        return sum(len(r["depends_on"]) for r in tomllib.load(f)["repos"].values())


def _growth(times: dict[str, float], name: str, sizes: list[int]) -> dict[int, str]:
    """CPU time per repo relative to the smallest org: start-up included, so below 1.00 where start-up weighs."""
    per = {n: times[f"{name} {n}"] / n for n in sizes}
    return {n: f"{per[n] / per[sizes[0]]:.2f}" for n in sizes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and 1 run, to prove the bench works")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per case (default 5)")
    parser.add_argument("--sizes", type=int, nargs="+", default=None, help="org sizes (default 1k 2k 5k 10k 20k)")
    parser.add_argument("--before", type=Path, default=None, help="also time this source tree (git archive REV)")
    args = parser.parse_args()
    runs = args.runs or (1 if args.quick else 5)
    sizes = sorted(args.sizes or ([200, 500] if args.quick else [1_000, 2_000, 5_000, 10_000, 20_000]))
    sides = {"planner": planner_at(None), **({"before": planner_at(args.before)} if args.before else {})}

    compile_bytecode(args.before)
    print(f"machine: {machine()}")
    print(f"runs per case: {runs} (median), interleaved; every case a new process\n")
    with tempfile.TemporaryDirectory(prefix="planner-scale-") as tmp:
        folder = Path(tmp)
        cases: dict[str, list[str]] = {}
        inputs = {}
        for n in sizes:
            # A fifth of the org checked, ten key files per checked repo: 10k repos -> 2,000 and 20,000.
            config, design = write_scale(folder, n, checked=n // 5, key_files=2 * n)
            inputs[n] = (config, design)
            cases[f"baseline {n}"] = [sys.executable, "-c", BASELINE, str(config)]
            for side, planner in sides.items():
                # `planner plan` to stdout (discarded), Markdown: config load, plan, render, write.
                cases[f"{side} {n}"] = [*planner, "plan", str(design), "--config", str(config)]
        # From the temporary folder: no `planner` package there to shadow the one measured.
        measured = time_commands_cpu(cases, runs, cwd=folder, warmup=0)
        times = {name: wall for name, (wall, _) in measured.items()}
        cpu = {name: used for name, (_, used) in measured.items()}
        per_repo = {side: _growth(cpu, side, sizes) for side in ("baseline", *sides)}
        rows = []
        for n in sizes:
            row = [f"{n:,}", f"{_edges(inputs[n][0]):,}", f"{n // 5:,} / {2 * n:,}"]
            row.append(f"{times[f'baseline {n}'] * 1000:.0f} ms")
            for side in sides:
                row += [f"{times[f'{side} {n}'] * 1000:.0f} ms", ratio(times[f"{side} {n}"], times[f"baseline {n}"])]
                row.append(ratio(cpu[f"{side} {n}"], cpu[f"baseline {n}"]))
            row += [per_repo[side][n] for side in ("baseline", *sides)]
            rows.append(row)
        headers = ["repos", "edges", "checked / key files", "tomllib + nx"]
        for side in sides:
            headers += [f"`{side} plan`" if side == "before" else "`planner plan`", "ratio", "CPU ratio"]
        headers += [f"{side}: CPU per repo vs smallest" for side in ("baseline", *sides)]
        print_table(headers, rows)

        config, design = inputs[sizes[-1]]
        memory = [["tomllib + nx", f"{peak_rss_mb(f'import sys; sys.argv[1:] = [{str(config)!r}]' + BASELINE):.0f}"]]
        for side, planner in sides.items():
            mb = cli_peak_rss_mb(planner, ["plan", str(design), "--config", str(config)], folder)
            memory.append([f"`planner plan` ({side})" if side == "before" else "`planner plan`", f"{mb:.0f}"])
        print_table([f"peak memory, {sizes[-1]:,} repos (fresh process)", "MiB"], memory)
        print("target: planner plan <= 2.00x tomllib + nx at 10,000 repos; time per repo roughly flat from 1k to 20k")


if __name__ == "__main__":
    main()
