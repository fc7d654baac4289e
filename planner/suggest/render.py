"""A suggestion as Markdown: the sections a design lacks (what `--write` inserts) and the full report."""

from __future__ import annotations

from planner.design import DesignDoc
from planner.diagnostics import one_line
from planner.suggest.model import Evidence, Suggestion

__all__ = ["missing_sections", "report_markdown", "sections_markdown"]

# Past this many, a repo's evidence is summarised as "and N more" (the JSON lists all of it).
_SHOWN_EVIDENCE = 3


def missing_sections(doc: DesignDoc, suggestion: Suggestion) -> tuple[str, ...]:
    """The sections to propose: those the design lacks and the suggestion has items for."""
    found: list[str] = []
    if doc.repos_line is None and suggestion.repos:
        found.append("Affected Repositories")
    if "key_files" not in doc.sections and suggestion.key_files:
        found.append("Key Files")
    return tuple(found)


def _evidence(item: Evidence) -> str:
    shown = f'"{item.text}"' if item.kind in ("name", "alias") else f"`{item.text}`"
    return f"line {item.line} {shown}"


def _section_lines(suggestion: Suggestion, section: str) -> list[str]:
    if section == "Affected Repositories":
        lines = []
        for repo in suggestion.repos:
            shown = ", ".join(_evidence(e) for e in repo.evidence[:_SHOWN_EVIDENCE])
            more = len(repo.evidence) - _SHOWN_EVIDENCE
            lines.append(f"- [ ] {repo.name} - suggested: {shown}" + (f", and {more} more" if more > 0 else ""))
        return lines
    return [f"- [ ] `{k.repo}/{k.path}` - line {k.line}" for k in suggestion.key_files]


def sections_markdown(suggestion: Suggestion, sections: tuple[str, ...]) -> list[str]:
    """The lines of the given sections, unticked, each section a `##` heading, a blank line and its list."""
    lines: list[str] = []
    for section in sections:
        lines += [f"## {section}", "", *_section_lines(suggestion, section), ""]
    return lines


def report_markdown(doc: DesignDoc, suggestion: Suggestion) -> str:
    """Everything `suggest` found for one design: the proposed sections, unresolved paths and notes."""
    sections = missing_sections(doc, suggestion)
    lines = [f"# Suggestions for {suggestion.path}", ""]
    if not sections:
        lines += ["Nothing to add: the design has its sections, or there is no evidence for any.", ""]
    lines += sections_markdown(suggestion, sections)
    if suggestion.unresolved:
        lines += ["## Unresolved", ""]
        suggested = {r.name for r in suggestion.repos}
        for u in suggestion.unresolved:
            if u.candidates and u.candidates[0] not in suggested:
                where = f"in {u.candidates[0]}, which is not suggested"
            elif u.candidates:
                where = f"names no repo or configured prefix; could be in {', '.join(u.candidates)}"
            else:
                where = "names no repo or configured prefix, and no repo is suggested"
            lines.append(f"- `{u.path}` (line {u.line}): {where}")
        lines.append("")
    if suggestion.notes:
        lines += ["## Notes", ""]
        # one_line: a message quotes the design, whose text must not start a line of its own here.
        lines += [f"- line {n.line} [{n.code}]: {one_line(n.message)}" for n in suggestion.notes]
        lines.append("")
    return "\n".join(lines)
