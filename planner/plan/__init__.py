"""Tasks and the `Plan` model: a parsed design and a repo config in, an ordered plan out."""

from __future__ import annotations

from planner.plan.model import (
    SCHEMA_VERSION,
    ContextModel,
    DesignInfo,
    DiagnosticModel,
    Plan,
    Provenance,
    RepoPlan,
    Task,
)
from planner.plan.model import DbChangeModel as DbChangeModel
from planner.plan.model import DomainTypeModel as DomainTypeModel
from planner.plan.model import EndpointModel as EndpointModel
from planner.plan.model import RpcModel as RpcModel
from planner.plan.model import TaskKind as TaskKind
from planner.plan.planning import build_plan, plan_design
from planner.plan.tasks import KIND_ORDER as KIND_ORDER

__all__ = [
    "SCHEMA_VERSION",
    "ContextModel",
    "DesignInfo",
    "DiagnosticModel",
    "Plan",
    "Provenance",
    "RepoPlan",
    "Task",
    "build_plan",
    "plan_design",
]
