"""Crash-safe file replacement: write beside the target, fsync, then rename over it.

A reader sees either the old file or the complete new one, never a half-written file; a write that
fails part-way leaves the old file untouched and removes its temporary file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

TEMP_SUFFIX = ".tmp"
"""Temporary files are named ``.<target name>.<random>.tmp``; archive listings skip them."""

_NEW_FILE_MODE = 0o644


@contextmanager
def atomic_write(path: str | Path, *, sync_dir: bool = True) -> Iterator[BinaryIO]:
    """Open a temporary file to write ``path``'s new content; on success it replaces ``path``.

    On leaving the block without an exception the data is flushed and fsynced, the temporary file
    is renamed over ``path`` (``os.replace``, atomic on POSIX and Windows) and, with
    ``sync_dir``, the directory is fsynced (callers writing many files in one directory may fsync
    it once at the end instead). If the block raises, the temporary file is removed and ``path``
    is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates the file readable by its owner only; give it the usual permissions.
        mode = path.stat().st_mode & 0o777 if path.exists() else _NEW_FILE_MODE
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if sync_dir:
        fsync_dir(path.parent)


def fsync_dir(directory: str | Path) -> None:
    """Make a rename in ``directory`` durable (POSIX only; elsewhere a no-op)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
