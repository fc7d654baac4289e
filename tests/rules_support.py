"""Helpers shared by the rule tests: plan an inline design text and look at what came out."""

from __future__ import annotations

from pathlib import Path

from project import ROOT

from planner.config import Config, load_config
from planner.plan import Plan, plan_design

__all__ = ["CONFIG", "HEAD", "ROOT", "findings", "line_of", "plan_text", "tasks_of"]


def _example_config() -> Config:
    config, problems = load_config(ROOT / "config" / "repos.toml")
    assert config is not None, problems
    return config


CONFIG = _example_config()

# A minimal approved header; tests append the sections they are about.
HEAD = "# Widgets Design\n\n**Date:** 2026-03-01\n**Status:** Approved\n**Branch:** feature/widgets\n\n"


def plan_text(
    tmp_path: Path,
    text: str | bytes,
    *,
    config: Config = CONFIG,
    name: str = "design.md",
    allow_unapproved: bool = False,
    strict: bool = False,
) -> Plan:
    """Write a design into tmp_path and plan it."""
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return plan_design(path, config, allow_unapproved=allow_unapproved, strict=strict)


def findings(plan: Plan) -> list[tuple[str, str, int]]:
    """(severity, code, line) of every diagnostic, in the plan's order."""
    return [(d.severity, d.code, d.line) for d in plan.diagnostics]


def line_of(text: str, needle: str) -> int:
    """1-based line of the only line of text that contains needle."""
    hits = [n for n, line in enumerate(text.split("\n"), start=1) if needle in line]
    assert len(hits) == 1, f"{needle!r} is on lines {hits}, expected exactly one"
    return hits[0]


def tasks_of(plan: Plan, repo: str) -> dict[str, tuple[str, ...]]:
    """Task id -> its dependencies, for one repo of the plan."""
    found = [r for r in plan.repos if r.name == repo]
    assert found, f"{repo} is not planned: {[r.name for r in plan.repos]}"
    return {t.id: t.depends_on for t in found[0].tasks}
