"""Memory across sessions through real envelopes and the real SQLite store: resume, progress, band."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support.alexa_checks import answered, speech_of
from support.sqlite_files import stored_bytes

from skill import testing
from skill.progression import SessionRecord
from skill.routines import BandLevel, Variant

RUNNER = "amzn1.ask.account.RUNNER-ONE"


def state(app):
    from skill.state import make_store

    return make_store(app.extensions["bandcoach"].settings)


def finished_on(app, routine, band, days_ago, seconds):
    """Record one completed standard workout of `routine` for RUNNER on each of the days ago given."""
    store, now = state(app), datetime.now(UTC)
    for days in days_ago:
        store.record_workout(RUNNER, SessionRecord(routine, Variant.STANDARD, band, 0,
                                                   now - timedelta(days=days), seconds, True))


def start(post, routine="recovery", **kw):
    return answered(post, testing.intent_request("StartRoutineIntent", {"routine": routine}, user_id=RUNNER, **kw))


def next_in(post, data):
    return answered(post, testing.intent_request("AMAZON.NextIntent", user_id=RUNNER,
                                            session_attributes=data["sessionAttributes"]))


def exercise_of(catalog, number, routine="recovery"):
    """How the skill numbers exercise `number` (from 1) of `routine`: "Exercise 2 of 6"."""
    return f"Exercise {number} of {len(catalog.timeline(routine).blocks)}"


def test_launch_offers_to_resume_where_the_runner_stopped(post, catalog):
    data = next_in(post, start(post))
    answered(post, testing.intent_request("AMAZON.StopIntent", user_id=RUNNER,
                                          session_attributes=data["sessionAttributes"]))
    launch = answered(post, testing.launch_request(user_id=RUNNER))
    text = speech_of(launch)
    assert f"Next up is {catalog.timeline('recovery').blocks[1].exercise.name.lower()}" in text
    assert "Resume your Post-run stretch, or start something new?" in text


def test_yes_resumes_at_the_exact_step(post, catalog):
    next_in(post, start(post))
    offer = answered(post, testing.launch_request(user_id=RUNNER))
    data = answered(post, testing.intent_request("AMAZON.YesIntent", user_id=RUNNER,
                                            session_attributes=offer["sessionAttributes"]))
    assert data["sessionAttributes"]["position"]["block"] == 1
    assert exercise_of(catalog, 2) in speech_of(data)


def test_resume_intent_in_a_new_session_resumes_too(post, catalog):
    next_in(post, start(post))
    data = answered(post, testing.intent_request("AMAZON.ResumeIntent", user_id=RUNNER, new=True))
    assert exercise_of(catalog, 2) in speech_of(data)


def test_no_keeps_the_workout_unrecorded_and_asks_what_next(app, post):
    next_in(post, start(post))
    offer = answered(post, testing.launch_request(user_id=RUNNER))
    data = answered(post, testing.intent_request("AMAZON.NoIntent", user_id=RUNNER,
                                            session_attributes=offer["sessionAttributes"]))
    assert "Which routine" in speech_of(data)
    kept = state(app).load(RUNNER)
    assert kept.in_progress.place.block == 1
    assert kept.history == ()  # "not now" is no abandonment: it would end the routine's progression streak
    assert "Resume your Post-run stretch" in speech_of(answered(post, testing.launch_request(user_id=RUNNER)))


@pytest.mark.usefixtures("workouts_take_their_time")
def test_finishing_a_routine_records_a_completed_workout(app, post, catalog):
    data = start(post, "desk")
    for _ in range(len(catalog.timeline("desk").blocks) - 1):
        data = next_in(post, data) if data.get("sessionAttributes") else data
    assert "How did that feel" in speech_of(data) and data["sessionAttributes"] == {"offer": "feedback"}
    kept = state(app).load(RUNNER)
    assert kept.in_progress is None
    assert [(s.routine, s.completed, s.band) for s in kept.history] == [("desk", True, BandLevel.LIGHT)]


def test_progress_reports_week_streak_and_bands(app, post):
    finished_on(app, "glutes", BandLevel.MEDIUM, (2, 1, 0), 600)
    text = speech_of(answered(post, testing.intent_request("ProgressIntent", user_id=RUNNER)))
    assert "3 day streak" in text
    assert "Glute strength workout: medium band; next time, a set more." in text  # 2 and 0 days ago are 48 h apart


def test_progress_without_history_encourages_a_first_workout(post):
    text = speech_of(answered(post, testing.intent_request("ProgressIntent", user_id="amzn1.ask.account.NEW")))
    assert "haven't finished a workout" in text


def test_set_band_is_remembered_for_the_next_start(post):
    data = answered(post, testing.intent_request("SetBandIntent", {"band": ("black", "heavy")}, user_id=RUNNER))
    assert "heavy band from now on" in speech_of(data)
    assert start(post, "glutes")["sessionAttributes"]["position"]["band"] == "heavy"


def test_set_band_for_one_routine_leaves_the_others(post):
    answered(post, testing.intent_request("SetBandIntent", {"band": "heavy", "routine": "glutes"}, user_id=RUNNER))
    assert start(post, "glutes")["sessionAttributes"]["position"]["band"] == "heavy"
    assert start(post, "recovery")["sessionAttributes"]["position"]["band"] == "light"


def test_launch_announces_a_progression(app, post):
    finished_on(app, "glutes", BandLevel.LIGHT, (5, 3), 780)
    assert "let's add a set" in speech_of(answered(post, testing.launch_request(user_id=RUNNER)))
    assert start(post, "glutes")["sessionAttributes"]["position"]["extra_sets"] == 1


def test_user_ids_are_never_stored_raw(app, post, settings):
    start(post)
    stored = stored_bytes(settings.db_path)
    assert b'"routine": "recovery"' in stored  # the bytes read do hold the runner's position
    assert RUNNER.encode() not in stored


def test_a_broken_store_never_stops_the_coaching(post, catalog, monkeypatch, caplog):
    from skill.state.sqlite import SQLiteStore

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(SQLiteStore, "update", fail)
    data = start(post)
    assert exercise_of(catalog, 1) in speech_of(data)
    assert "state store failed" in caplog.text


def test_starting_another_routine_records_the_unfinished_one_as_stopped(app, post):
    next_in(post, start(post, "recovery"))
    start(post, "desk")
    kept = state(app).load(RUNNER)
    assert [(s.routine, s.completed) for s in kept.history] == [("recovery", False)]
    assert kept.in_progress.place.routine == "desk"
