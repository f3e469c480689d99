"""Atomic file writes (a temp file beside the target, then a rename) and what keeps them honest when they fail.

A temp file never outlives the process that made it: a failed write removes it, any still open at
interpreter exit are removed by an atexit hook, and `terminate_as_interrupt()` turns SIGTERM and
SIGHUP into an exception so the same clean-up runs when a command is stopped. Only SIGKILL or a
power cut can leave one behind; `sweep_temp_files` removes those once they are old.

A write that fails becomes one line saying where, why and the fix (`storage_error`), whether the
cause came as an OSError or as a SQLite error about the same disk.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import os
import signal
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

from skill.errors import StorageError

MODE = 0o644
"""Everything written through here is public (prompts, exports, the feed, Alexa's certificates): readable by a
web server running as another user. The temp file itself is 0600 (mkstemp) until it is complete.
A caller keeping something private passes mode=0o600."""

TEMP_SUFFIX = ".tmp"
STOP_SIGNALS = tuple(s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s)

_live: set[Path] = set()  # temp files being written now, removed at exit if still there
_live_lock = threading.Lock()


def atomic_write(path: Path, write: Callable[[Path], object], *, mode: int = MODE) -> None:
    """Call `write(temp_path)` on a temp file beside `path`, then rename it over `path`.

    Readers (a player, the feed, GET /audio/) see the old file or the whole new one, never half;
    a failure (an exception, Ctrl-C, or SIGTERM under terminate_as_interrupt) removes the temp
    file and re-raises.
    """
    with _signals_held():  # a stop signal between creating the file and tracking it would orphan it
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
        tmp = Path(name)
        with _live_lock:
            _live.add(tmp)
    try:
        os.close(fd)
        write(tmp)
        tmp.chmod(mode)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    finally:
        with _live_lock:
            _live.discard(tmp)


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = MODE) -> None:
    """Write `data` to `path` atomically (see atomic_write)."""
    atomic_write(path, lambda tmp: tmp.write_bytes(data), mode=mode)


def sweep_temp_files(directory: Path, *, older_than: float) -> int:
    """Remove temp files of atomic_write in `directory` left `older_than` seconds ago or more (by a killed process).

    Younger ones may belong to a write in progress in another process and are left alone.
    Returns how many were removed.
    """
    cutoff = time.time() - older_than
    removed = 0
    for tmp in directory.glob(f".*{TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            if tmp.is_file() and tmp.stat().st_mtime < cutoff:
                tmp.unlink()
                removed += 1
    return removed


@atexit.register
def _remove_live_temp_files() -> None:
    with _live_lock:
        left = list(_live)
        _live.clear()
    for tmp in left:
        with contextlib.suppress(OSError):
            tmp.unlink()


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold back Ctrl-C and the stop signals for a few instructions (delivered right after)."""
    held = {signal.SIGINT, *STOP_SIGNALS}
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


# --- stopping a command cleanly ----------------------------------------------------------------


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised like Ctrl-C's KeyboardInterrupt so `finally` blocks and temp-file clean-up run."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_status(interrupt: KeyboardInterrupt) -> int:
    """The shell's status for a command stopped by a signal: 128 + the signal (130 for Ctrl-C, 143 for SIGTERM)."""
    return 128 + (interrupt.signum if isinstance(interrupt, Terminated) else int(signal.SIGINT))


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise Terminated in the main thread instead of killing the process.

    The default action of SIGTERM ends the process at once, skipping `finally` and atexit, so
    a temp file being written would stay. Outside the main thread this does nothing (only the main
    thread may set handlers); the previous handlers come back on exit.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Terminated(signum)

    previous = {s: signal.signal(s, stop) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


# --- saying why a write failed -----------------------------------------------------------------

_REASONS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on device", "free space or {elsewhere}"),
    errno.EDQUOT: ("disk quota exceeded", "free space or {elsewhere}"),
    errno.EROFS: ("read-only file system", "remount it read-write or {elsewhere}"),
    errno.EACCES: ("permission denied", "make it writable for this user or {elsewhere}"),
    errno.EPERM: ("operation not permitted", "make it writable for this user or {elsewhere}"),
}
_SQLITE_ERRNO = {sqlite3.SQLITE_FULL: errno.ENOSPC, sqlite3.SQLITE_PERM: errno.EACCES}


def storage_error(place: str, path: Path, exc: BaseException, *, elsewhere: str) -> StorageError:
    """One line for a failed write under `path`: "<place> <path>: <why>; <the fix>".

    The cause is read from the exception (an OSError's errno, a SQLite result code, or either
    wrapped by a library) and, when that says too little ("disk I/O error"), from the file system
    itself: read-only, no free blocks or inodes, not writable. `elsewhere` is the other way out,
    e.g. "set BANDCOACH_AUDIO_DIR to another disk".
    """
    code = cause_errno(exc, path)
    if code in _REASONS:
        reason, fix = _REASONS[code]
    else:
        reason, fix = _first_line(exc), "check the disk or {elsewhere}"
    return StorageError(place, path, reason, fix.format(elsewhere=elsewhere), code)


def cause_errno(exc: BaseException, path: Path) -> int | None:
    """The errno behind a failed write: from the exception chain, else probed on the file system of `path`."""
    found: int | None = None
    seen: BaseException | None = exc
    while seen is not None and found is None:
        if isinstance(seen, OSError) and seen.errno:
            found = seen.errno
        elif isinstance(seen, sqlite3.Error):
            found = _SQLITE_ERRNO.get((getattr(seen, "sqlite_errorcode", 0) or 0) & 0xFF)
        seen = seen.__cause__ or seen.__context__
    if found in _REASONS:
        return found
    return _probe(path) or found


def _probe(path: Path) -> int | None:
    """Why nothing can be written under `path`, asked of the file system: EROFS, ENOSPC, EACCES or None."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.is_file():
        existing = existing.parent
    try:
        fs = os.statvfs(existing)
    except OSError:
        return None
    if fs.f_flag & os.ST_RDONLY:
        return errno.EROFS
    if fs.f_blocks and (fs.f_bavail == 0 or (fs.f_files and fs.f_favail == 0)):
        return errno.ENOSPC
    if not os.access(existing, os.W_OK):
        return errno.EACCES
    return None


def _first_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
