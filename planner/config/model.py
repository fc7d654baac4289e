"""Config models: `config/repos.toml` as frozen pydantic values, with name and alias lookup."""

# No `from __future__ import annotations`: pydantic would compile every field's annotation string at import.
import difflib
from collections.abc import Mapping
from functools import cached_property
from typing import Any, Literal

import networkx as nx
from pydantic import BaseModel, ConfigDict, PrivateAttr, field_validator

from planner.config.templates import Templates
from planner.graph import dependency_graph

__all__ = ["SURFACES", "Config", "GitHubProjectConfig", "RepoConfig", "Surface", "TrackerConfig", "TrackersConfig"]

Surface = Literal["rest", "grpc", "database"]
SURFACES: tuple[Surface, ...] = ("rest", "grpc", "database")


class TrackerConfig(BaseModel):
    """Where a repo's issues live."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    github: str | None = None
    jira: str | None = None
    labels: tuple[str, ...] = ()


class RepoConfig(BaseModel):
    """One repository; `name` is its `[repos.<name>]` table key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str
    language: str
    depends_on: tuple[str, ...] = ()
    provides: tuple[Surface, ...] = ()
    consumes: tuple[Surface, ...] = ()
    verify: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    # Folder prefixes (relative to the repo's root) that a design's paths may start with: `planner suggest`
    # maps `server/src/x.rs` to the repo whose prefix `server/` it starts with (see planner.config.paths).
    paths: tuple[str, ...] = ()
    tracker: TrackerConfig = TrackerConfig()
    # `[repos.<name>.templates]`: per kind, overrides the top-level `[templates]`.
    templates: Templates = Templates()


class GitHubProjectConfig(BaseModel):
    """`[trackers.github]`: the Projects (v2) board every synced issue is added to, as "OWNER/NUMBER"."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    project: str | None = None


class TrackersConfig(BaseModel):
    """`[trackers]`: settings shared by every repo's issues."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    github: GitHubProjectConfig = GitHubProjectConfig()


class Config(BaseModel):
    """The whole config file; `repos` is ordered by name whatever the file order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1]
    repos: Mapping[str, RepoConfig]
    templates: Templates = Templates()
    path: str
    sha256: str
    trackers: TrackersConfig = TrackersConfig()

    # Lower-cased name/alias -> canonical name; private so it stays out of the schema and dumps.
    _index: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("version", mode="before")
    @classmethod
    def _exact_integer_version(cls, value: Any) -> Any:
        # Lax Literal[1] accepts `true` and `1.0`; a version marker should be exactly the integer 1.
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("version must be the integer 1")
        return value

    @field_validator("repos", mode="after")
    @classmethod
    def _sorted_repos(cls, repos: Mapping[str, RepoConfig]) -> dict[str, RepoConfig]:
        return dict(sorted(repos.items()))

    def model_post_init(self, context: Any, /) -> None:
        index: dict[str, str] = {}
        # Names first so a colliding alias can never shadow a real repo name.
        for name in self.repos:
            index.setdefault(name.lower(), name)
        for name, repo in self.repos.items():
            for alias in repo.aliases:
                index.setdefault(alias.lower(), name)
        self._index = index

    # Not a field: pydantic leaves cached properties out of the schema, dumps and equality.
    @cached_property
    def graph(self) -> nx.DiGraph:
        """The repo dependency graph (dependency -> dependent), built on first use and kept for every later one."""
        return dependency_graph({name: repo.depends_on for name, repo in self.repos.items()})

    def resolve(self, name: str) -> str | None:
        """Canonical repo name for a name or alias, case-insensitively; None if unknown."""
        return self._index.get(name.lower())

    def suggest(self, name: str) -> str | None:
        """Canonical name of the closest-looking repo name or alias, for did-you-mean hints."""
        matches = difflib.get_close_matches(name.lower(), list(self._index), n=1)
        return self._index[matches[0]] if matches else None

    def template(self, repo: str, kind: str) -> tuple[str, ...] | None:
        """The template lines for a task kind in a repo: the repo's own, else the top-level ones, else None."""
        own = self.repos[repo].templates.lines(kind)
        return own if own is not None else self.templates.lines(kind)
