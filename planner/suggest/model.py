"""What `planner suggest` finds in one design: frozen pydantic values whose JSON schema `--schema` prints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter

__all__ = [
    "REPORT",
    "Evidence",
    "EvidenceKind",
    "KeyFileSuggestion",
    "Note",
    "RepoSuggestion",
    "Suggestion",
    "Unresolved",
]

# name / alias: the repo's name / one of its aliases as a word in prose (an alias of letters only needs
# another kind beside it); path: a path that starts with the repo's name; prefix: a path that starts with
# one of the repo's configured `paths`; surface: an API or database change the repo `provides` (rest,
# grpc, database), from the design's sections or a line elsewhere; link: a URL or issue reference into
# the repo (`https://host/owner/NAME`, `owner/NAME#12`).
EvidenceKind = Literal["name", "alias", "path", "prefix", "surface", "link"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)


class Evidence(_Frozen):
    line: int
    kind: EvidenceKind
    text: str


class RepoSuggestion(_Frozen):
    """A repo the design gives evidence for; evidence sorted by line, kind, text."""

    name: str
    evidence: tuple[Evidence, ...]


class KeyFileSuggestion(_Frozen):
    repo: str
    path: str
    line: int


class Unresolved(_Frozen):
    """A file path that maps to no suggested repo, or to several (`candidates`, in plan order)."""

    path: str
    line: int
    candidates: tuple[str, ...]


class Note(_Frozen):
    line: int
    code: str
    message: str


class Suggestion(_Frozen):
    """One design's suggestion: repos in plan order, key files by repo (plan order) then path,
    unresolved paths and notes by line."""

    path: str
    repos: tuple[RepoSuggestion, ...] = ()
    key_files: tuple[KeyFileSuggestion, ...] = ()
    unresolved: tuple[Unresolved, ...] = ()
    notes: tuple[Note, ...] = ()


# `planner suggest --format json` prints a list of these, one per design, in the order the designs were given.
REPORT: TypeAdapter[list[Suggestion]] = TypeAdapter(list[Suggestion])
