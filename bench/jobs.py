"""Jobs bench: `build` and `check` over 1,000 designs with `--jobs 1` vs every core; and the pre-commit cost,
100 designs checked one process per file vs one `check` of all of them.

python bench/jobs.py             # 1,000 designs, 3 runs; then the pre-commit rows over 100
python bench/jobs.py --quick     # 40 designs, 1 run: proves the bench still works
python bench/jobs.py --skip hook --before /tmp/before   # the --jobs rows of another tree too, interleaved
"""

from __future__ import annotations

import argparse
import os
import shlex
import tempfile
from pathlib import Path

from common import (
    compile_bytecode,
    has_jobs,
    machine,
    planner_at,
    print_table,
    ratio,
    time_commands,
    time_commands_cpu,
)
from gen import write_batch


def _load() -> str:
    """The load average now: on a shared machine the --jobs ratio means little without it."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def _jobs_rows(
    config: Path, designs: list[Path], out: Path, runs: int, cores: int, before: Path | None
) -> list[list[str]]:
    sides = {"after": planner_at(None), **({"before": planner_at(before)} if before else {})}
    common = ["--config", str(config), *map(str, designs)]
    cases = {}
    for side, planner in sides.items():
        for jobs in (1, cores):
            cases[f"{side} check {jobs}"] = [*planner, "check", *common, "--jobs", str(jobs)]
            # Each run replaces the same tree: every run after the first carries over the previous one, as in CI.
            tree = str(out / f"{side}-j{jobs}")
            cases[f"{side} build {jobs}"] = [*planner, "build", *common, "--out", tree, "--jobs", str(jobs)]
    times = time_commands_cpu(cases, runs, cwd=out, warmup=0)
    rows = []
    for command in ("check", "build"):
        for side in sides:
            (one, one_cpu), (many, many_cpu) = times[f"{side} {command} 1"], times[f"{side} {command} {cores}"]
            rows.append(
                [
                    f"`planner {command}`" if len(sides) == 1 else f"{side}: `planner {command}`",
                    f"{len(designs):,}",
                    f"{one:.2f} s",
                    f"{many:.2f} s",
                    ratio(many, one),
                    f"{one_cpu:.2f} s",
                    f"{many_cpu:.2f} s",
                    ratio(many_cpu, one_cpu),
                    "<= 0.65x",
                ]
            )
    return rows


def _precommit_rows(config: Path, designs: list[Path], cwd: Path, runs: int) -> list[list[str]]:
    planner = planner_at(None)
    check = shlex.join([*planner, "check", "--allow-unapproved", "--config", str(config)])
    files = " ".join(shlex.quote(str(d)) for d in designs)
    half = len(designs) // 2
    halves = [" ".join(shlex.quote(str(d)) for d in part) for part in (designs[:half], designs[half:])]
    one_process = "--jobs 1" if has_jobs(planner) else ""
    cases = {
        "per file": ["sh", "-c", f'for f in {files}; do {check} {one_process} "$f"; done; exit 0'],
        # pre-commit's default (require_serial: false): the files split over one process per core, run at once.
        "split": ["sh", "-c", f"{check} {halves[0]} & {check} {halves[1]} & wait; exit 0"],
        "one check": ["sh", "-c", f"{check} {files}; exit 0"],
    }
    times = time_commands(cases, runs, cwd=cwd, warmup=0)
    base = times["one check"]
    shown = {
        "per file": f"{len(designs)} processes, one design each, one after another",
        "split": "2 processes of half the designs each, at once (pre-commit's default split)",
        "one check": f"one `planner check` of all {len(designs)} (every core)",
    }
    return [[shown[name], f"{seconds:.2f} s", ratio(seconds, base)] for name, seconds in times.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 designs and 1 run, to prove the bench works")
    parser.add_argument("-n", type=int, default=None, help="designs for build and check (default 1,000)")
    parser.add_argument("--hook", type=int, default=None, help="designs for the pre-commit rows (default 100)")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per case (default 3)")
    parser.add_argument("--hook-runs", type=int, default=None, help="timed runs of the pre-commit rows (default 1)")
    parser.add_argument("--skip", choices=["jobs", "hook"], default=None, help="leave out one of the two tables")
    parser.add_argument("--before", type=Path, default=None, help="also time another source tree, interleaved")
    args = parser.parse_args()
    n = args.n or (40 if args.quick else 1_000)
    hook = args.hook or (10 if args.quick else 100)
    runs = args.runs or (1 if args.quick else 3)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

    compile_bytecode(args.before)
    print(f"machine: {machine()}")
    print(f"runs per case: {runs} (median), interleaved; every case a new process\n")
    with tempfile.TemporaryDirectory(prefix="planner-jobs-") as tmp:
        config, designs = write_batch(Path(tmp) / "designs", max(n, hook))
        if cores < 2:
            print("(one core: nothing to share out; the --jobs rows need two)\n")
        elif args.skip != "jobs":
            load = _load()
            rows = _jobs_rows(config, designs[:n], Path(tmp), runs, cores, args.before)
            headers = [
                "command",
                "designs",
                "--jobs 1",
                f"--jobs {cores} (default)",
                "ratio",
                "CPU --jobs 1",
                f"CPU --jobs {cores}",
                "CPU ratio",
                "target (wall)",
            ]
            print_table(headers, rows)
            print(f"load average before / after (1, 5, 15 min): {load} / {_load()}\n")
        if args.skip != "hook":
            rows = _precommit_rows(config, designs[:hook], Path(tmp), args.hook_runs or 1)
            print_table(["pre-commit: checking the staged designs", "median", "vs one check"], rows)


if __name__ == "__main__":
    main()
