"""What reading and starting a workout cost in the SQLite store, by history length, with and without the cache.

Run `python bench/bench_state.py [--repeat 2000] [--quick]`; prints a markdown table. For runners with
0, 10, 100 and 500 sessions (500 is the most kept), it times `load` and the read-modify-write a
StartRoutineIntent does (`update`, appending a session and setting the position). The baseline,
measured beside it in the same run, is the same store with its decoded-state cache turned off
(budget 0): every read decodes the history, as before the cache. Median of 5 batches. Below the
table: the memory the cache holds per decoded session (tracemalloc), which sizes
BANDCOACH_STATE_CACHE_SESSIONS.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from harness import median, table

from skill.progression import SessionRecord
from skill.routines import BandLevel, Place, Variant
from skill.state import InProgress, UserState
from skill.state.decoded import DecodedStates
from skill.state.sqlite import SQLiteStore

HISTORIES = (0, 10, 100, 500)
WHEN = datetime(2026, 11, 1, 7, 30, tzinfo=UTC)
SESSION = SessionRecord("recovery", Variant.STANDARD, BandLevel.LIGHT, 0, WHEN, 600, False)
POSITION = InProgress(Place("recovery", Variant.STANDARD, BandLevel.LIGHT, 0, 0, int(WHEN.timestamp())))


def per_call_us(fn: Callable[[], object], repeat: int) -> float:
    """Median over 5 batches of the mean µs of one call."""
    fn()
    batches = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        batches.append((time.perf_counter() - start) / repeat * 1e6)
    return median(batches)


def stores(folder: Path) -> dict[str, SQLiteStore]:
    """Two stores on one file: the cache on, and the cache off (the baseline)."""
    cached = SQLiteStore(folder / "state.sqlite3", secret=b"bench")
    uncached = SQLiteStore(folder / "state.sqlite3", secret=b"bench")
    uncached.decoded = DecodedStates(budget=0)
    return {"cached": cached, "uncached": uncached}


def start_workout(store: SQLiteStore, user: str) -> Callable[[], object]:
    """What StartRoutineIntent writes: the kept workout into the history, a new position (history length kept)."""
    def apply(state: UserState) -> UserState:
        history = (*state.history[1:], SESSION) if state.history else ()
        block = (state.in_progress or POSITION).place.block + 1
        return replace(state, history=history, in_progress=replace(POSITION, place=POSITION.place.at(block)))
    return lambda: store.update(user, apply)


def bytes_per_session(path: Path, users: list[str]) -> float:
    """Memory the cache holds per decoded session: a fresh store (another process) loads each runner."""
    store = SQLiteStore(path, secret=b"bench")
    store.load(users[0])  # the connection and statement cache are not the cache's memory
    store.decoded.drop(store.key(users[0]))
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    sessions = sum(len(store.load(user).history) for user in users)
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return held / sessions


def measure(repeat: int) -> tuple[list[list[str]], float]:
    """The table's rows, and the bytes the cache holds per session."""
    rows, users = [], []
    with tempfile.TemporaryDirectory(prefix="bench-state-") as folder:
        found = stores(Path(folder))
        for n in HISTORIES:
            user = f"amzn1.ask.account.BENCH{n}"
            users.append(user)
            for _ in range(n):
                found["cached"].record_workout(user, SESSION, clear_position=False)
            found["cached"].set_in_progress(user, POSITION)
            load = {k: per_call_us(lambda s=s, u=user: s.load(u), repeat) for k, s in found.items()}
            start = {k: per_call_us(start_workout(s, user), max(1, repeat // 4)) for k, s in found.items()}
            rows.append([str(n), f"{load['uncached']:.0f}", f"{load['cached']:.0f}",
                         f"{load['cached'] / load['uncached']:.2f}x", f"{start['uncached']:.0f}",
                         f"{start['cached']:.0f}", f"{start['cached'] / start['uncached']:.2f}x"])
        return rows, bytes_per_session(found["cached"].path, users)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2000, help="Loads per batch (a quarter as many starts).")
    parser.add_argument("--quick", action="store_true", help="Tiny batches: checks the harness, not speed.")
    args = parser.parse_args()
    rows, per_session = measure(20 if args.quick else args.repeat)
    header = ["sessions kept", "load, no cache µs", "load, cache µs", "ratio", "start, no cache µs",
              "start, cache µs", "ratio"]
    print("## SQLite state: load and start a workout, by history length (median of 5 batches)\n")
    print(table(header, rows))
    print(f"\nThe cache holds {per_session:.0f} bytes per decoded session (tracemalloc, {sum(HISTORIES)} sessions).")


if __name__ == "__main__":
    main()
