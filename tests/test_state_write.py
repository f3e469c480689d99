"""A start's write: what a read decodes after it is what a fresh decode gives, and it runs no needless statement."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from test_state_bounded import workouts

from skill.progression import Rating
from skill.routines import BandLevel, Place, Variant
from skill.state import model
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


def statements_of(store: SQLiteStore, action: Callable[[], object]) -> list[str]:
    """The statements `action` runs on this thread's connection, each by its first three words."""
    traced: list[str] = []
    conn = store.connection()
    conn.set_trace_callback(traced.append)
    try:
        action()
    finally:
        conn.set_trace_callback(None)
    return [" ".join(sql.split()[:3]).upper() for sql in traced]


WRITE_A_START = ["BEGIN IMMEDIATE", "UPDATE USERS SET", "INSERT INTO SESSIONS", "COMMIT"]


def test_a_start_below_the_history_limit_reads_the_row_then_writes_it_and_one_session(store: SQLiteStore) -> None:
    assert statements_of(store, lambda: store.update(RUNNER, start)) == ["SELECT DEFAULT_BAND, LOCALE,",
                                                                         *WRITE_A_START]


def test_a_start_past_the_history_limit_trims_in_the_same_transaction(store: SQLiteStore,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "HISTORY_LIMIT", 9)  # the runner's 10 workouts and the new one: two go
    assert statements_of(store, lambda: store.update(RUNNER, start)) == [
        "SELECT DEFAULT_BAND, LOCALE,", *WRITE_A_START[:-1], "DELETE FROM SESSIONS", "COMMIT"]
    assert store.load(RUNNER).history == (*workouts(10)[-8:], workouts(11)[-1])


def test_a_rating_edits_the_session_row_in_the_same_transaction(store: SQLiteStore) -> None:
    assert statements_of(store, lambda: store.update(RUNNER, lambda s: s.with_rating(Rating.HARD))) == [
        "SELECT DEFAULT_BAND, LOCALE,", "BEGIN IMMEDIATE", "UPDATE USERS SET", "UPDATE SESSIONS SET", "COMMIT"]
    assert store.load(RUNNER).history[-1].rating is Rating.HARD
    assert len(store.load(RUNNER).history) == 10


def test_a_write_by_another_process_between_read_and_write_is_kept_and_the_change_made_again(
        store: SQLiteStore) -> None:
    other = SQLiteStore(store.path, secret=b"test")  # another process's store on the same file
    calls = []

    def start_while_another_adds_a_band(state: UserState) -> UserState:
        if not calls:
            other.update(RUNNER, lambda s: s.with_owned({*s.owned, BandLevel.MEDIUM}))
        calls.append(state)
        return start(state)

    written = store.update(RUNNER, start_while_another_adds_a_band)
    assert len(calls) == 2 and BandLevel.MEDIUM in calls[1].owned
    assert store.recent(RUNNER) == written
    assert BandLevel.MEDIUM in written.owned and written.history[-1] == workouts(11)[-1]


def test_a_new_runners_first_write_loses_to_a_concurrent_first_write_and_runs_again(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.sqlite3", secret=b"test")
    other = SQLiteStore(store.path, secret=b"test")
    calls = []

    def first(state: UserState) -> UserState:
        if not calls:
            other.set_in_progress(RUNNER, PLACE)
        calls.append(state)
        return state.with_owned({BandLevel.LIGHT})

    written = store.update(RUNNER, first)
    assert len(calls) == 2 and written.in_progress == PLACE and written.owned == (BandLevel.LIGHT,)


def test_other_writers_are_not_held_up_while_an_update_works_out_its_change(store: SQLiteStore) -> None:
    """The write lock covers the statements only: a position written from another thread while `fn` runs
    does not wait for it (were the lock held, it could not finish before the 10 s join gives up)."""
    written = threading.Event()

    def start_after_another_runner_moves_on(state: UserState) -> UserState:
        mover = threading.Thread(target=lambda: (store.set_in_progress("amzn1.ask.account.OTHER", PLACE),
                                                 written.set()))
        mover.start()
        mover.join(timeout=10)
        return start(state)

    store.update(RUNNER, start_after_another_runner_moves_on)
    assert written.is_set()


def test_an_update_right_after_recent_writes_without_reading_the_row_again(store: SQLiteStore) -> None:
    store.recent(RUNNER)  # what a request does first (memory.load)
    assert statements_of(store, lambda: store.update(RUNNER, start)) == WRITE_A_START


def test_a_row_remembered_from_recent_that_another_process_changed_since_is_not_written_over(
        store: SQLiteStore) -> None:
    store.recent(RUNNER)
    SQLiteStore(store.path, secret=b"test").update(RUNNER, lambda s: s.with_owned({*s.owned, BandLevel.MEDIUM}))
    written = store.update(RUNNER, start)
    assert BandLevel.MEDIUM in written.owned and written.history[-1] == workouts(11)[-1]
    assert store.recent(RUNNER) == written


def test_an_update_that_changes_nothing_answers_with_the_stored_state_not_the_remembered_one(
        store: SQLiteStore) -> None:
    store.recent(RUNNER)
    SQLiteStore(store.path, secret=b"test").update(RUNNER, lambda s: s.with_owned({*s.owned, BandLevel.MEDIUM}))
    assert BandLevel.MEDIUM in store.update(RUNNER, lambda s: s).owned
