"""Batch bench: `planner check` over many designs in one process vs a bare mistune AST parse of the same files;
then `planner check --jobs 1` as a process from 100 to 5,000 designs: time per design and peak memory.

python bench/batch.py            # 1,000 generated designs (10-40 KB each), the shared corpus, then the growth
python bench/batch.py --quick    # 20 designs, 2 runs: proves the bench still works
python bench/batch.py --growth-only --sizes 100 5000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from common import (
    ROOT,
    cli_peak_rss_mb,
    compile_bytecode,
    has_jobs,
    machine,
    peak_rss_mb,
    planner_at,
    print_table,
    ratio,
    time_calls,
    time_commands_cpu,
)
from gen import write_batch

sys.path.insert(0, str(ROOT))

CORPUS = ROOT.parent / "shared" / "corpus" / "designs"


def planner_check(config: Path, designs: list[Path]) -> int:
    """What `planner check --config CONFIG DESIGN...` does in-process: one config, every design planned."""
    from planner.config import load_config
    from planner.plan import plan_design

    cfg, problems = load_config(config)
    if cfg is None:
        raise SystemExit(f"bench config is invalid: {problems[:3]}")
    return sum(len(plan_design(p, cfg).diagnostic_values()) for p in designs)


def mistune_parse(designs: list[Path]) -> int:
    """The floor: read each file and build mistune's full AST (blocks and inlines), nothing else."""
    import mistune

    markdown = mistune.create_markdown(renderer=None)
    return sum(len(markdown(p.read_text(encoding="utf-8"))) for p in designs)


def _measure(label: str, config: Path, designs: list[Path], runs: int) -> list[str]:
    times = time_calls(
        {"mistune": lambda: mistune_parse(designs), "planner": lambda: planner_check(config, designs)}, runs
    )
    size = sum(p.stat().st_size for p in designs)
    return [
        label,
        f"{len(designs):,}",
        f"{size / 1024 / 1024:.1f} MiB",
        f"{times['mistune'] * 1000:.0f} ms",
        f"{times['planner'] * 1000:.0f} ms",
        ratio(times["planner"], times["mistune"]),
    ]


def _memory(config: Path, folder: Path) -> tuple[float, float]:
    head = (
        f"import sys; sys.path[:0] = [{str(ROOT / 'bench')!r}, {str(ROOT)!r}]; from pathlib import Path; "
        f"designs = sorted(Path({str(folder)!r}).glob('*.md')); "
    )
    base = peak_rss_mb(head + "from batch import mistune_parse; mistune_parse(designs)")
    mine = peak_rss_mb(head + f"from batch import planner_check; planner_check(Path({str(config)!r}), designs)")
    return base, mine


def _growth(sizes: list[int], runs: int, before: Path | None) -> None:
    """`planner check` as a process over growing batches: time per design flat, memory bounded."""
    sides = {"after": planner_at(None), **({"before": planner_at(before)} if before else {})}
    with tempfile.TemporaryDirectory(prefix="planner-growth-") as tmp:
        config, designs = write_batch(Path(tmp) / "designs", max(sizes))
        cases: dict[tuple[str, int], list[str]] = {}
        for side, planner in sides.items():
            one_process = ["--jobs", "1"] if has_jobs(planner) else []
            # The one-design run is the start-up (import, config load, report): what is left is per design.
            for n in (1, *sizes):
                cases[side, n] = [*planner, "check", "--config", str(config), *map(str, designs[:n]), *one_process]
        # Runs from the temporary folder: no `planner` package there to shadow the one measured.
        named = {f"{side} {n}": argv for (side, n), argv in cases.items()}
        measured = time_commands_cpu(named, runs, cwd=Path(tmp), warmup=0)
        times = {name: wall for name, (wall, _) in measured.items()}
        cpu = {name: used for name, (_, used) in measured.items()}
        rows = []
        for side in sides:
            start = times[f"{side} 1"]
            per = {n: (times[f"{side} {n}"] - start) / (n - 1) for n in sizes}
            per_cpu = {n: (cpu[f"{side} {n}"] - cpu[f"{side} 1"]) / (n - 1) for n in sizes}
            for n in sizes:
                argv = cases[side, n]
                split = argv.index("check")
                # Peak memory at the largest batch only (the target's): one more run of it.
                memory = cli_peak_rss_mb(argv[:split], argv[split:], Path(tmp)) if n == sizes[-1] else None
                rows.append(
                    [
                        side,
                        f"{n:,}",
                        f"{times[f'{side} {n}']:.2f} s",
                        f"{start * 1000:.0f} ms",
                        f"{per[n] * 1000:.2f} ms",
                        f"{per[n] / per[sizes[0]]:.2f}",
                        f"{per_cpu[n] * 1000:.2f} ms",
                        f"{per_cpu[n] / per_cpu[sizes[0]]:.2f}",
                        "" if memory is None else f"{memory:.0f}",
                    ]
                )
    print("`planner check` (`--jobs 1` where it exists) as a process over generated designs")
    headers = [
        "tree",
        "designs",
        "check (median)",
        "one-design run",
        "per design, less that",
        "vs smallest",
        "CPU per design, less that",
        "vs smallest (CPU)",
        "peak MiB",
    ]
    print_table(headers, rows)
    print("targets: time per design within +-15% of the smallest batch; peak memory <= 64 MiB at 5,000 designs\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 designs and 2 runs, to prove the bench works")
    parser.add_argument("-n", type=int, default=None, help="generated designs (default 1,000)")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per case (default 5; growth: 3)")
    parser.add_argument("--sizes", type=int, nargs="+", default=None, help="growth batches (default 100 1000 5000)")
    parser.add_argument("--growth-only", action="store_true", help="only the growth and memory table")
    parser.add_argument("--before", type=Path, default=None, help="also time this source tree (git archive REV)")
    args = parser.parse_args()
    n = args.n or (20 if args.quick else 1_000)
    runs = args.runs or (2 if args.quick else 5)
    sizes = args.sizes or ([10, 40] if args.quick else [100, 1_000, 5_000])

    compile_bytecode(args.before)
    print(f"machine: {machine()}")
    print(f"runs per case: {runs} (median), interleaved; both sides read the files from disk each run\n")
    if not args.growth_only:
        _in_process(n, runs, args.quick)
    _growth(sizes, args.runs or (2 if args.quick else 3), args.before)


def _in_process(n: int, runs: int, quick: bool) -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="planner-batch-") as tmp:
        config, designs = write_batch(Path(tmp), n)
        rows.append(_measure("generated", config, designs, runs))
        memory = [[f"generated ({n:,})", *(f"{mb:.0f}" for mb in _memory(config, Path(tmp)))]]
    if CORPUS.is_dir():
        corpus = sorted(CORPUS.glob("*.md"))
        # The corpus is small: repeat it so one run takes long enough to time.
        repeat = 1 if quick else 20
        rows.append(_measure(f"corpus x{repeat}", ROOT / "config" / "repos.toml", corpus * repeat, runs))
        memory.append(["corpus", *(f"{mb:.0f}" for mb in _memory(ROOT / "config" / "repos.toml", CORPUS))])
    else:
        print(f"(corpus {CORPUS} is absent: measured generated designs only)\n")
    print_table(["designs", "files", "size", "mistune AST", "planner check", "ratio"], rows)
    print_table(["peak memory (fresh process), MiB", "mistune AST", "planner check"], memory)
    print("target: planner check <= 1.30x the bare mistune parse (stretch: < 1.00x)\n")


if __name__ == "__main__":
    main()
