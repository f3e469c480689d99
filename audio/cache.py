"""The content-addressed prompt store: one MP3 per (engine identity, locale, text), a SQLite manifest, LRU pruning."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import sqlite3
import tempfile
import time
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path

import filelock

from audio import profile
from audio.engines import EngineIdentity, TTSEngine, describe, identity
from audio.manifest import COLUMNS, CacheStats, EngineStats, ManifestConnections, PruneResult, VoiceStats
from audio.manifest import Entry as Entry  # re-exported: the cache hands these out, so callers import them from here
from audio.manifest import Prompt as Prompt
from skill.errors import StorageError
from skill.files import atomic_write_bytes, storage_error

logger = logging.getLogger(__name__)

MANIFEST = "manifest.sqlite3"
LOCK_DIR = ".locks"
LOCK_TIMEOUT_SECONDS = 300.0  # longer than any synthesis with retries; past it we generate unlocked
TOUCH_EVERY_SECONDS = 60.0  # last_used is refreshed at most this often, so lookups rarely write
ORPHAN_GRACE_SECONDS = 300.0  # files younger than this may be a write between rename and manifest row
KEY_PATTERN = re.compile(r"^[0-9a-f]{64}$")
_MARKS = ",".join("?" * len(COLUMNS.split(",")))  # one placeholder per manifest column
PLACE = "audio cache"
ELSEWHERE = "set BANDCOACH_AUDIO_DIR to another disk"

def canonical_text(text: str) -> str:
    """The text as it is keyed and spoken: surrounding and repeated whitespace folded."""
    return " ".join(text.split())


def prompt_key(ident: EngineIdentity, locale: str, text: str, *, format_version: int = profile.FORMAT_VERSION) -> str:
    """sha256 of the canonical JSON of everything that changes the bytes of a prompt."""
    payload = {
        "engine": ident.engine, "engine_version": ident.version, "voice": ident.voice, "locale": locale,
        "rate": ident.rate, "text": canonical_text(text), "format_version": format_version,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _safe(part: str) -> str:
    """A path component made only of harmless characters (a plugin's voice name could hold '/')."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", part).lstrip(".") or "_"


class AudioCache:
    """Prompts under one directory; make one instance per directory (it holds no shared state).

    Safe across threads and processes: each operation opens its own SQLite connection (WAL), and
    generating a key holds a file lock so it happens once however many warms run at once.
    """

    def __init__(self, audio_dir: str | Path) -> None:
        self.root = Path(audio_dir)
        self.manifest = self.root / MANIFEST
        self._connections = ManifestConnections(self.root, self.manifest)
        weakref.finalize(self, self._connections.close)

    def close(self) -> None:
        """Close the manifest connections now rather than when the cache is garbage collected."""
        self._connections.close()

    def storage_error(self, exc: BaseException) -> StorageError:
        """The one-line StorageError for a failed write under this cache, with its fix."""
        return storage_error(PLACE, self.root, exc, elsewhere=ELSEWHERE)

    def check_writable(self) -> None:
        """Raise StorageError unless a prompt could be added now: the directory, a new file and the manifest.

        A warm calls it first, so a read-only or unwritable cache fails in one line before any synthesis.
        """
        try:
            (self.root / LOCK_DIR).mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(prefix=".probe.", suffix=".tmp", dir=self.root)
            os.close(fd)
            Path(probe).unlink()
            with self._db() as conn:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
        except (OSError, sqlite3.Error) as exc:
            raise self.storage_error(exc) from exc

    # --- manifest ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        try:
            yield self._connections.get()
        except sqlite3.DatabaseError:
            self._connections.drop_current()  # a repaired or replaced file gets a fresh connection
            raise

    def _entry(self, row: sqlite3.Row) -> Entry:
        values = dict(row)
        values["path"] = self.root / values["path"]
        return Entry(**values)

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[Entry]:
        with self._db() as conn:
            return [self._entry(r) for r in conn.execute(sql, params).fetchall()]

    def get(self, key: str) -> Entry | None:
        """The manifest entry for `key`, whether or not its file is intact."""
        found = self._rows(f"SELECT {COLUMNS} FROM prompts WHERE key = ?", (key,))
        return found[0] if found else None

    def entries(self) -> list[Entry]:
        """Every manifest entry, least recently used first."""
        return self._rows(f"SELECT {COLUMNS} FROM prompts ORDER BY last_used, created")

    def touch(self, keys: Sequence[str], *, when: float | None = None, force: bool = False) -> None:
        """Mark prompts as used now (or at `when`); unless `force`, skipped when marked within the last minute."""
        if not keys:
            return
        now = time.time() if when is None else when
        stale = float("inf") if force else now - TOUCH_EVERY_SECONDS
        with self._db() as conn:
            conn.executemany(
                "UPDATE prompts SET last_used = ? WHERE key = ? AND last_used < ?",
                [(now, key, stale) for key in keys],
            )

    def remember_identity(self, locale: str, ident: EngineIdentity) -> None:
        """Record the engine a warm used for `locale`, so lookups can compute keys without it."""
        with self._db() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO voices (locale, engine, engine_version, voice, rate, updated) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (locale, ident.engine, ident.version, ident.voice, ident.rate, time.time()),
            )

    def identity_for(self, locale: str) -> EngineIdentity | None:
        """The engine identity the last completed warm of `locale` used, if any."""
        try:
            with self._db() as conn:
                row = conn.execute(
                    "SELECT engine, engine_version, voice, rate FROM voices WHERE locale = ?", (locale,)
                ).fetchone()
        except (OSError, sqlite3.Error) as exc:
            _log_failure("audio manifest %s unreadable; answering without cached audio", self.manifest, exc=exc)
            return None
        return EngineIdentity(row["engine"], row["engine_version"], row["voice"], row["rate"]) if row else None

    # --- lookups for the request path (never generate) ------------------------------------------

    def intact_entry(self, key: str) -> Entry | None:
        """The manifest entry for `key` when its file has the recorded size, else None.

        A hit marks the entry used (at most once a minute), so prune's LRU order keeps what is
        served: segments found by the renderer and files fetched through GET /audio/.
        """
        if not KEY_PATTERN.match(key):
            return None
        try:
            entry = self.get(key)
            if entry is None or _size(entry.path) != entry.size:
                return None
            if entry.last_used < time.time() - TOUCH_EVERY_SECONDS:
                self.touch([key])
        except (OSError, sqlite3.Error) as exc:
            _log_failure("audio manifest %s unreadable", self.manifest, exc=exc)
            return None
        return entry

    def path_for(self, key: str) -> Path | None:
        """The file of a cached prompt, or None if the key is unknown or its file is gone (see intact_entry)."""
        entry = self.intact_entry(key)
        return entry.path if entry is not None else None

    def lookup(self, text: str, locale: str, ident: EngineIdentity | None = None) -> Entry | None:
        """The cached prompt for `text`, by the given identity or the one last warmed for `locale`."""
        return self.lookup_each([text], locale, ident)[0]

    def lookup_many(
        self, texts: Sequence[str], locale: str, ident: EngineIdentity | None = None
    ) -> list[Entry] | None:
        """Entries for every text, in order, or None unless all of them are cached with intact files.

        This is the request path's question ("can this whole response be played from the cache?"):
        one manifest query and a stat per file, no engine and no network.
        """
        found = self.lookup_each(texts, locale, ident)
        if not found or any(e is None for e in found):
            return None
        return [e for e in found if e is not None]

    def lookup_each(
        self, texts: Sequence[str], locale: str, ident: EngineIdentity | None = None
    ) -> list[Entry | None]:
        """For each text, in order, its cached entry with an intact file, or None where there is none.

        One manifest query whatever the count, so a caller can name every missing text at once.
        Without `ident`, the identity last warmed for `locale` is used (every text misses if none
        was). Hits are marked used, at most once a minute.
        """
        ident = ident or self.identity_for(locale)
        if ident is None or not texts:
            return [None] * len(texts)
        keys = [prompt_key(ident, locale, t) for t in texts]
        try:
            unique = sorted(set(keys))
            marks = ",".join("?" * len(unique))
            rows = {e.key: e for e in self._rows(f"SELECT {COLUMNS} FROM prompts WHERE key IN ({marks})", unique)
                    if _size(e.path) == e.size}
            stale = time.time() - TOUCH_EVERY_SECONDS
            self.touch([k for k, e in rows.items() if e.last_used < stale])  # usually nothing: no write
        except (OSError, sqlite3.Error) as exc:
            _log_failure("audio manifest %s unreadable; answering without cached audio", self.manifest, exc=exc)
            return [None] * len(texts)
        return [rows.get(k) for k in keys]

    # --- generation -------------------------------------------------------------------------

    def relative_path(self, ident: EngineIdentity, locale: str, key: str) -> Path:
        """`<engine>/<voice>-<locale>/<key[:2]>/<key>.mp3`."""
        return Path(_safe(ident.engine), _safe(f"{ident.voice}-{locale}"), key[:2], f"{key}.mp3")

    def ensure(self, engine: TTSEngine, text: str, locale: str) -> Prompt:
        """The prompt for `text`: from the cache when intact, else synthesised, converted and stored.

        Only one thread or process generates a given key at a time. A failure of the cache itself
        (disk, manifest) is logged and the audio is still returned, with `path` None and `error` the
        StorageError saying why (a warm counts that prompt as failed); a failure of the engine raises.
        """
        text = canonical_text(text)
        if not text:
            raise ValueError("a prompt needs some text to speak")
        ident = identity(engine, locale)
        key = prompt_key(ident, locale, text)
        cached = self._intact(key)
        if cached is not None:
            return cached
        with self._lock(key):
            cached = self._intact(key)
            if cached is not None:
                return cached
            from audio import mp3  # the codecs load only when a prompt is made, not to look one up

            data = mp3.to_alexa_mp3(engine.synthesize(text, locale).data)
            seconds = mp3.duration(data)
            try:
                path = self.keep(key, data, ident, locale, text, seconds)
            except StorageError as exc:
                logger.info("%s (prompt %s not kept)", exc, key[:12])  # the caller reports it (warm: failed)
                return Prompt(key, data, seconds, None, created=True, error=exc)
            return Prompt(key, data, seconds, path, created=True)

    def cached(self, engine: TTSEngine, text: str, locale: str) -> Prompt | None:
        """The prompt for `text` when the cache holds it intact (size and sha256), else None; never synthesises.

        A warm asks this first, so a warm with nothing to make starts no engine and no worker.
        """
        text = canonical_text(text)
        return self._intact(prompt_key(identity(engine, locale), locale, text)) if text else None

    def _intact(self, key: str) -> Prompt | None:
        """The cached prompt when its file matches the manifest's size and sha256; else None."""
        try:
            entry = self.get(key)
            if entry is None:
                return None
            data = entry.path.read_bytes()
        except FileNotFoundError:
            return None
        except (OSError, sqlite3.Error) as exc:
            _log_failure("audio cache read failed for %s; generating again", key, exc=exc, level=logging.WARNING)
            return None
        if len(data) != entry.size or hashlib.sha256(data).hexdigest() != entry.sha256:
            logger.warning("cached prompt %s is damaged (%d bytes, expected %d); generating again",
                           entry.path, len(data), entry.size)
            return None
        if entry.last_used < time.time() - TOUCH_EVERY_SECONDS:
            with contextlib.suppress(sqlite3.Error):
                self.touch([key])
        return Prompt(key, data, entry.duration, entry.path, created=False)

    @contextlib.contextmanager
    def _lock(self, key: str) -> Iterator[None]:
        """An inter-process lock per key prefix (256 lock files at most, never removed: safe reuse)."""
        try:
            (self.root / LOCK_DIR).mkdir(parents=True, exist_ok=True)
            lock = filelock.FileLock(self.root / LOCK_DIR / f"{key[:2]}.lock", timeout=LOCK_TIMEOUT_SECONDS)
            lock.acquire()
        except (OSError, filelock.Timeout) as exc:
            _log_failure("audio cache lock for %s unavailable; generating without it", key, exc=exc,
                         level=logging.WARNING)
            yield
            return
        try:
            yield
        finally:
            lock.release()

    def keep(self, key: str, data: bytes, ident: EngineIdentity, locale: str, text: str, seconds: float) -> Path:
        """Keep MP3 bytes under `key` (a prompt, or a rendered segment) and return the file; StorageError if it cannot.

        The file is written atomically and readable by all (0644: prompts are public content, served
        at /audio/), then recorded. The manifest never names a file it does not hold: when the row
        cannot be written (a full disk fills the WAL too), the file just written is removed again.
        """
        rel = self.relative_path(ident, locale, key)
        path = self.root / rel
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, data)
        except OSError as exc:
            raise self.storage_error(exc) from exc
        now = time.time()
        try:
            with self._db() as conn:
                conn.execute(
                    f"INSERT OR REPLACE INTO prompts ({COLUMNS}) VALUES ({_MARKS})",
                    (key, text, ident.engine, ident.version, ident.voice, locale, ident.rate, rel.as_posix(),
                     seconds, len(data), hashlib.sha256(data).hexdigest(), now, now),
                )
        except (OSError, sqlite3.Error) as exc:
            with contextlib.suppress(OSError):
                path.unlink()  # frees the space, and no stray file waits for prune
            raise self.storage_error(exc) from exc
        return path

    # --- upkeep -----------------------------------------------------------------------------

    def stats(self) -> CacheStats:
        """Count, bytes and seconds of audio, overall, per engine, and per voice (engine identity) with its locales."""
        with self._db() as conn:
            rows = conn.execute(
                "SELECT engine, engine_version, voice, rate, GROUP_CONCAT(DISTINCT locale) AS locales, "
                "COUNT(*) AS n, COALESCE(SUM(size), 0) AS size, COALESCE(SUM(duration), 0) AS seconds "
                "FROM prompts GROUP BY engine, engine_version, voice, rate ORDER BY engine, voice, engine_version"
            ).fetchall()
        voices = [
            VoiceStats(describe(ident), ident.engine, ident.version, ident.voice, ident.rate,
                       sorted(r["locales"].split(",")), r["n"], r["size"], r["seconds"])
            for r in rows
            for ident in [EngineIdentity(r["engine"], r["engine_version"], r["voice"], r["rate"])]
        ]
        per: dict[str, EngineStats] = {}
        for v in voices:
            seen = per.get(v.engine, EngineStats(0, 0, 0.0))
            per[v.engine] = EngineStats(seen.count + v.count, seen.size + v.size, seen.duration + v.duration)
        return CacheStats(
            sum(s.count for s in per.values()), sum(s.size for s in per.values()),
            sum(s.duration for s in per.values()), per, voices,
        )

    def prune(self, max_bytes: int) -> PruneResult:
        """Delete least recently used prompts until the cache holds at most `max_bytes`.

        Also forgets rows whose file is gone and removes stray files no row describes (older than
        a few minutes, so a write in progress is left alone).
        """
        removed = freed = 0
        entries = self.entries()
        total = sum(e.size for e in entries)
        for entry in entries:
            if total <= max_bytes and entry.path.exists():
                continue
            with self._lock(entry.key):
                size = _size(entry.path)
                with contextlib.suppress(FileNotFoundError):
                    entry.path.unlink()
                with self._db() as conn:
                    conn.execute("DELETE FROM prompts WHERE key = ?", (entry.key,))
            total -= entry.size
            if size is not None:
                removed += 1
                freed += size
        freed += self._sweep_orphans()
        return PruneResult(removed, freed, max(total, 0))

    def _sweep_orphans(self) -> int:
        """Remove audio and temp files under the cache that no manifest row describes."""
        live = {e.path for e in self.entries()}
        cutoff = time.time() - ORPHAN_GRACE_SECONDS
        freed = 0
        for path in [*self.root.glob("*/*/??/*.mp3"), *self.root.glob("*/*/??/.*.tmp")]:
            with contextlib.suppress(FileNotFoundError):
                stat = path.stat()
                if path not in live and stat.st_mtime < cutoff:
                    path.unlink()
                    freed += stat.st_size
        return freed


def _log_failure(message: str, *args: object, exc: BaseException, level: int = logging.ERROR) -> None:
    """One log line for an expected failure (a disk, a manifest); the traceback only at DEBUG."""
    logger.log(level, message + ": %s: %s", *args, type(exc).__name__, exc, exc_info=logger.isEnabledFor(logging.DEBUG))


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None
