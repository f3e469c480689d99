"""A request reads a bounded amount per runner: one with 700 workouts costs SQLite what one with 10 does.

The work is counted inside SQLite (virtual-machine instructions and statements on the request
thread's connection), through the real app and real envelopes; no clock is involved.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.alexa_checks import answered

from skill import testing
from skill.progression import Rating, SessionRecord
from skill.routines import BandLevel, Variant
from skill.state import model
from skill.state.recent import ROUTINE_SESSIONS, STREAK_REACH_DAYS, tally, window
from skill.state.sqlite import SCHEMA_VERSION, SQLiteStore

NEW, VETERAN = "amzn1.ask.account.TEN", "amzn1.ask.account.SEVEN.HUNDRED"
TODAY = datetime.now(UTC).replace(hour=7, minute=0, second=0, microsecond=0)


def workouts(n: int) -> tuple[SessionRecord, ...]:
    """The newest `n` of a runner's workouts: two a day (recovery after the run, glutes in the evening)."""
    every = [SessionRecord("recovery" if i % 2 else "glutes", Variant.STANDARD, BandLevel.LIGHT, 0,
                           TODAY - timedelta(days=1 + i // 2) + timedelta(hours=10 * (1 - i % 2)), 600, True)
             for i in range(n)]
    return tuple(reversed(every))


def sqlite_of(app: Any) -> SQLiteStore:
    store = app.extensions["bandcoach"].store.inner
    assert isinstance(store, SQLiteStore)
    return store


class Work:
    """What SQLite does on one connection: statements run and virtual-machine instructions stepped."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn, self.steps, self.statements = conn, 0, Counter[str]()

    def __enter__(self) -> Work:
        self.conn.set_progress_handler(self._step, 1)
        self.conn.set_trace_callback(lambda sql: self.statements.update([sql.split()[0].upper()]))
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.set_progress_handler(None, 1)
        self.conn.set_trace_callback(None)

    def _step(self) -> int:
        self.steps += 1
        return 0


@pytest.fixture
def seeded(app: Any) -> SQLiteStore:
    """The app's store with a runner of 10 workouts and one of 700 (the newest 500 kept), same routines."""
    store = sqlite_of(app)
    store.update(NEW, lambda s: replace(s, history=workouts(10)))
    store.update(VETERAN, lambda s: replace(s, history=workouts(700)))
    return store


def conversation(post: Callable[[dict[str, Any]], Any], user: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Launch, start a routine, "next" four times, "how am I doing", "stop": each request as it is sent."""
    yield "launch", testing.launch_request(user_id=user)
    started = answered(post, testing.intent_request("StartRoutineIntent", {"routine": ("recovery", "recovery")},
                                                    user_id=user, new=True))
    attrs = started["sessionAttributes"]
    for n in range(4):
        request = testing.intent_request("AMAZON.NextIntent", {}, user_id=user, session_attributes=attrs)
        yield f"next {n + 1}", request
        attrs = answered(post, request)["sessionAttributes"]
    yield "progress", testing.intent_request("ProgressIntent", {}, user_id=user, session_attributes=attrs)
    yield "stop", testing.intent_request("AMAZON.StopIntent", {}, user_id=user, session_attributes=attrs)


def sqlite_work(post: Callable[[dict[str, Any]], Any], store: SQLiteStore,
                user: str) -> dict[str, tuple[int, Counter[str]]]:
    """Per request of `conversation`: the instructions and statements SQLite ran for it."""
    measured = {}
    for name, request in conversation(post, user):
        with Work(store.connection()) as work:
            answered(post, request)
        measured[name] = (work.steps, work.statements)
    return measured


def test_every_request_costs_sqlite_the_same_for_700_workouts_as_for_10(post: Any, seeded: SQLiteStore) -> None:
    assert len(seeded.load(VETERAN).history) == model.HISTORY_LIMIT  # the full history is there to read...
    new, veteran = sqlite_work(post, seeded, NEW), sqlite_work(post, seeded, VETERAN)
    assert veteran == new  # ...and no request reads it
    assert all(steps < 2_000 for steps, _ in veteran.values()), veteran


def test_the_row_a_request_reads_is_bounded_by_routines_not_by_workouts(seeded: SQLiteStore) -> None:
    with sqlite3.connect(seeded.path) as conn:
        kept = {user: (n, size) for user, n, size in conn.execute(
            "SELECT user, json_array_length(recent), length(recent) + length(days) FROM users")}
    assert kept[seeded.key(VETERAN)][0] == kept[seeded.key(NEW)][0] == 2 * ROUTINE_SESSIONS
    assert kept[seeded.key(VETERAN)][1] < 4_000  # the day tally is a bitmap of STREAK_REACH_DAYS days


def test_the_recent_state_holds_the_newest_workouts_of_each_routine(seeded: SQLiteStore) -> None:
    recent = seeded.recent(VETERAN)
    assert recent.history == workouts(700)[-2 * ROUTINE_SESSIONS:]
    assert recent.history == seeded.load(VETERAN).history[-2 * ROUTINE_SESSIONS:]


def test_streak_and_week_come_from_the_day_tally_not_the_history(seeded: SQLiteStore) -> None:
    recent, full = seeded.recent(VETERAN), seeded.load(VETERAN)
    today = TODAY.date()
    assert len(recent.workout_days()) == 350  # every workout recorded counts, also those the 500 kept no longer hold
    assert recent.streak_days(today) == full.streak_days(today) == 350
    assert recent.workouts_this_week(today) == full.workouts_this_week(today)


def test_a_rating_edits_the_newest_workout_in_place(seeded: SQLiteStore) -> None:
    seeded.update(NEW, lambda s: s.with_rating(Rating.HARD))
    full = seeded.load(NEW).history
    assert full[-1] == replace(workouts(10)[-1], rating=Rating.HARD) and full[:-1] == workouts(10)[:-1]
    assert seeded.recent(NEW).history[-1].rating is Rating.HARD


def test_a_workout_added_reaches_the_full_history_and_the_recent_state(seeded: SQLiteStore) -> None:
    done = SessionRecord("warmup", Variant.STANDARD, BandLevel.LIGHT, 0, TODAY, 300, True)
    stored = seeded.record_workout(VETERAN, done)
    assert stored.history[-1] == done == seeded.load(VETERAN).history[-1]
    assert len(seeded.load(VETERAN).history) == model.HISTORY_LIMIT  # the oldest went
    assert seeded.recent(VETERAN).workouts_this_week(TODAY.date()) == \
        seeded.load(VETERAN).workouts_this_week(TODAY.date())


def test_a_v4_database_migrates_keeping_every_session_and_filling_the_recent_state(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "bandcoach.sqlite3", secret=b"test-secret")
    assert store.migrate(target=4) == 4
    key, history = store.key(VETERAN), workouts(30)
    with sqlite3.connect(store.path) as conn:
        conn.execute("INSERT INTO users (user, default_band, updated_at) VALUES (?, 'medium', '2026-01-01')", (key,))
        conn.executemany(
            "INSERT INTO sessions (user, seq, routine, variant, band, extra_sets, started_at, duration_seconds, "
            "completed, rating) VALUES (?, ?, ?, 'standard', 'light', 0, ?, 600, 1, ?)",
            [(key, seq, s.routine, s.started_at.isoformat(), "easy" if seq == 29 else None)
             for seq, s in enumerate(history)])
    assert store.migrate() == SCHEMA_VERSION
    full, recent = store.load(VETERAN), store.recent(VETERAN)
    assert full.history == (*history[:-1], replace(history[-1], rating=Rating.EASY))
    assert recent.history == full.history[-2 * ROUTINE_SESSIONS:]
    assert recent.preferences.default_band is BandLevel.MEDIUM
    assert recent.days.days() == tally(added=history)
    assert recent.streak_days(TODAY.date()) == 15 == full.streak_days(TODAY.date())


def test_the_window_keeps_each_routines_newest_whatever_came_after() -> None:
    once = SessionRecord("desk", Variant.STANDARD, BandLevel.LIGHT, 0, TODAY - timedelta(days=300), 600, True)
    numbered = tuple(enumerate((once, *workouts(100))))
    kept = window(numbered)
    assert kept[0] == (0, once) and len(kept) == 1 + 2 * ROUTINE_SESSIONS


def test_the_day_tally_reaches_back_a_bounded_number_of_days() -> None:
    days = tally(added=workouts(2 * (STREAK_REACH_DAYS + 50)))
    assert len(days.workout_days()) == STREAK_REACH_DAYS


def test_the_day_tally_counts_this_weeks_workouts_one_by_one_and_takes_back_a_removed_one() -> None:
    two_today = workouts(2)
    days = tally(added=two_today)
    assert days.workout_days() == {TODAY.date() - timedelta(days=1): 2}
    assert tally(days, removed=two_today[:1]).workout_days() == {TODAY.date() - timedelta(days=1): 1}
    assert tally(days, removed=two_today).workout_days() == {}
