"""Writing output files: atomically (temp file + rename), never through a surprise symlink; reading back
only regular files, never a device, FIFO or socket (which could hang or stream anything)."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from planner.errors import PlannerError

__all__ = [
    "GENERATED_MARKER",
    "OutputError",
    "check_output_path",
    "is_generated",
    "read_at_most",
    "read_inside",
    "read_regular",
    "special_kind",
    "write_atomic",
    "write_new",
]

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC
# O_NONBLOCK: opening a FIFO for reading must not wait for a writer; fstat then refuses it.
_FILE_FLAGS = os.O_RDONLY | os.O_NONBLOCK | _CLOEXEC


def special_kind(mode: int) -> str | None:
    """What a file that is neither a regular file nor a folder is ('a FIFO', ...); None for those two."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    kinds = {stat.S_ISLNK: "a symlink", stat.S_ISFIFO: "a FIFO", stat.S_ISSOCK: "a socket"}
    kinds.update({stat.S_ISCHR: "a character device", stat.S_ISBLK: "a block device"})
    return next((name for test, name in kinds.items() if test(mode)), "not a regular file")


def _read_fd(fd: int) -> str | None:
    """The text of an open file when it is a regular file (UTF-8, LF); None otherwise."""
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        data = handle.read()
    return data.decode("utf-8", "replace").replace("\r\n", "\n")


def read_at_most(path: Path, limit: int) -> bytes:
    """Up to `limit` bytes of a file or pipe, in chunks (one read(limit) would allocate the whole limit up
    front). Opened without blocking, then read blocking: a FIFO no one writes to reads as empty instead of
    waiting forever, while a pipe with a writer (`<(cmd)`) is read as it streams."""
    chunks: list[bytes] = []
    total = 0
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | _CLOEXEC)
    os.set_blocking(fd, True)
    with os.fdopen(fd, "rb") as handle:
        while total < limit:
            chunk = handle.read(min(1 << 20, limit - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    return b"".join(chunks)


def read_regular(path: Path, *, follow: bool = True) -> str | None:
    """A regular file's text, or None when it is absent, unreadable, or a device, FIFO or socket (or, with
    follow=False, a symlink); never blocks."""
    try:
        fd = os.open(path, _FILE_FLAGS | (0 if follow else os.O_NOFOLLOW))
    except (OSError, ValueError):  # ValueError: a NUL byte in the path
        return None
    try:
        return _read_fd(fd)
    except OSError:
        return None


def read_inside(root: Path, rel: str) -> str | None:
    """A regular file at rel below the folder root, reached without following any symlink (root's own
    included) and without leaving root; None for anything else."""
    parts = PurePosixPath(rel).parts
    if not parts or "\0" in rel or any(p in ("/", ".", "..") for p in parts):
        return None
    fds: list[int] = []
    try:
        fds.append(os.open(root, _DIR_FLAGS))
        for part in parts[:-1]:
            fds.append(os.open(part, _DIR_FLAGS, dir_fd=fds[-1]))
        fd = os.open(parts[-1], _FILE_FLAGS | os.O_NOFOLLOW, dir_fd=fds[-1])
        return _read_fd(fd)
    except (OSError, ValueError):
        return None
    finally:
        for opened in fds:
            os.close(opened)


class OutputError(PlannerError):
    """The output path cannot be written; the message says why and how to fix it."""


def check_output_path(path: Path, *, force: bool = False, inputs: Mapping[str, str | Path] | None = None) -> None:
    """Refuse, before any work is written, a path that is a folder, a symlink, in a missing folder, or one
    of the inputs (role -> path, e.g. "design doc" -> the design): writing there would destroy it."""
    for role, source in (inputs or {}).items():
        if _same_file(path, source):
            raise OutputError(
                f"{path} is the {role} {source}; give another --output (planner never writes over its input)"
            )
    if path.is_symlink() and not force:
        raise OutputError(f"{path} is a symlink; refusing to follow it (pass --force to write through it)")
    if path.is_dir():
        raise OutputError(f"{path} is a directory; give a file path")
    try:
        kind = special_kind(path.stat().st_mode)
    except (OSError, ValueError):
        kind = None  # absent (or a dangling symlink, refused above unless forced): a new file is made
    if kind is not None:
        # Writing would hang on a FIFO, or replace /dev/null itself when run as root.
        raise OutputError(f"{path} is {kind}, not a regular file; give a file path")
    parent = path.parent if str(path.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        # Also what stops root, whom permission bits do not: nothing can be created under a file.
        raise OutputError(f"{parent} is not a folder; give a path in a folder")
    if not parent.is_dir():
        raise OutputError(f"folder {parent} does not exist; create it first")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise OutputError(f"{path} is not writable; check its permissions")


def _same_file(path: Path, source: str | Path) -> bool:
    try:
        return path.exists() and os.path.samefile(path, source)
    except (OSError, ValueError):
        return False


def write_atomic(path: Path, text: str, *, force: bool = False, inputs: Mapping[str, str | Path] | None = None) -> None:
    """Write text (UTF-8, LF) so that readers see the old file or the new one, never a part."""
    check_output_path(path, force=force, inputs=inputs)
    target = path.resolve() if force and path.is_symlink() else path
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_new(path: Path, text: str) -> None:
    """Write text to a path that must not exist yet, complete or not at all (never over a file made meanwhile)."""
    check_output_path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        # A hard link, unlike a rename, fails when the target exists: the check and the write are one step.
        os.link(tmp, path)
    except FileExistsError:
        raise OutputError(f"{path} already exists; give another --output (planner never overwrites a design)") from None
    finally:
        Path(tmp).unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# The first line of every Markdown file planner writes, so that searching a folder for designs
# never takes planner's own plans or indexes for designs.
GENERATED_MARKER = "<!-- generated by planner: tick boxes and write in Notes; the rest is regenerated -->"


def is_generated(path: Path) -> bool:
    """Whether a Markdown file is one planner wrote (it starts with GENERATED_MARKER)."""
    try:
        # Without blocking, and never from a pipe: a FIFO would wait for a writer forever, and the bytes
        # read from a pipe would be gone for the design read after.
        with os.fdopen(os.open(path, _FILE_FLAGS), "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return False
            head = handle.read(len(GENERATED_MARKER.encode()) + 3)
    except (OSError, ValueError):
        return False
    return head.removeprefix(b"\xef\xbb\xbf").startswith(GENERATED_MARKER.encode())
