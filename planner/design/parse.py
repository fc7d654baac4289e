"""parse_design: normalised design text to a `DesignDoc` and its diagnostics."""

from __future__ import annotations

import re
from pathlib import Path

from planner.design.markdown import LINE, inline, parse_blocks
from planner.design.model import DesignDoc
from planner.design.reader import Reader
from planner.design.rules import LEFTOVER_HINT, feature_of, may_leave
from planner.design.sections import read_tokens
from planner.design.structure import (
    CANONICAL,
    READ_SECTIONS,
    SECTION_TITLES,
    find_sections,
    outside_canonical,
    plain_text,
    section_key,
    shown,
)
from planner.diagnostics import Diagnostic

__all__ = [
    "parse_design",
]

# A heading line that may name API Changes / Database Changes (a hint only: the parse decides).
_CANONICAL_HINTS = (
    re.compile(r"^ {0,3}#{1,6}[ \t].*\bapi changes?\b", re.IGNORECASE | re.MULTILINE),
    re.compile(r"^ {0,3}#{1,6}[ \t].*\b(?:database|db) changes?\b", re.IGNORECASE | re.MULTILINE),
)


def parse_design(text: str, path: str, *, full: bool = False) -> tuple[DesignDoc, tuple[Diagnostic, ...]]:
    """Parse normalised design text; every finding carries its source line.

    Only the parts the reader uses are parsed (planner.design.sections); `full=True` parses everything,
    which gives the same result and is how the tests prove it.
    """
    # Without API Changes or Database Changes the change is read from the whole design, so it is parsed
    # whole; the fast path is tried only when headings that may name both are there.
    fast = not full and all(hint.search(text) for hint in _CANONICAL_HINTS)
    if full:
        tokens = parse_blocks(text, reference=True)
    elif fast:
        tokens = read_tokens(text, section_key, READ_SECTIONS, LEFTOVER_HINT, may_leave)
    else:
        tokens = parse_blocks(text)
    reader = Reader(path, full)
    sections, first_sub = find_sections(tokens)
    whole = any(key not in sections for key in CANONICAL)
    if whole and fast:  # the hint was only text (a heading in a code block): read it all
        tokens = parse_blocks(text)
        sections, first_sub = find_sections(tokens)
    outside = outside_canonical(tokens) if whole else []
    for section in sections.values():
        for line in section.again:
            reader.warning(
                "duplicate-section",
                f"section '{SECTION_TITLES[section.key]}' is written twice (lines {section.line} and {line}); "
                "both are read as one: merge them into one section",
                line,
            )

    title_token = next((t for t in tokens if t["type"] == "heading" and t["attrs"]["level"] == 1), None)
    title = plain_text(inline(title_token["text"])).strip() if title_token else None
    feature = feature_of(title) if title else ""
    if not feature:
        feature = Path(path).stem
        reader.warning("no-title", f"no '# Feature Design' title; the plan uses '{feature}'", 1)

    fields = reader.header(tokens, first_sub)
    status, status_line = fields.get("status", (None, 1))
    status_section = sections.get("status")
    if status is None and status_section is not None:
        status_line = status_section.line
        for token in status_section.tokens:
            if token["type"] in ("paragraph", "block_text"):
                status = shown(token["text"].split("\n", 1)[0]).strip() or None
                status_line = token[LINE]
                break

    repos_section = sections.get("repos")
    repos = reader.repos(repos_section) if repos_section else ()
    key_files = reader.key_files(sections["key_files"]) if "key_files" in sections else ()
    api = sections.get("api")
    endpoints, rpcs = reader.api((t, "") for t in api.tokens) if api else reader.api(outside, outside=True)
    db_section = sections.get("database")
    db_changes = reader.database(db_section) if db_section else reader.schema_outside(outside)
    domain = reader.domain(sections["domain"]) if "domain" in sections else ()
    questions = reader.questions(sections["questions"]) if "questions" in sections else ()
    reader.leftovers(tokens)

    doc = DesignDoc(
        path=path,
        title=title,
        feature=feature,
        date=fields.get("date", (None, 0))[0],
        status=status,
        status_line=status_line,
        branch=fields.get("branch", (None, 0))[0],
        line_count=text.count("\n"),
        repos=repos,
        repos_line=repos_section.line if repos_section else None,
        key_files=key_files,
        endpoints=endpoints,
        rpcs=rpcs,
        db_changes=db_changes,
        db_line=db_section.line if db_section else None,
        domain_types=domain,
        questions=questions,
        sections=tuple(sorted(sections)),
        anchor_line=sections["solution"].line if "solution" in sections else 1,
        id=fields.get("id", (None, 0))[0] or None,
    )
    return doc, tuple(reader.diagnostics)
