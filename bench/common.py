"""Shared bench helpers: interleaved timing, medians, peak memory of a child process, tables."""

from __future__ import annotations

import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

__all__ = [
    "ROOT",
    "cli_peak_rss_mb",
    "compile_bytecode",
    "has_jobs",
    "machine",
    "peak_rss_mb",
    "planner_argv",
    "planner_at",
    "print_table",
    "ratio",
    "time_calls",
    "time_commands",
    "time_commands_cpu",
]

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    """One line naming the machine: CPU count, CPU model, Python version."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()} ({sys.executable})"


def time_calls(cases: Mapping[str, Callable[[], object]], runs: int, warmup: int = 1) -> dict[str, float]:
    """Median wall time in seconds of each callable; runs are interleaved so drift hits all alike."""
    for _ in range(warmup):
        for fn in cases.values():
            fn()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, fn in cases.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def time_commands(cases: Mapping[str, Sequence[str]], runs: int, cwd: Path = ROOT, warmup: int = 1) -> dict[str, float]:
    """Median wall time in seconds of each command as a new process (output discarded), interleaved."""
    return {name: wall for name, (wall, _) in time_commands_cpu(cases, runs, cwd, warmup).items()}


def time_commands_cpu(
    cases: Mapping[str, Sequence[str]], runs: int, cwd: Path = ROOT, warmup: int = 1
) -> dict[str, tuple[float, float]]:
    """Median wall time and median CPU time (user + system, the process and the children it waited for) in
    seconds of each command as a new process, interleaved. CPU time moves less than wall time on a busy machine."""
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for round_ in range(warmup + runs):
        for name, argv in cases.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if done.returncode not in (0, 1):
                raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
            cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            if round_ >= warmup:
                samples[name].append((wall, cpu))
    return {
        name: (statistics.median(w for w, _ in values), statistics.median(c for _, c in values))
        for name, values in samples.items()
    }


# Linux keeps a process's peak RSS across fork and exec, so a child forked straight from a bench that
# has grown large would report the bench's size. A small launcher process forks the measured one.
_LAUNCHER = (
    "import os, subprocess, sys; "
    "p = subprocess.Popen([sys.executable, '-c', *sys.argv[1:]], stdout=subprocess.DEVNULL); "
    "_, status, usage = os.wait4(p.pid, 0); "
    "print(usage.ru_maxrss, os.waitstatus_to_exitcode(status))"
)


def peak_rss_mb(code: str, cwd: Path = ROOT, ok: Sequence[int] = (0,), args: Sequence[str] = ()) -> float:
    """Peak resident memory (MiB) of a fresh `python -c code ARGS...` (or what it execs), from its own rusage."""
    launch = [sys.executable, "-c", _LAUNCHER, code, *args]
    done = subprocess.run(launch, cwd=cwd, capture_output=True, text=True, check=True)
    maxrss, status = (int(x) for x in done.stdout.split())
    if status not in ok:
        raise SystemExit(f"memory probe failed with exit {status}:\n{code}")
    # ru_maxrss is KiB on Linux, bytes on macOS.
    return maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)


def planner_argv() -> list[str]:
    """The installed `planner` script next to this interpreter, else `python -m planner`."""
    script = Path(sys.executable).parent / "planner"
    if script.is_file():
        return [str(script)]
    found = shutil.which("planner")
    return [found] if found else [sys.executable, "-m", "planner"]


def compile_bytecode(*trees: Path | None) -> None:
    """Write the .pyc files of planner's package (this tree's and any other measured): an installed planner has
    them (pip compiles on install), but an editable checkout run with PYTHONDONTWRITEBYTECODE=1 (as CI and
    these machines set it) would compile every module from source on every start."""
    import compileall

    for tree in (ROOT, *trees):
        if tree is not None:
            compileall.compile_dir(tree / "planner", quiet=1)


def planner_at(tree: Path | None) -> list[str]:
    """`planner` running the package of another source tree (`git archive REV`), for "before" rows; else this one."""
    if tree is None:
        return planner_argv()
    return ["env", f"PYTHONPATH={tree.resolve()}", *planner_argv()]


def has_jobs(planner: Sequence[str]) -> bool:
    """Whether that planner has `--jobs` (a tree from before it had not: its runs are one process)."""
    done = subprocess.run([*planner, "check", "--help"], capture_output=True, text=True, check=False)
    return "--jobs" in done.stdout


def cli_peak_rss_mb(planner: Sequence[str], args: Sequence[str], cwd: Path) -> float:
    """Peak resident memory (MiB) of one `planner ARGS` run in a fresh process (exit 0 or 1 alike); the
    arguments travel as arguments (thousands of paths would overflow one `-c` string)."""
    code = "import os, sys; os.execvp(sys.argv[1], sys.argv[1:])"
    return peak_rss_mb(code, cwd, ok=(0, 1), args=[*planner, *args])


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}x" if baseline > 0 else "n/a"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A Markdown table (pastes straight into the README)."""
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    print("| " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    print()
