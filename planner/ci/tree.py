"""An output folder replaced as a whole, and drift between what is on disk and what would be written."""

from __future__ import annotations

import ctypes
import difflib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from planner.files import OutputError

__all__ = ["BUILD_MARKER", "file_diff", "read_text", "replace_tree", "tree_diff", "tree_texts"]

# index.json of a build carries this, so `build --out` only ever replaces a folder that a build wrote.
BUILD_MARKER = "planner-build-index"


def read_text(path: Path) -> str | None:
    """A text file as written by planner (UTF-8, LF), or None when it is absent or unreadable."""
    try:
        return path.read_bytes().decode("utf-8", "replace").replace("\r\n", "\n")
    except OSError:
        return None


def file_diff(label: str, old: str | None, new: str | None) -> str:
    """A unified diff from old to new text (None: the file is absent); empty when they are equal."""
    if old == new:
        return ""
    before = (old or "").splitlines(keepends=True)
    after = (new or "").splitlines(keepends=True)
    lines = difflib.unified_diff(
        before,
        after,
        fromfile="/dev/null" if old is None else f"a/{label.lstrip('/')}",
        tofile="/dev/null" if new is None else f"b/{label.lstrip('/')}",
    )
    # A last line without a newline would glue the next file's header onto it.
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def _existing_files(out: Path) -> dict[str, Path]:
    if not out.is_dir():
        return {}
    return {p.relative_to(out).as_posix(): p for p in sorted(out.rglob("*")) if p.is_file()}


def tree_texts(out: Path) -> dict[str, str]:
    """The files below a folder as relative path -> text (none when it is absent)."""
    return {rel: text for rel, p in _existing_files(out).items() if (text := read_text(p)) is not None}


def tree_diff(out: Path, files: Mapping[str, str]) -> str:
    """Unified diffs turning the folder out into exactly files (relative path -> text), sorted by path."""
    existing = _existing_files(out)
    label = out.as_posix().rstrip("/")
    parts = [
        file_diff(f"{label}/{rel}", read_text(existing[rel]) if rel in existing else None, files.get(rel))
        for rel in sorted(set(existing) | set(files))
    ]
    return "".join(parts)


def _check_out(out: Path) -> None:
    if out.is_symlink():
        raise OutputError(f"{out} is a symlink; give a real folder for --out")
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} is not a folder; give a folder for --out")
    parent = out.parent
    if not parent.is_dir():
        raise OutputError(f"folder {parent} does not exist; create it first")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"{parent} is not writable; check its permissions")
    if out.is_dir() and any(out.iterdir()) and not _is_build(out):
        raise OutputError(
            f"{out} holds files that planner build did not write (no build index.json); "
            "give a new or empty folder for --out"
        )


def _is_build(out: Path) -> bool:
    text = read_text(out / "index.json")
    try:
        return text is not None and json.loads(text).get("kind") == BUILD_MARKER
    except (ValueError, AttributeError):
        return False


def replace_tree(out: Path, files: Mapping[str, str], *, before_swap: Callable[[Path], None] | None = None) -> None:
    """Make the folder out hold exactly files: built beside it, then swapped in, so readers (and a run
    killed at any point) see the old tree or the new one, never a mix."""
    _check_out(out)
    _recover(out)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.planner-new-", dir=out.parent))
    try:
        for rel, text in sorted(files.items()):
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            # No per-file write_atomic here: nobody sees the staging folder before the swap, which is
            # the atomic step; a temp file and an fsync per file would only slow a big build down.
            with open(target, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        staging.chmod(0o777 & ~_umask())
        if before_swap is not None:
            before_swap(staging)
        if not out.exists():
            os.rename(staging, out)
            return
        if _exchange(staging, out):
            shutil.rmtree(staging, ignore_errors=True)
            return
        # No atomic exchange here: park the old tree under a fixed name that the next run restores.
        parked = out.parent / f".{out.name}.planner-old"
        shutil.rmtree(parked, ignore_errors=True)
        os.rename(out, parked)
        os.rename(staging, out)
        shutil.rmtree(parked, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _recover(out: Path) -> None:
    """Undo what an interrupted run left: a parked old tree without its replacement, stale staging folders."""
    parked = out.parent / f".{out.name}.planner-old"
    if parked.is_dir() and not out.exists():
        os.rename(parked, out)
    for stale in out.parent.glob(f".{out.name}.planner-new-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    return bool(renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
