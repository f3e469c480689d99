"""The prompt cache's manifest: its SQLite schema, per-thread connections, and the rows it returns."""

from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

from audio.engines import EngineIdentity
from skill.errors import StorageError

SCHEMA = """
CREATE TABLE IF NOT EXISTS prompts (
    key TEXT PRIMARY KEY, text TEXT NOT NULL, engine TEXT NOT NULL, engine_version TEXT NOT NULL,
    voice TEXT NOT NULL, locale TEXT NOT NULL, rate TEXT NOT NULL, path TEXT NOT NULL,
    duration REAL NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL,
    created REAL NOT NULL, last_used REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS prompts_last_used ON prompts (last_used);
CREATE TABLE IF NOT EXISTS voices (
    locale TEXT PRIMARY KEY, engine TEXT NOT NULL, engine_version TEXT NOT NULL,
    voice TEXT NOT NULL, rate TEXT NOT NULL, updated REAL NOT NULL
);
"""
COLUMNS = "key, text, engine, engine_version, voice, locale, rate, path, duration, size, sha256, created, last_used"



@dataclass(frozen=True, slots=True)
class Entry:
    """One cached prompt, as its manifest row describes it; `path` is absolute."""

    key: str
    text: str
    engine: str
    engine_version: str
    voice: str
    locale: str
    rate: str
    path: Path
    duration: float
    size: int
    sha256: str
    created: float
    last_used: float

    @property
    def identity(self) -> EngineIdentity:
        """The engine identity that made this prompt; `audio.engines.describe()` says it in words (ID3, feeds)."""
        return EngineIdentity(self.engine, self.engine_version, self.voice, self.rate)


@dataclass(frozen=True, slots=True)
class Prompt:
    """The audio for one text: its bytes always; `path` is None when the cache could not keep it (`error` says why)."""

    key: str
    data: bytes
    duration: float
    path: Path | None
    created: bool
    error: StorageError | None = None


@dataclass(frozen=True, slots=True)
class EngineStats:
    count: int
    size: int
    duration: float


@dataclass(frozen=True, slots=True)
class VoiceStats:
    """The prompts one voice made (one engine identity), which locales they speak, and who made them in words."""

    description: str  # audio.engines.describe(): "Piper en_US-joe-medium@1.0.0 (piper-tts 1.8.0)"
    engine: str
    engine_version: str
    voice: str
    rate: str
    locales: list[str]
    count: int
    size: int
    duration: float


@dataclass(frozen=True, slots=True)
class CacheStats:
    """Totals for `bandcoach audio stats`: overall, per engine, and per voice."""

    count: int
    size: int
    duration: float
    per_engine: dict[str, EngineStats] = field(default_factory=dict)
    voices: list[VoiceStats] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PruneResult:
    removed: int
    freed: int
    remaining: int


class ManifestConnections:
    """One SQLite connection per thread for one manifest, created on first use, closed together.

    Opening a connection costs about as much as ten queries, so the request path reuses them.
    Connections of finished threads are closed as new ones open; after a fork the parent's are
    never used.
    """

    def __init__(self, root: Path, manifest: Path) -> None:
        self.root = root
        self.manifest = manifest
        self._lock = threading.Lock()
        self._by_thread: dict[int, sqlite3.Connection] = {}
        self._pid = os.getpid()
        self._ready = False

    def get(self) -> sqlite3.Connection:
        conn = self._by_thread.get(threading.get_ident())
        if conn is not None and self._pid == os.getpid():
            return conn
        with self._lock:
            if self._pid != os.getpid():
                self._by_thread, self._pid, self._ready = {}, os.getpid(), False
            self._close_finished_threads()
            self.root.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.manifest, timeout=30.0, isolation_level=None, check_same_thread=False)
            try:
                conn.row_factory = sqlite3.Row
                if not self._ready:
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.executescript(SCHEMA)
                    self._ready = True
            except sqlite3.Error:
                conn.close()
                raise
            self._by_thread[threading.get_ident()] = conn
            return conn

    def drop_current(self) -> None:
        with self._lock:
            conn = self._by_thread.pop(threading.get_ident(), None)
            self._ready = False
        if conn is not None:
            conn.close()

    def _close_finished_threads(self) -> None:
        alive = {t.ident for t in threading.enumerate()}
        for ident in [i for i in self._by_thread if i not in alive]:
            self._by_thread.pop(ident).close()

    def close(self) -> None:
        with self._lock:
            conns, self._by_thread = list(self._by_thread.values()), {}
        for conn in conns:
            conn.close()
