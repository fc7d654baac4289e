"""An output folder replaced as a whole, and drift between what is on disk and what would be written."""

from __future__ import annotations

import ctypes
import difflib
import fcntl
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from planner.files import OutputError, read_inside, read_regular, special_kind
from planner.jsonio import parse_json

__all__ = [
    "BUILD_MARKER",
    "check_out",
    "file_diff",
    "lock_path",
    "output_lock",
    "read_text",
    "replace_tree",
    "special_entries",
    "tree_diff",
    "tree_texts",
]

# index.json of a build carries this, so `build --out` only ever replaces a folder that a build wrote.
BUILD_MARKER = "planner-build-index"


def read_text(path: Path) -> str | None:
    """A regular text file (UTF-8, LF), or None when it is absent, unreadable, or not a regular file."""
    return read_regular(path)


def lock_path(out: Path) -> Path:
    """The lock file beside an output folder that serialises builds of it."""
    return out.parent / f".{out.name}.planner-lock"


def _acquire(path: Path, on_wait: Callable[[Path], None] | None) -> int:
    """An open, exclusively locked descriptor of the lock file at path (created, never through a symlink)."""
    waited = False
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None and not waited:
                on_wait(path)
            waited = True
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        try:
            same = os.fstat(fd).st_ino == os.stat(path, follow_symlinks=False).st_ino
        except OSError:
            same = False
        if same:
            return fd
        os.close(fd)  # the holder removed the file as we waited: lock the one that is there now


@contextmanager
def output_lock(out: Path, on_wait: Callable[[Path], None] | None = None) -> Iterator[Path]:
    """Hold the build lock of out (flock on a file beside it); a second build waits, calling on_wait once.

    The lock dies with its process, so a killed build never leaves it held. The file is removed on release.
    """
    path = lock_path(out)
    try:
        fd = _acquire(path, on_wait)
    except OSError as exc:
        raise OutputError(f"cannot lock {path} ({exc.strerror}); check that its folder is writable") from exc
    try:
        yield path
    finally:
        # Unlinked while still locked: a waiter that then gets the lock sees it is stale and retries.
        Path(path).unlink(missing_ok=True)
        os.close(fd)


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


def _existing(out: Path) -> dict[str, str | None]:
    """Relative path -> None for each regular file below out, else what it is ('a symlink', 'a FIFO', ...);
    symlinked folders are listed, never entered."""
    found: dict[str, str | None] = {}
    if out.is_symlink() or not out.is_dir():
        return found
    for folder, dirs, names in os.walk(out):
        for name in (*dirs, *names):
            full = Path(folder, name)
            try:
                mode = os.lstat(full).st_mode
            except OSError:
                continue
            if not stat.S_ISDIR(mode):
                found[full.relative_to(out).as_posix()] = special_kind(mode)
    return found


def tree_texts(out: Path) -> dict[str, str]:
    """The regular files below a folder as relative path -> text (none when it is absent)."""
    # The same reading rules as tree_diff: regular files only, no symlink followed, nothing outside out.
    return {rel: text for rel, kind in _existing(out).items() if kind is None and (text := read_inside(out, rel))}


def special_entries(out: Path) -> dict[str, str]:
    """What below a folder is not a regular file (relative path -> 'a symlink', 'a FIFO', ...): never read."""
    return {rel: kind for rel, kind in _existing(out).items() if kind is not None}


def tree_diff(out: Path, files: Mapping[str, str]) -> str:
    """Unified diffs turning the folder out into exactly files (relative path -> text), sorted by path.

    Only regular files are read (without following symlinks): anything else in the tree shows as to be
    removed, by name, never by content.
    """
    existing = _existing(out)
    label = out.as_posix().rstrip("/")
    parts: list[str] = []
    for rel in sorted(set(existing) | set(files)):
        kind = existing.get(rel)
        if kind is not None:
            parts.append(f"--- a/{label.lstrip('/')}/{rel} ({kind}, not read)\n+++ /dev/null\n")
            if rel not in files:
                continue
        old = read_inside(out, rel) if rel in existing and kind is None else None
        parts.append(file_diff(f"{label}/{rel}", old, files.get(rel)))
    return "".join(parts)


def check_out(out: Path, *, writing: bool = True) -> None:
    """Refuse an output folder that is a symlink, not a folder, or (writing) in a missing or read-only folder;
    the same rules for `build --check`, which only reads."""
    if out.is_symlink():
        raise OutputError(f"{out} is a symlink; give a real folder for --out")
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} is not a folder; give a folder for --out")
    if not writing:
        return
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
    text = read_inside(out, "index.json")
    try:
        return text is not None and parse_json(text).get("kind") == BUILD_MARKER
    except (ValueError, AttributeError):
        return False


def replace_tree(
    out: Path,
    files: Mapping[str, str],
    *,
    before_swap: Callable[[Path], None] | None = None,
    locked: bool = False,
) -> None:
    """Make the folder out hold exactly files: built beside it, then swapped in, so readers (and a run
    killed at any point) see the old tree or the new one, never a mix. Takes the build lock unless the
    caller holds it (`locked`): under it no other live run owns a staging folder, so any left is stale."""
    if not locked:
        check_out(out)
        with output_lock(out):
            replace_tree(out, files, before_swap=before_swap, locked=True)
        return
    check_out(out)
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
