"""The per-repo `paths` prefixes: their validation, and the one rule that maps a path to a repo by them.

A prefix is a clean relative folder (`server/`, `crates/core`; the trailing '/' is optional) and is
matched segment by segment: `server/` matches `server/src/main.rs`, never `serverless/app.py`. Two repos
may not list the same folder; they may list nested ones (`crates/` and `crates/ffi/`), and then the
longer prefix wins, so `crates/ffi/src/lib.rs` belongs to the repo that lists `crates/ffi/`.
"""

from __future__ import annotations

from collections.abc import Mapping

from planner.config.lines import LineIndex
from planner.config.model import Config
from planner.design.rules import path_problem
from planner.diagnostics import Diagnostic, error

__all__ = ["normalise_prefix", "path_diagnostics", "prefix_owner", "prefix_table"]


def normalise_prefix(prefix: str) -> str:
    """'server' and 'server/' are the same folder prefix: 'server/'."""
    return prefix.rstrip("/") + "/"


def path_diagnostics(config: Config, lines: LineIndex) -> list[Diagnostic]:
    """Each prefix clean and relative; no folder listed by two repos."""
    found: list[Diagnostic] = []
    owners: dict[str, str] = {}
    for name, repo in config.repos.items():
        for prefix in repo.paths:
            line = lines.line(("repos", name, "paths"))
            bare = prefix[:-1] if prefix.endswith("/") else prefix
            problem = path_problem(bare) if bare else "is empty"
            if problem:
                found.append(
                    error(
                        "config-path",
                        f"repo {name!r}: path prefix {prefix!r} {problem}; write a clean relative folder "
                        "such as 'server/'",
                        config.path,
                        line,
                    )
                )
                continue
            key = normalise_prefix(bare)
            first = owners.setdefault(key, name)
            if first != name:
                found.append(
                    error(
                        "config-path-overlap",
                        f"repo {name!r}: path prefix {key!r} is also listed by repo {first!r}; a folder belongs "
                        "to one repo (nested prefixes are fine: the longer one wins)",
                        config.path,
                        line,
                    )
                )
    return found


def prefix_table(config: Config) -> dict[str, str]:
    """Normalised prefix -> repo, for prefix_owner."""
    return {normalise_prefix(p): name for name, repo in config.repos.items() for p in repo.paths}


def prefix_owner(path: str, table: Mapping[str, str]) -> str | None:
    """The repo whose prefix the path starts with, the longest prefix winning; None when none does."""
    parts = path.split("/")
    # Longest first: from the whole path's folders down to the first segment.
    for size in range(len(parts) - 1, 0, -1):
        owner = table.get("/".join(parts[:size]) + "/")
        if owner is not None:
            return owner
    return None
