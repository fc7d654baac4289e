"""A design's Affected Repositories resolved through the config: canonical names, or diagnostics."""

from __future__ import annotations

from planner.config import Config
from planner.design import DesignDoc, RepoItem
from planner.diagnostics import Diagnostic, error

__all__ = ["resolve_repos", "unknown_repo"]


def resolve_repos(doc: DesignDoc, config: Config) -> tuple[dict[str, RepoItem], list[Diagnostic]]:
    """Checked repos by canonical name; unknown names, repeats and an empty selection as diagnostics."""
    problems: list[Diagnostic] = []
    seen: dict[str, RepoItem] = {}
    checked: dict[str, RepoItem] = {}
    for item in doc.repos:
        name = config.resolve(item.name)
        if name is None:
            if item.checked:
                problems.append(
                    error("unknown-repo", unknown_repo(item.name, config, "repos.toml"), doc.path, item.line)
                )
            continue
        if name in seen:
            problems.append(
                error(
                    "duplicate-repo",
                    f"repo '{name}' is listed twice (first at line {seen[name].line}); keep one line for it",
                    doc.path,
                    item.line,
                )
            )
            if item.checked:
                # Still counted as checked, so the error is not followed by a misleading "no repo checked".
                checked.setdefault(name, RepoItem(name, True, item.change, item.line))
            continue
        seen[name] = item
        if item.checked:
            checked[name] = RepoItem(name, True, item.change, item.line)
    if not checked and not any(d.code == "unknown-repo" for d in problems):
        if doc.repos_line is None:
            problems.append(
                error(
                    "no-repos",
                    "no 'Affected Repositories' section; add one with a '- [x] repo - change' line per repo "
                    f"(configured repos: {', '.join(sorted(config.repos))})",
                    doc.path,
                    doc.anchor_line,
                )
            )
        else:
            problems.append(
                error(
                    "no-repos",
                    "no repository is checked under Affected Repositories; tick '[x]' for each repo that changes "
                    f"(configured repos: {', '.join(sorted(config.repos))})",
                    doc.path,
                    doc.repos_line,
                )
            )
    return checked, problems


def unknown_repo(name: str, config: Config, where: str) -> str:
    hint = config.suggest(name)
    known = ", ".join(sorted(config.repos))
    if hint:
        return f"unknown repo '{name}'; did you mean '{hint}'? (known: {known})"
    return f"unknown repo '{name}'; add it to {where} or use one of: {known}"
