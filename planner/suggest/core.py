"""A design and the repo config in, a `Suggestion` out: repos with evidence, key files, unresolved paths, notes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from planner.config import Config
from planner.config.paths import prefix_owner, prefix_table
from planner.design import DesignDoc, RepoItem, parse_design
from planner.design.rules import clip
from planner.diagnostics import Diagnostic
from planner.graph import plan_order
from planner.plan import build_plan
from planner.suggest.mentions import Mention, file_like, mentions
from planner.suggest.model import (
    Evidence,
    EvidenceKind,
    KeyFileSuggestion,
    Note,
    RepoSuggestion,
    Suggestion,
    Unresolved,
)

__all__ = ["DEFAULT_MIN_EVIDENCE", "suggest_doc", "suggest_text"]

# Chosen by measurement on the paired real designs (tools/corpus_suggest.py; docs/suggest.md has the scores).
DEFAULT_MIN_EVIDENCE = 1


def suggest_text(
    text: str, path: str, config: Config, *, min_evidence: int = DEFAULT_MIN_EVIDENCE
) -> tuple[Suggestion, DesignDoc]:
    """Suggest for normalised design text (see planner.design.decode_design); pure, no I/O."""
    doc, problems = parse_design(text, path)
    return suggest_doc(doc, problems, text, config, min_evidence=min_evidence), doc


def suggest_doc(
    doc: DesignDoc,
    problems: Sequence[Diagnostic],
    text: str,
    config: Config,
    *,
    min_evidence: int = DEFAULT_MIN_EVIDENCE,
) -> Suggestion:
    """Suggest for a design already parsed from `text` (with the diagnostics its parse gave)."""
    path = doc.path
    # What a context section (Current State, Alternatives, Out of Scope, ...) says is not the change.
    found = [m for m in mentions(text) if not m.context]
    evidence = _evidence(found, doc, config)
    kept = {name: items for name, items in evidence.items() if _enough(items, min_evidence)}
    order = plan_order(config.graph, kept).order
    repos = tuple(RepoSuggestion(name=name, evidence=kept[name]) for name in order)
    key_files, unresolved, existing = _key_files(found, config, order)
    notes = _notes(doc, problems, config, order, existing)
    return Suggestion(path=path, repos=repos, key_files=key_files, unresolved=unresolved, notes=notes)


def _name_pattern(config: Config) -> re.Pattern[str]:
    spellings = sorted(
        {s for name, repo in config.repos.items() for s in (name, *repo.aliases)}, key=lambda s: (-len(s), s)
    )
    # A word: not part of a longer name (`sdk-rust-ffi`), a path (`sdk-rust/src`, `.dev`) or a call (`server.run`).
    return re.compile(r"(?<![\w./-])(" + "|".join(map(re.escape, spellings)) + r")(?![\w/-]|\.\w)", re.IGNORECASE)


def _evidence(found: Sequence[Mention], doc: DesignDoc, config: Config) -> dict[str, tuple[Evidence, ...]]:
    """Each repo's evidence, deduplicated and sorted by line, kind, text."""
    pattern = _name_pattern(config)
    prefixes = prefix_table(config)
    items: dict[str, set[tuple[int, EvidenceKind, str]]] = {}
    for mention in found:
        if mention.kind == "prose":
            for m in pattern.finditer(mention.text):
                name = config.resolve(m.group(1))
                if name is not None:
                    said: EvidenceKind = "name" if m.group(1).lower() == name.lower() else "alias"
                    items.setdefault(name, set()).add((mention.line, said, m.group(1)))
        if mention.kind in ("prose", "link"):
            for m in _REPO_REF.finditer(mention.text):
                name = m.group(1) or m.group(2)
                if name in config.repos:
                    items.setdefault(name, set()).add((mention.line, "link", m.group(0)))
        if mention.kind == "path":
            owner, kind = _path_owner(mention.text, config, prefixes)
            if owner is not None:
                items.setdefault(owner, set()).add((mention.line, kind, mention.text))
    for name, line, text in _surfaces(doc, config):
        items.setdefault(name, set()).add((line, "surface", text))
    return {
        name: tuple(Evidence(line=line, kind=kind, text=text) for line, kind, text in sorted(found))
        for name, found in items.items()
    }


# A repository reference: a URL `https://host/owner/NAME...` (GitHub, GitLab, Gitea, ...) or an issue
# reference `owner/NAME#12`; NAME must be a configured repo's name (an alias names no repository).
_REPO_REF = re.compile(
    r"(?:\bhttps?://[^/\s]+/[\w.-]+/([\w.-]+?)(?:\.git)?(?=[/#?\s)\],;]|\.(?:\s|\Z)|\Z)|(?<![\w./-])[\w.-]+/([\w.-]+)#\d+)"
)


def _bare_word(item: Evidence) -> bool:
    """An alias of letters only (`server`, `web`): a word any design may use without meaning the repo."""
    return item.kind == "alias" and item.text.isalpha()


def _enough(evidence: Sequence[Evidence], min_evidence: int) -> bool:
    """At least `min_evidence` pieces, and one of them more than a bare-word alias (which needs corroboration)."""
    return len(evidence) >= min_evidence and not all(_bare_word(e) for e in evidence)


def _path_owner(path: str, config: Config, prefixes: dict[str, str]) -> tuple[str | None, EvidenceKind]:
    """The repo a path names by its first segment (a repo name), else by a configured prefix."""
    first = path.split("/", 1)[0]
    if first in config.repos:
        return first, "path"
    return prefix_owner(path, prefixes), "prefix"


def _surfaces(doc: DesignDoc, config: Config) -> Iterable[tuple[str, int, str]]:
    """The repos that provide what the design changes, as the planner reads it: the API and database
    sections, or (without them) the endpoint, rpc and schema lines outside the context sections."""
    changes = [
        *(("rest", e.line, e.subject) for e in doc.endpoints),
        *(("grpc", r.line, f"rpc {r.subject}") for r in doc.rpcs),
        *(("database", c.line, _statement_head(c.text)) for c in doc.db_changes),
    ]
    for surface, line, text in changes:
        for name, repo in config.repos.items():
            if surface in repo.provides:
                yield name, line, text


def _statement_head(statement: str) -> str:
    """What a schema statement changes, without its column list: `CREATE TABLE schedule`."""
    return clip(statement.split("\n", 1)[0].split("(", 1)[0], 60)


def _key_files(
    found: Sequence[Mention], config: Config, order: Sequence[str]
) -> tuple[tuple[KeyFileSuggestion, ...], tuple[Unresolved, ...], tuple[Note, ...]]:
    """Each named file mapped to exactly one suggested repo, or listed as unresolved with its candidates;
    a file named as existing code is neither, but a note."""
    prefixes = prefix_table(config)
    rank = {name: i for i, name in enumerate(order)}
    files: dict[tuple[str, str], int] = {}
    unresolved: dict[str, Unresolved] = {}
    existing: dict[str, Note] = {}
    pointers = _existing_code_lines(found)
    for mention in found:
        if mention.kind != "path" or not file_like(mention.text):
            continue
        if mention.line in pointers:
            existing.setdefault(mention.text, _existing_note(mention, pointers[mention.line]))
            continue
        owner, kind = _path_owner(mention.text, config, prefixes)
        if owner is not None and owner in rank:
            rel = mention.text.split("/", 1)[1] if kind == "path" else mention.text
            files.setdefault((owner, rel), mention.line)
        elif mention.text not in unresolved:
            # Not guessed: a repo that is not suggested, or no repo name or prefix (then any suggested repo).
            candidates = (owner,) if owner is not None else tuple(order)
            unresolved[mention.text] = Unresolved(path=mention.text, line=mention.line, candidates=candidates)
    key_files = (
        KeyFileSuggestion(repo=repo, path=path, line=line)
        for (repo, path), line in sorted(files.items(), key=lambda item: (rank[item[0][0]], item[0][1]))
    )
    return (
        tuple(key_files),
        tuple(sorted(unresolved.values(), key=lambda u: (u.line, u.path))),
        tuple(existing.values()),
    )


# Words by which a line points at code that is already there ("uses the existing ...", "already handles",
# "see `x.rs`", "same as", "similar to"): a file named on such a line is an example or the current state,
# not a file the change touches (measured on the real designs: docs/suggest.md).
_EXISTING = re.compile(r"\b(?:existing|already|see|same as|similar to)\b", re.IGNORECASE)


def _existing_code_lines(found: Iterable[Mention]) -> dict[int, str]:
    """The lines whose prose points at existing code, each with the word that says so."""
    words: dict[int, str] = {}
    for mention in found:
        if mention.kind == "prose" and mention.line not in words:
            match = _EXISTING.search(mention.text)
            if match is not None:
                words[mention.line] = match.group(0).lower()
    return words


def _existing_note(mention: Mention, word: str) -> Note:
    return Note(
        line=mention.line,
        code="existing-file",
        message=f"`{mention.text}` is named as existing code ('{word}'), so it is not suggested as a key file; "
        "list it under Key Files if the change touches it",
    )


def _notes(
    doc: DesignDoc, problems: Sequence[Diagnostic], config: Config, repos: Sequence[str], extra: Iterable[Note]
) -> tuple[Note, ...]:
    """What the planner would say about the design once the suggested repos are ticked (when it has no
    Affected Repositories of its own): rejected lines, lines taken from outside a canonical section, a
    Status that is not Approved; with `extra` (suggest's own notes), sorted by line, code, message."""
    if doc.repos_line is None and repos:
        ticked = tuple(RepoItem(name, True, "", doc.anchor_line) for name in repos)
        doc = replace(doc, repos=ticked, repos_line=doc.anchor_line)
    plan = build_plan(doc, config, problems)
    notes = {(d.line, d.code, d.message) for d in plan.diagnostics} | {(n.line, n.code, n.message) for n in extra}
    return tuple(Note(line=line, code=code, message=message) for line, code, message in sorted(notes))
