"""Batch bench: `planner check` over many designs in one process vs a bare mistune AST parse of the same files.

python bench/batch.py            # 1,000 generated designs (10-40 KB each), then the shared corpus
python bench/batch.py --quick    # 20 designs, 2 runs: proves the bench still works
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from common import ROOT, machine, peak_rss_mb, print_table, ratio, time_calls
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 designs and 2 runs, to prove the bench works")
    parser.add_argument("-n", type=int, default=None, help="generated designs (default 1,000)")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per case (default 5)")
    args = parser.parse_args()
    n = args.n or (20 if args.quick else 1_000)
    runs = args.runs or (2 if args.quick else 5)

    print(f"machine: {machine()}")
    print(f"runs per case: {runs} (median), interleaved; both sides read the files from disk each run\n")
    rows = []
    with tempfile.TemporaryDirectory(prefix="planner-batch-") as tmp:
        config, designs = write_batch(Path(tmp), n)
        rows.append(_measure("generated", config, designs, runs))
        memory = [[f"generated ({n:,})", *(f"{mb:.0f}" for mb in _memory(config, Path(tmp)))]]
    if CORPUS.is_dir():
        corpus = sorted(CORPUS.glob("*.md"))
        # The corpus is small: repeat it so one run takes long enough to time.
        repeat = 1 if args.quick else 20
        rows.append(_measure(f"corpus x{repeat}", ROOT / "config" / "repos.toml", corpus * repeat, runs))
        memory.append(["corpus", *(f"{mb:.0f}" for mb in _memory(ROOT / "config" / "repos.toml", CORPUS))])
    else:
        print(f"(corpus {CORPUS} is absent: measured generated designs only)\n")
    print_table(["designs", "files", "size", "mistune AST", "planner check", "ratio"], rows)
    print_table(["peak memory (fresh process), MiB", "mistune AST", "planner check"], memory)
    print("target: planner check <= 1.30x the bare mistune parse (stretch: < 1.00x)")


if __name__ == "__main__":
    main()
