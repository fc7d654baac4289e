"""`planner build`: plan every approved design of a batch into one output tree, with an index of all of them."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from planner import __version__
from planner.ci.batch import collisions, feature_slug, output_text
from planner.ci.outcome import FAILED, GONE, PLANNED, SKIPPED, Build, DesignReport, Outcome
from planner.ci.parallel import ordered_map
from planner.ci.paths import relative_to, seen_from
from planner.ci.provenance import GitProbe, with_provenance
from planner.ci.summary import design_table
from planner.ci.tree import BUILD_MARKER
from planner.config import Config
from planner.design import MAX_DESIGN_BYTES
from planner.diagnostics import Diagnostic, Severity, displayable, sort_diagnostics, warning
from planner.files import GENERATED_MARKER, read_inside
from planner.jsonio import json_text, parse_json
from planner.plan import Plan

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
# One folder per planned design holds these three files.
PLAN_FILES = {"plan.md": "markdown", "plan.json": "json", "graph.mmd": "mermaid"}
# A folder name read back from an index must be one feature_slug could have made: one plain name, so
# nothing in an edited index.json can point a read or a write outside the output tree.
_FOLDER = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def plan_files(plan: Plan, previous: Path | None, folder: str | None = None) -> dict[str, str]:
    """A planned design's three files, carrying over the progress and git state of a previous folder
    (`previous / folder`, read without following symlinks; `previous` itself when no folder is given)."""
    files: dict[str, str] = {}
    for name, fmt in PLAN_FILES.items():
        if previous is None:
            old = None
        else:
            old = read_inside(previous, f"{folder}/{name}") if folder else read_inside(previous, name)
        files[name] = output_text(plan, fmt, old)
    return files


@dataclass(frozen=True)
class _Previous:
    """What the tree being replaced says: design path -> its folder and feature, only trusted folder names."""

    root: Path | None
    folders: Mapping[str, str]
    features: Mapping[str, str]
    problems: tuple[Diagnostic, ...]

    def files(self, folder: str) -> dict[str, str]:
        """The plan files of one of its folders that are regular files."""
        if self.root is None:
            return {}
        found = {name: read_inside(self.root, f"{folder}/{name}") for name in PLAN_FILES}
        return {f"{folder}/{name}": text for name, text in found.items() if text is not None}


def _read_previous(previous: Path | None) -> _Previous:
    text = read_inside(previous, "index.json") if previous is not None else None
    try:
        data = parse_json(text) if text else {}
        entries = [d for d in data.get("designs", []) if isinstance(d, dict) and d.get("directory")]
    except (ValueError, AttributeError, TypeError):
        entries = []
    folders: dict[str, str] = {}
    features: dict[str, str] = {}
    problems: list[Diagnostic] = []
    shown = f"{previous}/index.json"
    # A path listed twice: file names that differ only in bytes that are not UTF-8 show alike (U+FFFD), and its
    # folder would be carried over to both designs; neither is trusted, so each falls back to its feature's.
    shared = {path for path, count in Counter(str(d.get("path")) for d in entries).items() if count > 1}
    for entry in entries:
        path, folder = str(entry.get("path")), entry.get("directory")
        if path in shared:
            continue
        if not isinstance(folder, str) or len(folder) > 80 or not _FOLDER.fullmatch(folder):
            message = f"ignored the folder {folder!r} recorded for {path}: not a plain folder name planner writes"
            problems.append(warning("index-directory", message, shown, 1))
            continue
        folders[path] = folder
        features[path] = str(entry.get("feature") or "")
    return _Previous(previous, folders, features, tuple(problems))


def _source(prev: _Previous, path: str, slug: str, current: AbstractSet[str]) -> str | None:
    """The folder whose progress a planned design carries over: the one the previous index recorded for
    it, else its feature's folder when no design still in the batch owns that one."""
    if path in prev.folders:
        return prev.folders[path]
    owner = next((p for p, f in prev.folders.items() if f == slug), None)
    return slug if owner is None or owner not in current else None


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
    prune: bool = False,
    jobs: int = 1,
    out: Path | None = None,
) -> Build:
    """Plan every design (on `jobs` processes); approved ones get a folder. `previous` is the tree this build
    will replace: the folder of a design that fails, is no longer approved or is gone is kept unless `prune`
    (then listed). Given `out`, the folder the tree goes to, each plan records its paths from its own folder."""
    ordered = sorted(set(paths))
    if probe is not None:
        # One git call per checkout, not per design; made before the workers fork, so they share its answers.
        probe.lookup_many([Path(p) for p in ordered])
    prev = _read_previous(previous)
    # Reported by the path as shown (a file name that is not UTF-8 shows U+FFFD); read by the real one.
    current = frozenset(displayable(p) for p in ordered)
    options = _Options(config, config_path, strict, max_bytes, probe, prev, current, out)
    # Each worker plans and renders: what comes back is texts and counts, never a plan (memory stays flat).
    built = list(ordered_map(partial(_build_one, options=options), ordered, jobs, on_design))
    clashes: dict[str, list[Diagnostic]] = {}
    for found in collisions([(b.path, b.feature, f"{b.slug}/") for b in built if b.files is not None]):
        clashes.setdefault(found.path, []).append(found)

    reports: list[DesignReport] = []
    files: dict[str, str] = {}
    leftovers: list[tuple[DesignReport, bool]] = []  # (report, droppable by prune), kept after all writes
    for one in built:
        if one.skipped:
            # A draft is work in progress: what is wrong with it is for `planner check`, not for the build.
            leftovers.append((one.report(SKIPPED, None, ()), True))
            continue
        clash = clashes.get(one.path, [])
        if one.files is not None and not clash:
            files.update({f"{one.slug}/{name}": text for name, text in one.files.items()})
            reports.append(one.report(PLANNED, one.slug, one.diagnostics))
            continue
        leftovers.append((one.report(FAILED, None, (*one.diagnostics, *clash)), False))
    for path in sorted(set(prev.folders) - current):
        gone = DesignReport(path, prev.features[path], None, GONE, None)
        leftovers.append((gone, True))
    pruned: list[str] = []
    for report, droppable in leftovers:
        folder = prev.folders.get(report.path)
        kept = prev.files(folder) if folder and not any(k.startswith(f"{folder}/") for k in files) else {}
        if kept and prune and droppable:
            pruned.append(folder or "")
            kept = {}
        files.update(kept)
        if kept or report.outcome != GONE:
            reports.append(_kept(report, folder) if kept else report)
    build = Build(tuple(sorted(reports, key=lambda r: r.path)), problems=prev.problems)
    files["index.json"] = index_json(build)
    files["index.md"] = index_markdown(build)
    return Build(build.designs, files, tuple(sorted(pruned)), prev.problems)


@dataclass(frozen=True)
class _Options:
    """What building one design needs beside its path: one value, inherited by each forked worker."""

    config: Config
    config_path: str
    strict: bool
    max_bytes: int
    probe: GitProbe | None
    prev: _Previous
    current: frozenset[str]
    out: Path | None


@dataclass(frozen=True)
class _Built:
    """One design planned, with its folder's files when it planned cleanly: all a build keeps of it."""

    path: str
    feature: str
    status: str | None
    repos: int
    tasks: int
    diagnostics: tuple[Diagnostic, ...]
    slug: str
    # None when the plan does not stand (errors, or not approved).
    files: Mapping[str, str] | None

    @property
    def skipped(self) -> bool:
        return any(d.code == "not-approved" and d.severity is Severity.ERROR for d in self.diagnostics)

    def report(self, outcome: Outcome, directory: str | None, found: Sequence[Diagnostic]) -> DesignReport:
        return DesignReport(
            self.path, self.feature, self.status, outcome, directory, self.repos, self.tasks, tuple(found)
        )


def _build_one(path: str, options: _Options) -> _Built:
    """Plan one design and, when it stands, render its folder's files (run in a worker)."""
    from planner.plan import plan_design

    plan = plan_design(path, options.config, strict=options.strict, max_bytes=options.max_bytes)
    shown = plan.design.path
    slug = feature_slug(plan.design.feature, Path(shown).stem)
    return _Built(
        path=shown,
        feature=plan.design.feature,
        status=plan.design.status,
        repos=len(plan.repos),
        tasks=sum(len(r.tasks) for r in plan.repos),
        diagnostics=plan.diagnostic_values(),
        slug=slug,
        files=_render(plan, path, slug, options) if plan.ok else None,
    )


def _render(plan: Plan, real: str, slug: str, options: _Options) -> dict[str, str]:
    """A planned design's folder: its provenance recorded, progress carried over from the folder it replaces."""
    seen, config_seen = plan, options.config_path
    if options.out is not None:
        # Links and recorded paths from the plan's own folder, OUT/<feature>/ (see planner.ci.paths).
        seen, config_seen = seen_from(plan, options.out / slug), relative_to(options.config.path, options.out / slug)
    shown = with_provenance(seen, Path(real), config_seen, options.config.sha256, options.probe)
    folder = _source(options.prev, plan.design.path, slug, options.current)
    return plan_files(shown, options.prev.root, folder) if folder else plan_files(shown, None)


def _kept(report: DesignReport, folder: str | None) -> DesignReport:
    return DesignReport(
        report.path,
        report.feature,
        report.status,
        report.outcome,
        folder,
        report.repos,
        report.tasks,
        report.diagnostics,
        kept_previous=True,
    )


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
            "gone": build.count(GONE),
            "kept_previous": build.kept,
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
    return json_text(data) + "\n"


def index_markdown(build: Build) -> str:
    """The index for people: a table of every design, linking each plan."""
    lines = [
        GENERATED_MARKER,
        "# Plans",
        "",
        f"Built by planner {__version__} from {len(build.designs)} design docs: "
        f"{build.count(PLANNED)} planned, {build.count(SKIPPED)} skipped (not approved), "
        f"{build.count(FAILED)} failed (errors).{_kept_note(build)}",
        "",
        *design_table(build.designs, link=True),
    ]
    return "\n".join(lines) + "\n"


def _kept_note(build: Build) -> str:
    """Said only when it happened, so an ordinary index reads as before."""
    if not build.kept:
        return ""
    return (
        f" {build.kept} kept the plan folder of an earlier build (failed, no longer approved, or the design "
        "is gone); `planner build --prune` drops those of designs not approved or gone."
    )
