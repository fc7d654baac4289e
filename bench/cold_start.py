"""Cold-start bench: `planner` commands as new processes vs importing the four libraries it builds on.

python bench/cold_start.py            # 15 runs per command
python bench/cold_start.py --quick    # 3 runs: proves the bench still works
"""

from __future__ import annotations

import argparse
import sys

from common import ROOT, machine, planner_argv, print_table, ratio, time_commands

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
    print(f"machine: {machine()}")
    print(f"runs per command: {runs} (median), interleaved; cwd {ROOT}\n")
    times = time_commands(cases, runs)
    base = times["baseline"]
    targets = {"plan --format json": "<= 1.20x", "--version": "<= 0.50x", "--help": "<= 0.50x"}
    shown = {
        "baseline": f'`python -c "{BASELINE}"`',
        "python -c pass": "`python -c pass` (interpreter start)",
        "typer app": "a 6-option typer command doing nothing (reference)",
    }
    rows = [
        [shown.get(name, f"`planner {name}`"), f"{seconds * 1000:.0f} ms", ratio(seconds, base), targets.get(name, "")]
        for name, seconds in times.items()
    ]
    print_table(["command (new process)", "median", "vs baseline", "target"], rows)


if __name__ == "__main__":
    main()
