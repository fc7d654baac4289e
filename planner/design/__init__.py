"""Read a design document: mistune's AST in, a frozen `DesignDoc` with source lines out."""

from __future__ import annotations

from planner.design.reader import (
    _LEFTOVER_HINT as _LEFTOVER_HINT,
)
from planner.design.reader import (
    MAX_DESIGN_BYTES,
    DbChange,
    DesignDoc,
    DomainType,
    Endpoint,
    KeyFile,
    Question,
    RepoItem,
    RpcMethod,
    decode_design,
    load_design,
    parse_design,
)
from planner.design.reader import (
    _lead_code as _lead_code,
)
from planner.design.reader import (
    _may_leave as _may_leave,
)
from planner.design.reader import (
    _name_and_rest as _name_and_rest,
)
from planner.design.reader import (
    _path_rules as _path_rules,
)
from planner.design.reader import (
    _Reader as _Reader,
)
from planner.design.reader import (
    path_problem as path_problem,
)

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
