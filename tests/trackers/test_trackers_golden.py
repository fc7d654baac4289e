"""Golden epics: the parent issues `sync github` writes for the schedules fixture, byte for byte.

Regenerate after an intended change with `PLANNER_UPDATE_GOLDEN=1 python -m pytest tests/test_trackers_golden.py`,
then read the diff of fixtures/golden-trackers/ before committing it.
"""

from __future__ import annotations

import os

import pytest
from project import ROOT

from planner.ci.progress import carry_over
from planner.config import load_config
from planner.plan import plan_design
from planner.trackers.github import plan_issues, render_export
from planner.trackers.github.epics import epic_specs

GOLDEN = ROOT / "fixtures" / "golden-trackers"
UPDATE = os.environ.get("PLANNER_UPDATE_GOLDEN") == "1"


def test_schedules_epics_match_golden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # paths as a user at the repo root types them: the bodies name the design
    config, _ = load_config("config/repos.toml")
    assert config is not None
    plan = plan_design("fixtures/schedules.md", config)
    assert plan.ok
    specs, _ = plan_issues(plan, config)
    actual = render_export(epic_specs(plan, specs))
    golden = GOLDEN / "schedules-epics.json"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_bytes(actual.encode("utf-8"))
    assert golden.read_bytes().decode("utf-8") == actual


def test_regenerating_a_plan_keeps_the_not_planned_box() -> None:
    old = "- [-] Dropped <!-- planner:id=r:a -->\n- [x] Done <!-- planner:id=r:b -->\n"
    new = "- [ ] Dropped, reworded <!-- planner:id=r:a -->\n- [ ] Done <!-- planner:id=r:b -->\n"
    assert (
        carry_over(new, old) == "- [-] Dropped, reworded <!-- planner:id=r:a -->\n- [x] Done <!-- planner:id=r:b -->\n"
    )
