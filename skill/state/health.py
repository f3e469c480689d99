"""Whether the state store works: every operation's outcome, kept for /healthz and logged once per cause.

`WatchedStore` wraps the store a runtime uses; each failure marks the store failing (reads and
writes separately, since a full disk fails writes while reads go on) until an operation of that
kind succeeds again. A cause is logged when it starts, not on every request that meets it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from skill.progression import SessionRecord
from skill.state.model import InProgress, Store, UserState

logger = logging.getLogger(__name__)
T = TypeVar("T")
Kind = Literal["read", "write"]

LOG_AGAIN_AFTER_S = 600.0  # the same cause, back after a recovery, is logged again only after this long
MAX_CAUSES_KEPT = 64  # causes remembered as logged; the oldest is forgotten first
MAX_CAUSE_CHARS = 200


@dataclass(frozen=True, slots=True)
class Fault:
    """A kind of store operation that is failing: why, since when, and how often."""

    kind: Kind
    cause: str
    since: datetime
    failures: int


class StoreHealth:
    """The store's current faults (thread-safe); `fault()` is None while every kind works."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._faults: dict[Kind, Fault] = {}
        self._logged: dict[str, float] = {}  # cause -> when it was last logged
        self._clock = clock
        self.total_failures = 0  # every failed operation since start (the /metrics counter)

    def failed(self, kind: Kind, exc: BaseException) -> None:
        """An operation of `kind` failed with `exc`: keep the cause, and log it unless it is already known."""
        cause = describe(exc)
        with self._lock:
            self.total_failures += 1
            old = self._faults.get(kind)
            same = old is not None and old.cause == cause
            self._faults[kind] = Fault(kind, cause, old.since if same and old else datetime.now(UTC),
                                       (old.failures if same and old else 0) + 1)
            now = self._clock()
            last = self._logged.get(cause)
            fresh = last is None or (not same and now - last > LOG_AGAIN_AFTER_S)
            if fresh:
                self._logged.pop(cause, None)
                self._logged[cause] = now
                while len(self._logged) > MAX_CAUSES_KEPT:
                    del self._logged[next(iter(self._logged))]
        if fresh:  # the one line per cause; the traceback goes with it, once
            logger.error("state store failed (%ss): %s; runners keep their coaching but not their progress "
                         "until it works again (see /healthz)", kind, _full(exc), exc_info=exc)

    def succeeded(self, *kinds: Kind) -> None:
        """Operations of `kinds` work again: clear their faults (and say so once)."""
        with self._lock:
            cleared = [self._faults.pop(kind) for kind in kinds if kind in self._faults]
        for fault in cleared:
            logger.warning("state store %ss work again after %d failure(s) since %s (%s)",
                           fault.kind, fault.failures, fault.since.isoformat(timespec="seconds"), fault.cause)

    def faults(self) -> list[Fault]:
        """The current faults, writes first."""
        with self._lock:
            return sorted(self._faults.values(), key=lambda f: f.kind != "write")

    def report(self) -> dict[str, Any] | None:
        """What /healthz shows about the store: None while it works."""
        faults = self.faults()
        if not faults:
            return None
        return {"status": "failing", "failing": [f.kind for f in faults], "cause": faults[0].cause,
                "since": min(f.since for f in faults).isoformat(timespec="seconds"),
                "failures": sum(f.failures for f in faults),
                "fix": "the log has the full error and its fix; this clears when the store works again"}


def describe(exc: BaseException) -> str:
    """A short cause for /healthz: the underlying error (sqlite, AWS), without paths or the fix text."""
    root = exc.__cause__ if exc.__cause__ is not None else exc
    text = " ".join(str(root).split()) or type(root).__name__
    return f"{type(root).__name__}: {text}"[:MAX_CAUSE_CHARS]


def _full(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:1000]


class WatchedStore(Store):
    """A store whose every operation reports to `health`; otherwise exactly the wrapped store."""

    def __init__(self, inner: Store, health: StoreHealth | None = None) -> None:
        super().__init__(secret=b"")  # keys come from the inner store
        self.inner = inner
        self.health = health or StoreHealth()

    def _watch(self, kind: Kind, call: Callable[[], T], *, reads: bool = False) -> T:
        """Run one operation of `kind`; `reads`: a write that read the state first, so reads work too."""
        try:
            result = call()
        except Exception as exc:
            self.health.failed(kind, exc)
            raise
        self.health.succeeded(kind, *(("read",) if reads else ()))
        return result

    def key(self, user_id: str) -> str:
        return self.inner.key(user_id)

    def load(self, user_id: str) -> UserState:
        return self._watch("read", lambda: self.inner.load(user_id))

    def recent(self, user_id: str) -> UserState:
        return self._watch("read", lambda: self.inner.recent(user_id))

    def update(self, user_id: str, fn: Callable[[UserState], UserState], *, durable: bool = False) -> UserState:
        return self._watch("write", lambda: self.inner.update(user_id, fn, durable=durable), reads=True)

    def forget(self, user_id: str) -> bool:
        return self._watch("write", lambda: self.inner.forget(user_id))

    def migrate(self) -> int:
        return self._watch("write", self.inner.migrate, reads=True)

    def set_in_progress(self, user_id: str, kept: InProgress) -> None:
        self._watch("write", lambda: self.inner.set_in_progress(user_id, kept))

    def record_workout(self, user_id: str, record: SessionRecord, *, clear_position: bool = True) -> UserState:
        return self._watch("write", lambda: self.inner.record_workout(user_id, record, clear_position=clear_position),
                           reads=True)
