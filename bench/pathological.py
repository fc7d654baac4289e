"""Growth check: each pathological family of Markdown, doubled, must cost at most ~2.2x the time.

Families: long runs of block-quote lines, HTML-block lines, reference definitions, one long line of
emphasis and angle brackets, deeply nested lists; each wrapped in an approved design and planned.
Prints the time per size, the ratio per doubling, and the peak memory of planning one input of each
family just under the 5 MiB limit in a fresh process (growth over a bare import, and that growth as a
multiple of the input's size).

    python bench/pathological.py           # sizes up to ~1 MiB per family
    python bench/pathological.py --quick   # small sizes: proves it runs (CI)
    python bench/pathological.py --assert  # exit 1 when a doubling costs over 2.2x
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

from common import ROOT, machine, peak_rss_mb, print_table, time_calls

sys.path.insert(0, str(ROOT))

# The family sits in the header, which the reader always parses in full (a skipped section would prove
# nothing about the parser).
HEAD = "# Growth Check Design\n\n**Status:** Approved\n\n"
TAIL = "\n\n## Proposed Solution\n\n### Affected Repositories\n\n- [x] flovyn-server - the thing\n"
LIMIT = 2.2


def quotes(n: int) -> str:
    return "> a\n" * n


def html_lines(n: int) -> str:
    return "<div>\n" * n


def references(n: int) -> str:
    return "".join(f"[r{i}]: /u{i}\n" for i in range(n))


def long_line(n: int) -> str:
    return "*a <b [c] _d " * n + "\n"


def emphasis_run(n: int) -> str:
    return "*" * (n * 64) + "\n"


def blank_lines(n: int) -> str:
    return "\n" * (n * 4) + "words\n"


def deep_lists(n: int) -> str:
    # Nesting deeper than the parser's cap is flattened to text; repeat nested runs to grow the input.
    run = "".join("  " * depth + "- item\n" for depth in range(40))
    return run * max(1, n // 40)


FAMILIES: dict[str, Callable[[int], str]] = {
    "block quotes": quotes,
    "HTML lines": html_lines,
    "reference definitions": references,
    "long line: emphasis and brackets": long_line,
    "deep lists": deep_lists,
    "one line of `*`": emphasis_run,
    "blank lines": blank_lines,
}


def design(family: str, n: int) -> str:
    return HEAD + FAMILIES[family](n) + TAIL


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run: proves the bench runs")
    parser.add_argument("--assert", dest="check", action="store_true", help="exit 1 when a ratio is over 2.2x")
    args = parser.parse_args()
    sizes = [2000, 4000, 8000] if args.quick else [4000, 8000, 16000, 32000]
    # Memory is measured on one input this big per family (just under the 5 MiB limit in full mode).
    memory_bytes = (1 << 19) if args.quick else 5_000_000
    runs = 1 if args.quick else 3

    from planner.config import load_config
    from planner.plan import plan_design

    config, _ = load_config(ROOT / "config" / "repos.toml")
    assert config is not None
    print(f"machine: {machine()}\n")
    worst: list[str] = []
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for family in FAMILIES:
            paths = {}
            for n in sizes:
                path = Path(tmp, f"{family.split()[0]}-{n}.md")
                path.write_text(design(family, n), encoding="utf-8")
                paths[n] = path
            calls = {str(n): partial(plan_design, p, config, max_bytes=1 << 30) for n, p in paths.items()}
            times = time_calls(calls, runs)
            ratios = [times[str(b)] / times[str(a)] for a, b in itertools.pairwise(sizes)]
            biggest = Path(tmp, "memory.md")
            unit = len(FAMILIES[family](100))
            biggest.write_text(design(family, memory_bytes * 100 // unit), encoding="utf-8")
            size_mb = biggest.stat().st_size / (1 << 20)
            code = (
                "from planner.plan import plan_design; "
                f"plan_design({str(biggest)!r}, {str(ROOT / 'config' / 'repos.toml')!r}, max_bytes=1 << 30)"
            )
            base = peak_rss_mb("import planner.plan, planner.design.parse, planner.config")
            peak = peak_rss_mb(code)
            multiple = (peak - base) / size_mb if size_mb else 0.0
            rows.append(
                [
                    family,
                    " / ".join(f"{times[str(n)] * 1000:.0f}" for n in sizes),
                    " ".join(f"{r:.2f}x" for r in ratios),
                    f"{size_mb:.2f}",
                    f"{peak:.0f} ({peak - base:+.0f}, {max(multiple, 0):.1f}x input)",
                ]
            )
            if max(ratios) > LIMIT:
                worst.append(f"{family}: {max(ratios):.2f}x per doubling")
    print(f"sizes (units of the family): {', '.join(map(str, sizes))}; median of {runs} run(s)\n")
    headers = ["family", "ms per size", "ratio per doubling", "memory input MiB", "peak RSS MiB (growth, per input)"]
    print_table(headers, rows)
    if worst:
        print("over the limit of 2.2x: " + "; ".join(worst))
        return 1 if args.check else 0
    print(f"every doubling within {LIMIT}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
