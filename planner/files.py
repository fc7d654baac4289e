"""Writing output files: atomically (temp file + rename), never through a surprise symlink."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

__all__ = ["OutputError", "check_output_path", "write_atomic"]


class OutputError(Exception):
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


def write_atomic(
    path: Path, text: str, *, force: bool = False, inputs: Mapping[str, str | Path] | None = None
) -> None:
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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
