"""Atomic file writes: a temp file beside the target, made world-readable, then renamed over it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

MODE = 0o644  # mkstemp's 0600 would hide the file from a web server running as another user


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call `write(temp_path)` on a temp file beside `path`, then rename it over `path`.

    Readers (a player, the feed, GET /audio/) see the old file or the whole new one, never half;
    a failure removes the temp file and re-raises.
    """
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        tmp.chmod(MODE)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically (see atomic_write)."""
    atomic_write(path, lambda tmp: tmp.write_bytes(data))
