"""The `Plan` model and its parts: frozen pydantic values whose JSON schema `planner schema` prints."""

# No `from __future__ import annotations`: pydantic would compile every field's annotation string at import.
from typing import Literal

from pydantic import BaseModel, ConfigDict

from planner._version import __version__
from planner.diagnostics import Diagnostic, Severity

__all__ = [
    "SCHEMA_VERSION",
    "ContextModel",
    "DbChangeModel",
    "DesignInfo",
    "DiagnosticModel",
    "DomainTypeModel",
    "EndpointModel",
    "Plan",
    "Provenance",
    "RepoPlan",
    "RpcModel",
    "Task",
    "TaskKind",
]

SCHEMA_VERSION: Literal[1] = 1

TaskKind = Literal["migration", "domain", "rest", "grpc", "file", "change"]


class _Frozen(BaseModel):
    # Defaults-required: every key is always in the JSON plan, so `planner schema` requires it too.
    # defer_build: planning builds these with model_construct (its values are typed already) and the JSON
    # renderer reads the fields, so a cold `planner plan` never builds their validators and serializers.
    model_config = ConfigDict(
        frozen=True, extra="forbid", json_schema_serialization_defaults_required=True, defer_build=True
    )


class Task(_Frozen):
    """One unit of work in one repo; `id` is derived from repo, kind and subject, never from position."""

    id: str
    kind: TaskKind
    title: str
    files: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    source_line: int


class RepoPlan(_Frozen):
    name: str
    wave: int
    depends_on: tuple[str, ...]
    change: str
    description: str
    language: str
    verify: tuple[str, ...]
    tasks: tuple[Task, ...]


class DesignInfo(_Frozen):
    path: str
    title: str | None
    feature: str
    status: str | None
    date: str | None
    branch: str | None
    # `**Id:**`: the tracker identity that survives a retitling (None: the feature title is the identity).
    id: str | None = None


class EndpointModel(_Frozen):
    method: str
    path: str
    body: str | None
    line: int


class RpcModel(_Frozen):
    service: str | None
    name: str
    request: str
    response: str
    line: int


class DbChangeModel(_Frozen):
    text: str
    tables: tuple[str, ...]
    columns: tuple[str, ...]
    line: int


class DomainTypeModel(_Frozen):
    name: str
    language: str
    line: int


class ContextModel(_Frozen):
    """What the design says beyond the tasks: shown to the people who do them."""

    endpoints: tuple[EndpointModel, ...] = ()
    rpcs: tuple[RpcModel, ...] = ()
    database: tuple[DbChangeModel, ...] = ()
    domain_types: tuple[DomainTypeModel, ...] = ()


class DiagnosticModel(_Frozen):
    severity: Literal["error", "warning", "note"]
    code: str
    message: str
    path: str
    line: int


class Provenance(_Frozen):
    """What a plan was made from, so `planner verify` can tell when it went stale."""

    design_sha256: str
    config_path: str
    config_sha256: str
    # HEAD of the git checkout holding the design, and whether the design differs from it; null outside git.
    git_commit: str | None = None
    git_dirty: bool | None = None


class Plan(_Frozen):
    """The plan: repos in order (waves of independent repos), each with its tasks."""

    schema_version: Literal[1] = SCHEMA_VERSION
    planner_version: str = __version__
    design: DesignInfo
    waves: tuple[tuple[str, ...], ...] = ()
    repos: tuple[RepoPlan, ...] = ()
    # The longest chain of dependent tasks, as task ids in order (planner.plan.order states the tie rule).
    critical_path: tuple[str, ...] = ()
    context: ContextModel = ContextModel.model_construct()
    diagnostics: tuple[DiagnosticModel, ...] = ()
    # Filled by the CLI (planner.ci.provenance), never by plan_design: planning stays a pure function of its inputs.
    provenance: Provenance | None = None

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)

    def diagnostic_values(self) -> tuple[Diagnostic, ...]:
        return tuple(Diagnostic(Severity(d.severity), d.code, d.message, d.path, d.line) for d in self.diagnostics)
