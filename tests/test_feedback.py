"""Progression in conversation, through real envelopes and the real SQLite store: what counts as a workout,
"how did that feel", announced changes and "same as last time", the bands a runner has, "make it harder"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support.alexa_checks import answered, speech_of
from support.workouts import start_routine, store_of

from skill import prompts, testing
from skill.catalog import Catalog
from skill.progression import Rating, SessionRecord
from skill.routines import BandLevel, Variant

RUNNER = "amzn1.ask.account.FEEDBACK"
Post = Any


def ask(post: Post, name: str, before: dict[str, Any], slots: dict[str, Any] | None = None) -> dict[str, Any]:
    return answered(post, testing.intent_request(name, slots, user_id=RUNNER,
                                                 session_attributes=before.get("sessionAttributes") or {}))


def whole(post: Post, catalog: Catalog, routine: str) -> dict[str, Any]:
    """A workout started and coached to its last block; the last answer."""
    data = start_routine(post, RUNNER, routine)
    for _ in range(len(catalog.timeline(routine).blocks) - 1):
        data = ask(post, "AMAZON.NextIntent", data)
    return data


def done_before(app: Any, routine: str, band: BandLevel, extra: int, *days_ago: float) -> None:
    """Completed, well-rated workouts of `routine` on those days ago."""
    store = store_of(app)
    for days in days_ago:
        store.record_workout(RUNNER, SessionRecord(routine, Variant.STANDARD, band, extra,
                                                   datetime.now(UTC) - timedelta(days=days), 700, True, Rating.RIGHT))


def test_a_workout_skipped_through_is_recorded_but_not_completed(post: Post, app: Any, catalog: Catalog) -> None:
    last = whole(post, catalog, "desk")
    assert last["response"]["shouldEndSession"] is True and "How did that feel" not in speech_of(last)
    assert [(s.routine, s.completed) for s in store_of(app).load(RUNNER).history] == [("desk", False)]


@pytest.mark.usefixtures("workouts_take_their_time")
def test_a_workout_done_ends_with_one_question_how_it_felt(post: Post, catalog: Catalog) -> None:
    last = whole(post, catalog, "desk")
    assert speech_of(last).endswith(prompts.how_did_it_feel()) and last["sessionAttributes"] == {"offer": "feedback"}


@pytest.mark.usefixtures("workouts_take_their_time")
def test_the_answer_rates_the_workout_and_says_what_next_time_brings(post: Post, app: Any, catalog: Catalog) -> None:
    data = ask(post, "FeedbackIntent", whole(post, catalog, "desk"), {"feeling": ("too easy", "easy")})
    assert store_of(app).load(RUNNER).history[-1].rating is Rating.EASY
    assert speech_of(data).startswith("Easy, noted. Same as last time: one more good workout")
    assert data["response"]["shouldEndSession"] is True


def test_how_it_felt_without_a_recent_workout_says_so(post: Post) -> None:
    data = answered(post, testing.intent_request("FeedbackIntent", {"feeling": ("hard", "hard")}, new=True,
                                                 user_id=RUNNER))
    assert speech_of(data) == prompts.nothing_to_rate()


def test_a_change_is_announced_before_the_workout_and_can_be_declined(post: Post, app: Any) -> None:
    done_before(app, "glutes", BandLevel.LIGHT, 0, 5, 2)
    started = start_routine(post, RUNNER, "glutes")
    assert "let's add a set. Or say 'same as last time'." in speech_of(started)
    assert started["sessionAttributes"]["position"]["extra_sets"] == 1
    same = ask(post, "SameAsLastTimeIntent", started)
    assert speech_of(same).startswith(prompts.same_as_last_time())
    assert same["sessionAttributes"]["position"]["extra_sets"] == 0
    assert "Or say 'same as last time'" not in speech_of(same)


def test_same_as_last_time_with_no_workout_going_repeats_the_last_one(post: Post, app: Any) -> None:
    done_before(app, "desk", BandLevel.MEDIUM, 1, 1)
    data = answered(post, testing.intent_request("SameAsLastTimeIntent", new=True, user_id=RUNNER))
    position = data["sessionAttributes"]["position"]
    assert (position["routine"], position["band"], position["extra_sets"]) == ("desk", "medium", 1)


def test_the_bands_a_runner_has_are_kept(post: Post, app: Any) -> None:
    data = answered(post, testing.intent_request("OwnedBandsIntent", {"band": ("light", "light"),
                                                                       "band_two": ("medium", "medium")},
                                                 new=True, user_id=RUNNER))
    assert speech_of(data).startswith("Got it: light and medium.")
    assert store_of(app).load(RUNNER).owned == (BandLevel.LIGHT, BandLevel.MEDIUM)


def test_a_band_the_runner_lacks_is_never_suggested(post: Post, app: Any) -> None:
    store_of(app).update(RUNNER, lambda s: s.with_owned({BandLevel.LIGHT, BandLevel.MEDIUM}))
    done_before(app, "glutes", BandLevel.MEDIUM, 2, 5, 2)
    started = start_routine(post, RUNNER, "glutes")
    assert started["sessionAttributes"]["position"]["band"] == "medium"
    data = answered(post, testing.intent_request("ProgressIntent", user_id=RUNNER, new=True))
    assert "heavy" not in speech_of(data)


def test_naming_a_band_keeps_the_extra_sets_and_counts_it_as_owned(post: Post, app: Any) -> None:
    done_before(app, "glutes", BandLevel.LIGHT, 1, 6, 3)
    envelope = testing.intent_request("StartRoutineIntent", {"routine": ("glutes", "glutes"),
                                                             "band": ("medium", "medium")}, new=True, user_id=RUNNER)
    position = answered(post, envelope)["sessionAttributes"]["position"]
    assert (position["band"], position["extra_sets"]) == ("medium", 1)  # a new band starts its own run
    assert BandLevel.MEDIUM in store_of(app).load(RUNNER).owned


def test_make_it_harder_coaches_the_harder_version(post: Post) -> None:
    walk = ask(post, "AMAZON.NextIntent", start_routine(post, RUNNER, "glutes"))  # the lateral walk at the knees
    data = ask(post, "HarderIntent", walk)
    assert speech_of(data).startswith("Okay, the lateral walk at the ankles instead: it's harder.")
    assert data["sessionAttributes"]["swap"] == "lateral_walk_ankles"


def test_make_it_harder_without_a_harder_version_says_how_to_move_up(post: Post, catalog: Catalog) -> None:
    data = ask(post, "HarderIntent", start_routine(post, RUNNER, "glutes"))  # the band squat has none
    assert prompts.no_harder_option(catalog.exercises["band_squat"]) in speech_of(data)
    assert data["sessionAttributes"]["position"]["block"] == 0


def test_an_exercise_that_hurt_is_coached_as_its_easier_option_next_time(post: Post, app: Any) -> None:
    store_of(app).update(RUNNER, lambda s: s.with_pain("lateral_walk_knees", datetime.now(UTC) - timedelta(days=2)))
    started = start_routine(post, RUNNER, "glutes")
    assert ("Your lateral walk at the knees hurt recently, so today it's the lateral walk at the thighs instead."
            in speech_of(started))
    walk = ask(post, "AMAZON.NextIntent", started)
    assert "Exercise 2 of 5: lateral walk at the thighs." in speech_of(walk)


def test_after_two_weeks_the_exercise_that_hurt_comes_back(post: Post, app: Any) -> None:
    store_of(app).update(RUNNER, lambda s: s.with_pain("lateral_walk_knees", datetime.now(UTC) - timedelta(days=15)))
    walk = ask(post, "AMAZON.NextIntent", start_routine(post, RUNNER, "glutes"))
    assert "Exercise 2 of 5: lateral walk at the knees." in speech_of(walk)


def test_before_a_first_heavier_band_the_coach_asks_if_the_runner_has_one(post: Post, app: Any) -> None:
    done_before(app, "glutes", BandLevel.LIGHT, 2, 5, 2)
    asked = start_routine(post, RUNNER, "glutes")
    assert speech_of(asked).endswith("Do you have a medium band?") and "position" not in asked["sessionAttributes"]
    yes = ask(post, "AMAZON.YesIntent", asked)
    assert (yes["sessionAttributes"]["position"]["band"], yes["sessionAttributes"]["position"]["extra_sets"]) == (
        "medium", 0)
    assert store_of(app).load(RUNNER).owned == (BandLevel.LIGHT, BandLevel.MEDIUM)


def test_no_heavier_band_keeps_the_runner_where_they_are_and_is_remembered(post: Post, app: Any) -> None:
    done_before(app, "glutes", BandLevel.LIGHT, 2, 5, 2)
    no = ask(post, "AMAZON.NoIntent", start_routine(post, RUNNER, "glutes"))
    assert (no["sessionAttributes"]["position"]["band"], no["sessionAttributes"]["position"]["extra_sets"]) == (
        "light", 2)
    assert store_of(app).load(RUNNER).owned == (BandLevel.LIGHT,)
