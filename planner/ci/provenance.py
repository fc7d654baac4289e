"""Provenance: the hashes, version and git commit a JSON plan records, and `verify` against them."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from planner.errors import PlannerError
from planner.jsonio import parse_json
from planner.plan import Plan, Provenance

__all__ = [
    "GitInfo",
    "GitProbe",
    "PlanFileError",
    "VerifyEntry",
    "VerifyReport",
    "find_checkout",
    "keep_git_state",
    "sha256_file",
    "verify_plan",
    "with_provenance",
]

# Long enough for a cold cache on a big checkout, short enough that a hung git never stalls a CI job.
GIT_TIMEOUT_SECONDS = 5.0
# Design paths per `git status` call: far below any command-line length limit.
_PATHSPECS_PER_CALL = 500


_REDIRECTING = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
        "GIT_PREFIX",
    }
)


@dataclass(frozen=True)
class GitInfo:
    commit: str
    dirty: bool


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a regular file's bytes; OSError when it cannot be read or is a device, FIFO or socket
    (opened without blocking, so a FIFO never hangs)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except ValueError as exc:  # a NUL byte in the path
        raise OSError(f"not a usable path ({exc})") from exc
    digest = hashlib.sha256()
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(f"{path} is not a regular file")
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def find_checkout(path: Path) -> Path | None:
    """The work tree holding path: the nearest folder upward with a `.git` (folder, or file for worktrees)."""
    start = path.resolve().parent
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


class GitProbe:
    """Asks git (locally, read-only, with a timeout) for HEAD and dirtiness; any failure means "not in git"."""

    def __init__(self, env: Mapping[str, str], *, git: str = "git", timeout: float = GIT_TIMEOUT_SECONDS) -> None:
        # GIT_DIR & co. (set inside hooks) would point git at another repository than the design's.
        self._env = {k: v for k, v in env.items() if k not in _REDIRECTING}
        # Never take index.lock: a concurrent `git commit` must not fail because a plan was being made.
        self._env["GIT_OPTIONAL_LOCKS"] = "0"
        self._git = git
        self._timeout = timeout
        self._heads: dict[Path, str | None] = {}
        self._dirty: dict[Path, dict[str, bool]] = {}

    def lookup(self, path: Path) -> GitInfo | None:
        """HEAD of the checkout holding path and whether path differs from it; None outside git."""
        return self.lookup_many([path])[path]

    def lookup_many(self, paths: Sequence[Path]) -> dict[Path, GitInfo | None]:
        """Like lookup, with one `git status` per checkout (per thousand files) for the whole batch."""
        by_root: dict[Path, list[tuple[Path, str]]] = {}
        found: dict[Path, GitInfo | None] = {}
        for path in paths:
            root = find_checkout(path)
            if root is None:
                found[path] = None
                continue
            try:
                rel = path.resolve().relative_to(root.resolve()).as_posix()
            except ValueError:
                found[path] = None
                continue
            by_root.setdefault(root, []).append((path, rel))
        for root, members in by_root.items():
            head = self._head(root)
            dirty = self._dirty_files(root, [rel for _, rel in members]) if head else {}
            for path, rel in members:
                state = dirty.get(rel)
                found[path] = GitInfo(head, state) if head is not None and state is not None else None
        return found

    def _run(self, root: Path, *args: str) -> str | None:
        try:
            done = subprocess.run(
                # Literal pathspecs: a design named `[org].md` is a file name, not a glob.
                [self._git, "--literal-pathspecs", *args],
                cwd=root,
                env=self._env,
                capture_output=True,
                timeout=self._timeout,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        if done.returncode != 0:
            return None
        return done.stdout.decode("utf-8", "surrogateescape")

    def _head(self, root: Path) -> str | None:
        if root not in self._heads:
            out = self._run(root, "rev-parse", "--verify", "--quiet", "HEAD")
            self._heads[root] = out.strip() if out and out.strip() else None
        return self._heads[root]

    def _dirty_files(self, root: Path, rels: list[str]) -> dict[str, bool]:
        """rel -> whether git reports it (modified, staged, untracked or ignored); absent when git failed."""
        known = self._dirty.setdefault(root, {})
        missing = sorted({rel for rel in rels if rel not in known})
        for start in range(0, len(missing), _PATHSPECS_PER_CALL):
            chunk = missing[start : start + _PATHSPECS_PER_CALL]
            out = self._run(
                root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignored=matching", "--", *chunk
            )
            if out is None:
                continue
            listed = _listed(out)
            known.update({rel: _covered(rel, listed) for rel in chunk})
        return {rel: known[rel] for rel in rels if rel in known}


def _listed(porcelain: str) -> frozenset[str]:
    """The paths of `git status --porcelain=v1 -z` output (a rename's source path skipped)."""
    listed: set[str] = set()
    fields = iter(porcelain.split("\0"))
    for entry in fields:
        if len(entry) < 4:
            continue
        listed.add(entry[3:])
        if "R" in entry[:2] or "C" in entry[:2]:
            next(fields, None)
    return frozenset(listed)


def _covered(rel: str, changed: frozenset[str]) -> bool:
    """A file is dirty when git lists it, or lists a folder above it (untracked or ignored as a whole)."""
    if rel in changed:
        return True
    parts = rel.split("/")
    return any("/".join(parts[:i]) + "/" in changed for i in range(1, len(parts)))


def with_provenance(plan: Plan, design: Path, config_path: str, config_sha256: str, probe: GitProbe | None) -> Plan:
    """The plan with its provenance filled in; the plan is returned unchanged when the design is unreadable."""
    try:
        design_sha = sha256_file(design)
    except OSError:
        return plan
    git = probe.lookup(design) if probe is not None else None
    provenance = Provenance(
        design_sha256=design_sha,
        config_path=config_path,
        config_sha256=config_sha256,
        git_commit=git.commit if git else None,
        git_dirty=git.dirty if git else None,
    )
    return plan.model_copy(update={"provenance": provenance})


def keep_git_state(plan: Plan, previous_json: str | None) -> Plan:
    """Keep the git fields of a previous JSON plan made from the same bytes.

    Without this, a committed plan would drift on every commit (HEAD moves) though nothing it says changed.
    """
    if plan.provenance is None or not previous_json:
        return plan
    try:
        old = parse_json(previous_json).get("provenance") or {}
    except (ValueError, AttributeError):
        return plan
    if not isinstance(old, dict):
        return plan
    same = (
        old.get("design_sha256") == plan.provenance.design_sha256
        and old.get("config_sha256") == plan.provenance.config_sha256
    )
    commit, dirty = old.get("git_commit"), old.get("git_dirty")
    if not same or not isinstance(commit, str) or not isinstance(dirty, bool):
        return plan
    kept = plan.provenance.model_copy(update={"git_commit": commit, "git_dirty": dirty})
    return plan.model_copy(update={"provenance": kept})


VerifyState = Literal["unchanged", "changed", "missing"]


@dataclass(frozen=True)
class VerifyEntry:
    role: Literal["design", "config"]
    path: str
    state: VerifyState
    recorded: str
    actual: str | None


@dataclass(frozen=True)
class VerifyReport:
    entries: tuple[VerifyEntry, ...]

    @property
    def missing(self) -> bool:
        return any(e.state == "missing" for e in self.entries)

    @property
    def changed(self) -> bool:
        return any(e.state == "changed" for e in self.entries)


class PlanFileError(PlannerError, ValueError):
    """The plan file is not a JSON plan with provenance; the message says what to do."""


def verify_plan(text: str, base: Path) -> VerifyReport:
    """Re-hash the design and config a JSON plan names (relative paths from base) against its record."""
    try:
        data = parse_json(text)
    except ValueError as exc:
        raise PlanFileError(f"not JSON ({exc}); give a plan written by `planner plan --format json`") from exc
    provenance = data.get("provenance") if isinstance(data, dict) else None
    design = data.get("design") if isinstance(data, dict) else None
    if not isinstance(provenance, dict) or not isinstance(design, dict):
        raise PlanFileError(
            "no provenance in this plan; regenerate it with `planner plan --format json` (planner 0.1.0 or later)"
        )
    try:
        record = Provenance.model_validate(provenance)
        design_path = str(design["path"])
    except (ValueError, KeyError) as exc:
        raise PlanFileError(f"the plan's provenance is malformed ({exc}); regenerate the plan") from exc
    if "\0" in design_path or "\0" in record.config_path:
        raise PlanFileError("the plan records a path with a NUL byte, which no file has; regenerate the plan")
    entries = (
        _entry("design", design_path, record.design_sha256, base),
        _entry("config", record.config_path, record.config_sha256, base),
    )
    return VerifyReport(entries)


def _entry(role: Literal["design", "config"], shown: str, recorded: str, base: Path) -> VerifyEntry:
    try:
        actual = sha256_file(base / shown)
    except OSError:
        return VerifyEntry(role, shown, "missing", recorded, None)
    return VerifyEntry(role, shown, "unchanged" if actual == recorded else "changed", recorded, actual)
