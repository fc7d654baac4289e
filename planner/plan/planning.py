"""Planning: a parsed design and a repo config in, an ordered `Plan` out, its problems as diagnostics."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from planner.config import Config, load_config
from planner.design import MAX_DESIGN_BYTES, DesignDoc, load_design
from planner.diagnostics import Diagnostic, Severity, displayable, error, note, sort_diagnostics, strictened, warning
from planner.graph import plan_order
from planner.plan.model import (
    ContextModel,
    DbChangeModel,
    DesignInfo,
    DiagnosticModel,
    DomainTypeModel,
    EndpointModel,
    Plan,
    RepoPlan,
    RpcModel,
)
from planner.plan.order import critical_path
from planner.plan.resolve import resolve_repos
from planner.plan.tasks import derive_tasks

__all__ = ["build_plan", "plan_design"]

# The plan models are built with model_construct: every value below is already of its field's type (the design
# and config were validated when read), so validating again would only build pydantic validators at start-up.
# tests/plan/test_construct.py checks that each plan equals its own validated round trip.


def _diagnostic_models(diagnostics: Iterable[Diagnostic]) -> tuple[DiagnosticModel, ...]:
    return tuple(
        DiagnosticModel.model_construct(
            severity=d.severity.value, code=d.code, message=d.message, path=d.path, line=d.line
        )
        for d in sort_diagnostics(diagnostics)
    )


def _empty_plan(path: str, diagnostics: Iterable[Diagnostic], strict: bool) -> Plan:
    found = strictened(diagnostics) if strict else tuple(diagnostics)
    info = DesignInfo.model_construct(
        path=path, title=None, feature=Path(path).stem, status=None, date=None, branch=None
    )
    return Plan.model_construct(design=info, diagnostics=_diagnostic_models(found))


def plan_design(
    path: str | Path,
    config: Config | str | Path,
    *,
    allow_unapproved: bool = False,
    strict: bool = False,
    max_bytes: int = MAX_DESIGN_BYTES,
    unapproved: Severity | None = None,
) -> Plan:
    """Read a design and plan it. Problems are the plan's diagnostics; `plan.ok` says whether it stands.
    `unapproved` says how a design not Approved is reported (see build_plan)."""
    shown = displayable(str(path))  # a file name that is not valid UTF-8 is shown with U+FFFD
    if not isinstance(config, Config):
        loaded, config_problems = load_config(config)
        if loaded is None:
            return _empty_plan(shown, config_problems, strict)
        config = loaded
    doc, problems = load_design(path, display=shown, max_bytes=max_bytes)
    if doc is None:
        return _empty_plan(shown, problems, strict)
    return build_plan(doc, config, problems, allow_unapproved=allow_unapproved, strict=strict, unapproved=unapproved)


def build_plan(
    doc: DesignDoc,
    config: Config,
    diagnostics: Sequence[Diagnostic] = (),
    *,
    allow_unapproved: bool = False,
    strict: bool = False,
    unapproved: Severity | None = None,
) -> Plan:
    """Resolve a parsed design through the config, order its repos and derive their tasks. A design not
    Approved is an error (refused), a warning (`allow_unapproved`: planned anyway) or, given `unapproved`,
    reported with that severity (a note: `check` linting a draft)."""
    found = list(diagnostics)
    gate = unapproved if unapproved is not None else Severity.WARNING if allow_unapproved else Severity.ERROR
    found += _status_gate(doc, gate)
    checked, repo_problems = resolve_repos(doc, config)
    found += repo_problems

    info = DesignInfo.model_construct(
        path=doc.path,
        title=doc.title,
        feature=doc.feature,
        status=doc.status,
        date=doc.date,
        branch=doc.branch,
        id=doc.id,
    )
    context = ContextModel.model_construct(
        endpoints=tuple(
            EndpointModel.model_construct(method=e.method, path=e.path, body=e.body, line=e.line) for e in doc.endpoints
        ),
        rpcs=tuple(
            RpcModel.model_construct(
                service=r.service, name=r.name, request=r.request, response=r.response, line=r.line
            )
            for r in doc.rpcs
        ),
        database=tuple(
            DbChangeModel.model_construct(text=c.text, tables=c.tables, columns=c.columns, line=c.line)
            for c in doc.db_changes
        ),
        domain_types=tuple(
            DomainTypeModel.model_construct(name=t.name, language=t.language, line=t.line) for t in doc.domain_types
        ),
    )

    ordering = plan_order(config.graph, checked)
    tasks, task_problems = derive_tasks(doc, config, checked, [name for wave in ordering.waves for name in wave])
    found += task_problems
    repos = tuple(
        RepoPlan.model_construct(
            name=name,
            wave=ordering.wave_of[name],
            depends_on=tuple(ordering.upstream.get(name, ())),
            change=checked[name].change,
            description=config.repos[name].description,
            language=config.repos[name].language,
            verify=tuple(config.repos[name].verify),
            tasks=tasks.get(name, ()),
        )
        for wave in ordering.waves
        for name in wave
    )
    if strict:
        found = list(strictened(found))
    return Plan.model_construct(
        design=info,
        waves=ordering.waves,
        repos=repos,
        critical_path=critical_path(repos),
        context=context,
        diagnostics=_diagnostic_models(found),
    )


def _status_gate(doc: DesignDoc, severity: Severity) -> list[Diagnostic]:
    if doc.approved:
        return []
    what = f"status is '{doc.status}'" if doc.status else "no **Status:** line"
    if severity is Severity.NOTE:
        # `check` reads a design as a linter: not being Approved yet is what a draft is.
        message = (
            f"{what}; `plan` and `build` wait for '**Status:** Approved' (check --require-approved makes this an error)"
        )
        return [note("not-approved", message, doc.path, doc.status_line)]
    if severity is Severity.WARNING:
        return [warning("not-approved", f"{what}; planned anyway (--allow-unapproved)", doc.path, doc.status_line)]
    return [
        error(
            "not-approved",
            f"{what}; only an Approved design is planned: set '**Status:** Approved' once it is approved, "
            "or pass --allow-unapproved",
            doc.path,
            doc.status_line,
        )
    ]
