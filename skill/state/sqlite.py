"""The embedded state backend: one SQLite file in WAL mode, forward migrations, one transaction per update."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from skill.progression import SessionRecord
from skill.state.codec import decode_state, encode_in_progress, encode_pain, encode_session, session_from_values
from skill.state.decoded import DEFAULT_BUDGET, DecodedStates, Stamp
from skill.state.model import InProgress, StateError, Store, UserState

logger = logging.getLogger(__name__)
T = TypeVar("T")

BUSY_TIMEOUT_MS = 2_000  # how long SQLite itself waits for another writer
DIR_MODE = 0o700  # directories the store creates: runners' progress is nobody else's to read
FILE_MODE = 0o600  # the database file (SQLite gives its -wal and -shm files the same mode)
LOCK_RETRIES = 2  # then we back off and try the whole transaction again: well inside Alexa's 8 s

# Forward migrations: MIGRATIONS[n] takes the schema from version n to n + 1. Only ever append.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # v1: users with a band, per-routine bands and a position; sessions one row each
        """CREATE TABLE users (
            user TEXT PRIMARY KEY,
            band TEXT,
            bands TEXT NOT NULL DEFAULT '{}',
            position TEXT,
            version INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL)""",
        """CREATE TABLE sessions (
            user TEXT NOT NULL REFERENCES users(user) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            routine TEXT NOT NULL,
            variant TEXT NOT NULL,
            band TEXT NOT NULL,
            extra_sets INTEGER NOT NULL,
            started_at TEXT NOT NULL,
            duration_seconds INTEGER NOT NULL,
            completed INTEGER NOT NULL,
            PRIMARY KEY (user, seq)) WITHOUT ROWID""",
    ),
    (  # v2: preferences; the band becomes the default band, the locale is new
        "ALTER TABLE users RENAME COLUMN band TO default_band",
        "ALTER TABLE users ADD COLUMN locale TEXT",
    ),
    (  # v3: the exercises that hurt, and when (the pain path), so progression does not push them
        "ALTER TABLE users ADD COLUMN pain TEXT NOT NULL DEFAULT '{}'",
    ),
    (  # v4: progression that coaches: how each workout felt, the bands owned, the running week, reminders
        "ALTER TABLE sessions ADD COLUMN rating TEXT",
        "ALTER TABLE users ADD COLUMN owned TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE users ADD COLUMN running_days TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE users ADD COLUMN reminders TEXT NOT NULL DEFAULT '[]'",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
_SESSION_COLUMNS = "routine, variant, band, extra_sets, started_at, duration_seconds, completed, rating"
_SESSION_NAMES = _SESSION_COLUMNS.split(", ")


class SQLiteStore(Store):
    """State in one SQLite file; safe across threads and processes (a connection per thread, WAL).

    Writers of one process queue on a Python lock rather than in SQLite's busy handler, whose
    sleeps grow to 100 ms and dominated the p99 under load; other processes still meet SQLite's
    own locking (busy timeout plus retries).
    """

    def __init__(self, path: Path, *, secret: bytes, cache_sessions: int = DEFAULT_BUDGET) -> None:
        super().__init__(secret=secret)
        self.path = Path(path)
        self._migrated = False
        self._migrate_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self.decoded = DecodedStates(cache_sessions)

    def load(self, user_id: str) -> UserState:
        key = self.key(user_id)
        return self._run(lambda conn: self._read(conn, key)[0], write=False, single=True)

    def update(self, user_id: str, fn: Callable[[UserState], UserState]) -> UserState:
        key = self.key(user_id)

        def transaction(conn: sqlite3.Connection) -> tuple[UserState, tuple[Stamp, tuple[int, ...]] | None]:
            old, seqs, version = self._read(conn, key)
            new = fn(old)
            return new, (_write(conn, key, old, new, seqs, version) if new != old else None)

        new, written = self._run(transaction, write=True)
        if written is not None:  # committed: what this process wrote is what the row now decodes to
            stamp, seqs = written
            self.decoded.put(key, stamp, new, seqs)
        return new

    def set_in_progress(self, user_id: str, kept: InProgress) -> None:
        """One upsert of the user row: the session rows are never read."""
        key = self.key(user_id)
        encoded, now = json.dumps(encode_in_progress(kept)), datetime.now(UTC).isoformat()
        self.decoded.drop(key)
        self._run(lambda conn: conn.execute(
            """INSERT INTO users (user, position, version, updated_at) VALUES (?, ?, 1, ?)
               ON CONFLICT (user) DO UPDATE SET position = excluded.position, version = users.version + 1,
                   updated_at = excluded.updated_at""", (key, encoded, now)), write=True, single=True)

    def forget(self, user_id: str) -> bool:
        key = self.key(user_id)
        self.decoded.drop(key)
        return self._run(lambda conn: conn.execute("DELETE FROM users WHERE user = ?", (key,)).rowcount > 0,
                         write=True, single=True)

    def migrate(self, *, target: int = SCHEMA_VERSION) -> int:
        """Apply the migrations up to `target` (tests stop early to build an old database)."""
        with self._migrate_lock:
            version = self._run(lambda conn: _migrate(conn, target), write=True, ensure=False, wal=True)
            self._migrated = version == SCHEMA_VERSION
        return version

    def schema_version(self) -> int:
        """The version the file is at now (0 for a new file)."""
        return self._run(_current_version, write=False, ensure=False)

    def _connect(self) -> sqlite3.Connection:
        """A new connection; the directories and the file are created private (0700, 0600) when missing."""
        try:
            private_dirs(self.path.parent)
            _create_private(self.path)
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            fix = _fix(exc) if isinstance(exc, sqlite3.Error) else "set BANDCOACH_DB or BANDCOACH_DATA_DIR to a " \
                "writable place"
            raise StateError(f"cannot open the state database {self.path}: {_reason(exc)}; {fix}") from exc
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")  # durable enough in WAL mode, and much faster
        except sqlite3.Error:
            conn.close()
            raise  # the caller's sqlite3.Error handling names the cause and the fix
        return conn

    def _read(self, conn: sqlite3.Connection, key: str) -> tuple[UserState, tuple[int, ...], int]:
        """The user's state, the seq of each history row and the row's version (0: no row yet).

        The history is decoded only when the row's stamp differs from what `decoded` holds.
        """
        row = conn.execute(_READ_USER, (key,)).fetchone()
        if row is None:
            return UserState(), (), 0
        version, updated_at, default_band, locale, bands, pain, owned, running_days, reminders, position, sessions = row
        kept = self.decoded.get(key, (version, updated_at))
        if kept is not None:
            return kept[0], kept[1], version
        rows = sorted(json.loads(sessions))  # seq first and unique: sorts by seq alone
        doc = {"preferences": {"default_band": default_band, "locale": locale},
               "in_progress": json.loads(position) if position else None,
               "bands": json.loads(bands), "pain": json.loads(pain), "owned": json.loads(owned),
               "running_days": json.loads(running_days), "reminders": json.loads(reminders)}
        history = tuple(session_from_values(*r[1:]) for r in rows)  # columns in SessionRecord's field order
        state, seqs = replace(decode_state(doc), history=history), tuple(r[0] for r in rows)
        self.decoded.put(key, (version, updated_at), state, seqs)
        return state, seqs, version

    def _run(self, fn: Callable[[sqlite3.Connection], T], *, write: bool, single: bool = False,
             ensure: bool = True, wal: bool = False) -> T:
        """Run `fn` in one transaction on this thread's connection, retrying while the file is locked.

        `single` says `fn` runs exactly one statement, which SQLite already makes its own
        transaction: no BEGIN and COMMIT around it. Each statement SQLite steps releases the GIL,
        and under load every release hands it to another waiting thread, so statements per request
        are what the hot paths (load, set_in_progress) count. `ensure` migrates first (once per
        store); `wal` switches the file to WAL mode, which persists.
        """
        if ensure and not self._migrated:
            self.migrate()
        for attempt in range(LOCK_RETRIES + 1):
            try:
                conn = self._connection()
                if wal:
                    conn.execute("PRAGMA journal_mode = WAL")
                begin = None if single else "BEGIN IMMEDIATE" if write else "BEGIN"
                if write:
                    with self._write_lock:
                        return self._transaction(conn, fn, begin)
                return self._transaction(conn, fn, begin)
            except sqlite3.Error as exc:
                self._drop_connection()
                if not _is_locked(exc):
                    raise StateError(f"state database {self.path} failed: {exc}; {_fix(exc)}") from exc
                if attempt == LOCK_RETRIES:
                    raise StateError(f"state database {self.path} stayed locked: another program holds a write "
                                     "transaction on it; close that program, or keep the file off network "
                                     "drives") from exc
                logger.debug("state database locked (attempt %d); retrying", attempt + 1)
                time.sleep(random.uniform(0, 0.01 * 2**attempt))
        raise AssertionError("unreachable: the loop returns or raises")

    @staticmethod
    def _transaction(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T], begin: str | None) -> T:
        if begin is None:  # one statement: SQLite commits it, or rolls it back, by itself
            return fn(conn)
        conn.execute(begin)
        try:
            result = fn(conn)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use (and again after an error dropped it)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            try:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the error being reported already says what is wrong with the file
            finally:
                conn.close()


def private_dirs(folder: Path) -> None:
    """Create `folder` and any missing parents with mode 0700; existing directories are left as they are."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        try:
            new.mkdir(mode=DIR_MODE)
        except FileExistsError:
            pass  # made by a concurrent start
        else:
            new.chmod(DIR_MODE)  # mkdir's mode is filtered by the umask


def _create_private(path: Path) -> None:
    """Create an empty database file with mode 0600 unless it exists (an empty file is an empty database)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))


def _reason(exc: BaseException) -> str:
    """An OSError without the path (the message names it once), or any other error's text."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


# What a failing SQLite error means for the operator, by the words in its message (sqlite3 keeps no
# extended codes on Python 3.11): the first match gives the fix.
_FIXES = (
    (("not a database", "malformed", "corrupt"),
     "the file is damaged or is not a Band Coach database: restore it from a backup, or move it aside to "
     "start afresh (runners' progress in it is then lost)"),
    (("readonly", "read-only"),
     "the database is read-only: make the file, and the directory holding it, writable by this user, or "
     "set BANDCOACH_DB to a writable file"),
    (("disk is full", "database or disk is full"),
     "the disk holding the database is full: free space on it"),
    (("unable to open",),
     "SQLite cannot open it: BANDCOACH_DB must name a file (not a directory) in a writable directory"),
    (("disk i/o error",),
     "the disk failed: check the file system (and keep the file off network drives)"),
)


def _fix(exc: BaseException) -> str:
    text = str(exc).lower()
    for words, fix in _FIXES:
        if any(word in text for word in words):
            return fix
    return "check the file is writable and not on a network drive"


def _is_locked(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def _current_version(conn: sqlite3.Connection) -> int:
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_version'").fetchone():
        return 0
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    return row[0] if row else 0


def _migrate(conn: sqlite3.Connection, target: int) -> int:
    version = _current_version(conn)
    if version > SCHEMA_VERSION:
        raise StateError(f"the state database is at schema v{version}, newer than this Band Coach "
                         f"(v{SCHEMA_VERSION}): upgrade bandcoach")
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    for step in range(version, min(target, SCHEMA_VERSION)):
        for sql in MIGRATIONS[step]:
            conn.execute(sql)
        logger.info("state database migrated to schema v%d", step + 1)
    reached = max(version, min(target, SCHEMA_VERSION))
    conn.execute("DELETE FROM schema_version")
    conn.execute("INSERT INTO schema_version (version) VALUES (?)", (reached,))
    return reached


# The user row and its whole history in one statement, so one step: a row-by-row fetch steps (and
# releases the GIL) once per session. SQLite 3.40 cannot order inside json_group_array, so each
# session carries its seq and _read sorts them.
_READ_USER = f"""SELECT version, updated_at, default_band, locale, bands, pain, owned, running_days, reminders,
    position,
    (SELECT json_group_array(json_array(seq, {_SESSION_COLUMNS})) FROM sessions WHERE sessions.user = users.user)
    FROM users WHERE user = ?"""


def _write(conn: sqlite3.Connection, key: str, old: UserState, new: UserState, seqs: Sequence[int],
           version: int) -> tuple[Stamp, tuple[int, ...]]:
    """Store `new` over `old` (read at `version`): the user row, then only the history rows that changed.

    Returns the row's new stamp and the seqs of `new`'s history rows: with `new`, what a read decodes.
    Writers are serialised by BEGIN IMMEDIATE, so the version written is exactly `version + 1`.
    """
    prefs, now = new.preferences, datetime.now(UTC).isoformat()
    position = encode_in_progress(new.in_progress)
    conn.execute(
        """INSERT INTO users (user, default_band, locale, bands, pain, owned, running_days, reminders, position,
                              version, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
           ON CONFLICT (user) DO UPDATE SET default_band = excluded.default_band, locale = excluded.locale,
               bands = excluded.bands, pain = excluded.pain, owned = excluded.owned,
               running_days = excluded.running_days, reminders = excluded.reminders, position = excluded.position,
               version = users.version + 1, updated_at = excluded.updated_at""",
        (key, prefs.default_band and prefs.default_band.value, prefs.locale,
         json.dumps({r: b.value for r, b in new.bands}), json.dumps(encode_pain(new.pain)),
         json.dumps([b.value for b in new.owned]), json.dumps(list(new.running_days)), json.dumps(list(new.reminders)),
         json.dumps(position) if position else None, now))
    stamp = (version + 1, now)
    if new.history is old.history:  # a change of position or preferences: no session row to touch
        return stamp, tuple(seqs)
    drop = _dropped_from_front(old.history, new.history)
    if seqs and drop == len(seqs):
        conn.execute("DELETE FROM sessions WHERE user = ?", (key,))
    elif drop:
        conn.execute("DELETE FROM sessions WHERE user = ? AND seq < ?", (key, seqs[drop]))
    next_seq = (seqs[-1] + 1) if seqs else 0
    added = new.history[len(old.history) - drop:]
    conn.executemany(
        f"INSERT INTO sessions (user, seq, {_SESSION_COLUMNS}) VALUES (?, ?, {', '.join('?' * len(_SESSION_NAMES))})",
        [(key, next_seq + i, *_session_row(s)) for i, s in enumerate(added)])
    return stamp, (*seqs[drop:], *range(next_seq, next_seq + len(added)))


def _session_row(s: SessionRecord) -> tuple:
    """The session's values in _SESSION_COLUMNS order (encoded once, not once per column)."""
    encoded = encode_session(s)
    return tuple(encoded[c] for c in _SESSION_NAMES)


def _dropped_from_front(old: Sequence[SessionRecord], new: Sequence[SessionRecord]) -> int:
    """How many of the oldest `old` sessions are gone, when `new` is the rest of `old` plus additions.

    Appending and trimming the oldest (the usual changes) cost one small write; any other change
    returns len(old): every row is rewritten.
    """
    for drop in range(len(old)):
        kept = len(old) - drop
        if len(new) >= kept and tuple(new[:kept]) == tuple(old[drop:]):
            return drop
    return len(old)
