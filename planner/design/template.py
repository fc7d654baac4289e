"""The design template shipped with planner, and a new design made from it."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from importlib.resources import files

__all__ = ["design_template", "new_design"]

# The template's lines that `new_design` fills in; each appears exactly once in template.md (tested).
TITLE_LINE = "# {Feature Name} Design"
DATE_LINE = "**Date:** YYYY-MM-DD"
BRANCH_LINE = "**Branch:** feature/{feature-name}"
REPO_LINE = "- [ ] {repo} - {what changes in it}"


def design_template() -> str:
    """The design template (Markdown), as `planner template` prints it."""
    return files("planner.design").joinpath("template.md").read_text(encoding="utf-8")


def new_design(feature: str, slug: str, repos: Sequence[str], ticked: Collection[str], today: date) -> str:
    """The template for one feature: its title, date and branch filled in, and one Affected Repositories item
    per repo in `repos` (in that order), ticked when in `ticked`; every other placeholder is left for the author."""
    items = "\n".join(f"- [{'x' if r in ticked else ' '}] {r} - {{what changes in {r}}}" for r in repos)
    filled = {
        TITLE_LINE: f"# {feature} Design",
        DATE_LINE: f"**Date:** {today.isoformat()}",
        BRANCH_LINE: f"**Branch:** feature/{slug}",
        REPO_LINE: items,
    }
    return "\n".join(filled.get(line, line) for line in design_template().split("\n"))
