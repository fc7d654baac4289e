"""What a build did: each design's outcome and counts, and the output tree (shared by build and summary)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from planner.diagnostics import Diagnostic, Severity, sort_diagnostics

__all__ = ["FAILED", "GONE", "PLANNED", "SKIPPED", "Build", "DesignReport", "Outcome"]

Outcome = Literal["planned", "skipped: not approved", "failed: errors", "gone: design missing"]
PLANNED: Outcome = "planned"
SKIPPED: Outcome = "skipped: not approved"
FAILED: Outcome = "failed: errors"
GONE: Outcome = "gone: design missing"


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
    # A design that failed, is no longer approved or is gone keeps the folder an earlier build wrote for
    # it, so nobody's ticked boxes and notes are lost.
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
    # Folders of the previous tree that `prune` dropped, sorted.
    pruned: tuple[str, ...] = ()
    # Findings about the previous tree itself (an index entry that was not trusted).
    problems: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(d.outcome == FAILED for d in self.designs)

    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return sort_diagnostics([*self.problems, *(d for report in self.designs for d in report.diagnostics)])

    def count(self, outcome: Outcome) -> int:
        return sum(d.outcome == outcome for d in self.designs)

    @property
    def kept(self) -> int:
        return sum(d.kept_previous for d in self.designs)
