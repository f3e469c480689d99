"""POST /alexa trusts only Alexa: signed requests get in, everything else is a 400, nothing is a 500."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from support.alexa_checks import check_response
from support.pki import CERT_URL, NOW, TestPki, cache_file, sign

from skill import testing
from skill.state import make_store
from skill.web.app import create_app
from skill.web.verify import RequestVerifier

SKILL = "amzn1.ask.skill.band-coach-test"


@pytest.fixture
def verified_app(settings, pm, pki, tmp_path):
    """The app with verification on, trusting the test root, the chain pre-seeded, the clock at NOW."""
    bundle = pki.write_root(tmp_path / "root.pem")
    secured = replace(settings, verify=True, ca_bundle=bundle, skill_id=(SKILL, testing.DEFAULT_APP_ID))
    seeded = cache_file(secured.cert_cache_path, CERT_URL)
    seeded.parent.mkdir(parents=True, exist_ok=True)
    seeded.write_bytes(pki.chain())
    verifier = RequestVerifier.from_settings(secured, clock=lambda: NOW, fetch=_no_network)
    return create_app(secured, pm=pm, verifier=verifier)


def _no_network(url: str, timeout: float, max_bytes: int) -> bytes:
    raise AssertionError(f"the seeded chain must be used, not fetched: {url}")


def signed_post(client, pki: TestPki, envelope: dict[str, Any], *, key=None, url: str = CERT_URL):
    body = json.dumps(envelope).encode()
    headers = {"SignatureCertChainUrl": url, "Signature-256": sign(body, key or pki.leaf_key)}
    return client.post("/alexa", data=body, headers=headers, content_type="application/json")


def alexa_launch(**kw: Any) -> dict[str, Any]:
    env = testing.launch_request(application_id=SKILL, **kw)
    env["request"]["timestamp"] = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    return env


def test_a_signed_request_is_answered(verified_app, pki):
    reply = signed_post(verified_app.test_client(), pki, alexa_launch())
    assert reply.status_code == 200
    check_response(reply.get_json())


def test_an_unsigned_request_is_refused_and_no_handler_runs(verified_app, pki, caplog):
    start = testing.intent_request("StartRoutineIntent", {"routine": "desk"}, user_id="amzn1.ask.account.X",
                                   application_id=SKILL)
    start["request"]["timestamp"] = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    with caplog.at_level(logging.INFO):
        reply = verified_app.test_client().post("/alexa", json=start)
    assert reply.status_code == 400
    assert "signature" in reply.get_json()["error"].lower()
    store = make_store(verified_app.extensions["bandcoach"].settings)
    assert store.load("amzn1.ask.account.X").in_progress is None  # the handler never ran
    assert signed_post(verified_app.test_client(), pki, start).status_code == 200
    assert store.load("amzn1.ask.account.X").in_progress.place.routine == "desk"


def test_a_body_changed_after_signing_is_refused(verified_app, pki):
    env = alexa_launch()
    body = json.dumps(env).encode()
    headers = {"SignatureCertChainUrl": CERT_URL, "Signature-256": sign(body, pki.leaf_key)}
    tampered = body.replace(b"LaunchRequest", b"LaunchRequesT")
    reply = verified_app.test_client().post("/alexa", data=tampered, headers=headers, content_type="application/json")
    assert reply.status_code == 400


def test_a_signature_by_another_key_is_refused(verified_app, pki):
    assert signed_post(verified_app.test_client(), pki, alexa_launch(), key=pki.other_key).status_code == 400


def test_a_stale_timestamp_is_refused(verified_app, pki):
    env = alexa_launch()
    env["request"]["timestamp"] = "2026-11-28T05:20:00Z"
    assert signed_post(verified_app.test_client(), pki, env).status_code == 400


def test_another_skills_request_is_refused_even_when_signed(verified_app, pki):
    env = alexa_launch()
    env["context"]["System"]["application"]["applicationId"] = "amzn1.ask.skill.someone-else"
    env["session"]["application"]["applicationId"] = "amzn1.ask.skill.someone-else"
    assert signed_post(verified_app.test_client(), pki, env).status_code == 400


def test_the_skill_id_is_checked_with_verification_off(settings, pm):
    client = create_app(replace(settings, skill_id=(SKILL,)), pm=pm).test_client()
    assert client.post("/alexa", json=testing.launch_request()).status_code == 400
    assert client.post("/alexa", json=testing.launch_request(application_id=SKILL)).status_code == 200


# ---------------------------------------------------------------- generated envelopes, valid and mangled

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=False),
                     st.text(max_size=40))
_junk = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                     max_leaves=12)
_slot_text = st.one_of(st.sampled_from(["recovery", "post-run stretch", "heavy", "green", "10", "<speak>", "&"]),
                       st.text(max_size=300), st.text(alphabet="<>&'\"\x00\x01\x1b", max_size=50))
_intents = st.sampled_from(["StartRoutineIntent", "DescribeExerciseIntent", "SetBandIntent", "ProgressIntent",
                            "ListRoutinesIntent", "AMAZON.NextIntent", "AMAZON.PreviousIntent",
                            "AMAZON.RepeatIntent", "AMAZON.PauseIntent", "AMAZON.ResumeIntent",
                            "AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.HelpIntent", "AMAZON.StopIntent",
                            "AMAZON.FallbackIntent", "Foreign.Intent", ""])
_position = st.fixed_dictionaries({
    "routine": st.sampled_from(["recovery", "desk", "glutes", "warmup", "nope", ""]),
    "band": st.sampled_from(["light", "medium", "heavy", "plaid"]),
    "variant": st.sampled_from(["short", "standard", "long", "odd"]),
    "block": st.one_of(st.integers(-5, 50), st.text(max_size=3)),
})


@st.composite
def envelopes(draw) -> dict[str, Any]:
    """Real-looking envelopes of every kind, then some of them mangled field by field."""
    kind = draw(st.sampled_from(["launch", "intent", "ended", "audio", "controller", "unknown"]))
    attributes = draw(st.one_of(st.just({}), st.builds(lambda p: {"position": p}, _position), _junk))
    if kind == "launch":
        env = testing.launch_request()
    elif kind == "intent":
        slots = draw(st.dictionaries(st.sampled_from(["routine", "band", "minutes", "exercise"]), _slot_text,
                                     max_size=3))
        env = testing.intent_request(draw(_intents), slots,
                                     session_attributes=attributes if isinstance(attributes, dict) else {})
    elif kind == "ended":
        env = testing.session_ended_request(draw(st.sampled_from(["USER_INITIATED", "ERROR", "EXCEEDED", "x"])))
    elif kind == "audio":
        env = testing.audio_player_request(draw(st.sampled_from(
            ["PlaybackStarted", "PlaybackNearlyFinished", "PlaybackStopped", "PlaybackFinished", "PlaybackFailed"])),
            token=draw(st.one_of(st.none(), st.text(max_size=80))), offset_ms=draw(st.integers(0, 10**7)))
    elif kind == "controller":
        env = testing.playback_controller_request(draw(st.sampled_from(["Play", "Pause", "Next", "Previous"])))
    else:
        env = testing.envelope({"type": draw(st.text(max_size=30))})
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from([("request",), ("request", "type"), ("request", "intent"), ("session",),
                                     ("session", "attributes"), ("context",), ("context", "System"),
                                     ("request", "timestamp"), ("version",), ("request", "locale")]))
        target = env
        for part in path[:-1]:
            target = target.get(part) if isinstance(target, dict) else None
        if isinstance(target, dict):
            if draw(st.booleans()):
                target.pop(path[-1], None)
            else:
                target[path[-1]] = draw(_junk)
    return env


def _judge(reply) -> None:
    assert reply.status_code in (200, 400), reply.get_data(as_text=True)[:300]
    if reply.status_code == 200:
        check_response(reply.get_json())
    else:
        assert "error" in reply.get_json()


@hsettings(max_examples=1200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])
@given(env=envelopes())
def test_generated_envelopes_never_cause_a_500_with_verification_off(client, env):
    _judge(client.post("/alexa", data=json.dumps(env), content_type="application/json"))


@hsettings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                      HealthCheck.too_slow])
@given(env=envelopes(), signed=st.booleans())
def test_generated_envelopes_never_cause_a_500_with_verification_on(verified_app, pki, env, signed):
    client = verified_app.test_client()
    if signed:
        request = env.get("request")
        if isinstance(request, dict):
            request["timestamp"] = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
        reply = signed_post(client, pki, env)
    else:
        reply = client.post("/alexa", data=json.dumps(env), content_type="application/json")
        assert reply.status_code == 400
    _judge(reply)


@given(body=st.binary(max_size=2000))
@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_arbitrary_bytes_are_a_400(client, body):
    """Bytes that are not a JSON object with a request are a 400 with a JSON error.

    Random bytes can in principle spell an envelope (36 bytes, '{"request":{"type":"LaunchRequest"}}',
    get a 200 with verification off), so only such a body may be answered; none is ever a 500.
    """
    reply = client.post("/alexa", data=body, content_type="application/json")
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if isinstance(document, dict) and "request" in document:
        assert reply.status_code in (200, 400)
    else:
        assert reply.status_code == 400
        assert reply.get_json()["error"]


@pytest.mark.parametrize("context", [None, {}, {"System": None}], ids=["none", "empty", "null-system"])
def test_an_envelope_without_context_system_is_a_400_not_a_500(client, context: Any) -> None:
    envelope = testing.launch_request()
    envelope["context"] = context
    reply = client.post("/alexa", data=json.dumps(envelope), content_type="application/json")
    assert reply.status_code == 400 and "context.System" in reply.get_json()["error"]
