"""The embedded state backend: one SQLite file in WAL mode, forward migrations, one transaction per update.

Requests read one row per runner (`recent`): the newest sessions of each routine and the day tally
are columns of the user row, kept up to date by every write; the session rows are the full history,
read only by `load` (`bandcoach progress`, exports).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import random
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from skill.progression import SessionRecord
from skill.state import model
from skill.state.codec import (
    decode_in_progress,
    decode_state,
    encode_in_progress,
    encode_pain,
    encode_session,
    session_from_values,
)
from skill.state.model import InProgress, StateError, Store, UserState
from skill.state.recent import DayTally, Numbered, history_change, tally, window

logger = logging.getLogger(__name__)
T = TypeVar("T")

BUSY_TIMEOUT_MS = 2_000  # how long SQLite itself waits for another writer
DIR_MODE = 0o700  # directories the store creates: runners' progress is nobody else's to read
FILE_MODE = 0o600  # the database file (SQLite gives its -wal and -shm files the same mode)
LOCK_RETRIES = 2  # then we back off and try the whole transaction again: well inside Alexa's 8 s
CONFLICT_RETRIES = 30  # optimistic updates of one runner tried at most this often (another writer won each time)
MMAP_BYTES = 256 * 1024 * 1024  # of the database file each connection may map (address space, not memory)
DECODED_ROWS = 4096  # user rows' decoded recent state memoised by content (about 6 KB each, so ~25 MB at most)

_SESSION_COLUMNS = "routine, variant, band, extra_sets, started_at, duration_seconds, completed, rating"
_SESSION_NAMES = _SESSION_COLUMNS.split(", ")


def _fill_recent(conn: sqlite3.Connection) -> None:
    """Migration v5's data step: each runner's recent sessions and day tally, from their stored history."""
    users = [row[0] for row in conn.execute("SELECT user FROM users")]
    for user in users:
        numbered = tuple((row[0], session_from_values(*row[1:])) for row in conn.execute(
            f"SELECT seq, {_SESSION_COLUMNS} FROM sessions WHERE user = ? ORDER BY seq", (user,)))
        conn.execute("UPDATE users SET recent = ?, days = ? WHERE user = ?",
                     (_encode_recent(window(numbered)), DayTally(tally(added=(r for _, r in numbered))).text(),
                      user))


Step = str | Callable[[sqlite3.Connection], None]  # a statement, or a data step run in the same transaction

# Forward migrations: MIGRATIONS[n] takes the schema from version n to n + 1. Only ever append.
MIGRATIONS: tuple[tuple[Step, ...], ...] = (
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
    (  # v5: what requests read, kept on the user row: the newest sessions of each routine, completed per day
        "ALTER TABLE users ADD COLUMN recent TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE users ADD COLUMN days TEXT NOT NULL DEFAULT '{}'",
        _fill_recent,
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class SQLiteStore(Store):
    """State in one SQLite file; safe across threads and processes (a connection per thread, WAL).

    Writers of one process queue on a Python lock rather than in SQLite's busy handler, whose
    sleeps grow to 100 ms and dominated the p99 under load; other processes still meet SQLite's
    own locking (busy timeout plus retries).
    """

    def __init__(self, path: Path, *, secret: bytes) -> None:
        super().__init__(secret=secret)
        self.path = Path(path)
        self._migrated = False
        self._migrate_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._pending: dict[str, tuple[str, str]] = {}  # positions waiting to be written: key -> (JSON, time)
        self._pending_lock = threading.Lock()
        self._submitted = self._committed = 0  # positions handed to set_in_progress, and written, so far

    def load(self, user_id: str) -> UserState:
        """The whole state with the full history (the session rows): for `bandcoach progress` and exports."""
        key = self.key(user_id)

        def read(conn: sqlite3.Connection) -> UserState:
            state = _read(conn, key)[0]
            rows = conn.execute(f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE user = ? ORDER BY seq", (key,))
            return replace(state, history=tuple(session_from_values(*row) for row in rows))

        return self._run(read, write=False)

    def recent(self, user_id: str) -> UserState:
        """One row, one statement: the user row carries the recent sessions and the day tally.

        The row is remembered on this thread, so an `update` of the same runner that follows (a start, a
        stop) starts from it instead of reading it again: its version check makes a stale row harmless.
        """
        key = self.key(user_id)
        read = self._run(lambda conn: _read_row(conn, key), write=False, single=True)
        self._local.seen = (key, read)
        return read.state

    def update(self, user_id: str, fn: Callable[[UserState], UserState], *, durable: bool = False) -> UserState:
        """`fn` gets the recent state (as `recent` reads it); appended sessions, edits of kept ones (a rating)
        and removals are written to the full history, and the aggregates follow.

        Optimistic: the row is read (or taken from `recent` just before), and `fn` and the encoding run,
        outside the write lock; under it, the user row is written only if its `version` is still the one
        read (another thread or process may have written it since), and the whole update runs again if
        it is not. The write lock is held for the statements alone. `durable` commits with
        synchronous=FULL (the WAL is synced to disk before this returns); other writes use NORMAL, which
        survives a crash of the process but may lose the last commits to a power cut.
        """
        key = self.key(user_id)
        seen = self._local.__dict__.pop("seen", None)  # the row `recent` read on this thread, if it was this one
        remembered = seen[1] if seen is not None and seen[0] == key else None
        for attempt in range(CONFLICT_RETRIES):
            from_recent = remembered is not None
            read = remembered or self._run(lambda conn: _read_row(conn, key), write=False, single=True)
            remembered = None  # used once: every retry reads afresh
            new = fn(read.state)
            if new == read.state:
                if from_recent:  # nothing to write, so no version check: answer from a fresh read instead
                    continue
                return new
            plan = _plan(key, read, new, lambda: self._run(lambda conn: _next_seq(conn, key), write=False, single=True))
            if self._commit(plan, durable=durable):
                _DECODED.put(plan.row_text, plan.decoded)
                return plan.stored
            logger.debug("state of %s changed underneath (attempt %d); retrying", key[:12], attempt + 1)
            time.sleep(random.uniform(0, min(0.02, 0.0005 * 2**attempt)))
        raise StateError(f"state update kept conflicting ({CONFLICT_RETRIES} attempts): too many requests for one "
                         "user at once; try again")

    def _commit(self, plan: _Plan, *, durable: bool) -> bool:
        """Run `plan`'s statements in one transaction under the write lock; False (nothing written) when the
        user row is no longer at the version the plan was made from."""

        def transaction(conn: sqlite3.Connection) -> bool:
            if conn.execute(plan.user_sql, plan.user_row).rowcount == 0:
                return False  # the first statement: nothing to undo
            for sql, rows in plan.session_writes:
                conn.executemany(sql, rows)
            if plan.trim is not None:
                conn.execute("DELETE FROM sessions WHERE user = ? AND seq < ?", plan.trim)
            return True

        single = not plan.session_writes and plan.trim is None  # the user row alone: its own transaction
        begin = None if single else "BEGIN IMMEDIATE"
        if not durable:
            return self._run(transaction, write=True, single=single)
        return self._run(lambda conn: _synced(conn, lambda: self._transaction(conn, transaction, begin)),
                         write=True, single=True)

    def set_in_progress(self, user_id: str, kept: InProgress) -> None:
        """An upsert of the user row's position (the session rows are never read), committed in a group.

        Positions waiting for the write lock are written together by whichever request gets it first,
        in one transaction: under load a "next" costs a share of one commit, not a commit of its own.
        It returns once its position is committed, as before.
        """
        with self._pending_lock:
            self._pending[self.key(user_id)] = (json.dumps(encode_in_progress(kept)), datetime.now(UTC).isoformat())
            self._submitted += 1
            ticket = self._submitted
        self._run(lambda conn: self._write_positions(conn, ticket), write=True, single=True)

    def _write_positions(self, conn: sqlite3.Connection, ticket: int) -> None:
        """Under the write lock: write every waiting position unless one written already took `ticket`'s."""
        with self._pending_lock:
            if self._committed >= ticket:
                return
            batch, self._pending, upto = self._pending, {}, self._submitted
        rows = [(key, encoded, now) for key, (encoded, now) in batch.items()]
        try:
            if len(rows) == 1:  # one statement: SQLite makes it its own transaction
                conn.execute(_UPSERT_POSITION, rows[0])
            else:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(_UPSERT_POSITION, rows)
                conn.execute("COMMIT")
        except BaseException:
            with self._pending_lock:  # not written: the next writer (or a retry) takes them again
                for key, row in batch.items():
                    self._pending.setdefault(key, row)
            raise
        self._committed = upto

    def forget(self, user_id: str) -> bool:
        key = self.key(user_id)
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
            # Reads through the OS page cache without a copy into SQLite's own (2 MB) one: a store of
            # many runners outgrows that, and every user-row lookup then paid for page copies.
            conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        except sqlite3.Error:
            conn.close()
            raise  # the caller's sqlite3.Error handling names the cause and the fix
        return conn

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

    def connection(self) -> sqlite3.Connection:
        """This thread's connection: tests and benchmarks count the work SQLite does on it."""
        return self._connection()

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


def _synced(conn: sqlite3.Connection, commit: Callable[[], T]) -> T:
    """Run `commit` (a whole transaction) with synchronous=FULL, then go back to NORMAL."""
    conn.execute("PRAGMA synchronous = FULL")
    try:
        return commit()
    finally:
        conn.execute("PRAGMA synchronous = NORMAL")


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
            if isinstance(sql, str):
                conn.execute(sql)
            else:
                sql(conn)
        logger.info("state database migrated to schema v%d", step + 1)
    reached = max(version, min(target, SCHEMA_VERSION))
    if reached != version or not version:  # already there (every start after the first): nothing to write
        conn.execute("DELETE FROM schema_version")
        conn.execute("INSERT INTO schema_version (version) VALUES (?)", (reached,))
    return reached


_UPSERT_POSITION = """INSERT INTO users (user, position, version, updated_at) VALUES (?, ?, 1, ?)
    ON CONFLICT (user) DO UPDATE SET position = excluded.position, version = users.version + 1,
        updated_at = excluded.updated_at"""
_USER_COLUMNS = "default_band, locale, bands, pain, owned, running_days, reminders, position, recent, days, updated_at"
# A write of the user row from a read of it: an update only while it is at the version read, an insert only
# while there is still no row. Either changes no row when another writer got there first.
_UPDATE_USER = (f"UPDATE users SET ({_USER_COLUMNS}, version) = ({', '.join('?' * 11)}, version + 1) "
                "WHERE user = ? AND version = ?")
_INSERT_USER = (f"INSERT INTO users (user, {_USER_COLUMNS}, version) VALUES (?, {', '.join('?' * 11)}, 1) "
                "ON CONFLICT (user) DO NOTHING")
_DELETE_SESSION = "DELETE FROM sessions WHERE user = ? AND seq = ?"
_UPDATE_SESSION = f"UPDATE sessions SET {', '.join(f'{c} = ?' for c in _SESSION_NAMES)} WHERE user = ? AND seq = ?"
_INSERT_SESSION = (f"INSERT INTO sessions (user, seq, {_SESSION_COLUMNS}) "
                   f"VALUES (?, ?, {', '.join('?' * len(_SESSION_NAMES))})")
_READ_USER = """SELECT default_band, locale, bands, pain, owned, running_days, reminders, position, recent, days,
    version FROM users WHERE user = ?"""


def _read(conn: sqlite3.Connection, key: str) -> tuple[UserState, tuple[Numbered, ...]]:
    """The runner's recent state from their user row alone, with the seq of each recent session.

    One row whatever the history: the recent sessions and the day tally are kept on it by every write (`_plan`).
    """
    read = _read_row(conn, key)
    return read.state, read.numbered


@dataclass(frozen=True, slots=True)
class _Row:
    """A user row as read: the recent state, the seq of each recent session, the preference columns as
    stored (None: no row), which a write that leaves them alone reuses, and the version a write is
    conditioned on."""

    state: UserState
    numbered: tuple[Numbered, ...] = ()
    columns: Preferences | None = None
    version: int = 0


def _read_row(conn: sqlite3.Connection, key: str) -> _Row:
    """`_read`, plus the row's stored preference columns and its version."""
    row = conn.execute(_READ_USER, (key,)).fetchone()
    if row is None:
        return _Row(UserState())
    state, numbered = _DECODED.get((row[:7], row[8]), _decode_row)
    position = row[7]
    return _Row(replace(state, in_progress=decode_in_progress(json.loads(position)) if position else None,
                        days=DayTally(text=row[9])), numbered, row[:7], row[10])


Decoded = tuple[UserState, tuple[Numbered, ...]]
Preferences = tuple[str | None, ...]  # a user row's preference columns (default_band ... reminders), as stored
RowText = tuple[Preferences, str]  # a user row's preference columns and its `recent` column
_PREFERENCE_FIELDS = ("preferences", "bands", "pain", "owned", "running_days", "reminders")  # what they hold


class DecodedRows:
    """User rows' preferences and recent sessions, decoded, memoised by the stored text itself (an LRU).

    Keyed by content, not by runner, so it can never answer for a row that changed (another process
    included) and needs no invalidation; the position, which changes on every "next", and the day
    tally are decoded apart. A write puts what it wrote, so the next read of that row decodes nothing.
    """

    def __init__(self, size: int = DECODED_ROWS) -> None:
        self.size = size
        self._rows: OrderedDict[RowText, Decoded] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: RowText, decode: Callable[[RowText], Decoded]) -> Decoded:
        """The decoded row for `text`, decoding (and keeping) it when it is not kept."""
        with self._lock:
            found = self._rows.get(text)
            if found is not None:
                self._rows.move_to_end(text)
                return found
        decoded = decode(text)
        self.put(text, decoded)
        return decoded

    def put(self, text: RowText, decoded: Decoded) -> None:
        with self._lock:
            self._rows[text] = decoded
            self._rows.move_to_end(text)
            while len(self._rows) > self.size:
                self._rows.popitem(last=False)


_DECODED = DecodedRows()


def _decode_row(text: RowText, numbered: tuple[Numbered, ...] | None = None) -> Decoded:
    """A user row's preference columns and recent sessions, decoded (what _DECODED keeps); a writer that
    holds the recent sessions already passes them as `numbered`."""
    preferences, recent = text
    default_band, locale, bands, pain, owned, running_days, reminders = preferences
    if numbered is None:
        numbered = tuple((r[0], session_from_values(*r[1:])) for r in json.loads(recent))
    doc = {"preferences": {"default_band": default_band, "locale": locale},
           **{name: json.loads(text or "null") for name, text in (
               ("bands", bands), ("pain", pain), ("owned", owned), ("running_days", running_days),
               ("reminders", reminders))}}
    return replace(decode_state(doc), history=tuple(r for _, r in numbered)), numbered


@dataclass(frozen=True, slots=True)
class _Plan:
    """The statements that store a new state over a row read at some version, and what they leave.

    `user_sql` writes the user row only if it is still at that version (an insert only if there is still
    no row): its rowcount says whether the plan may go on. `stored` is the state as `recent` then reads
    it; `row_text` and `decoded` prime the decoded-row memo so that read decodes nothing.
    """

    user_sql: str
    user_row: tuple[Any, ...]
    session_writes: tuple[tuple[str, list[tuple[Any, ...]]], ...]
    trim: tuple[str, int] | None
    stored: UserState
    row_text: RowText
    decoded: Decoded


def _next_seq(conn: sqlite3.Connection, key: str) -> int:
    """The seq after the runner's newest session row (0 for none)."""
    return int(conn.execute("SELECT coalesce(max(seq), -1) + 1 FROM sessions WHERE user = ?", (key,)).fetchone()[0])


def _plan(key: str, read: _Row, new: UserState, stored_next_seq: Callable[[], int]) -> _Plan:
    """The statements that store `new` over the row `read`: the user row with the new recent sessions and
    day tally, the history rows that changed, the history trimmed to HISTORY_LIMIT.

    Bounded by the change, never by the history's length; made outside the write lock (it writes nothing).
    `stored_next_seq` reads the seq after the newest session row, asked only when sessions are added and no
    recent one is left to number them from. When the preferences did not change (a start, a stop), their
    stored text and decoded form are reused as read.
    """
    old, numbered = read.state, read.numbered
    removed, edited, added = history_change(old.history, new.history, numbered)
    kept = dict(numbered)
    for seq, _ in removed:
        del kept[seq]
    kept.update(edited)
    next_seq = max(kept, default=-1) + 1 if kept or not added else stored_next_seq()
    numbered_added = [(next_seq + i, record) for i, record in enumerate(added)]
    kept.update(numbered_added)
    cutoff = next_seq + len(added) - model.HISTORY_LIMIT
    recent = window([(seq, record) for seq, record in sorted(kept.items()) if seq >= cutoff])
    days = DayTally(tally(old.days.days(), added=[*added, *(r for _, r in edited)],
                          removed=[*(r for _, r in removed), *(_numbered_record(numbered, seq) for seq, _ in edited)])
                    ) if removed or edited or added else old.days
    position = encode_in_progress(new.in_progress)
    stored = replace(new, history=tuple(record for _, record in recent), days=days)
    unchanged = read.columns is not None and all(
        getattr(new, name) is getattr(old, name) or getattr(new, name) == getattr(old, name)
        for name in _PREFERENCE_FIELDS)
    columns = read.columns if unchanged and read.columns is not None else _preference_columns(new)
    recent_text = _encode_recent(recent)
    values = (*columns, json.dumps(position) if position else None, recent_text, days.text(),
              datetime.now(UTC).isoformat())
    user_sql, user_row = (_UPDATE_USER, (*values, key, read.version)) if read.columns is not None else \
        (_INSERT_USER, (key, *values))
    session_writes = tuple((sql, rows) for sql, rows in (  # each only when it has rows: a start adds one session
        (_DELETE_SESSION, [(key, seq) for seq, _ in removed]),
        (_UPDATE_SESSION, [(*_session_row(record), key, seq) for seq, record in edited]),
        (_INSERT_SESSION, [(key, seq, *_session_row(record)) for seq, record in numbered_added])) if rows)
    # The newest HISTORY_LIMIT are kept: a range delete, usually of one row (seqs start at 0: none below).
    trim = (key, cutoff) if added and cutoff > 0 else None
    decoded = (replace(old, history=stored.history), tuple(recent)) if unchanged \
        else _decode_row((columns, recent_text), tuple(recent))
    return _Plan(user_sql, user_row, session_writes, trim, stored, (columns, recent_text), decoded)


def _preference_columns(state: UserState) -> Preferences:
    """The user row's preference columns for `state`, in _READ_USER's order."""
    prefs = state.preferences
    return (prefs.default_band and prefs.default_band.value, prefs.locale,
            json.dumps({r: b.value for r, b in state.bands}), json.dumps(encode_pain(state.pain)),
            json.dumps([b.value for b in state.owned]), json.dumps(list(state.running_days)),
            json.dumps(list(state.reminders)))


def _numbered_record(numbered: Sequence[Numbered], seq: int) -> SessionRecord:
    """The record `numbered` holds under `seq`."""
    return next(record for s, record in numbered if s == seq)


def _encode_recent(recent: Sequence[Numbered]) -> str:
    """The recent sessions as the user row keeps them: [seq, values in _SESSION_COLUMNS order] each."""
    return json.dumps([[seq, *_session_row(record)] for seq, record in recent])


@functools.lru_cache(maxsize=DECODED_ROWS * 4)
def _session_row(s: SessionRecord) -> tuple[Any, ...]:
    """The session's values in _SESSION_COLUMNS order (encoded once, not once per column); memoised, since a
    write re-encodes the recent sessions it keeps."""
    encoded = encode_session(s)
    return tuple(encoded[c] for c in _SESSION_NAMES)
