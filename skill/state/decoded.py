"""Decoded runner states kept in memory, each valid only while its stored row is unchanged.

Decoding a runner's history costs about 2.7 µs a session (1.4 ms for the 500 kept), and a request
reads the state once or twice. SQLiteStore keeps what it decoded here under the row's stamp, the
(version, updated_at) pair that every write changes, and reuses it while the row still carries
that stamp. Another process's write changes the stamp, so the cache never answers for a row it
has not seen. The budget counts sessions, so a few long histories cannot crowd out memory.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from skill.state.model import UserState

Stamp = tuple[int, str]  # (users.version, users.updated_at)
DEFAULT_BUDGET = 20_000  # sessions kept per process (about 5 MB); BANDCOACH_STATE_CACHE_SESSIONS sets it


class DecodedStates:
    """A least-recently-used map: user key -> (stamp, state, history row seqs), bounded by sessions held."""

    def __init__(self, budget: int = DEFAULT_BUDGET) -> None:
        self.budget = budget
        self._entries: OrderedDict[str, tuple[Stamp, UserState, tuple[int, ...]]] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: str, stamp: Stamp) -> tuple[UserState, tuple[int, ...]] | None:
        """The state and seqs kept for `key` if they were decoded from a row with this stamp."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != stamp:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[1], entry[2]

    def put(self, key: str, stamp: Stamp, state: UserState, seqs: tuple[int, ...]) -> None:
        """Keep `state` as the row with `stamp` decodes; the least recently used go past the budget."""
        cost = _cost(state)
        with self._lock:
            self._remove(key)
            if cost > self.budget:
                return
            self._entries[key] = (stamp, state, seqs)
            self._held += cost
            while self._held > self.budget:
                self._remove(next(iter(self._entries)))

    def drop(self, key: str) -> None:
        """Forget `key` (its row was changed without decoding the result, or deleted)."""
        with self._lock:
            self._remove(key)

    def stats(self) -> dict[str, Any]:
        """Entries, sessions held, hits and misses: for benchmarks and tests."""
        with self._lock:
            return {"entries": len(self._entries), "sessions": self._held, "hits": self.hits, "misses": self.misses}

    def _remove(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._held -= _cost(entry[1])


def _cost(state: UserState) -> int:
    return 1 + len(state.history)
