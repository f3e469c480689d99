"""What the SQLite store's request path costs by history length: it should not grow with the history.

Run `python bench/bench_state.py [--repeat 2000] [--quick]`; prints a markdown table. For runners with
0, 10, 100 and 700 finished workouts (harness.realistic_history; 500 are kept), it times `recent`
(what a request reads), the read-modify-write a StartRoutineIntent does (`update`: the unfinished
workout into the history, a new position) and `set_in_progress` (a "next"), against the same calls
for a new runner in the same run; `load` (the full history, for `bandcoach progress` and exports)
is shown beside them, since it does grow. Median of 5 batches.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from harness import median, realistic_history, table

from skill.progression import SessionRecord
from skill.routines import BandLevel, Place, Variant
from skill.state import InProgress, UserState
from skill.state.sqlite import SQLiteStore

HISTORIES = (0, 10, 100, 700)
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


def start_workout(store: SQLiteStore, user: str) -> Callable[[], object]:
    """What StartRoutineIntent writes: the kept workout into the history, and a new position."""
    def apply(state: UserState) -> UserState:
        return replace(state.with_session(SESSION), in_progress=POSITION)
    return lambda: store.update(user, apply)


def measure(repeat: int) -> str:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-state-") as folder:
        store = SQLiteStore(Path(folder) / "state.sqlite3", secret=b"bench")
        rng, now = random.Random(18), datetime.now(UTC)
        users = {n: f"amzn1.ask.account.STATE{n}" for n in HISTORIES}
        for n, user in users.items():
            history = realistic_history(n, rng, now=now)
            store.update(user, lambda s, h=history: replace(s, history=h, in_progress=POSITION))
        calls = {"recent": lambda u: lambda: store.recent(u), "start (update)": lambda u: start_workout(store, u),
                 "next (set_in_progress)": lambda u: lambda: store.set_in_progress(u, POSITION),
                 "load (full history)": lambda u: lambda: store.load(u)}
        for name, call in calls.items():
            base = per_call_us(call(users[0]), repeat)
            for n in HISTORIES:
                us = base if n == 0 else per_call_us(call(users[n]), repeat)
                rows.append([name, str(n), f"{us:.1f}", f"{us / base:.2f}x"])
    return ("## State store by history length (SQLite, median of 5 batches)\n\n"
            + table(["call", "workouts", "µs per call", "vs a new runner"], rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="A few calls: checks the harness, not speed.")
    args = parser.parse_args()
    print(measure(20 if args.quick else args.repeat))


if __name__ == "__main__":
    main()
