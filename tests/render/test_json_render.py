"""The JSON renderer walks the plan itself: its output is byte for byte pydantic's `model_dump(mode="json")`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from project import CORPUS, EXAMPLE_CONFIG, FIXTURES

from planner.config import load_config
from planner.plan import Plan, plan_design
from planner.plan.model import Provenance
from planner.render import render


def _pydantic_json(plan: Plan) -> str:
    return json.dumps(plan.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def _designs() -> list[tuple[Path, Path]]:
    return [(d, EXAMPLE_CONFIG) for d in sorted(FIXTURES.glob("*.md"))] + [
        (d, CORPUS / "flovyn-repos.toml") for d in sorted((CORPUS / "designs").glob("*.md"))
    ]


@pytest.mark.parametrize(("design", "config"), _designs(), ids=lambda p: p.name)
def test_json_render_is_model_dump(design: Path, config: Path) -> None:
    loaded, _ = load_config(config)
    assert loaded is not None
    plan = plan_design(design, loaded, allow_unapproved=True)
    assert render(plan, "json") == _pydantic_json(plan)


def test_provenance_and_non_ascii_text() -> None:
    plan = Plan.model_validate(
        {
            "design": {
                "path": "d/é.md",
                "title": "Ünïcode ✓",
                "feature": "F",
                "status": None,
                "date": None,
                "branch": None,
            },
            "waves": [["a", "b"], ["c"]],
            "provenance": Provenance(design_sha256="1" * 64, config_path="c.toml", config_sha256="2" * 64),
            "diagnostics": [{"severity": "note", "code": "x", "message": 'say "hi"\n', "path": "p", "line": 3}],
        }
    )
    assert render(plan, "json") == _pydantic_json(plan)
    assert '"title": "Ünïcode ✓"' in render(plan, "json")
