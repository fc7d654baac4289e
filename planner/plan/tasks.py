"""Task derivation: each checked repo's tasks from the design's database, API and key-file sections."""

from __future__ import annotations

from planner.config import Config
from planner.design import DesignDoc, RepoItem
from planner.diagnostics import Diagnostic, error, warning
from planner.plan.model import Task
from planner.plan.resolve import unknown_repo

__all__ = ["KIND_ORDER", "derive_tasks"]

# Tasks within a repo: the migration first (the others depend on it), then API work, then files.
KIND_ORDER: dict[str, int] = {"migration": 0, "rest": 1, "grpc": 2, "file": 3}


def derive_tasks(
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

    # A repo's migration comes first and every other task of that repo waits for it. Known up front, so each
    # task is built once with its final depends_on (no copy per task: big plans have tens of thousands).
    migration: dict[str, str] = {}

    def after(name: str, depends_on: tuple[str, ...] = ()) -> tuple[str, ...]:
        first = migration.get(name)
        return depends_on if first is None else tuple(sorted({first, *depends_on}))

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
            migration[name] = f"{name}:migration"
            drafts[name].append(
                Task(id=f"{name}:migration", kind="migration", title=title, source_line=doc.db_changes[0].line)
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
                Task(
                    id=f"{name}:{kind}:{subject}",
                    kind=kind,  # type: ignore[arg-type]
                    title=f"Implement {shown}",
                    depends_on=after(name),
                    source_line=line,
                )
            )
        for name in consumes(kind):
            drafts[name].append(
                Task(
                    id=f"{name}:{kind}:{subject}",
                    kind=kind,  # type: ignore[arg-type]
                    title=f"Call {shown}",
                    depends_on=after(name, provider_ids),
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
    # A repo name typo already reported on its Affected Repositories line is not reported again per key file.
    typos = {item.name for item in doc.repos if item.checked and config.resolve(item.name) is None}
    for kf in filter(lambda kf: kf.repo not in typos, doc.key_files):
        if kf.repo not in resolved:
            resolved[kf.repo] = config.resolve(kf.repo)
        owner = resolved[kf.repo]
        if owner is None or owner not in checked:
            reason = (
                unknown_repo(kf.repo, config, "repos.toml")
                if owner is None
                else f"repo '{owner}' is not checked under Affected Repositories; check it or drop this line"
            )
            problems.append(error("key-file-repo", f"key file '{kf.repo}/{kf.path}': {reason}", doc.path, kf.line))
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
                depends_on=after(owner),
                source_line=kf.line,
            )
        )

    tasks = {name: tuple(sorted(items, key=lambda t: (KIND_ORDER[t.kind], t.id))) for name, items in drafts.items()}
    return tasks, problems
