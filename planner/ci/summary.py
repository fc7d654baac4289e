"""A build as Markdown for people: the index table, and the summary a GitHub Actions job shows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from planner.render.markdown import code, inline

if TYPE_CHECKING:
    from planner.ci.outcome import Build, DesignReport

__all__ = ["STEP_SUMMARY_LIMIT", "design_table", "step_summary"]

# GitHub refuses a step summary over 1 MiB; stay clear of it with room for whatever else the job writes.
STEP_SUMMARY_LIMIT = 1_000_000


def _row(d: DesignReport, link: bool) -> str:
    feature = inline(d.feature or "-")
    if link and d.directory:
        feature = f"[{feature}](<{d.directory}/plan.md>)"
    outcome = d.outcome + (" (previous plan kept)" if d.kept_previous else "")
    # A `|` ends a table cell even inside a code span (GFM); escaped, GitHub shows it as written.
    path = code(d.path).replace("|", "\\|")
    cells = [path, feature, inline(d.status or "-"), outcome, d.repos, d.tasks, d.errors, d.warnings]
    return "| " + " | ".join(str(c) for c in cells) + " |"


def design_table(designs: Sequence[DesignReport], *, link: bool) -> list[str]:
    """A Markdown table of the designs in the order given (the build sorts them by path)."""
    return [
        "| Design | Feature | Status | Outcome | Repos | Tasks | Errors | Warnings |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: |",
        *(_row(d, link) for d in designs),
    ]


def step_summary(build: Build, *, drift: int | None = None, limit: int = STEP_SUMMARY_LIMIT) -> str:
    """The job summary: totals, the table, and each failed design's errors; cut to fit `limit` bytes.

    `drift` is the number of stale files for `build --check` (None for a build that writes).
    """
    planned, skipped, failed = (build.count(o) for o in ("planned", "skipped: not approved", "failed: errors"))
    head = [
        "## planner build",
        "",
        f"{len(build.designs)} design docs: {planned} planned, {skipped} skipped (not approved), {failed} failed.",
    ]
    if drift is not None:
        head.append("")
        head.append(
            f"{drift} file(s) on disk are out of date: run `planner build` and commit the result."
            if drift
            else "The plans on disk are up to date."
        )
    head.append("")
    rows = design_table(build.designs, link=False)
    problems = [
        f"- {code(f'{d.path}:{x.line}')}: {inline(x.message)} ({x.code})"
        for d in build.designs
        if d.outcome == "failed: errors"
        for x in d.diagnostics
        if x.severity.value == "error"
    ]
    tail = ["", "### Errors", "", *problems] if problems else []
    lines = [*head, *rows, *tail]
    text = "\n".join(lines) + "\n"
    if len(text.encode("utf-8")) <= limit:
        return text
    # Too big: keep whole lines from the top, then say how much was left out.
    kept: list[str] = []
    size = 0
    budget = limit - 200
    for line in lines:
        size += len(line.encode("utf-8")) + 1
        if size > budget:
            break
        kept.append(line)
    left = len(lines) - len(kept)
    kept += ["", f"... {left} more lines left out to stay under GitHub's 1 MiB summary limit; see index.md."]
    return "\n".join(kept) + "\n"
