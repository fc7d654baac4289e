"""Checks a valid-shaped config still has to pass: dependencies that exist, unique names, no cycles."""

from __future__ import annotations

import re

from planner.config.lines import LineIndex
from planner.config.model import Config
from planner.config.paths import path_diagnostics
from planner.diagnostics import Diagnostic, error
from planner.graph import find_cycles, format_cycle

__all__ = ["REPO_NAME", "semantic_diagnostics"]

# Task ids are `<repo>:<kind>[:<n>]`, so a repo named `api:file` would share ids with repo `api`;
# tracker markers, uuids and labels need plain names too.
REPO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
PROJECT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*/[1-9][0-9]*$")
REPO_NAME_RULE = "letters, digits, '.', '_' and '-', starting with a letter or digit"

# Past this many, listing every known repo in a message would drown the actual problem.
_MAX_LISTED_NAMES = 10


def semantic_diagnostics(config: Config, lines: LineIndex) -> list[Diagnostic]:
    path = config.path
    found: list[Diagnostic] = []
    names = list(config.repos)

    found.extend(_name_diagnostics(config, lines))
    project = config.trackers.github.project
    if project is not None and not PROJECT.match(project):
        found.append(
            error(
                "config-project",
                f'[trackers.github] project = {project!r} is not "OWNER/NUMBER"; write it like '
                'project = "octo-org/5" (the number in the project\'s URL)',
                path,
                lines.line(("trackers", "github", "project")),
            )
        )
    for name, repo in config.repos.items():
        if all(dep in config.repos and dep != name for dep in repo.depends_on):
            continue  # the common case: no line lookup needed
        dep_line = lines.line(("repos", name, "depends_on"))
        for dep in repo.depends_on:
            if dep == name or (dep not in config.repos and config.resolve(dep) == name):
                found.append(
                    error(
                        "config-self-dependency",
                        f"repo {name!r} depends on itself ({dep!r}); remove it from depends_on",
                        path,
                        dep_line,
                    )
                )
            elif dep not in config.repos:
                found.append(
                    error(
                        "config-unknown-dependency",
                        f"repo {name!r}: depends_on names unknown repo {dep!r}; {_unknown_hint(config, dep, names)}",
                        path,
                        dep_line,
                    )
                )

    found.extend(_collision_diagnostics(config, lines))
    found.extend(path_diagnostics(config, lines))

    for cycle in find_cycles(config.graph):
        if len(cycle) < 2:
            continue  # a self-loop is already reported as config-self-dependency
        # Graph edges run upstream -> downstream; reversed, the cycle reads like the depends_on lists.
        depends_cycle = [cycle[0], *reversed(cycle[1:])]
        found.append(
            error(
                "config-cycle",
                f"dependency cycle: {format_cycle(depends_cycle)} (each repo depends on the next); remove "
                f"one of these depends_on entries so the repos can be ordered",
                path,
                lines.line(("repos", cycle[0], "depends_on")),
            )
        )
    return found


def _name_diagnostics(config: Config, lines: LineIndex) -> list[Diagnostic]:
    return [
        error(
            "config-repo-name",
            f"repo name {name!r} may hold only {REPO_NAME_RULE}; rename the [repos.<name>] table "
            "(keep the old spelling under aliases if designs use it)",
            config.path,
            lines.line(("repos", name)),
        )
        for name in config.repos
        if not REPO_NAME.match(name)
    ]


def _unknown_hint(config: Config, dep: str, names: list[str]) -> str:
    canonical = config.resolve(dep)
    if canonical is not None:
        return f"did you mean {canonical!r}? depends_on takes canonical repo names, not aliases"
    close = config.suggest(dep)
    if close is not None:
        return f"did you mean {close!r}?"
    if len(names) <= _MAX_LISTED_NAMES:
        return f"use one of: {', '.join(names)}"
    return "add a [repos.<name>] table for it or fix the name"


def _collision_diagnostics(config: Config, lines: LineIndex) -> list[Diagnostic]:
    path = config.path
    # Lower-cased spelling -> (repo, spelling, is_name) in name order; names before aliases within a repo.
    owners: dict[str, list[tuple[str, str, bool]]] = {}
    for name, repo_config in config.repos.items():
        owners.setdefault(name.lower(), []).append((name, name, True))
        for alias in repo_config.aliases:
            owners.setdefault(alias.lower(), []).append((name, alias, False))

    found: list[Diagnostic] = []
    for claims in owners.values():
        if len({repo for repo, _, _ in claims}) < 2:
            continue  # repeating one's own name as an alias is harmless
        # Blame the aliases, not the names: a name is the identity, an alias is the optional extra.
        first_repo, first_spelling, first_is_name = min(claims, key=lambda c: (not c[2], c[0]))
        first_desc = (
            f"the name of repo {first_repo!r}" if first_is_name else f"alias {first_spelling!r} of repo {first_repo!r}"
        )
        for repo, spelling, is_name in claims:
            if repo == first_repo:
                continue
            if is_name:
                found.append(
                    error(
                        "config-alias-collision",
                        f"repo names {first_spelling!r} and {spelling!r} differ only in case; rename one, "
                        f"names must be unique case-insensitively",
                        path,
                        lines.line(("repos", repo)),
                    )
                )
            else:
                found.append(
                    error(
                        "config-alias-collision",
                        f"alias {spelling!r} of repo {repo!r} collides with {first_desc} "
                        f"(case-insensitively); rename or remove one of them",
                        path,
                        lines.line(("repos", repo, "aliases")),
                    )
                )
    return found
