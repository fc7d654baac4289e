"""Tasks and the `Plan` model: a parsed design and a repo config in, an ordered plan out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from planner import __version__
from planner.config import Config, load_config
from planner.design import MAX_DESIGN_BYTES, DesignDoc, RepoItem, load_design
from planner.diagnostics import Diagnostic, Severity, error, sort_diagnostics, strictened, warning
from planner.graph import plan_order

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

SCHEMA_VERSION: Literal[1] = 1

TaskKind = Literal["migration", "rest", "grpc", "file"]
# Tasks within a repo: the migration first (the others depend on it), then API work, then files.
KIND_ORDER: dict[str, int] = {"migration": 0, "rest": 1, "grpc": 2, "file": 3}


class _Frozen(BaseModel):
    # Defaults-required: every key is always in the JSON plan, so `planner schema` requires it too.
    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)


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
    severity: Literal["error", "warning"]
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
    context: ContextModel = ContextModel()
    diagnostics: tuple[DiagnosticModel, ...] = ()
    # Filled by the CLI (planner.provenance), never by plan_design: planning stays a pure function of its inputs.
    provenance: Provenance | None = None

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)

    def diagnostic_values(self) -> tuple[Diagnostic, ...]:
        return tuple(
            Diagnostic(Severity(d.severity), d.code, d.message, d.path, d.line) for d in self.diagnostics
        )


def _diagnostic_models(diagnostics: Iterable[Diagnostic]) -> tuple[DiagnosticModel, ...]:
    return tuple(
        DiagnosticModel(severity=d.severity.value, code=d.code, message=d.message, path=d.path, line=d.line)
        for d in sort_diagnostics(diagnostics)
    )


def _empty_plan(path: str, diagnostics: Iterable[Diagnostic], strict: bool) -> Plan:
    found = strictened(diagnostics) if strict else tuple(diagnostics)
    info = DesignInfo(path=path, title=None, feature=Path(path).stem, status=None, date=None, branch=None)
    return Plan(design=info, diagnostics=_diagnostic_models(found))


def plan_design(
    path: str | Path,
    config: Config | str | Path,
    *,
    allow_unapproved: bool = False,
    strict: bool = False,
    max_bytes: int = MAX_DESIGN_BYTES,
) -> Plan:
    """Read a design and plan it. Problems are the plan's diagnostics; `plan.ok` says whether it stands."""
    shown = str(path)
    if not isinstance(config, Config):
        loaded, config_problems = load_config(config)
        if loaded is None:
            return _empty_plan(shown, config_problems, strict)
        config = loaded
    doc, problems = load_design(path, display=shown, max_bytes=max_bytes)
    if doc is None:
        return _empty_plan(shown, problems, strict)
    return build_plan(doc, config, problems, allow_unapproved=allow_unapproved, strict=strict)


def build_plan(
    doc: DesignDoc,
    config: Config,
    diagnostics: Sequence[Diagnostic] = (),
    *,
    allow_unapproved: bool = False,
    strict: bool = False,
) -> Plan:
    """Resolve a parsed design through the config, order its repos and derive their tasks."""
    found = list(diagnostics)
    found += _status_gate(doc, allow_unapproved)
    checked, repo_problems = _resolve_repos(doc, config)
    found += repo_problems

    info = DesignInfo(
        path=doc.path,
        title=doc.title,
        feature=doc.feature,
        status=doc.status,
        date=doc.date,
        branch=doc.branch,
    )
    context = ContextModel(
        endpoints=tuple(
            EndpointModel(method=e.method, path=e.path, body=e.body, line=e.line) for e in doc.endpoints
        ),
        rpcs=tuple(
            RpcModel(service=r.service, name=r.name, request=r.request, response=r.response, line=r.line)
            for r in doc.rpcs
        ),
        database=tuple(
            DbChangeModel(text=c.text, tables=c.tables, columns=c.columns, line=c.line)
            for c in doc.db_changes
        ),
        domain_types=tuple(
            DomainTypeModel(name=t.name, language=t.language, line=t.line) for t in doc.domain_types
        ),
    )

    tasks, task_problems = _tasks(doc, config, checked)
    found += task_problems
    ordering = plan_order(config, checked)
    repos = tuple(
        RepoPlan(
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
    return Plan(
        design=info,
        waves=ordering.waves,
        repos=repos,
        context=context,
        diagnostics=_diagnostic_models(found),
    )


def _status_gate(doc: DesignDoc, allow_unapproved: bool) -> list[Diagnostic]:
    if doc.approved:
        return []
    what = f"status is '{doc.status}'" if doc.status else "no **Status:** line"
    if allow_unapproved:
        return [
            warning("not-approved", f"{what}; planned anyway (--allow-unapproved)", doc.path, doc.status_line)
        ]
    return [
        error(
            "not-approved",
            f"{what}; only an Approved design is planned: set '**Status:** Approved' once it is approved, "
            "or pass --allow-unapproved",
            doc.path,
            doc.status_line,
        )
    ]


def _resolve_repos(doc: DesignDoc, config: Config) -> tuple[dict[str, RepoItem], list[Diagnostic]]:
    """Checked repos by canonical name; unknown names, repeats and an empty selection as diagnostics."""
    problems: list[Diagnostic] = []
    seen: dict[str, RepoItem] = {}
    checked: dict[str, RepoItem] = {}
    for item in doc.repos:
        name = config.resolve(item.name)
        if name is None:
            if item.checked:
                problems.append(
                    error("unknown-repo", _unknown(item.name, config, "repos.toml"), doc.path, item.line)
                )
            continue
        if name in seen:
            problems.append(
                error(
                    "duplicate-repo",
                    f"repo '{name}' is listed twice (first at line {seen[name].line}); keep one line for it",
                    doc.path,
                    item.line,
                )
            )
            if item.checked:
                # Still counted as checked, so the error is not followed by a misleading "no repo checked".
                checked.setdefault(name, RepoItem(name, True, item.change, item.line))
            continue
        seen[name] = item
        if item.checked:
            checked[name] = RepoItem(name, True, item.change, item.line)
    if not checked and not any(d.code == "unknown-repo" for d in problems):
        if doc.repos_line is None:
            problems.append(
                error(
                    "no-repos",
                    "no 'Affected Repositories' section; add one with a '- [x] repo - change' line per repo",
                    doc.path,
                    doc.anchor_line,
                )
            )
        else:
            problems.append(
                error(
                    "no-repos",
                    "no repository is checked under Affected Repositories; tick '[x]' for each repo that changes",
                    doc.path,
                    doc.repos_line,
                )
            )
    return checked, problems


def _unknown(name: str, config: Config, where: str) -> str:
    hint = config.suggest(name)
    known = ", ".join(sorted(config.repos))
    if hint:
        return f"unknown repo '{name}'; did you mean '{hint}'? (known: {known})"
    return f"unknown repo '{name}'; add it to {where} or use one of: {known}"


def _tasks(
    doc: DesignDoc, config: Config, checked: dict[str, RepoItem]
) -> tuple[dict[str, tuple[Task, ...]], list[Diagnostic]]:
    problems: list[Diagnostic] = []
    drafts: dict[str, list[Task]] = {name: [] for name in checked}

    # Computed once per surface: per API (or, worse, per consumer) would be quadratic in checked repos.
    providing: dict[str, list[str]] = {}
    consuming: dict[str, list[str]] = {}
    for n in sorted(checked):
        repo = config.repos[n]
        for surface in repo.provides:
            providing.setdefault(surface, []).append(n)
        for surface in repo.consumes:
            if surface not in repo.provides:
                consuming.setdefault(surface, []).append(n)

    def provides(surface: str) -> list[str]:
        return list(dict.fromkeys(providing.get(surface, ())))

    def consumes(surface: str) -> list[str]:
        return list(dict.fromkeys(consuming.get(surface, ())))

    if doc.db_changes:
        owners = provides("database")
        if not owners:
            problems.append(
                warning(
                    "no-database-provider",
                    "Database Changes has content but no checked repo provides 'database'; "
                    "check the repo that owns the schema",
                    doc.path,
                    doc.db_line or doc.db_changes[0].line,
                )
            )
        tables = sorted({t for c in doc.db_changes for t in c.tables})
        title = "Write the database migration" + (f" ({', '.join(tables)})" if tables else "")
        for name in owners:
            drafts[name].append(
                Task(
                    id=f"{name}:migration", kind="migration", title=title, source_line=doc.db_changes[0].line
                )
            )

    apis: list[tuple[str, str, str, int]] = []
    for e in dict((e.subject, e) for e in reversed(doc.endpoints)).values():
        apis.append(("rest", f"{e.method}:{e.path}", f"{e.method} {e.path}", e.line))
    for r in dict((r.subject, r) for r in reversed(doc.rpcs)).values():
        apis.append(("grpc", r.subject, f"rpc {r.subject}", r.line))
    for kind, subject, shown, line in apis:
        providers = provides(kind)
        provider_ids = tuple(f"{p}:{kind}:{subject}" for p in providers)
        for name in providers:
            drafts[name].append(
                Task(id=f"{name}:{kind}:{subject}", kind=kind, title=f"Implement {shown}", source_line=line)  # type: ignore[arg-type]
            )
        for name in consumes(kind):
            drafts[name].append(
                Task(
                    id=f"{name}:{kind}:{subject}",
                    kind=kind,  # type: ignore[arg-type]
                    title=f"Call {shown}",
                    depends_on=provider_ids,
                    source_line=line,
                )
            )
    if apis and not any(provides(k) or consumes(k) for k in {a[0] for a in apis}):
        problems.append(
            warning(
                "api-unplanned",
                "API Changes lists endpoints but no checked repo provides or consumes them; "
                "check the repos that implement and call them",
                doc.path,
                apis[0][3],
            )
        )

    files_seen: dict[tuple[str, str], int] = {}
    # Thousands of key files name a handful of repos; resolve each spelling once.
    resolved: dict[str, str | None] = {}
    for kf in doc.key_files:
        if kf.repo not in resolved:
            resolved[kf.repo] = config.resolve(kf.repo)
        owner = resolved[kf.repo]
        if owner is None or owner not in checked:
            reason = (
                _unknown(kf.repo, config, "repos.toml")
                if owner is None
                else f"repo '{owner}' is not checked under Affected Repositories; check it or drop this line"
            )
            problems.append(
                error("key-file-repo", f"key file '{kf.repo}/{kf.path}': {reason}", doc.path, kf.line)
            )
            continue
        if (owner, kf.path) in files_seen:
            problems.append(
                warning(
                    "duplicate-key-file",
                    f"key file '{owner}/{kf.path}' is listed twice (first at line {files_seen[owner, kf.path]})",
                    doc.path,
                    kf.line,
                )
            )
            continue
        files_seen[owner, kf.path] = kf.line
        drafts[owner].append(
            Task(
                id=f"{owner}:file:{kf.path}",
                kind="file",
                title=kf.description or f"Change {kf.path}",
                files=(kf.path,),
                source_line=kf.line,
            )
        )

    tasks: dict[str, tuple[Task, ...]] = {}
    for name, items in drafts.items():
        ordered = sorted(items, key=lambda t: (KIND_ORDER[t.kind], t.id))
        if ordered and ordered[0].kind == "migration":
            first = ordered[0].id
            ordered = [ordered[0]] + [
                t.model_copy(update={"depends_on": tuple(sorted({first, *t.depends_on}))})
                for t in ordered[1:]
            ]
        tasks[name] = tuple(ordered)
    return tasks, problems
