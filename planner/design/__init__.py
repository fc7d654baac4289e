"""Read a design document: mistune's AST in, a frozen `DesignDoc` with source lines out."""

from __future__ import annotations

from planner.design.model import DbChange, DesignDoc, DomainType, Endpoint, KeyFile, Question, RepoItem, RpcMethod
from planner.design.parse import parse_design
from planner.design.source import MAX_DESIGN_BYTES, decode_design, load_design

__all__ = [
    "MAX_DESIGN_BYTES",
    "DbChange",
    "DesignDoc",
    "DomainType",
    "Endpoint",
    "KeyFile",
    "Question",
    "RepoItem",
    "RpcMethod",
    "decode_design",
    "load_design",
    "parse_design",
]
