"""Generated hostile envelopes through the real app: never a 500, always strict JSON within 24 KB, no traceback.

Real envelopes of every kind (sessions with positions, hands-free events with genuine, forged and
sealed-but-out-of-range tokens, button presses, skill-level requests) are mutated field by field with
NaN, Infinity, numbers past 2^63 and 1e300, start times of 1e14 to 1e20, wrong types, long strings and
deletions. Whatever comes in, the answer is a 400 with a JSON error or a 200 that Alexa accepts: strict
RFC 8259 JSON (no NaN), at most 24 KB, a valid response envelope; and no handler logs a traceback, since
an input error must be caught at the boundary, not by the catch-all exception handler.

Examples: 2,000 with CI=true (about a minute on two cores), 150 otherwise; the profile sets them.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from support.alexa_checks import check_response
from support.handsfree_support import BAND, ROUTINE, VARIANT
from support.tokens import KEY, encode, keyed

from skill import playback, testing
from skill.config import Settings
from skill.handlers.endpoint import MAX_RESPONSE_BYTES
from skill.playback import Stream
from skill.plugins import BandCoachPluginManager
from skill.routines import Place
from skill.web.app import create_app

_QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
hsettings.register_profile("envelope-fuzz-ci", max_examples=2_000, deadline=None, suppress_health_check=_QUIET)
hsettings.register_profile("envelope-fuzz-dev", max_examples=150, deadline=None, suppress_health_check=_QUIET)
PROFILE = hsettings.get_profile("envelope-fuzz-ci" if os.environ.get("CI") == "true" else "envelope-fuzz-dev")

PUBLIC = "https://coach.example.org/skill"
USERS = ("amzn1.ask.account.FUZZ-A", "amzn1.ask.account.FUZZ-B")


@pytest.fixture
def fuzz_client(settings: Settings, pm: BandCoachPluginManager, warm_dir: Path, tmp_path: Path) -> FlaskClient:
    """The real app, hands-free ready (warmed audio, an HTTPS public URL), verification off."""
    audio = tmp_path / "audio"
    shutil.copytree(warm_dir, audio)
    return create_app(dataclasses.replace(keyed(settings), audio_dir=audio, public_url=PUBLIC), pm=pm).test_client()


# --- values ---------------------------------------------------------------------------------------------

_huge_ints = st.one_of(st.integers(-2**70, 2**70), st.sampled_from([2**63, 2**63 - 1, 2**64 + 7, -2**63 - 1,
                                                                      10**14, 10**17, 10**20, 10**30]))
_numbers = st.one_of(_huge_ints, st.floats(allow_nan=True, allow_infinity=True),
                     st.sampled_from([1e14, 1e20, 1e300, -1e300, 0.5, -0.0]))
_scalars = st.one_of(st.none(), st.booleans(), _numbers, st.text(max_size=40),
                     st.sampled_from(["", "NaN", "Infinity", "1e20", "-1", "999999999999", "<speak>", "&amp;"]))
_junk = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                     max_leaves=10)
_big_text = st.builds(lambda char, n: char * n, st.sampled_from(["x", "Д", "<", "&", "\u2028"]),
                      st.integers(1_000, 30_000))


# Within the last hour: drawn as seconds ago, so the draw's bounds never depend on the clock (hypothesis
# replays draws and would call a moving range flaky); the clock moves only the value.
_recently = st.integers(0, 3600).map(lambda ago: int(time.time()) - ago)


@st.composite
def positions(draw: st.DrawFn) -> dict[str, Any]:
    """A session position: mostly real routines and vocabularies, numbers from everywhere."""
    number = st.one_of(st.integers(0, 12), _numbers, st.text(max_size=6))
    return {
        "routine": draw(st.sampled_from(["desk", "glutes", "recovery", "warmup", "treadmill", "nope", ""]) | _scalars),
        "variant": draw(st.sampled_from(["short", "standard", "long", "odd"])),
        "band": draw(st.sampled_from(["light", "medium", "heavy", "plaid"])),
        "block": draw(number), "extra_sets": draw(number), "minutes": draw(number),
        "started": draw(st.one_of(_recently, _numbers, st.just(0))),
    }


_genuine = st.builds(lambda block, ago: encode(Stream(Place(ROUTINE, VARIANT, BAND, 0, block, int(time.time()) - ago))),
                     st.integers(0, 6), st.integers(0, 7200))


@st.composite
def tokens(draw: st.DrawFn) -> Any:
    """Genuine tokens, forged ones in our format, sealed ones with a field out of range, and junk."""
    genuine = draw(_genuine)
    parts = genuine.split(".")[:-1]
    field = draw(st.integers(1, 7))
    parts[field] = draw(st.one_of(st.text(alphabet="0123456789abcdefmz-", min_size=1, max_size=25),
                                  st.sampled_from(["m99", "m0", "9", "999", format(10**14, "x"), "zzzzzzzz"])))
    body = ".".join(parts)
    sealed_out_of_range = f"{body}.{playback._seal(body, KEY)}"
    forged = f"{body}.{'A' * 16}"
    return draw(st.one_of(st.just(genuine), st.sampled_from([sealed_out_of_range, forged]), _scalars))


_intents = st.sampled_from([
    "StartRoutineIntent", "PlayRoutineIntent", "DescribeExerciseIntent", "SetBandIntent", "ProgressIntent",
    "ListRoutinesIntent", "FinishWorkoutIntent", "TimeLeftIntent", "TakeABreakIntent", "PainIntent",
    "EasierIntent", "FeedbackIntent", "SameAsLastTimeIntent", "AMAZON.NextIntent", "AMAZON.PreviousIntent",
    "AMAZON.RepeatIntent", "AMAZON.PauseIntent", "AMAZON.ResumeIntent", "AMAZON.StartOverIntent",
    "AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.HelpIntent", "AMAZON.StopIntent", "AMAZON.CancelIntent",
    "AMAZON.FallbackIntent", "AMAZON.LoopOnIntent", "Foreign.Intent",
])
_slot_values = st.one_of(st.sampled_from(["desk", "post-run stretch", "heavy", "green", "10", "five", "glute bridge"]),
                         st.text(max_size=60))

# Where a mutation lands: a path into the envelope, created on the way when missing.
_PATHS = [
    ("request",), ("request", "type"), ("request", "intent"), ("request", "intent", "name"),
    ("request", "intent", "slots"), ("request", "token"), ("request", "offsetInMilliseconds"),
    ("request", "timestamp"), ("request", "locale"), ("request", "error"), ("session",), ("session", "new"),
    ("session", "attributes"), ("session", "attributes", "position"), ("session", "attributes", "position", "block"),
    ("session", "attributes", "position", "started"), ("session", "attributes", "position", "extra_sets"),
    ("session", "attributes", "position", "minutes"), ("session", "attributes", "offer"),
    ("session", "attributes", "swap"), ("session", "attributes", "previous"), ("context",),
    ("context", "System"), ("context", "System", "user"), ("context", "System", "user", "userId"),
    ("context", "AudioPlayer"), ("context", "AudioPlayer", "token"),
    ("context", "AudioPlayer", "offsetInMilliseconds"), ("version",),
]


@st.composite
def envelopes(draw: st.DrawFn) -> dict[str, Any]:
    """A real envelope of some kind, then up to four mutations (a junk value, a big one, or a deletion)."""
    kind = draw(st.sampled_from(["launch", "intent", "intent", "audio", "playing", "controller", "ended", "fulfil"]))
    user = draw(st.sampled_from(USERS))
    attributes = draw(st.one_of(st.just({}), st.builds(lambda p: {"position": p}, positions()),
                                st.dictionaries(st.text(max_size=10), _junk, max_size=3)))
    player = {"token": draw(tokens()), "offsetInMilliseconds": draw(st.one_of(st.integers(0, 10**6), _numbers)),
              "playerActivity": draw(st.sampled_from(["PLAYING", "STOPPED", "FINISHED", "IDLE"]))}
    if kind == "launch":
        env = testing.launch_request(user_id=user)
    elif kind in ("intent", "fulfil"):
        slots = draw(st.dictionaries(st.sampled_from(["routine", "band", "length", "minutes", "exercise", "feeling"]),
                                     _slot_values, max_size=3))
        env = testing.intent_request(draw(_intents), slots, user_id=user, session_attributes=attributes,
                                     audio_player=player if draw(st.booleans()) else None)
        if kind == "fulfil":
            env["request"]["type"] = "CanFulfillIntentRequest"
    elif kind in ("audio", "playing"):  # "playing": a genuine token, so the hands-free paths run to a directive
        env = testing.audio_player_request(
            draw(st.sampled_from(["PlaybackStarted", "PlaybackNearlyFinished", "PlaybackStopped",
                                  "PlaybackFinished", "PlaybackFailed"])),
            token=draw(_genuine if kind == "playing" else tokens()), offset_ms=draw(st.integers(0, 10**7)),
            user_id=user)
    elif kind == "controller":
        env = testing.playback_controller_request(draw(st.sampled_from(["Play", "Pause", "Next", "Previous"])),
                                                  audio_player=player, user_id=user)
    else:
        env = testing.session_ended_request(draw(st.sampled_from(["USER_INITIATED", "ERROR", "x"])), user_id=user)
    for _ in range(draw(st.integers(0, 4))):
        path = draw(st.sampled_from(_PATHS))
        target: Any = env
        for part in path[:-1]:
            if isinstance(target, dict) and not isinstance(target.get(part), dict) and draw(st.booleans()):
                target[part] = {}
            target = target.get(part) if isinstance(target, dict) else None
        if isinstance(target, dict):
            action = draw(st.sampled_from(["junk", "junk", "big", "delete"]))
            if action == "delete":
                target.pop(path[-1], None)
            else:
                target[path[-1]] = draw(_big_text if action == "big" else _junk)
    return env


# --- the property -----------------------------------------------------------------------------------------

def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


@hsettings(PROFILE)
@given(env=envelopes())
def test_generated_hostile_envelopes_get_strict_json_within_24_kb_and_no_traceback(
        fuzz_client: FlaskClient, caplog: pytest.LogCaptureFixture, env: dict[str, Any]) -> None:
    caplog.clear()
    body = json.dumps(env)  # allow_nan: NaN and Infinity reach the app as Alexa would never send them
    if len(body.encode()) > 120 * 1024:  # the body limit has its own test; keep this one about content
        body = json.dumps({**env, "session": {"attributes": {}}})
    with caplog.at_level(logging.WARNING):
        reply = fuzz_client.post("/alexa", data=body, content_type="application/json")
    assert reply.status_code in (200, 400), reply.get_data(as_text=True)[:300]
    event(f"HTTP {reply.status_code}")  # --hypothesis-show-statistics: how many got past the boundary
    assert len(reply.get_data()) <= MAX_RESPONSE_BYTES
    data = json.loads(reply.get_data(as_text=True), parse_constant=_refuse_constant)
    if reply.status_code == 200:
        check_response(data)
        event("answered with a Play directive" if "AudioPlayer.Play" in reply.get_data(as_text=True) else "answered")
    else:
        assert isinstance(data.get("error"), str)
    tracebacks = [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
    assert tracebacks == [], (tracebacks, body[:500])
