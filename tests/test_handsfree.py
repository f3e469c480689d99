"""Hands-free workouts driven by real request envelopes: directives, tokens, the state store, and fallbacks."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.alexa_checks import check_response, speech_of
from support.builtin_catalog import builtin_catalog
from support.handsfree_support import BAND, LENGTH, ROUTINE, VARIANT
from support.tokens import decode, encode, keyed

from skill import Place, testing
from skill.config import Settings
from skill.model import BUILTIN_INTENTS, build_model
from skill.playback import Stream
from skill.state import make_store
from skill.testing.utterances import UtteranceResolver
from skill.timeline import Timeline
from skill.web.app import create_app

PUBLIC = "https://coach.example.org/skill"
Post = Callable[[dict[str, Any]], dict[str, Any]]


@pytest.fixture
def hf_settings(settings: Settings, warm_dir: Path, tmp_path: Path) -> Settings:
    audio = tmp_path / "audio"
    shutil.copytree(warm_dir, audio)
    return dataclasses.replace(keyed(settings), audio_dir=audio, public_url=PUBLIC)


def poster(settings: Settings, pm: Any) -> tuple[Post, Any]:
    client = create_app(settings, pm=pm).test_client()

    def post(envelope: dict[str, Any]) -> dict[str, Any]:
        reply = client.post("/alexa", data=json.dumps(envelope), content_type="application/json")
        assert reply.status_code == 200, reply.get_data(as_text=True)
        data = reply.get_json()
        check_response(data)
        return data

    return post, client


@pytest.fixture
def post(hf_settings: Settings, pm: Any) -> Post:
    return poster(hf_settings, pm)[0]


@pytest.fixture
def store(hf_settings: Settings) -> Any:
    return make_store(hf_settings)


def play_intent(**kw: Any) -> dict[str, Any]:
    slots = {"routine": (ROUTINE, ROUTINE), "length": LENGTH}
    return testing.intent_request("PlayRoutineIntent", slots, new=True, **kw)


def directives(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["response"].get("directives") or []


def play_of(data: dict[str, Any]) -> dict[str, Any]:
    (directive,) = [d for d in directives(data) if d["type"] == "AudioPlayer.Play"]
    return directive


def stream_of(data: dict[str, Any]) -> dict[str, Any]:
    return play_of(data)["audioItem"]["stream"]


def event(post: Post, kind: str, token: str, offset_ms: int = 0) -> dict[str, Any]:
    """An AudioPlayer event; its answer must carry no speech, reprompt or card."""
    data = post(testing.audio_player_request(kind, token, offset_ms))
    assert not {"outputSpeech", "reprompt", "card"} & set(data["response"]), data
    return data


def controller(post: Post, command: str, token: str, offset_ms: int = 0) -> dict[str, Any]:
    player = {"token": token, "offsetInMilliseconds": offset_ms, "playerActivity": "PLAYING"}
    data = post(testing.playback_controller_request(command, audio_player=player))
    assert not {"outputSpeech", "reprompt", "card"} & set(data["response"]), data
    return data


def while_playing(name: str, token: str, offset_ms: int = 0) -> dict[str, Any]:
    """A voice command while our audio plays: a new session without a position, our token in the context."""
    player = {"token": token, "offsetInMilliseconds": offset_ms, "playerActivity": "PLAYING"}
    return testing.intent_request(name, new=True, audio_player=player)


@pytest.mark.usefixtures("workouts_take_their_time")
def test_a_whole_hands_free_workout(post: Post, store: Any, timeline: Timeline, hf_settings: Settings, pm: Any) -> None:
    started = post(play_intent())
    assert "Hands-free" in speech_of(started) and started["response"]["shouldEndSession"] is True
    play = play_of(started)
    assert play["playBehavior"] == "REPLACE_ALL"
    first = play["audioItem"]["stream"]
    assert first["url"].startswith(f"{PUBLIC}/audio/") and first["url"].endswith(".mp3")
    place = decode(first["token"]).place
    assert (place.routine, place.variant, place.band, place.block) == (ROUTINE, VARIANT, BAND, 0)
    key = first["url"].rsplit("/", 1)[1]
    _, client = poster(hf_settings, pm)
    with client.get(f"/audio/{key}") as served:  # the URL really serves the segment
        assert served.status_code == 200 and served.mimetype == "audio/mpeg"

    assert directives(event(post, "PlaybackStarted", first["token"])) == []
    assert store.load(testing.DEFAULT_USER_ID).in_progress.token == first["token"]

    tokens = [first["token"]]
    for index in range(1, len(timeline.blocks)):
        nearly = event(post, "PlaybackNearlyFinished", tokens[-1], 60_000)
        enqueue = play_of(nearly)
        assert enqueue["playBehavior"] == "ENQUEUE"
        assert enqueue["audioItem"]["stream"]["expectedPreviousToken"] == tokens[-1]
        assert decode(enqueue["audioItem"]["stream"]["token"]).place.block == index
        tokens.append(enqueue["audioItem"]["stream"]["token"])
        event(post, "PlaybackFinished", tokens[-2])
        event(post, "PlaybackStarted", tokens[-1])
        if index == 1:  # pause in the second exercise, resume by voice, then skip ahead by voice
            assert directives(event(post, "PlaybackStopped", tokens[-1], 12_345)) == []
            kept = store.load(testing.DEFAULT_USER_ID).in_progress
            assert (kept.token, kept.offset_ms, kept.place.block) == (tokens[-1], 12_345, 1)
            resumed = stream_of(post(while_playing("AMAZON.ResumeIntent", tokens[-1], 12_000)))
            assert (resumed["token"], resumed["offsetInMilliseconds"]) == (tokens[-1], 12_345)
    assert directives(event(post, "PlaybackNearlyFinished", tokens[-1])) == []  # nothing after the last
    event(post, "PlaybackFinished", tokens[-1])
    state = store.load(testing.DEFAULT_USER_ID)
    assert state.in_progress is None
    assert state.history[-1].completed and state.history[-1].routine == ROUTINE


def test_next_by_voice_jumps_a_segment(post: Post) -> None:
    token = stream_of(post(play_intent()))["token"]
    nxt = post(while_playing("AMAZON.NextIntent", token, 5_000))
    assert play_of(nxt)["playBehavior"] == "REPLACE_ALL"
    assert decode(stream_of(nxt)["token"]).place.block == 1 and stream_of(nxt)["offsetInMilliseconds"] == 0


def test_previous_and_start_over_by_voice(post: Post) -> None:
    token = stream_of(post(play_intent()))["token"]
    third = encode(decode(token).at(2))
    assert decode(stream_of(post(while_playing("AMAZON.PreviousIntent", third)))["token"]).place.block == 1
    assert decode(stream_of(post(while_playing("AMAZON.StartOverIntent", third)))["token"]).place.block == 0


@pytest.mark.parametrize("intent", ["AMAZON.PauseIntent", "AMAZON.StopIntent", "AMAZON.CancelIntent"])
def test_pause_stop_and_cancel_stop_the_player_and_remember(post: Post, store: Any, intent: str) -> None:
    token = stream_of(post(play_intent()))["token"]
    data = post(while_playing(intent, token, 7_000))
    assert [d["type"] for d in directives(data)] == ["AudioPlayer.Stop"]
    assert store.load(testing.DEFAULT_USER_ID).in_progress.offset_ms == 7_000


@pytest.mark.parametrize("intent", ["AMAZON.LoopOnIntent", "AMAZON.LoopOffIntent", "AMAZON.ShuffleOnIntent",
                                    "AMAZON.ShuffleOffIntent"])
def test_loop_and_shuffle_are_declined_without_stopping_playback(post: Post, intent: str) -> None:
    token = stream_of(post(play_intent()))["token"]
    data = post(while_playing(intent, token))
    assert "in order" in speech_of(data) and directives(data) == []


def test_buttons_next_previous_pause_and_play(post: Post, store: Any) -> None:
    token = stream_of(post(play_intent()))["token"]
    nxt = controller(post, "Next", token)
    second = stream_of(nxt)["token"]
    assert play_of(nxt)["playBehavior"] == "REPLACE_ALL" and decode(second).place.block == 1
    assert decode(stream_of(controller(post, "Previous", second))["token"]).place.block == 0
    paused = controller(post, "Pause", second, 4_000)
    assert [d["type"] for d in directives(paused)] == ["AudioPlayer.Stop"]
    resumed = stream_of(controller(post, "Play", second))
    assert (resumed["token"], resumed["offsetInMilliseconds"]) == (second, 4_000)


def finish_workout(post: Post, timeline: Timeline) -> str:
    """Play a whole hands-free workout to its end (as the device reports it); returns the last token."""
    token = stream_of(post(play_intent()))["token"]
    for _ in range(1, len(timeline.blocks)):
        following = stream_of(event(post, "PlaybackNearlyFinished", token, 60_000))["token"]
        event(post, "PlaybackFinished", token, 60_000)
        token = following
    event(post, "PlaybackFinished", token, 60_000)
    return token


@pytest.mark.usefixtures("workouts_take_their_time")
def test_resume_after_the_workout_finished_does_not_replay_it(post: Post, store: Any, timeline: Timeline) -> None:
    """Found by virtual-alexa: after the last segment the device still reports our token (FINISHED)."""
    last = finish_workout(post, timeline)
    player = {"token": last, "offsetInMilliseconds": 60_000, "playerActivity": "FINISHED"}
    data = post(testing.intent_request("AMAZON.ResumeIntent", new=True, audio_player=player))
    assert directives(data) == [] and "already finished" in speech_of(data)
    assert data["response"]["shouldEndSession"] is True
    assert directives(controller(post, "Play", last, 60_000)) == []
    state = store.load(testing.DEFAULT_USER_ID)
    assert state.in_progress is None and [s.completed for s in state.history] == [True]


@pytest.mark.usefixtures("workouts_take_their_time")
@pytest.mark.parametrize("intent", ["AMAZON.StopIntent", "AMAZON.PauseIntent", "AMAZON.CancelIntent"])
def test_stopping_after_the_workout_finished_does_not_reopen_it(post: Post, store: Any, timeline: Timeline,
                                                                 intent: str) -> None:
    last = finish_workout(post, timeline)
    player = {"token": last, "offsetInMilliseconds": 60_000, "playerActivity": "FINISHED"}
    data = post(testing.intent_request(intent, new=True, audio_player=player))
    assert [d["type"] for d in directives(data)] == ["AudioPlayer.Stop"]
    state = store.load(testing.DEFAULT_USER_ID)
    assert state.in_progress is None and [s.completed for s in state.history] == [True]
    assert "Welcome back" not in speech_of(post(testing.launch_request()))


@pytest.mark.usefixtures("workouts_take_their_time")
@pytest.mark.parametrize("device_says", ["pause button", "PlaybackStopped"])
def test_the_device_stopping_after_the_workout_finished_does_not_reopen_it(post: Post, store: Any,
                                                                         timeline: Timeline, device_says: str) -> None:
    last = finish_workout(post, timeline)
    if device_says == "pause button":
        controller(post, "Pause", last, 60_000)
    else:
        event(post, "PlaybackStopped", last, 60_000)
    state = store.load(testing.DEFAULT_USER_ID)
    assert state.in_progress is None and [s.completed for s in state.history] == [True]
    assert "Welcome back" not in speech_of(post(testing.launch_request()))


def test_a_failed_segment_is_skipped(post: Post) -> None:
    token = stream_of(post(play_intent()))["token"]
    data = event(post, "PlaybackFailed", token)
    assert play_of(data)["playBehavior"] == "REPLACE_ALL"
    assert decode(stream_of(data)["token"]).place.block == 1


@pytest.mark.parametrize("token", ["not-ours", "bc1.desk.short.light.0.en-US.0.0.ffffff", "x" * 2000])
def test_foreign_or_forged_tokens_get_an_empty_answer(post: Post, token: str) -> None:
    for kind in ("PlaybackStarted", "PlaybackNearlyFinished", "PlaybackFailed", "PlaybackFinished"):
        assert directives(event(post, kind, token)) == []


def test_next_with_a_session_position_stays_step_by_step(post: Post) -> None:
    started = post(testing.intent_request("StartRoutineIntent", {"routine": ROUTINE}, new=True))
    token = encode(Stream(Place(ROUTINE, VARIANT, BAND)))
    player = {"token": token, "offsetInMilliseconds": 0, "playerActivity": "STOPPED"}
    nxt = post(testing.intent_request("AMAZON.NextIntent", session_attributes=started["sessionAttributes"],
                                      audio_player=player))
    assert directives(nxt) == [] and nxt["sessionAttributes"]["position"]["block"] == 1


def test_without_a_public_url_it_explains_and_coaches_step_by_step(hf_settings: Settings, pm: Any) -> None:
    post = poster(dataclasses.replace(hf_settings, public_url=None), pm)[0]
    data = post(play_intent())
    assert directives(data) == [] and "I can't play this one as audio right now" in speech_of(data)
    assert data["sessionAttributes"]["position"]["routine"] == ROUTINE


def test_an_http_public_url_is_not_enough(hf_settings: Settings, pm: Any) -> None:
    post = poster(dataclasses.replace(hf_settings, public_url="http://192.168.1.5:5000"), pm)[0]
    assert directives(post(play_intent())) == []


def test_without_cached_audio_it_explains_and_coaches_step_by_step(hf_settings: Settings, pm: Any,
                                                                   tmp_path: Path) -> None:
    post = poster(dataclasses.replace(hf_settings, audio_dir=tmp_path / "empty"), pm)[0]
    data = post(play_intent())
    assert directives(data) == [] and "I can't play this one as audio right now" in speech_of(data)
    assert data["sessionAttributes"]["position"]["block"] == 0


def test_a_device_without_audio_player_is_coached_step_by_step(post: Post) -> None:
    envelope = play_intent()
    envelope["context"]["System"]["device"]["supportedInterfaces"] = {}
    data = post(envelope)
    assert directives(data) == [] and "This device can't play workouts as audio" in speech_of(data)


def test_an_unknown_routine_is_asked_about(post: Post) -> None:
    data = post(testing.intent_request("PlayRoutineIntent", {"routine": ("underwater yoga", None)}, new=True))
    assert directives(data) == [] and data["response"]["reprompt"]


def test_the_model_offers_hands_free_phrasings_and_the_audio_player_intents() -> None:
    resolver = UtteranceResolver(build_model(builtin_catalog(), "en-US"))
    for phrase in ("play my glute workout", "hands free warm up", "play the desk routine",
                   "start the post run stretch hands free"):
        assert resolver.resolve(phrase).intent == "PlayRoutineIntent", phrase
    assert {"AMAZON.LoopOnIntent", "AMAZON.LoopOffIntent", "AMAZON.ShuffleOnIntent",
            "AMAZON.ShuffleOffIntent", "AMAZON.PauseIntent", "AMAZON.ResumeIntent"} <= set(BUILTIN_INTENTS)


def test_the_manifest_declares_the_audio_player_interface() -> None:
    manifest = json.loads((Path(__file__).parents[1] / "skill-package" / "skill.json").read_text())
    assert {"type": "AUDIO_PLAYER"} in manifest["manifest"]["apis"]["custom"]["interfaces"]
