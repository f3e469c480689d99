"""In-workout requests through real envelopes and the real SQLite store: step by step, hands-free, and outside."""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from support.alexa_checks import answered, check_response, speech_of
from support.handsfree_support import LENGTH, ROUTINE
from support.tokens import decode, encode, keyed
from support.workouts import start_routine, store_of

from skill import prompts, testing
from skill.catalog import Catalog
from skill.config import Settings
from skill.handlers.base import place_attributes
from skill.playback import Stream
from skill.routines import BandLevel, Place, Variant
from skill.state import InProgress, make_store
from skill.web.app import create_app

RUNNER = "amzn1.ask.account.IN-WORKOUT"
Post = Any


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared settings with the secret support.tokens seals hands-free tokens under."""
    return keyed(settings)


def start(post: Post, routine: str = "recovery") -> dict[str, Any]:
    return start_routine(post, RUNNER, routine)


def ask(post: Post, name: str, before: dict[str, Any]) -> dict[str, Any]:
    """`name` in the session `before` left open."""
    return answered(post, testing.intent_request(name, user_id=RUNNER, session_attributes=before["sessionAttributes"]))


def playing(routine: str = "recovery", block: int = 0, band: BandLevel = BandLevel.LIGHT) -> Place:
    return Place(routine, Variant.STANDARD, band, 0, block, int(time.time()) - 120)


def while_playing(post: Post, name: str, place: Place, offset_ms: int = 0) -> dict[str, Any]:
    """A voice request while our audio plays: a new session without a position, our token in the context."""
    player = {"token": encode(Stream(place)), "offsetInMilliseconds": offset_ms, "playerActivity": "PLAYING"}
    return answered(post, testing.intent_request(name, new=True, user_id=RUNNER, audio_player=player))


def outside(post: Post, name: str) -> dict[str, Any]:
    return answered(post, testing.intent_request(name, new=True, user_id=RUNNER))


def directive_types(data: dict[str, Any]) -> list[str]:
    return [d["type"] for d in data["response"].get("directives") or []]


def position(data: dict[str, Any]) -> dict[str, Any]:
    return data["sessionAttributes"]["position"]


def keeps_the_session_and_place(data: dict[str, Any], before: dict[str, Any]) -> bool:
    return (data["response"]["shouldEndSession"] is False and position(data) == position(before)
            and "Say next" in speech_of(data) and bool(data["response"]["reprompt"]))


def answers_hands_free_without_touching_playback(data: dict[str, Any]) -> bool:
    return directive_types(data) == [] and data["response"]["shouldEndSession"] is True


IN_WORKOUT = ("TimeLeftIntent", "WhatsNextIntent", "TakeABreakIntent", "FinishWorkoutIntent", "BandPlacementIntent",
              "DoseIntent")


# --- time left ------------------------------------------------------------------------------------

def test_time_left_step_by_step_counts_the_exercises_after_a_whole_block(post: Post, catalog: Catalog) -> None:
    started = start(post)
    data = ask(post, "TimeLeftIntent", started)
    rest = sum(b.seconds for b in catalog.timeline("recovery").blocks[1:])
    assert prompts.time_left(rest) in speech_of(data) and "minutes left" in speech_of(data)
    assert keeps_the_session_and_place(data, started)


def test_time_left_after_a_pause_counts_the_paused_exercise_too(post: Post, catalog: Catalog) -> None:
    paused = ask(post, "AMAZON.PauseIntent", start(post))
    data = ask(post, "TimeLeftIntent", paused)
    assert prompts.time_left(catalog.timeline("recovery").seconds) in speech_of(data)


def test_time_left_hands_free_counts_from_the_device_offset(post: Post, catalog: Catalog) -> None:
    blocks = catalog.timeline("recovery").blocks
    data = while_playing(post, "TimeLeftIntent", playing(block=1), offset_ms=30_000)
    left = blocks[1].seconds - 30 + sum(b.seconds for b in blocks[2:])
    assert speech_of(data) == prompts.time_left(left)
    assert answers_hands_free_without_touching_playback(data)


def test_time_left_in_the_last_seconds_says_less_than_a_minute(post: Post, catalog: Catalog) -> None:
    last = len(catalog.timeline("recovery").blocks) - 1
    end_ms = int(catalog.timeline("recovery").blocks[last].seconds * 1000) - 20_000
    data = while_playing(post, "TimeLeftIntent", playing(block=last), offset_ms=end_ms)
    assert speech_of(data) == "Less than a minute left."


@pytest.mark.parametrize(("seconds", "said"), [(0, "Less than a minute left."), (59.5, "Less than a minute left."),
                                                 (60, "About 1 minute left."), (340, "About 6 minutes left."),
                                                 (1230, "About 20 minutes left.")])
def test_time_left_rounds_to_whole_minutes(seconds: float, said: str) -> None:
    assert prompts.time_left(seconds) == said


# --- what's next --------------------------------------------------------------------------------------

def test_whats_next_step_by_step_names_the_next_exercise_and_its_band(post: Post, catalog: Catalog) -> None:
    started = start(post)
    data = ask(post, "WhatsNextIntent", started)
    nxt = catalog.timeline("recovery").blocks[1].exercise
    band = f"{nxt.band_for(BandLevel.LIGHT).value} {nxt.band_kind.spoken}"
    assert f"Next is {nxt.name.lower()}: {band} {nxt.placement}" in speech_of(data)
    assert keeps_the_session_and_place(data, started)


def test_whats_next_on_the_last_exercise_says_so(post: Post, catalog: Catalog) -> None:
    last = playing(block=len(catalog.timeline("recovery").blocks) - 1)
    data = answered(post, testing.intent_request("WhatsNextIntent", user_id=RUNNER,
                                                 session_attributes=place_attributes(last)))
    assert speech_of(data).startswith("This is the last one.")


def test_whats_next_hands_free_keeps_playing(post: Post) -> None:
    data = while_playing(post, "WhatsNextIntent", playing("glutes", 0, BandLevel.MEDIUM))
    assert speech_of(data) == "Next is lateral walk at the knees: medium loop band just above your knees."
    assert answers_hands_free_without_touching_playback(data)


# --- a break ----------------------------------------------------------------------------------------

def test_a_break_step_by_step_says_how_to_come_back_and_ends_the_session(app: Any, post: Post) -> None:
    data = ask(post, "TakeABreakIntent", start(post))
    assert speech_of(data) == "Take your time. When you're ready, say 'Alexa, ask Band Coach to resume'."
    assert data["response"]["shouldEndSession"] is True
    kept = store_of(app).load(RUNNER).in_progress
    assert (kept.place.routine, kept.place.block, kept.block_done) == ("recovery", 0, True)


def test_a_break_after_a_pause_keeps_the_paused_exercise_to_redo(app: Any, post: Post) -> None:
    ask(post, "TakeABreakIntent", ask(post, "AMAZON.PauseIntent", start(post)))
    assert store_of(app).load(RUNNER).in_progress.block_done is False


def test_a_break_hands_free_stops_the_audio_and_keeps_the_offset(app: Any, post: Post) -> None:
    data = while_playing(post, "TakeABreakIntent", playing(block=2), offset_ms=12_000)
    assert directive_types(data) == ["AudioPlayer.Stop"] and "ask Band Coach to resume" in speech_of(data)
    kept = store_of(app).load(RUNNER).in_progress
    assert (kept.place.block, kept.offset_ms, decode(kept.token).place.block) == (2, 12_000, 2)


# --- finishing ----------------------------------------------------------------------------------------

def test_finishing_step_by_step_sums_up_and_records_a_stopped_workout(app: Any, post: Post, catalog: Catalog) -> None:
    data = ask(post, "FinishWorkoutIntent", ask(post, "AMAZON.NextIntent", start(post)))
    total = len(catalog.timeline("recovery").blocks)
    assert speech_of(data).startswith(f"Nice work: 2 of {total} exercises of your Post-run stretch, about ")
    assert data["response"]["shouldEndSession"] is True
    state = store_of(app).load(RUNNER)
    assert state.in_progress is None
    assert [(s.routine, s.completed) for s in state.history] == [("recovery", False)]


@pytest.mark.usefixtures("workouts_take_their_time")
def test_finishing_at_the_last_exercise_records_a_completed_workout(app: Any, post: Post, catalog: Catalog) -> None:
    total = len(catalog.timeline("recovery").blocks)
    last = playing(block=total - 1)
    data = answered(post, testing.intent_request("FinishWorkoutIntent", user_id=RUNNER,
                                                 session_attributes=place_attributes(last)))
    assert speech_of(data).startswith(f"Nice work: all {total} exercises of your Post-run stretch")
    assert [s.completed for s in store_of(app).load(RUNNER).history] == [True]


def test_finishing_before_any_exercise_is_done_says_so_plainly(post: Post) -> None:
    paused = ask(post, "AMAZON.PauseIntent", start(post))
    assert speech_of(ask(post, "FinishWorkoutIntent", paused)).startswith("Okay, stopping your Post-run stretch")


def test_finishing_hands_free_stops_the_audio_and_records_a_stopped_workout(app: Any, post: Post,
                                                                           catalog: Catalog) -> None:
    place = playing(block=3)
    total = len(catalog.timeline("recovery").blocks)
    store_of(app).set_in_progress(RUNNER, InProgress(place, encode(Stream(place))))
    data = while_playing(post, "FinishWorkoutIntent", place, offset_ms=5_000)
    assert directive_types(data) == ["AudioPlayer.Stop"] and data["response"]["shouldEndSession"] is True
    assert speech_of(data).startswith(f"Nice work: 3 of {total} exercises of your Post-run stretch, about 2 minutes")
    state = store_of(app).load(RUNNER)
    assert state.in_progress is None and [s.completed for s in state.history] == [False]


def test_the_device_stopping_after_i_am_done_does_not_keep_the_workout_again(app: Any, post: Post) -> None:
    place = playing(block=1)
    token = encode(Stream(place))
    while_playing(post, "FinishWorkoutIntent", place)
    answered(post, testing.audio_player_request("PlaybackStopped", token, 9_000, user_id=RUNNER))
    answered(post, testing.intent_request("AMAZON.StopIntent", new=True, user_id=RUNNER,
                                          audio_player={"token": token, "playerActivity": "STOPPED"}))
    assert store_of(app).load(RUNNER).in_progress is None
    assert "Welcome back" not in speech_of(answered(post, testing.launch_request(user_id=RUNNER)))


# --- the band and the dose again ------------------------------------------------------------------

def test_band_placement_step_by_step_repeats_just_that_with_the_band_level(post: Post) -> None:
    started = start(post, "glutes")
    data = ask(post, "BandPlacementIntent", started)
    assert speech_of(data).startswith("For band squat, light loop band just above your knees.")
    assert keeps_the_session_and_place(data, started)


def test_band_placement_hands_free_keeps_playing(post: Post, catalog: Catalog) -> None:
    data = while_playing(post, "BandPlacementIntent", playing(block=0))
    first = catalog.timeline("recovery").blocks[0].exercise
    band = f"{first.band_for(BandLevel.LIGHT).value} {first.band_kind.spoken}"
    assert speech_of(data) == f"For {first.name.lower()}, {band} {first.placement}."
    assert answers_hands_free_without_touching_playback(data)


def test_dose_step_by_step_repeats_the_sets_and_reps(post: Post, catalog: Catalog) -> None:
    started = start(post, "glutes")
    data = ask(post, "DoseIntent", started)
    first = catalog.timeline("glutes").blocks[0]
    assert first.dose.sets > 1 and first.dose.reps and not first.dose.per_side  # what this test is about
    name, amount = first.exercise.name.lower(), first.dose
    assert speech_of(data).startswith(f"For {name}, {amount.sets} sets of {amount.reps} reps.")
    assert keeps_the_session_and_place(data, started)


def test_dose_hands_free_gives_the_hold_per_side(post: Post, catalog: Catalog) -> None:
    data = while_playing(post, "DoseIntent", playing(block=0))
    first = catalog.timeline("recovery").blocks[0]
    assert first.dose.sets == 1 and first.dose.hold_seconds and first.dose.per_side  # what this test is about
    name, amount = first.exercise.name.lower(), first.dose
    assert speech_of(data) == f"For {name}, hold for {amount.hold_seconds} seconds on each side."
    assert answers_hands_free_without_touching_playback(data)


def test_a_side_question_keeps_the_block_done_for_the_next_step(post: Post) -> None:
    data = ask(post, "DoseIntent", start(post))
    assert data["sessionAttributes"]["block_done"] is True
    assert position(ask(post, "AMAZON.NextIntent", data))["block"] == 1


# --- outside any workout ----------------------------------------------------------------------------

@pytest.mark.parametrize("intent", IN_WORKOUT)
def test_outside_a_workout_each_request_says_how_to_start_one(post: Post, intent: str) -> None:
    data = outside(post, intent)
    assert speech_of(data).startswith("You're not in a workout right now. To start one, say something like: start the ")
    assert data["response"]["shouldEndSession"] is False and directive_types(data) == []


@pytest.mark.parametrize("intent", IN_WORKOUT)
def test_after_a_finished_hands_free_workout_each_request_is_outside_a_workout(app: Any, post: Post,
                                                                             intent: str) -> None:
    place = playing(block=4)
    while_playing(post, "FinishWorkoutIntent", place)
    assert "not in a workout" in speech_of(while_playing(post, intent, place))


# --- a real hands-free workout, with the audio warmed ------------------------------------------------

def test_i_am_done_during_real_hands_free_playback(settings: Settings, pm: Any, warm_dir: Path,
                                                   tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    shutil.copytree(warm_dir, audio)
    client = create_app(dataclasses.replace(settings, audio_dir=audio, public_url="https://coach.example.org"),
                        pm=pm).test_client()

    def post(envelope: dict[str, Any]) -> dict[str, Any]:
        data = client.post("/alexa", data=json.dumps(envelope), content_type="application/json").get_json()
        check_response(data)
        return data

    started = post(testing.intent_request("PlayRoutineIntent", {"routine": (ROUTINE, ROUTINE), "length": LENGTH},
                                          new=True, user_id=RUNNER))
    token = started["response"]["directives"][0]["audioItem"]["stream"]["token"]
    post(testing.audio_player_request("PlaybackStarted", token, 0, user_id=RUNNER))
    player = {"token": token, "offsetInMilliseconds": 4_000, "playerActivity": "PLAYING"}
    done = post(testing.intent_request("FinishWorkoutIntent", new=True, user_id=RUNNER, audio_player=player))
    assert directive_types(done) == ["AudioPlayer.Stop"] and speech_of(done).startswith("Okay, stopping your Desk")
    post(testing.audio_player_request("PlaybackStopped", token, 4_000, user_id=RUNNER))
    state = make_store(settings).load(RUNNER)
    assert state.in_progress is None and [(s.routine, s.completed) for s in state.history] == [(ROUTINE, False)]
