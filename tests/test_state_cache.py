"""Decoded states are reused only while their row is unchanged, whoever changed it, within a session budget.

Two SQLiteStore objects on one file share no memory, as two server processes would not.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from skill.progression import SessionRecord
from skill.routines import BandLevel, Place, Variant
from skill.state import InProgress, UserState
from skill.state.decoded import DecodedStates
from skill.state.sqlite import SQLiteStore

ALEXA_ID = "amzn1.ask.account.AFAKEIDFORCACHETESTS0123"
WHEN = datetime(2026, 3, 10, 18, 30, tzinfo=UTC)
SESSION = SessionRecord("recovery", Variant.STANDARD, BandLevel.LIGHT, 0, WHEN, 600, True)
POSITION = InProgress(Place("glutes", Variant.STANDARD, BandLevel.HEAVY, 0, 3, int(WHEN.timestamp())))


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "bandcoach.sqlite3"


def store_at(path: Path) -> SQLiteStore:
    return SQLiteStore(path, secret=b"test-secret")


def with_history(n: int) -> UserState:
    return UserState(history=(SESSION,) * n)


# SQLiteStore with its cache.

def test_reading_an_unchanged_runner_again_decodes_nothing(path: Path) -> None:
    store = store_at(path)
    store.record_workout(ALEXA_ID, SESSION)
    first = store.load(ALEXA_ID)
    assert store.load(ALEXA_ID) is first
    assert store.decoded.stats()["hits"] >= 1


def test_a_write_of_this_process_is_what_the_next_read_returns_without_decoding(path: Path) -> None:
    store = store_at(path)
    written = store.record_workout(ALEXA_ID, SESSION)
    misses = store.decoded.stats()["misses"]
    assert store.load(ALEXA_ID) is written
    assert store.decoded.stats()["misses"] == misses


def test_another_process_recording_a_workout_is_seen(path: Path) -> None:
    mine, theirs = store_at(path), store_at(path)
    mine.record_workout(ALEXA_ID, SESSION)
    mine.load(ALEXA_ID)
    theirs.record_workout(ALEXA_ID, SESSION)
    assert mine.load(ALEXA_ID).history == (SESSION, SESSION)


def test_another_process_moving_the_position_is_seen(path: Path) -> None:
    mine, theirs = store_at(path), store_at(path)
    mine.record_workout(ALEXA_ID, SESSION)
    mine.load(ALEXA_ID)
    theirs.set_in_progress(ALEXA_ID, POSITION)
    assert mine.load(ALEXA_ID).in_progress == POSITION


def test_this_process_moving_the_position_is_seen(path: Path) -> None:
    store = store_at(path)
    store.record_workout(ALEXA_ID, SESSION)
    store.load(ALEXA_ID)
    store.set_in_progress(ALEXA_ID, POSITION)
    assert store.load(ALEXA_ID).in_progress == POSITION


def test_a_runner_forgotten_and_recreated_elsewhere_is_not_served_from_memory(path: Path) -> None:
    mine, theirs = store_at(path), store_at(path)
    mine.record_workout(ALEXA_ID, SESSION)
    mine.load(ALEXA_ID)  # kept at version 1
    theirs.forget(ALEXA_ID)
    theirs.set_band(ALEXA_ID, None, BandLevel.HEAVY)  # a new row, at version 1 again
    state = mine.load(ALEXA_ID)
    assert state.history == ()
    assert state.band is BandLevel.HEAVY


def test_an_update_retried_after_a_conflict_starts_from_the_stored_state(path: Path) -> None:
    mine, theirs = store_at(path), store_at(path)
    mine.record_workout(ALEXA_ID, SESSION)
    theirs.record_workout(ALEXA_ID, SESSION)
    state = mine.update(ALEXA_ID, lambda s: s.with_session(SESSION))
    assert len(state.history) == 3
    assert len(theirs.load(ALEXA_ID).history) == 3


# DecodedStates on its own.

def test_a_different_stamp_is_a_miss() -> None:
    cache = DecodedStates()
    cache.put("k", (1, "t1"), with_history(2), (0, 1))
    assert cache.get("k", (1, "t1")) == (with_history(2), (0, 1))
    assert cache.get("k", (2, "t2")) is None


def test_the_least_recently_used_go_first_when_sessions_pass_the_budget() -> None:
    cache = DecodedStates(budget=30)
    cache.put("a", (1, "t"), with_history(9), ())  # 10 each, counting the runner
    cache.put("b", (1, "t"), with_history(9), ())
    cache.put("c", (1, "t"), with_history(9), ())
    cache.get("a", (1, "t"))
    cache.put("d", (1, "t"), with_history(9), ())
    assert cache.get("b", (1, "t")) is None
    assert cache.get("a", (1, "t")) is not None
    assert cache.stats()["sessions"] == 30


def test_a_history_larger_than_the_budget_is_not_kept() -> None:
    cache = DecodedStates(budget=5)
    cache.put("a", (1, "t"), with_history(9), ())
    assert cache.stats() == {"entries": 0, "sessions": 0, "hits": 0, "misses": 0}


def test_replacing_an_entry_counts_its_sessions_once() -> None:
    cache = DecodedStates()
    cache.put("a", (1, "t"), with_history(4), ())
    cache.put("a", (2, "u"), with_history(6), ())
    assert cache.stats()["sessions"] == 7
