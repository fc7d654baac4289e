"""Tasks and the `Plan` model: a parsed design and a repo config in, an ordered plan out."""

from __future__ import annotations

from planner.plan.planning import KIND_ORDER as KIND_ORDER
from planner.plan.planning import (
    SCHEMA_VERSION,
    ContextModel,
    DesignInfo,
    DiagnosticModel,
    Plan,
    Provenance,
    RepoPlan,
    Task,
    build_plan,
    plan_design,
)
from planner.plan.planning import DbChangeModel as DbChangeModel
from planner.plan.planning import DomainTypeModel as DomainTypeModel
from planner.plan.planning import EndpointModel as EndpointModel
from planner.plan.planning import RpcModel as RpcModel
from planner.plan.planning import TaskKind as TaskKind

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
