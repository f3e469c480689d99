"""Generate ahead of time every prompt the routines can speak, in threads or worker processes, keeping what is done."""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
import signal
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from audio.cache import AudioCache, Prompt, canonical_text
from audio.engines import TTSEngine, identity
from skill.catalog import Catalog
from skill.errors import StorageError, UnknownRoutine
from skill.files import STOP_SIGNALS, Terminated
from skill.routines import EXTRA_SETS_LIMIT, BandLevel, Variant
from skill.timeline import Timeline

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class WarmReport:
    """What one warm did: prompts made and kept, found, failed, not tried; seconds and bytes of those in the cache.

    `new` and `cached` count only prompts the cache holds afterwards: one made but not kept (a
    full or read-only disk) is `failed`, and `storage_error` says why in one line with the fix.
    The warm stops at such an error: the texts it did not try are `skipped`.
    """

    new: int = 0
    cached: int = 0
    failed: int = 0
    skipped: int = 0
    duration: float = 0.0
    size: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    interrupted: bool = False
    signum: int = int(signal.SIGINT)  # what interrupted it: SIGINT (Ctrl-C) or a stop signal (SIGTERM)
    storage_error: StorageError | None = None

    @property
    def total(self) -> int:
        return self.new + self.cached + self.failed + self.skipped

    def add(self, text: str, prompt: Prompt) -> None:
        """Count a prompt the cache answered: kept (made or found), or made but not kept."""
        if prompt.path is None:
            self.failed += 1
            self.failures.append((text, str(prompt.error or "made but not kept by the cache")))
            self.storage_error = self.storage_error or prompt.error
            return
        if prompt.created:
            self.new += 1
        else:
            self.cached += 1
        self.duration += prompt.duration
        self.size += len(prompt.data)


def every_timeline(
    catalog: Catalog,
    locale: str,
    *,
    routines: Sequence[str] = (),
    bands: Sequence[BandLevel] = (),
    variants: Sequence[Variant] = (),
    familiar: bool = False,
) -> Iterator[tuple[str, Timeline]]:
    """Every timeline the coach can play for the chosen routines (all by default): each variant, band
    and number of extra sets any progression plugin may suggest (up to the contract's EXTRA_SETS_LIMIT).
    `familiar` adds each one as a returning runner hears it step by step (short reminders, no full setup).

    Yields ("routine/variant/band/+extra", timeline); UnknownRoutine before anything for a bad id.
    """
    unknown = [r for r in routines if r not in catalog.routines]
    if unknown:
        raise UnknownRoutine(unknown[0], sorted(catalog.routines))
    for routine_id in routines or sorted(catalog.routines):
        for variant in variants or list(Variant):
            for band in bands or list(BandLevel):
                for extra in range(EXTRA_SETS_LIMIT + 1):
                    label = f"{routine_id}/{variant.value}/{band.value}/+{extra}"
                    yield label, catalog.timeline(routine_id, band=band, variant=variant, locale=locale,
                                                  extra_sets=extra)
                    if familiar:
                        known = frozenset(s.exercise for s in catalog.routines[routine_id].steps)
                        yield f"{label}/familiar", catalog.timeline(routine_id, band=band, variant=variant,
                                                                    locale=locale, extra_sets=extra, familiar=known)


def cue_texts(
    catalog: Catalog,
    *,
    locale: str,
    routines: Sequence[str] = (),
    bands: Sequence[BandLevel] = (),
    variants: Sequence[Variant] = (),
    extra_texts: Iterable[str] = (),
) -> list[str]:
    """Every distinct cue text of every_timeline() for these choices, the returning runner's reminders too
    (the local segment source joins a session answer from these prompts, whichever form it takes).

    `extra_texts` adds prompts that are not cues (the skill's fixed phrases); order is kept so
    a warm proceeds routine by routine.
    """
    seen: dict[str, None] = {}
    for _, timeline in every_timeline(catalog, locale, routines=routines, bands=bands, variants=variants,
                                      familiar=True):
        for cue in timeline.cues():
            seen.setdefault(canonical_text(cue.text), None)
    for text in extra_texts:
        seen.setdefault(canonical_text(text), None)
    seen.pop("", None)
    return list(seen)


def in_processes(engine: TTSEngine) -> bool:
    """Whether the engine speaks in worker processes (`worker_pool = "processes"`, e.g. Piper) rather than threads."""
    return getattr(engine, "worker_pool", "threads") == "processes"


def worker_count(engine: TTSEngine) -> int:
    """Workers for a warm: the engine's own cap, and no more than two threads (or one process) per core."""
    per_core = 1 if in_processes(engine) else 2
    return max(1, min(int(getattr(engine, "max_workers", 1) or 1), per_core * (os.cpu_count() or 1)))


def warm(
    cache: AudioCache,
    engine: TTSEngine,
    texts: Sequence[str],
    locale: str,
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> WarmReport:
    """Make sure every text is cached for `locale`; a text the engine fails is counted and the rest go on.

    Texts the cache already holds are counted first, without starting a worker. The rest are made
    on a thread pool, or a process pool for an engine that speaks in processes (each worker opens
    the cache and loads its voice once; see `_start_worker`).

    Raises StorageError (one line, with the fix) before synthesising anything when the cache cannot
    be written at all (read-only, not ours). A prompt the cache cannot keep (the disk filled up)
    stops the warm: prompts in flight finish, the rest are skipped, and `storage_error` says why.
    On KeyboardInterrupt (Ctrl-C, or SIGTERM under skill.files.terminate_as_interrupt), prompts in
    flight finish (each write is atomic; worker processes ignore the signals and leave stopping to
    this one), the rest are cancelled, and the report comes back with `interrupted` set. A warm
    that was not interrupted records the engine's identity for the locale (if any prompt is in the
    cache), which is what the request path looks prompts up by.
    """
    cache.check_writable()
    report = WarmReport()
    pool: Executor | None = None
    pending: dict[Future[Prompt], str] = {}
    try:
        missing = _count_cached(report, cache, engine, texts, locale, progress)
        if missing:
            pool, ensure = _pool(cache, engine, workers or worker_count(engine))
            pending = {pool.submit(ensure, text, locale): text for text in missing}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                _collect(report, pending.pop(future), future)
                if progress is not None:
                    progress(1)
            if report.storage_error is not None:
                for future in pending:
                    future.cancel()  # the disk will not empty itself: stop asking the engine
    except KeyboardInterrupt as interrupt:
        report.interrupted = True
        if isinstance(interrupt, Terminated):
            report.signum = interrupt.signum
        logger.warning("warm interrupted; finishing the %d prompt(s) in flight", len(pending))
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        for future, text in pending.items():
            _collect(report, text, future)
        return report
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    if report.new + report.cached:
        try:
            cache.remember_identity(locale, identity(engine, locale))
        except (OSError, sqlite3.Error) as exc:  # the prompts are there, but lookups would not find them
            report.storage_error = report.storage_error or cache.storage_error(exc)
    return report


def _count_cached(report: WarmReport, cache: AudioCache, engine: TTSEngine, texts: Sequence[str], locale: str,
                  progress: Callable[[int], None] | None) -> list[str]:
    """Count the texts the cache holds intact as cached; return the others, in order."""
    missing: list[str] = []
    for text in texts:
        found = cache.cached(engine, text, locale)
        if found is None:
            missing.append(text)
            continue
        report.add(text, found)
        if progress is not None:
            progress(1)
    return missing


def _pool(cache: AudioCache, engine: TTSEngine, workers: int) -> tuple[Executor, Callable[[str, str], Prompt]]:
    """The executor for this engine and the function each text is handed to."""
    if not in_processes(engine):
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="warm")
        return pool, functools.partial(cache.ensure, engine)
    # spawn, not fork: the parent may hold threads and SQLite connections that a forked child must not share.
    context = multiprocessing.get_context("spawn")
    processes = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                                    initargs=(cache.root, engine))
    return processes, _ensure_in_worker


_worker: tuple[AudioCache, TTSEngine] | None = None
"""In a warm's worker process only: its cache and engine, set once by _start_worker."""


def _start_worker(root: Path, engine: TTSEngine) -> None:
    """Set up a worker process: signals left to the parent, its own cache connection, the voice loaded once."""
    global _worker
    for signum in (signal.SIGINT, *STOP_SIGNALS):
        signal.signal(signum, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the parent decides
    _worker = (AudioCache(root), engine)
    prepare = getattr(engine, "prepare", None)
    if callable(prepare):
        try:
            prepare()
        except Exception:  # each prompt will fail with the real error, counted and reported by the parent
            logger.exception("engine %r could not prepare in a worker process", engine.name)


def _ensure_in_worker(text: str, locale: str) -> Prompt:
    """`cache.ensure` for one text, in a worker process."""
    if _worker is None:
        raise RuntimeError("a warm worker was used before _start_worker set it up")
    cache, engine = _worker
    return cache.ensure(engine, text, locale)


def _collect(report: WarmReport, text: str, future: Future[Prompt]) -> None:
    if future.cancelled():
        report.skipped += 1
        return
    error = future.exception()
    if error is None:
        report.add(text, future.result())
        return
    report.failed += 1
    report.failures.append((text, f"{type(error).__name__}: {error}"))
    logger.error("prompt %r failed: %s", text, error)
