"""Plans built with model_construct (planner.plan.planning) hold exactly what validation would have made."""

from __future__ import annotations

from pathlib import Path

import pytest
from project import CORPUS, EXAMPLE_CONFIG, FIXTURES, ROOT

from planner.config import Config, load_config
from planner.plan import Plan, plan_design


def _config(path: Path) -> Config:
    config, problems = load_config(path)
    assert config is not None, problems
    return config


def _cases() -> list[tuple[Path, Path]]:
    cases = [(design, EXAMPLE_CONFIG) for design in sorted(FIXTURES.glob("*.md"))]
    cases.append((FIXTURES / "tests-first.md", ROOT / "config" / "tests-first.toml"))
    cases += [(design, CORPUS / "flovyn-repos.toml") for design in sorted((CORPUS / "designs").glob("*.md"))]
    return cases


def assert_validated(plan: Plan) -> None:
    """Validating the plan's own dump gives an equal plan: every value already had its field's type (a list
    where a tuple belongs, or "3" where an int does, would compare unequal)."""
    assert Plan.model_validate(plan.model_dump()) == plan


@pytest.mark.parametrize(("design", "config"), _cases(), ids=lambda p: p.name)
def test_constructed_plan_equals_its_validated_copy(design: Path, config: Path) -> None:
    plan = plan_design(design, _config(config), allow_unapproved=True)
    assert plan.repos or plan.diagnostics  # the case planned something to compare
    assert_validated(plan)


def test_strict_and_empty_plans_too(tmp_path: Path) -> None:
    config = _config(EXAMPLE_CONFIG)
    assert_validated(plan_design(FIXTURES / "schedules.md", config, strict=True))
    assert_validated(plan_design(tmp_path / "missing.md", config))
    assert_validated(plan_design(FIXTURES / "schedules.md", tmp_path / "missing.toml"))
