"""Hostile envelopes meet a clear 400 or a polite answer at the boundary, never an exception in a handler.

Through the real Flask app and SQLite store: missing intents, NaN and Infinity, start times of 1e14 to
1e20, counts beyond 2^63, sealed tokens whose fields are out of range, offsets of any size, and answers
that would be over Alexa's 24 KB. Every answer must be strict JSON (no NaN), within the size limit, and
no traceback may be logged: a traceback means a handler met input it should never have been given.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from support.alexa_checks import check_response, speech_of
from support.tokens import KEY, encode, keyed
from support.workouts import store_of

from skill import hookimpl, playback, testing
from skill.catalog import Catalog
from skill.config import Settings
from skill.errors import BadRequest
from skill.handlers.endpoint import MAX_RESPONSE_BYTES, within_limits
from skill.playback import Stream
from skill.plugins import BandCoachPluginManager
from skill.routines import EXTRA_SETS_LIMIT, BandLevel, Place, Variant
from skill.timeline import Cue
from skill.web.app import create_app

RUNNER = "amzn1.ask.account.HOSTILE"
Raw = Callable[[str], Any]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared settings with the secret support.tokens seals hands-free tokens under."""
    return keyed(settings)


@pytest.fixture
def send(client: FlaskClient) -> Raw:
    """POST a body exactly as given (so it may hold NaN), returning the Flask response."""
    return lambda body: client.post("/alexa", data=body, content_type="application/json")


def strict(text: str) -> dict[str, Any]:
    """Parse as RFC 8259 JSON: NaN, Infinity and -Infinity are refused, as Alexa's parser does."""
    def refuse(name: str) -> None:
        raise ValueError(f"{name} in a response")
    data: dict[str, Any] = json.loads(text, parse_constant=refuse)
    return data


def answered_politely(reply: Any) -> dict[str, Any]:
    """A 200 whose body is strict JSON, a valid response envelope, and within Alexa's size limit."""
    assert reply.status_code == 200, reply.get_data(as_text=True)[:300]
    assert len(reply.get_data()) <= MAX_RESPONSE_BYTES
    data = strict(reply.get_data(as_text=True))
    check_response(data)
    return data


def no_traceback(caplog: pytest.LogCaptureFixture) -> bool:
    return not [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]


@pytest.mark.parametrize("intent", ["missing", None, {}, {"name": None}, {"name": ""}, {"name": 42}, "AMAZON.Yes"],
                         ids=["missing", "null", "empty", "null-name", "empty-name", "number-name", "string"])
@pytest.mark.parametrize("kind", ["IntentRequest", "CanFulfillIntentRequest"])
def test_an_intent_request_without_an_intent_name_is_a_400(send: Raw, caplog: pytest.LogCaptureFixture,
                                                            kind: str, intent: Any) -> None:
    envelope = testing.intent_request("AMAZON.HelpIntent")
    envelope["request"]["type"] = kind
    if intent == "missing":
        del envelope["request"]["intent"]
    else:
        envelope["request"]["intent"] = intent
    with caplog.at_level(logging.INFO):
        reply = send(json.dumps(envelope))
    assert reply.status_code == 400 and "intent" in reply.get_json()["error"]
    assert no_traceback(caplog)


@pytest.mark.parametrize("spoilt", [
    '"block": NaN', '"block": Infinity', '"block": -Infinity', '"block": 1e400', '"started": -1e999',
])
def test_non_finite_numbers_anywhere_are_refused_at_parse_time(send: Raw, spoilt: str) -> None:
    envelope = testing.intent_request("AMAZON.NextIntent", session_attributes={"position": {
        "routine": "desk", "variant": "short", "band": "light", "block": 0, "started": 0}})
    body = json.dumps(envelope).replace('"block": 0', spoilt if "block" in spoilt else '"block": 0')
    body = body.replace('"started": 0', spoilt) if "started" in spoilt else body
    assert spoilt in body
    reply = send(body)
    assert reply.status_code == 400 and "not valid JSON" in reply.get_json()["error"]


def test_an_envelope_holding_nan_without_raw_text_is_refused_by_the_endpoint(app: Any) -> None:
    """The Lambda door gets a parsed event (Python's parser takes NaN): the endpoint looks for it itself."""
    envelope = testing.intent_request("AMAZON.HelpIntent", session_attributes={"echo": float("nan")})
    with pytest.raises(BadRequest, match="NaN"):
        app.extensions["bandcoach"].endpoint.handle(envelope)


@pytest.mark.parametrize("started", [10**14, 10**17, 10**20, 1e14, 1e20, -1, 2**63 + 1, "1e20", True])
@pytest.mark.parametrize("intent", ["AMAZON.NextIntent", "FinishWorkoutIntent", "AMAZON.RepeatIntent"])
def test_a_session_start_time_out_of_range_gets_a_polite_answer(send: Raw, caplog: pytest.LogCaptureFixture,
                                                                intent: str, started: Any) -> None:
    position = {"routine": "desk", "variant": "short", "band": "light", "block": 1, "started": started}
    envelope = testing.intent_request(intent, user_id=RUNNER, session_attributes={"position": position})
    data = answered_politely(send(json.dumps(envelope)))
    assert speech_of(data) and "position" not in (data.get("sessionAttributes") or {})  # ignored, not trusted
    assert no_traceback(caplog)


@pytest.mark.parametrize("field, value", [
    ("extra_sets", 2**63), ("extra_sets", 2**64 + 7), ("extra_sets", -2**63 - 1), ("block", 2**70),
    ("minutes", 10**30), ("block", 1e300), ("extra_sets", "9" * 40),
])
def test_counts_beyond_what_sqlite_holds_never_reach_the_store(app: Any, send: Raw, caplog: pytest.LogCaptureFixture,
                                                               field: str, value: Any) -> None:
    position = {"routine": "desk", "variant": "short", "band": "light", "block": 0,
                "started": int(time.time()) - 60, field: value}
    for intent in ("AMAZON.NextIntent", "TakeABreakIntent", "FinishWorkoutIntent"):
        envelope = testing.intent_request(intent, user_id=RUNNER, session_attributes={"position": position})
        answered_politely(send(json.dumps(envelope)))
    state = store_of(app).load(RUNNER)
    assert all(0 <= s.extra_sets <= EXTRA_SETS_LIMIT for s in state.history)
    assert no_traceback(caplog)


def test_counts_somewhat_out_of_range_are_clamped_and_coached(send: Raw, catalog: Catalog) -> None:
    position = {"routine": "desk", "variant": "short", "band": "light", "block": 999_999,
                "extra_sets": 999_999, "minutes": 999_999, "started": int(time.time()) - 60}
    data = answered_politely(send(json.dumps(testing.intent_request(
        "AMAZON.HelpIntent", session_attributes={"position": position}))))
    kept = data["sessionAttributes"]["position"]
    assert (kept["extra_sets"], kept["minutes"], kept["block"]) == (EXTRA_SETS_LIMIT, 60, catalog.block_count(
        Place("desk", Variant.STANDARD, BandLevel.LIGHT, EXTRA_SETS_LIMIT, minutes=60)) - 1)


def sealed(parts: list[str]) -> str:
    """A token with these fields and a genuine seal: only a key leak or a bug could make one."""
    body = ".".join(parts)
    return f"{body}.{playback._seal(body, KEY)}"


@pytest.mark.parametrize("index, value", [
    (2, "m99"), (4, "9"), (4, "99999999999999999999"), (6, "999"), (6, "1000"),
    (7, format(10**14, "x")), (7, "0"), (7, "zzzzzzzz"),
], ids=["minutes", "extra", "extra-beyond-2^63", "block-past-the-routine", "block-over-limit",
        "started-1e14", "started-1970", "started-2059"])
@pytest.mark.parametrize("kind", ["PlaybackNearlyFinished", "PlaybackFinished", "PlaybackStopped"])
def test_a_sealed_token_with_a_field_out_of_range_gets_an_empty_answer(app: Any, send: Raw,
                                                                       caplog: pytest.LogCaptureFixture,
                                                                       kind: str, index: int, value: str) -> None:
    genuine = encode(Stream(Place("desk", Variant.SHORT, BandLevel.LIGHT, 0, 0, int(time.time()) - 60)))
    parts = genuine.split(".")[:-1]
    parts[index] = value
    envelope = testing.audio_player_request(kind, sealed(parts), 1_000, user_id=RUNNER)
    data = answered_politely(send(json.dumps(envelope)))
    assert data["response"] == {}
    state = store_of(app).load(RUNNER)
    assert state.in_progress is None and state.history == ()
    assert no_traceback(caplog)


@pytest.mark.parametrize("offset", [2**70, 10**12, -5, 1.5e300])
def test_an_offset_of_any_size_is_kept_within_range(app: Any, send: Raw, offset: Any) -> None:
    token = encode(Stream(Place("desk", Variant.SHORT, BandLevel.LIGHT, 0, 1, int(time.time()) - 60)))
    envelope = testing.audio_player_request("PlaybackStopped", token, 0, user_id=RUNNER)
    envelope["request"]["offsetInMilliseconds"] = offset
    answered_politely(send(json.dumps(envelope)))
    kept = store_of(app).load(RUNNER).in_progress
    assert kept is not None and kept.offset_ms == 0


class LongWords:
    """A plugin whose coaching words are long and Cyrillic: each letter is six bytes of escaped JSON (\\u0414)."""

    @hookimpl
    def bandcoach_cue_text(self, cue: Cue, locale: str) -> str:
        return "Дышите ровно и медленно. " * 40


@pytest.fixture
def long_words_client(settings: Settings, pm: BandCoachPluginManager) -> FlaskClient:
    pm.register(LongWords(), name="long-words")
    return create_app(settings, pm=pm).test_client()


def test_an_answer_over_24_kb_has_its_speech_trimmed_not_refused(long_words_client: FlaskClient,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    envelope = testing.intent_request("StartRoutineIntent", {"routine": ("desk", "desk")}, new=True)
    with caplog.at_level(logging.WARNING):
        reply = long_words_client.post("/alexa", json=envelope)
    data = answered_politely(reply)
    assert "Дышите ровно" in speech_of(data) and data["sessionAttributes"]["position"]["routine"] == "desk"
    assert "trimming it" in caplog.text and no_traceback(caplog)


def test_within_limits_leaves_an_answer_that_fits_untouched() -> None:
    data = {"version": "1.0", "response": {"outputSpeech": {"type": "SSML", "ssml": "<speak>Hi.</speak>"}}}
    assert within_limits(data) is data


def test_within_limits_drops_echoed_session_attributes_when_trimming_speech_is_not_enough() -> None:
    data = {"version": "1.0", "sessionAttributes": {"echo": "x" * 40_000},
            "response": {"outputSpeech": {"type": "SSML", "ssml": "<speak>Hi.</speak>"}}}
    fitted = within_limits(data)
    assert fitted["sessionAttributes"] == {} and fitted["response"]["outputSpeech"]["ssml"] == "<speak>Hi.</speak>"


def test_within_limits_never_emits_nan() -> None:
    data = {"version": "1.0", "sessionAttributes": {"n": float("nan"), "i": [float("inf")]}, "response": {}}
    assert strict(json.dumps(within_limits(data))) == {"version": "1.0", "sessionAttributes": {"n": None, "i": [None]},
                                                        "response": {}}
