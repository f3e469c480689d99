"""Runners hear runners' words: no setup or operator language is spoken, and the fix goes to the log."""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from typing import Any

import pytest
from support.alexa_checks import answered, speech_of
from support.ssml_corpus import prompt_samples
from support.tokens import encode, keyed

from skill import prompts, ssml, testing
from skill.catalog import Catalog
from skill.config import Settings
from skill.playback import Stream
from skill.routines import BandLevel, Place, Variant
from skill.runtime import build_runtime
from skill.web.app import create_app


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared settings with the secret support.tokens seals hands-free tokens under."""
    return keyed(settings)

# Words about how the skill is run, not about a workout.
OPERATOR = re.compile(r"https?|\burls?\b|web address|\bservers?\b|warming|\bwarm (the )?(audio|cache)\b|publish"
                      r"|plugin|operator|\bcache\b|\bindex\b|bucket|bandcoach_|set up|configur|deploy", re.I)


def test_no_prompt_speaks_operator_language(catalog: Catalog) -> None:
    for sample in prompt_samples(catalog):
        found = OPERATOR.search(ssml.plain_text(sample.ssml))
        assert found is None, f"{sample.where} says {found.group(0)!r}: {ssml.plain_text(sample.ssml)}"


def test_the_operator_pattern_catches_the_old_wording() -> None:
    old = ("Hands-free needs the coach's audio to be reachable over a secure web address, and it isn't set up yet.",
           "I have no routines loaded right now. Ask the skill's operator to check its plugins.")
    assert all(OPERATOR.search(text) for text in old)


def play(client: Any) -> dict[str, Any]:
    envelope = testing.intent_request("PlayRoutineIntent", {"routine": ("desk", "desk")}, new=True)
    return answered(lambda e: client.post("/alexa", json=e), envelope)


@pytest.mark.parametrize("public_url", [None, "http://192.168.1.5:5000"])
def test_hands_free_without_https_says_it_plainly_and_logs_the_fix(settings: Settings, pm: Any,
                                                                   caplog: pytest.LogCaptureFixture,
                                                                   public_url: str | None) -> None:
    client = create_app(dataclasses.replace(settings, public_url=public_url), pm=pm).test_client()
    with caplog.at_level(logging.WARNING):
        data = play(client)
    assert speech_of(data).startswith(prompts.audio_unavailable()) and "Exercise 1 of" in speech_of(data)
    assert "BANDCOACH_PUBLIC_URL" in caplog.text and "https://" in caplog.text


def test_hands_free_without_audio_says_it_plainly_and_logs_the_fix(settings: Settings, pm: Any,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    client = create_app(dataclasses.replace(settings, public_url="https://coach.example.org"), pm=pm).test_client()
    with caplog.at_level(logging.WARNING):
        data = play(client)
    assert speech_of(data).startswith(prompts.audio_unavailable())
    assert "bandcoach audio warm" in caplog.text


def test_a_device_without_a_player_hears_it_in_plain_words(post: Any) -> None:
    envelope = testing.intent_request("PlayRoutineIntent", {"routine": ("desk", "desk")}, new=True)
    envelope["context"]["System"]["device"]["supportedInterfaces"] = {}
    assert speech_of(answered(post, envelope)).startswith("This device can't play workouts as audio")


def test_a_segment_missing_mid_workout_is_coached_step_by_step(post: Any) -> None:
    """Next by voice while playing, when the next segment cannot play: the audio stops and the words come true."""
    token = encode(Stream(Place("desk", Variant.STANDARD, BandLevel.LIGHT, 0, 0, int(time.time()))))
    player = {"token": token, "offsetInMilliseconds": 1_000, "playerActivity": "PLAYING"}
    data = answered(post, testing.intent_request("AMAZON.NextIntent", new=True, audio_player=player))
    assert [d["type"] for d in data["response"]["directives"]] == ["AudioPlayer.Stop"]
    assert speech_of(data).startswith(prompts.audio_unavailable()) and "Exercise 2 of" in speech_of(data)
    assert data["response"]["shouldEndSession"] is False and data["sessionAttributes"]["position"]["block"] == 1


def test_no_routines_says_sorry_to_the_runner_and_logs_the_fix(settings: Settings,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        runtime = build_runtime(dataclasses.replace(settings, load_plugins=("no-such-distribution",)))
    assert "no routines loaded" in caplog.text and "bandcoach plugins" in caplog.text
    assert runtime.catalog.routines == {}
    assert prompts.routine_list(runtime.catalog) == ("I have no routines to offer right now, sorry. "
                                                     "Please try again later.")
