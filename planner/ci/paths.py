"""Paths a written plan records, seen from the plan file's own folder, so links and `verify` work from anywhere."""

from __future__ import annotations

import os
from pathlib import Path

from planner.plan import Plan

__all__ = ["relative_to", "seen_from"]


def relative_to(path: str | Path, folder: Path) -> str:
    """`path` (absolute, or relative to the working folder) as a POSIX path relative to `folder`."""
    return Path(os.path.relpath(os.path.abspath(path), os.path.abspath(folder))).as_posix()


def seen_from(plan: Plan, folder: Path) -> Plan:
    """The plan with its design path (the link in plan.md, `design.path` in plan.json) relative to `folder`."""
    design = plan.design.model_copy(update={"path": relative_to(plan.design.path, folder)})
    return plan.model_copy(update={"design": design})
