"""Task derivation: each checked repo's tasks from the design's database, domain, API and key-file lines.

Every subject (a migration, a domain type, an endpoint or method, a key file, a repo's change) makes one
task, or one task per line of its kind's template (planner.config.templates), chained in order. The
first step keeps the subject's id (`repo:kind:subject`); a further step adds a suffix made of its own
words, so adding, removing or rewording another step leaves it alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from planner.config import Config
from planner.config.templates import fill, step_suffix
from planner.design import DesignDoc, RepoItem
from planner.diagnostics import Diagnostic, error, warning
from planner.plan.model import Task, TaskKind
from planner.plan.resolve import unknown_repo

__all__ = ["KIND_ORDER", "derive_tasks", "domain_owner"]

# Tasks within a repo: the migration first (the others depend on it), then the domain types the rest use,
# then API work, then files; a repo's change task only where nothing else follows.
KIND_ORDER: dict[str, int] = {"migration": 0, "domain": 1, "rest": 2, "grpc": 3, "file": 4, "change": 5}

# Code block languages as a config's `language` names them.
_LANGUAGES = {
    "rs": "rust",
    "ts": "typescript",
    "tsx": "typescript",
    "js": "javascript",
    "jsx": "javascript",
    "py": "python",
    "kt": "kotlin",
    "kts": "kotlin",
    "golang": "go",
    "protobuf": "proto",
    "sh": "shell",
    "bash": "shell",
}


def domain_owner(language: str, order: Sequence[str], config: Config) -> str | None:
    """The repo that defines a domain type: the first checked repo, in plan order, of the type's language."""
    wanted = _LANGUAGES.get(language.lower(), language.lower())
    return next(
        (
            n
            for n in order
            if _LANGUAGES.get(config.repos[n].language.lower(), config.repos[n].language.lower()) == wanted
        ),
        None,
    )


def _squash(text: str) -> str:
    """Lower-case letters and digits only: 'POST /api/schedule-runs' -> 'postapischeduleruns'."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


@dataclass(frozen=True)
class _Subject:
    repo: str
    kind: TaskKind
    template: str  # the template kind: rest_provide, migration, ...
    base: str  # the first step's id
    title: str  # the single task's title when the kind has no template
    values: dict[str, str]
    line: int
    files: tuple[str, ...] = ()
    uses: str = ""  # text that may name a domain type (squashed)


@dataclass
class _Builder:
    doc: DesignDoc
    config: Config
    checked: dict[str, RepoItem]
    drafts: dict[str, list[tuple[tuple[int, str, int], Task]]] = field(default_factory=dict)
    # A subject's first step id -> its last step id (what later work waits for).
    last: dict[str, str] = field(default_factory=dict)
    migration: dict[str, str] = field(default_factory=dict)
    types: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # repo -> (squashed name, last id)

    def after(self, subject: _Subject, depends_on: tuple[str, ...] = ()) -> tuple[str, ...]:
        """What a subject's first step waits for: its repo's migration and the domain types it names."""
        extra = [self.migration[subject.repo]] if subject.repo in self.migration and subject.kind != "migration" else []
        extra += [last for name, last in self.types.get(subject.repo, ()) if name in subject.uses]
        return tuple(sorted({*extra, *depends_on}))

    def add(self, subject: _Subject, depends_on: tuple[str, ...] = ()) -> str:
        """The subject's steps as tasks, chained; returns the id of the last one."""
        lines = self.config.template(subject.repo, subject.template)
        values = {"repo": subject.repo, "feature": self.doc.feature, **subject.values}
        steps = (
            [(subject.base, subject.title)]
            if lines is None
            else [
                (subject.base if n == 0 else f"{subject.base}:{step_suffix(line)}", fill(line, values))
                for n, line in enumerate(lines)
            ]
        )
        waits = self.after(subject, depends_on)
        rank = KIND_ORDER[subject.kind]
        for n, (task_id, title) in enumerate(steps):
            task = Task.model_construct(
                id=task_id,
                kind=subject.kind,
                title=title,
                files=subject.files,
                depends_on=waits,
                source_line=subject.line,
            )
            self.drafts.setdefault(subject.repo, []).append(((rank, subject.base, n), task))
            waits = (task_id,)
        self.last[subject.base] = steps[-1][0]
        return steps[-1][0]


def derive_tasks(
    doc: DesignDoc, config: Config, checked: dict[str, RepoItem], order: Sequence[str] | None = None
) -> tuple[dict[str, tuple[Task, ...]], list[Diagnostic]]:
    """Each checked repo's tasks; `order` is the plan order of the checked repos (domain types follow it)."""
    builder = _Builder(doc, config, checked)
    problems: list[Diagnostic] = []
    surfaces = _Surfaces(config, checked)
    _migration_tasks(builder, surfaces, problems)
    _domain_tasks(builder, list(order) if order is not None else sorted(checked))
    _api_tasks(builder, surfaces, problems)
    _file_tasks(builder, problems)
    _change_tasks(builder)
    tasks = {
        name: tuple(task for _, task in sorted(builder.drafts.get(name, ()), key=lambda d: d[0])) for name in checked
    }
    return tasks, problems


class _Surfaces:
    """Which checked repos provide and which consume each surface; computed once (per API it would be quadratic)."""

    def __init__(self, config: Config, checked: dict[str, RepoItem]) -> None:
        self.providing: dict[str, list[str]] = {}
        self.consuming: dict[str, list[str]] = {}
        for n in sorted(checked):
            repo = config.repos[n]
            for surface in dict.fromkeys(repo.provides):
                self.providing.setdefault(surface, []).append(n)
            for surface in dict.fromkeys(repo.consumes):
                if surface not in repo.provides:
                    self.consuming.setdefault(surface, []).append(n)

    def provides(self, surface: str) -> list[str]:
        return self.providing.get(surface, [])

    def consumes(self, surface: str) -> list[str]:
        return self.consuming.get(surface, [])


def _migration_tasks(builder: _Builder, surfaces: _Surfaces, problems: list[Diagnostic]) -> None:
    doc = builder.doc
    if not doc.db_changes:
        return
    owners = surfaces.provides("database")
    if not owners and builder.checked:  # with no checked repo at all, that is the error to fix first
        problems.append(
            warning(
                "no-database-provider",
                "the design states database changes but no checked repo provides 'database'; "
                "check the repo that owns the schema",
                doc.path,
                doc.db_line or doc.db_changes[0].line,
            )
        )
    tables = sorted({t for c in doc.db_changes for t in c.tables})
    title = "Write the database migration" + (f" ({', '.join(tables)})" if tables else "")
    for name in owners:
        subject = _Subject(
            name,
            "migration",
            "migration",
            f"{name}:migration",
            title,
            {"tables": ", ".join(tables)},
            doc.db_changes[0].line,
        )
        builder.migration[name] = builder.add(subject)


def _domain_tasks(builder: _Builder, order: list[str]) -> None:
    seen: set[str] = set()
    for t in builder.doc.domain_types:
        if t.name in seen:
            continue
        seen.add(t.name)
        owner = domain_owner(t.language, order, builder.config)
        if owner is None:
            continue  # no checked repo of that language: the type stays context
        subject = _Subject(
            owner,
            "domain",
            "domain",
            f"{owner}:domain:{t.name}",
            f"Define {t.name} ({t.language})",
            {"type": t.name, "language": t.language},
            t.line,
        )
        last = builder.add(subject)
        if len(t.name) >= 3:  # 'Id' would be named by everything
            builder.types.setdefault(owner, []).append((_squash(t.name), last))


def _api_subjects(doc: DesignDoc) -> list[tuple[str, str, str, int, dict[str, str]]]:
    """(kind, subject, shown, line, placeholders) of each endpoint and method, the last mention of each."""
    apis: list[tuple[str, str, str, int, dict[str, str]]] = []
    for e in dict((e.subject, e) for e in reversed(doc.endpoints)).values():
        values = {"method": e.method, "path": e.path, "endpoint": e.subject}
        apis.append(("rest", f"{e.method}:{e.path}", f"{e.method} {e.path}", e.line, values))
    for r in dict((r.subject, r) for r in reversed(doc.rpcs)).values():
        values = {"rpc": r.subject, "service": r.service or "", "name": r.name}
        apis.append(("grpc", r.subject, f"rpc {r.subject}", r.line, values))
    return apis


def _api_tasks(builder: _Builder, surfaces: _Surfaces, problems: list[Diagnostic]) -> None:
    apis = _api_subjects(builder.doc)
    for kind, subject, shown, line, values in apis:
        uses = _squash(shown)
        provided: list[str] = []
        for name in surfaces.provides(kind):
            base = f"{name}:{kind}:{subject}"
            s = _Subject(name, kind, f"{kind}_provide", base, f"Implement {shown}", values, line, uses=uses)  # type: ignore[arg-type]
            provided.append(builder.add(s))
        for name in surfaces.consumes(kind):
            base = f"{name}:{kind}:{subject}"
            s = _Subject(name, kind, f"{kind}_consume", base, f"Call {shown}", values, line, uses=uses)  # type: ignore[arg-type]
            builder.add(s, tuple(provided))
    if apis and builder.checked and not any(surfaces.provides(k) or surfaces.consumes(k) for k in {a[0] for a in apis}):
        problems.append(
            warning(
                "api-unplanned",
                "the design states endpoints or methods but no checked repo provides or consumes them; "
                "check the repos that implement and call them",
                builder.doc.path,
                apis[0][3],
            )
        )


def _file_tasks(builder: _Builder, problems: list[Diagnostic]) -> None:
    doc, config, checked = builder.doc, builder.config, builder.checked
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
        subject = _Subject(
            owner,
            "file",
            "file",
            f"{owner}:file:{kf.path}",
            kf.description or f"Change {kf.path}",
            {"file": kf.path, "description": kf.description or f"Change {kf.path}"},
            kf.line,
            files=(kf.path,),
            uses=_squash(f"{kf.path} {kf.description}"),
        )
        builder.add(subject)


def _change_tasks(builder: _Builder) -> None:
    """A checked repo from which nothing else follows gets one task from its change text."""
    for name, item in builder.checked.items():
        if builder.drafts.get(name):
            continue
        change = item.change or builder.doc.feature
        subject = _Subject(
            name, "change", "change", f"{name}:change", f"{name}: {change}", {"change": change}, item.line
        )
        builder.add(subject)
