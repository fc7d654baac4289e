"""The plan as versioned JSON for machines (`schema_version` 1)."""

from __future__ import annotations

import json

from planner.plan import Plan

__all__ = ["render"]


def render(plan: Plan) -> str:
    return json.dumps(plan.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
