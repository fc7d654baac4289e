"""Cold-start bench: `planner` commands as new processes vs importing the four libraries it builds on.

python bench/cold_start.py            # 15 runs per command
python bench/cold_start.py --quick    # 3 runs: proves the bench still works
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from common import ROOT, compile_bytecode, machine, planner_argv, planner_at, print_table, ratio, time_commands_cpu

BASELINE = "import mistune, networkx, pydantic, typer"
# A reference, not a target: typer runs each parameter through a pydantic TypeAdapter, which `import typer`
# alone never pays for. This is the same shape of command as `planner plan`, doing nothing.
TYPER_APP = """
import enum, pathlib, typing, typer
F = enum.Enum("F", {"json": "json", "markdown": "markdown"}, type=str)
app = typer.Typer(add_completion=False)
@app.command()
def plan(designs: list[str], config: typing.Optional[str] = None, fmt: F = F.markdown,
         output: typing.Optional[pathlib.Path] = None, force: bool = False, strict: bool = False) -> None:
    pass
@app.command()
def other() -> None:
    pass
app(["plan", "x.md", "--fmt", "json"])
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs, to prove the bench works")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per command (default 15)")
    parser.add_argument("--before", type=Path, default=None, help="also time this source tree (git archive REV)")
    args = parser.parse_args()
    runs = args.runs or (3 if args.quick else 15)

    planner = planner_argv()
    # Run from the project root, so the config is found the usual way (config/repos.toml upward).
    example = ["fixtures/schedules.md"]
    cases = {
        "baseline": [sys.executable, "-c", BASELINE],
        "plan --format json": [*planner, "plan", *example, "--format", "json"],
        "plan (markdown)": [*planner, "plan", *example],
        "check": [*planner, "check", *example],
        "--version": [*planner, "--version"],
        "--help": [*planner, "--help"],
        "python -c pass": [sys.executable, "-c", "pass"],
        "typer app": [sys.executable, "-c", TYPER_APP],
    }
    if args.before is not None:
        before = planner_at(args.before)
        cases["before: plan --format json"] = [*before, "plan", *example, "--format", "json"]
        cases["before: plan (markdown)"] = [*before, "plan", *example]
        cases["before: check"] = [*before, "check", *example]
        cases["before: --version"] = [*before, "--version"]
        cases["before: --help"] = [*before, "--help"]
    compile_bytecode(args.before)
    print(f"machine: {machine()}")
    print(f"runs per command: {runs} (median), interleaved; cwd {ROOT}\n")
    times = time_commands_cpu(cases, runs)
    base_wall, base_cpu = times["baseline"]
    targets = {"plan --format json": "<= 1.35x (with networkx)", "--version": "<= 0.50x", "--help": "<= 0.50x"}
    shown = {
        "baseline": f'`python -c "{BASELINE}"`',
        "python -c pass": "`python -c pass` (interpreter start)",
        "typer app": "a 6-option typer command doing nothing (reference)",
    }
    rows = [
        [
            shown.get(name, f"`planner {name}`"),
            f"{wall * 1000:.0f} ms",
            ratio(wall, base_wall),
            f"{cpu * 1000:.0f} ms",
            ratio(cpu, base_cpu),
            targets.get(name, ""),
        ]
        for name, (wall, cpu) in times.items()
    ]
    headers = ["command (new process)", "wall", "vs baseline", "CPU (user+sys)", "vs baseline", "target"]
    print_table(headers, rows)


if __name__ == "__main__":
    main()
