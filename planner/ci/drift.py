"""Drift, explained: which file `--check` finds out of date, and why (design, config, planner version, missing)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from planner.jsonio import parse_json

__all__ = ["Stale", "stale_file", "stale_tree"]


@dataclass(frozen=True)
class Stale:
    """A file on disk that differs from what planner would write now."""

    path: str
    reason: str


def _record(text: str | None) -> dict[str, Any]:
    """What a JSON plan (or a build's index.json) says it was made from: {} when it is not one."""
    try:
        data = parse_json(text) if text else None
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    provenance = data.get("provenance")
    provenance = provenance if isinstance(provenance, dict) else {}
    return {
        "planner version": data.get("planner_version"),
        "design": provenance.get("design_sha256"),
        "config": provenance.get("config_sha256"),
    }


def _reason(old: str | None, new: str | None, old_record: str | None, new_record: str | None) -> str:
    if old is None:
        return "missing: not written yet"
    if new is None:
        return "no longer planned: its design was removed, renamed or is not Approved any more"
    before, after = _record(old_record), _record(new_record)
    if not before or not after:
        return "the design or config changed since it was written (a JSON plan records which)"
    changed = [what for what in ("design", "config") if before[what] != after[what]]
    if before["planner version"] != after["planner version"]:
        changed.append(f"planner version ({before['planner version']} -> {after['planner version']})")
    if not changed:
        return "edited since it was written (design, config and planner version are unchanged)"
    return " and ".join(changed) + " changed since it was written"


def _index_reason(old_index: str | None, new_index: str | None) -> str:
    before, after = _record(old_index), _record(new_index)
    if before and after and before["planner version"] != after["planner version"]:
        return f"planner version ({before['planner version']} -> {after['planner version']}) changed"
    return "a design it lists was added, removed or re-planned"


def stale_file(path: str, old: str | None, new: str | None, fmt: str) -> Stale | None:
    """One plan file (`plan --check`): None when up to date; a JSON plan explains itself."""
    if old == new:
        return None
    json_plan = fmt == "json"
    return Stale(path, _reason(old, new, old if json_plan else None, new if json_plan else None))


def stale_tree(label: str, existing: Mapping[str, str], files: Mapping[str, str]) -> list[Stale]:
    """The files of a build folder (relative path -> text, on disk and as it would be) that differ, sorted by
    path; a feature folder's plan.md and graph.mmd are explained by the plan.json beside them."""
    found = []
    for rel in sorted(set(existing) | set(files)):
        old, new = existing.get(rel), files.get(rel)
        if old == new:
            continue
        if "/" not in rel and old is not None and new is not None:
            reason = _index_reason(existing.get("index.json"), files.get("index.json"))
        else:
            sibling = str(PurePosixPath(rel).with_name("plan.json"))
            reason = _reason(old, new, existing.get(sibling), files.get(sibling))
        found.append(Stale(f"{label}/{rel}", reason))
    return found
