"""Which headings introduce context rather than the change: one table for the planner and `suggest`."""

from __future__ import annotations

import re

__all__ = ["CONTEXT_SECTIONS", "is_context_heading"]

# A section under one of these headings describes what exists, why, or what is left for later, so the
# API lines and schema statements in it are not part of the change. Each entry is matched against the
# normalised heading's leading words (numbering, emphasis and case removed; a plural "s" optional), so
# "Current State Analysis", "2. Alternatives Considered" and "Existing APIs" all match.
CONTEXT_SECTIONS: tuple[str, ...] = (
    "current state",
    "background",
    "existing",
    "motivation",
    "appendix",
    "appendices",
    "reference",
    "future work",
    "out of scope",
    "non-goal",
    "alternative",
    "related work",
)

_NUMBERING = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[ivx]+\.|[a-z]\.)\s+")
_WORDS = (r"[\s_-]+".join(map(re.escape, re.split(r"[ -]", name))) for name in CONTEXT_SECTIONS)
_CONTEXT = re.compile(r"^(?:" + "|".join(_WORDS) + r")(?:e?s)?\b")


def is_context_heading(text: str) -> bool:
    """True when a heading's text names a context section (see CONTEXT_SECTIONS)."""
    text = re.sub(r"[*_`#]", " ", text).strip().lower()
    text = re.sub(r"\s+", " ", _NUMBERING.sub("", text))
    return _CONTEXT.match(text) is not None
