"""Utterance resolution against the interaction model, as `bandcoach say` hears it."""

from __future__ import annotations

import pytest

from skill.model import build_model
from skill.testing.utterances import NoMatch, UtteranceResolver


@pytest.fixture
def resolver(catalog):
    return UtteranceResolver(build_model(catalog))


@pytest.mark.parametrize("utterance", ["open band coach", "alexa, open band coach", "launch band coach"])
def test_invocation_alone_is_a_launch(resolver, utterance):
    result = resolver.resolve(utterance)
    assert result.intent is None and result.launched


@pytest.mark.parametrize(("utterance", "routine"), [
    ("ask band coach for a post-run stretch", "recovery"),
    ("ask band coach to start the cool down", "recovery"),
    ("tell band coach to start my pre-run routine", "warmup"),
    ("start the desk routine", "desk"),
    ("booty", "glutes"),
])
def test_routine_aliases_resolve_to_ids(resolver, utterance, routine):
    result = resolver.resolve(utterance)
    assert result.intent == "StartRoutineIntent"
    assert result.slots["routine"].resolved_id == routine


def test_band_and_minutes_are_filled(resolver):
    result = resolver.resolve("ask band coach to do a ten minute post-run stretch with a green band")
    assert result.slots["minutes"].value == "10"
    assert result.slots["band"].resolved_id in {"light", "medium", "heavy"}


def test_an_unknown_routine_still_reaches_the_intent_unresolved(resolver):
    result = resolver.resolve("start underwater yoga")
    assert result.intent == "StartRoutineIntent"
    assert result.slots["routine"].resolved_id is None


@pytest.mark.parametrize(("utterance", "intent"), [
    ("next", "AMAZON.NextIntent"), ("go back", "AMAZON.PreviousIntent"), ("repeat that", "AMAZON.RepeatIntent"),
    ("start over", "AMAZON.StartOverIntent"), ("pause", "AMAZON.PauseIntent"), ("resume", "AMAZON.ResumeIntent"),
    ("help", "AMAZON.HelpIntent"), ("stop", "AMAZON.StopIntent"), ("what routines do you have", "ListRoutinesIntent"),
    ("how do i do a lateral band walk", "DescribeExerciseIntent"),
])
def test_in_session_phrases(resolver, utterance, intent):
    assert resolver.resolve(utterance).intent == intent


def test_nonsense_raises_with_close_matches(resolver):
    with pytest.raises(NoMatch) as info:
        resolver.resolve("lst routnes")
    assert "list routines" in info.value.close
