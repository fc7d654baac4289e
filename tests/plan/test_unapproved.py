"""The status gate: how planning reports a design that is not Approved (refused, planned anyway, or noted)."""

from __future__ import annotations

from pathlib import Path

import pytest
from project import EXAMPLE_CONFIG, FIXTURES

from planner.config import Config, load_config
from planner.diagnostics import Diagnostic, Severity
from planner.plan import plan_design

SCHEDULES = (FIXTURES / "schedules.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def config() -> Config:
    loaded, problems = load_config(EXAMPLE_CONFIG)
    assert loaded is not None, problems
    return loaded


def gate(found: tuple[Diagnostic, ...]) -> list[Diagnostic]:
    return [d for d in found if d.code == "not-approved"]


@pytest.fixture(params=["Draft", None], ids=["draft", "no-status-line"])
def draft(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    approved = "**Status:** Approved (2026-03-04)"
    assert approved in SCHEDULES
    status = request.param
    text = SCHEDULES.replace(approved, f"**Status:** {status}" if status else "")
    path = tmp_path / "draft.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_by_default_an_unapproved_design_is_refused_and_allow_unapproved_plans_it_with_a_warning(
    draft: Path, config: Config
) -> None:
    refused = gate(plan_design(draft, config).diagnostic_values())
    allowed = plan_design(draft, config, allow_unapproved=True)
    assert [d.severity for d in refused] == [Severity.ERROR] and "or pass --allow-unapproved" in refused[0].message
    assert [d.severity for d in gate(allowed.diagnostic_values())] == [Severity.WARNING] and allowed.ok
    assert "planned anyway (--allow-unapproved)" in gate(allowed.diagnostic_values())[0].message


@pytest.mark.parametrize("allow", [False, True])
def test_the_severity_given_decides_whatever_allow_unapproved_says(draft: Path, config: Config, allow: bool) -> None:
    for severity in Severity:
        found = gate(plan_design(draft, config, allow_unapproved=allow, unapproved=severity).diagnostic_values())
        assert [d.severity for d in found] == [severity]
    # The two that `plan` has always had are the very diagnostics of allow_unapproved.
    for severity, flag in ((Severity.ERROR, False), (Severity.WARNING, True)):
        given = plan_design(draft, config, allow_unapproved=not flag, unapproved=severity)
        assert given == plan_design(draft, config, allow_unapproved=flag)


def test_as_a_note_the_design_is_planned_and_told_what_plan_and_build_wait_for(draft: Path, config: Config) -> None:
    plan = plan_design(draft, config, unapproved=Severity.NOTE)
    (found,) = gate(plan.diagnostic_values())
    what = "status is 'Draft'" if "**Status:** Draft" in draft.read_text(encoding="utf-8") else "no **Status:** line"
    assert found.message == (
        f"{what}; `plan` and `build` wait for '**Status:** Approved' (check --require-approved makes this an error)"
    )
    assert plan.ok and plan.repos
    # --strict leaves a note a note: a draft is never an error for a linter unless approval is required.
    strict = plan_design(draft, config, unapproved=Severity.NOTE, strict=True)
    assert [d.severity for d in gate(strict.diagnostic_values())] == [Severity.NOTE]


def test_an_approved_design_passes_the_gate_in_every_mode(config: Config) -> None:
    for severity in (None, *Severity):
        assert gate(plan_design(FIXTURES / "schedules.md", config, unapproved=severity).diagnostic_values()) == []
