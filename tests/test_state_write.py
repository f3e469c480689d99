"""A start's write: what a read decodes after it is what a fresh decode gives, and it runs no needless statement."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from test_state_bounded import workouts

from skill.routines import BandLevel, Place, Variant
from skill.state import sqlite as sqlite_module
from skill.state.model import InProgress, UserState
from skill.state.sqlite import SQLiteStore

RUNNER = "amzn1.ask.account.STARTER"
PLACE = InProgress(Place("recovery", Variant.STANDARD, BandLevel.LIGHT, 0, 2, 1_700_000_000))


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    """A runner with 10 workouts, a band per routine and the bands they own: preferences a start leaves alone."""
    store = SQLiteStore(tmp_path / "state.sqlite3", secret=b"test")
    store.update(RUNNER, lambda s: replace(s, history=workouts(10), bands=(("glutes", BandLevel.HEAVY),),
                                           owned=(BandLevel.LIGHT, BandLevel.HEAVY), running_days=(0, 3)))
    return store


def start(state: UserState) -> UserState:
    """What StartRoutineIntent changes: a workout added to the history, a new kept place."""
    return replace(state.with_session(workouts(11)[-1]), in_progress=PLACE)


def test_a_start_reads_back_the_same_state_after_the_decoded_rows_are_forgotten(store: SQLiteStore) -> None:
    written = store.update(RUNNER, start)
    remembered = store.recent(RUNNER)
    sqlite_module._DECODED._rows.clear()
    assert store.recent(RUNNER) == remembered == written
    assert remembered.bands == (("glutes", BandLevel.HEAVY),) and remembered.running_days == (0, 3)


def test_a_start_below_the_history_limit_writes_the_user_row_and_one_session_only(store: SQLiteStore) -> None:
    statements: Counter[str] = Counter()
    conn = store.connection()
    conn.set_trace_callback(lambda sql: statements.update([" ".join(sql.split()[:2]).upper()]))
    try:
        store.update(RUNNER, start)
    finally:
        conn.set_trace_callback(None)
    assert statements == Counter({"BEGIN IMMEDIATE": 1, "SELECT DEFAULT_BAND,": 1, "INSERT INTO": 2, "COMMIT": 1})
