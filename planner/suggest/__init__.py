"""`planner suggest`: propose the Affected Repositories and Key Files a design lacks, each with its evidence."""

from __future__ import annotations

from planner.suggest.core import DEFAULT_MIN_EVIDENCE, suggest_doc, suggest_text
from planner.suggest.model import REPORT, Evidence, KeyFileSuggestion, Note, RepoSuggestion, Suggestion, Unresolved

__all__ = [
    "DEFAULT_MIN_EVIDENCE",
    "REPORT",
    "Evidence",
    "KeyFileSuggestion",
    "Note",
    "RepoSuggestion",
    "Suggestion",
    "Unresolved",
    "suggest_doc",
    "suggest_text",
]
