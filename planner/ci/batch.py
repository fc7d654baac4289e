"""The one plan-to-files path that `plan`, `check` and `build` share: planning many designs, the feature
folder names and their collisions, and the output rules (JSON gets provenance and kept git state,
Markdown gets the carry-over of people's progress).

Imports are per format: a cold `planner plan --format json` loads no Markdown machinery.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from planner.diagnostics import Diagnostic, error

if TYPE_CHECKING:
    from planner.ci.provenance import GitProbe
    from planner.config import Config
    from planner.plan import Plan

__all__ = ["collisions", "feature_slug", "output_text", "plan_many", "with_recorded"]


def feature_slug(feature: str, fallback: str) -> str:
    """A feature's folder name: lower-case ASCII letters and digits joined by '-' ('Workflow Schedules' ->
    'workflow-schedules'); from the file name when the feature has none."""
    for text in (feature, fallback):
        ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
        slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
        if slug:
            return slug[:80].rstrip("-")
    return "design"


def plan_many(
    paths: Sequence[str],
    config: Config,
    *,
    allow_unapproved: bool = False,
    strict: bool = False,
    max_bytes: int,
    on_design: Callable[[int, int, str], None] | None = None,
    jobs: int = 1,
) -> list[tuple[str, Plan]]:
    """Each design planned (on `jobs` processes), in the order given; on_design(done, total, path) after each,
    in that order too: the result is the same for any `jobs`."""
    from planner.ci.parallel import ordered_map

    work = partial(_plan_one, config=config, allow_unapproved=allow_unapproved, strict=strict, max_bytes=max_bytes)
    return list(ordered_map(work, paths, jobs, on_design))


def _plan_one(path: str, *, config: Config, allow_unapproved: bool, strict: bool, max_bytes: int) -> tuple[str, Plan]:
    from planner.plan import plan_design

    return path, plan_design(path, config, allow_unapproved=allow_unapproved, strict=strict, max_bytes=max_bytes)


def collisions(targets: Sequence[tuple[str, str, str]]) -> list[Diagnostic]:
    """An error for each design whose output (design path, feature, target) another design also writes to,
    naming the others; in the order given."""
    owners: dict[str, list[str]] = {}
    for path, _, target in targets:
        owners.setdefault(target, []).append(path)
    found: list[Diagnostic] = []
    for path, feature, target in targets:
        rivals = [p for p in owners[target] if p != path]
        if rivals:
            message = (
                f"feature '{feature}' of {path} and of {', '.join(rivals)} would both be written to {target}; "
                "give one design a distinct '# ... Design' title"
            )
            found.append(error("feature-collision", message, path, 1))
    return found


def with_recorded(
    plan: Plan, fmt: str, design: Path, config_path: str, config_sha256: str, probe: GitProbe | None
) -> Plan:
    """The plan with its provenance when fmt records it (JSON); as is otherwise (no hashing, no git)."""
    if fmt != "json":
        return plan
    from planner.ci.provenance import with_provenance

    return with_provenance(plan, design, config_path, config_sha256, probe)


def output_text(plan: Plan, fmt: str, old: str | None) -> str:
    """A plan (with its provenance, see with_recorded) as written to a file in fmt, given the text it
    replaces (None: no such file)."""
    from planner.render import render

    if fmt == "json":
        from planner.ci.provenance import keep_git_state

        return render(keep_git_state(plan, old), fmt)
    text = render(plan, fmt)
    if fmt != "markdown":
        return text
    from planner.ci.progress import carry_over

    return carry_over(text, old)
