"""`planner build`: plan every approved design of a batch into one output tree, with an index of all of them."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Literal

from planner import __version__
from planner.ci.parallel import ordered_map
from planner.ci.paths import relative_to, seen_from
from planner.ci.progress import carry_over
from planner.ci.provenance import GitProbe, keep_git_state, with_provenance
from planner.ci.summary import design_table
from planner.ci.tree import BUILD_MARKER, read_text
from planner.config import Config
from planner.design import MAX_DESIGN_BYTES
from planner.diagnostics import Diagnostic, Severity, error, sort_diagnostics
from planner.files import GENERATED_MARKER
from planner.plan import Plan, plan_design
from planner.render import render

__all__ = [
    "INDEX_SCHEMA_VERSION",
    "Build",
    "DesignReport",
    "Outcome",
    "build_plans",
    "feature_slug",
    "plan_files",
]

INDEX_SCHEMA_VERSION = 1
Outcome = Literal["planned", "skipped: not approved", "failed: errors"]
PLANNED: Outcome = "planned"
SKIPPED: Outcome = "skipped: not approved"
FAILED: Outcome = "failed: errors"
# One folder per planned design holds these three files.
PLAN_FILES = {"plan.md": "markdown", "plan.json": "json", "graph.mmd": "mermaid"}


@dataclass(frozen=True)
class DesignReport:
    """One design of the batch: what became of it, and its counts."""

    path: str
    feature: str
    status: str | None
    outcome: Outcome
    directory: str | None
    repos: int = 0
    tasks: int = 0
    diagnostics: tuple[Diagnostic, ...] = ()
    # A failed design keeps the folder an earlier build wrote for it, so nobody's ticked boxes are lost.
    kept_previous: bool = False

    @property
    def errors(self) -> int:
        return sum(d.severity is Severity.ERROR for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return sum(d.severity is Severity.WARNING for d in self.diagnostics)


@dataclass(frozen=True)
class Build:
    """The whole output tree (relative path -> text) and the report of every design, sorted by path."""

    designs: tuple[DesignReport, ...]
    files: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(d.outcome == FAILED for d in self.designs)

    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return sort_diagnostics(d for report in self.designs for d in report.diagnostics)

    def count(self, outcome: Outcome) -> int:
        return sum(d.outcome == outcome for d in self.designs)


def feature_slug(feature: str, fallback: str) -> str:
    """A feature's folder name: lower-case ASCII letters and digits joined by '-' ('Workflow Schedules' ->
    'workflow-schedules'); from the file name when the feature has none."""
    for text in (feature, fallback):
        ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
        slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
        if slug:
            return slug[:80].rstrip("-")
    return "design"


def plan_files(plan: Plan, previous: Path | None) -> dict[str, str]:
    """A planned design's three files, carrying over the progress and git state of a previous folder."""
    files: dict[str, str] = {}
    for name, fmt in PLAN_FILES.items():
        old = read_text(previous / name) if previous is not None else None
        if fmt == "json":
            files[name] = render(keep_git_state(plan, old), fmt)
        elif fmt == "markdown":
            files[name] = carry_over(render(plan, fmt), old)
        else:
            files[name] = render(plan, fmt)
    return files


def _previous_folders(previous: Path | None) -> dict[str, str]:
    """Design path -> folder, from the index of the tree being replaced."""
    text = read_text(previous / "index.json") if previous is not None else None
    try:
        data = json.loads(text) if text else {}
        return {
            str(d["path"]): str(d["directory"])
            for d in data.get("designs", [])
            if isinstance(d, dict) and d.get("directory")
        }
    except (ValueError, AttributeError, TypeError, KeyError):
        return {}


def build_plans(
    paths: Sequence[str],
    config: Config,
    *,
    config_path: str,
    previous: Path | None = None,
    strict: bool = False,
    probe: GitProbe | None = None,
    on_design: Callable[[int, int, str], None] | None = None,
    max_bytes: int = MAX_DESIGN_BYTES,
    jobs: int = 1,
    out: Path | None = None,
) -> Build:
    """Plan every design (on `jobs` processes); approved ones get a folder. `previous` is the tree this build will
    replace; given `out`, the folder the tree goes to, each plan records its paths relative to its own folder."""
    ordered = sorted(set(paths))
    if probe is not None:
        probe.lookup_many([Path(p) for p in ordered])  # one git call per checkout, not per design
    before = _previous_folders(previous)
    options = _Options(config, config_path, strict, max_bytes, previous, before, probe, out)
    planned = list(ordered_map(partial(_plan_one, options), ordered, jobs, on_design))

    owners: dict[str, list[str]] = {}
    for one in planned:
        if one.files is not None:
            owners.setdefault(one.slug, []).append(one.path)

    reports: list[DesignReport] = []
    files: dict[str, str] = {}
    for one in planned:
        if one.not_approved:
            # A draft is work in progress: what is wrong with it is for `planner check`, not for the build.
            reports.append(one.report(SKIPPED, None, ()))
            continue
        found = one.diagnostics
        rivals = [p for p in owners.get(one.slug, []) if p != one.path]
        if rivals:
            clash = error(
                "feature-collision",
                f"feature '{one.feature}' of {one.path} and of {', '.join(rivals)} would both be written "
                f"to {one.slug}/; give one design a distinct '# ... Design' title",
                one.path,
                1,
            )
            found = (*found, clash)
        if one.files is not None and not rivals:
            files.update({f"{one.slug}/{name}": text for name, text in one.files.items()})
            reports.append(one.report(PLANNED, one.slug, found))
            continue
        kept = _keep_previous(previous, before.get(one.path), files)
        reports.append(one.report(FAILED, kept, found, kept=kept is not None))
    build = Build(tuple(reports))
    files["index.json"] = index_json(build)
    files["index.md"] = index_markdown(build)
    return Build(build.designs, files)


@dataclass(frozen=True)
class _Options:
    """What planning one design of a build needs beside its path (one value, handed to each worker once)."""

    config: Config
    config_path: str
    strict: bool
    max_bytes: int
    previous: Path | None
    before: Mapping[str, str]
    probe: GitProbe | None
    out: Path | None


@dataclass(frozen=True)
class _Planned:
    """One design planned, with its folder's files when it planned cleanly; what the build keeps of it (no plan)."""

    path: str
    slug: str
    feature: str
    status: str | None
    not_approved: bool
    repos: int
    tasks: int
    diagnostics: tuple[Diagnostic, ...]
    files: Mapping[str, str] | None

    def report(
        self, outcome: Outcome, directory: str | None, found: Sequence[Diagnostic], kept: bool = False
    ) -> DesignReport:
        return DesignReport(
            path=self.path,
            feature=self.feature,
            status=self.status,
            outcome=outcome,
            directory=directory,
            repos=self.repos,
            tasks=self.tasks,
            diagnostics=tuple(found),
            kept_previous=kept,
        )


def _plan_one(options: _Options, path: str) -> _Planned:
    """Plan one design and, when it stands, render its folder (the build drops it if another design claims the
    same folder): the work each process of a build does."""
    plan = plan_design(path, options.config, strict=options.strict, max_bytes=options.max_bytes)
    slug = feature_slug(plan.design.feature, Path(path).stem)
    found = plan.diagnostic_values()
    files = None
    if plan.ok:
        previous = options.previous
        folder = previous / slug if previous is not None else None
        if previous is not None and not (previous / slug / "plan.md").exists() and path in options.before:
            folder = previous / options.before[path]
        seen, config_seen = plan, options.config_path
        if options.out is not None:
            # Links and recorded paths from the plan's own folder, OUT/<feature>/ (see planner.ci.paths).
            seen, config_seen = (
                seen_from(plan, options.out / slug),
                relative_to(options.config.path, options.out / slug),
            )
        shown = with_provenance(seen, Path(path), config_seen, options.config.sha256, options.probe)
        files = plan_files(shown, folder)
    return _Planned(
        path=path,
        slug=slug,
        feature=plan.design.feature,
        status=plan.design.status,
        not_approved=any(d.code == "not-approved" and d.severity is Severity.ERROR for d in found),
        repos=len(plan.repos),
        tasks=sum(len(r.tasks) for r in plan.repos),
        diagnostics=found,
        files=files,
    )


def _keep_previous(previous: Path | None, folder: str | None, files: dict[str, str]) -> str | None:
    if previous is None or folder is None or any(k.startswith(f"{folder}/") for k in files):
        return None
    kept = {name: read_text(previous / folder / name) for name in PLAN_FILES}
    if any(text is None for text in kept.values()):
        return None
    files.update({f"{folder}/{name}": text for name, text in kept.items() if text is not None})
    return folder


def index_json(build: Build) -> str:
    """Every design of the build with its outcome and counts, as JSON."""
    data = {
        "kind": BUILD_MARKER,
        "schema_version": INDEX_SCHEMA_VERSION,
        "planner_version": __version__,
        "totals": {
            "designs": len(build.designs),
            "planned": build.count(PLANNED),
            "skipped": build.count(SKIPPED),
            "failed": build.count(FAILED),
        },
        "designs": [
            {
                "path": d.path,
                "feature": d.feature,
                "status": d.status,
                "outcome": d.outcome,
                "directory": d.directory,
                "kept_previous": d.kept_previous,
                "repos": d.repos,
                "tasks": d.tasks,
                "errors": d.errors,
                "warnings": d.warnings,
                "diagnostics": [
                    {"severity": x.severity.value, "code": x.code, "message": x.message, "line": x.line}
                    for x in sort_diagnostics(d.diagnostics)
                ],
            }
            for d in build.designs
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def index_markdown(build: Build) -> str:
    """The index for people: a table of every design, linking each plan."""
    lines = [
        GENERATED_MARKER,
        "# Plans",
        "",
        f"Built by planner {__version__} from {len(build.designs)} design docs: "
        f"{build.count(PLANNED)} planned, {build.count(SKIPPED)} skipped (not approved), "
        f"{build.count(FAILED)} failed (errors).",
        "",
        *design_table(build.designs, link=True),
    ]
    return "\n".join(lines) + "\n"
