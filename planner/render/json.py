"""The plan as versioned JSON for machines (`schema_version` 1)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from planner.jsonio import json_text
from planner.plan import Plan

__all__ = ["render"]


def _plain(value: Any) -> Any:
    """What `model_dump(mode="json")` gives for the plan's value types (models, tuples, str, int, bool, None)."""
    if isinstance(value, BaseModel):
        return {name: _plain(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def render(plan: Plan) -> str:
    # Not plan.model_dump: that builds pydantic's serializers for all 13 plan models on a cold start, for a
    # tree of plain values (tests/render/test_json_render.py holds the two to the same output).
    return json_text(_plain(plan)) + "\n"
