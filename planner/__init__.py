"""planner: an approved design document in, an ordered per-repository implementation plan out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from planner._version import __version__
from planner.bulk import bulk_mode
from planner.errors import PlannerError

__all__ = ["Config", "Plan", "PlannerError", "__version__", "bulk_mode", "load_config", "plan_design"]

if TYPE_CHECKING:
    from planner.config import Config, load_config
    from planner.plan import Plan, plan_design


def __getattr__(name: str) -> Any:
    # Lazy, so that `planner --version` and `--help` never pay for pydantic and networkx.
    if name in ("Plan", "plan_design"):
        from planner import plan

        return getattr(plan, name)
    if name in ("Config", "load_config"):
        from planner import config

        return getattr(config, name)
    raise AttributeError(f"module 'planner' has no attribute {name!r}")
