"""The frozen values a design reads into: `DesignDoc` and its items."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "DbChange",
    "DesignDoc",
    "DomainType",
    "Endpoint",
    "KeyFile",
    "Question",
    "RepoItem",
    "RpcMethod",
    "is_approved",
]


@dataclass(frozen=True)
class RepoItem:
    """One bullet under Affected Repositories, as written."""

    name: str
    checked: bool
    change: str
    line: int


@dataclass(frozen=True)
class KeyFile:
    repo: str
    path: str
    description: str
    line: int


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    body: str | None
    line: int

    @property
    def subject(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class RpcMethod:
    service: str | None
    name: str
    request: str
    response: str
    line: int

    @property
    def subject(self) -> str:
        return f"{self.service}.{self.name}" if self.service else self.name


@dataclass(frozen=True)
class DbChange:
    """A SQL statement (with the tables and columns it touches) or a bullet item."""

    text: str
    tables: tuple[str, ...]
    columns: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class DomainType:
    name: str
    language: str
    line: int


@dataclass(frozen=True)
class Question:
    text: str
    resolved: bool
    line: int


@dataclass(frozen=True)
class DesignDoc:
    path: str
    title: str | None
    feature: str
    date: str | None
    status: str | None
    status_line: int
    branch: str | None
    line_count: int
    repos: tuple[RepoItem, ...] = ()
    repos_line: int | None = None
    key_files: tuple[KeyFile, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    rpcs: tuple[RpcMethod, ...] = ()
    db_changes: tuple[DbChange, ...] = ()
    db_line: int | None = None
    domain_types: tuple[DomainType, ...] = ()
    questions: tuple[Question, ...] = ()
    sections: tuple[str, ...] = field(default=())
    # Where a missing section is reported: its parent heading (Proposed Solution), else line 1.
    anchor_line: int = 1
    # `**Id:**` in the header: the feature's tracker identity when present, so a retitled design keeps its items.
    id: str | None = None

    @property
    def approved(self) -> bool:
        return is_approved(self.status)

    @property
    def checked_repos(self) -> tuple[RepoItem, ...]:
        return tuple(r for r in self.repos if r.checked)


def is_approved(status: str | None) -> bool:
    """'Approved', 'approved (2026-03-04)', '**APPROVED**' yes; the template's 'Draft | Review | Approved' no."""
    if not status or "|" in status:
        return False
    words = re.findall(r"[a-z]+", status.lower())
    return bool(words) and words[0] == "approved"
