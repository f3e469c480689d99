"""A signed request is accepted once: its request id is remembered for as long as its timestamp is fresh.

The timestamp check alone lets a captured request be replayed for 150 s; the verifier now remembers
every request id that passed (bounded, and each only until its timestamp leaves the window) and
refuses a repeat with a 400. Only when verification is on: with BANDCOACH_VERIFY=0 nothing is checked.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.pki import CERT_URL, NOW, TestPki, cache_file, sign

from skill import testing
from skill.config import Settings
from skill.errors import VerificationError
from skill.plugins import BandCoachPluginManager
from skill.web.app import create_app
from skill.web.verify import RequestVerifier

SKILL = "amzn1.ask.skill.band-coach-test"


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _no_network(url: str, timeout: float, max_bytes: int) -> bytes:
    raise AssertionError(f"the seeded chain must be used, not fetched: {url}")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_verifier(pki: TestPki, tmp_path: Path, clock: Clock) -> Callable[..., RequestVerifier]:
    """A verifier trusting the test root, its chain seeded on disk (no downloads), on the test clock."""
    cert_dir = tmp_path / "certs"
    cert_dir.mkdir()
    cache_file(cert_dir, CERT_URL).write_bytes(pki.chain())
    bundle = pki.write_root(tmp_path / "root.pem")

    def make(**overrides: Any) -> RequestVerifier:
        return RequestVerifier(**{"cert_cache_dir": cert_dir, "ca_bundle": bundle, "clock": clock,
                                  "fetch": _no_network, **overrides})
    return make


def launch(at: datetime = NOW) -> dict[str, Any]:
    """A LaunchRequest with a fresh request id, stamped `at`."""
    envelope = testing.launch_request(application_id=SKILL)
    envelope["request"]["timestamp"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return envelope


def signed(pki: TestPki, envelope: dict[str, Any], *, key: Any = None,
           ) -> tuple[dict[str, str], bytes, dict[str, Any]]:
    body = json.dumps(envelope).encode()
    return {"SignatureCertChainUrl": CERT_URL, "Signature-256": sign(body, key or pki.leaf_key)}, body, envelope


def refused(check: str, call: Callable[[], object]) -> VerificationError:
    with pytest.raises(VerificationError) as info:
        call()
    assert info.value.check == check, str(info.value)
    return info.value


# ---------------------------------------------------------------- the verifier

def test_a_replayed_request_is_refused(pki: TestPki, make_verifier: Callable[..., RequestVerifier]) -> None:
    verifier = make_verifier()
    request = signed(pki, launch())
    verifier.verify(*request)
    error = refused("replay", lambda: verifier.verify(*request))
    assert "accepted already" in str(error)


def test_a_new_request_id_is_accepted(pki: TestPki, make_verifier: Callable[..., RequestVerifier]) -> None:
    verifier = make_verifier()
    verifier.verify(*signed(pki, launch()))
    verifier.verify(*signed(pki, launch()))


def test_a_replay_later_in_the_window_is_refused(
        pki: TestPki, clock: Clock, make_verifier: Callable[..., RequestVerifier]) -> None:
    """149 s on, the timestamp still passes; only the remembered id stops the replay."""
    verifier = make_verifier()
    request = signed(pki, launch())
    verifier.verify(*request)
    clock.now = NOW + timedelta(seconds=149)
    refused("replay", lambda: verifier.verify(*request))


def test_of_concurrent_copies_exactly_one_is_accepted(
        pki: TestPki, make_verifier: Callable[..., RequestVerifier]) -> None:
    verifier = make_verifier()
    verifier.verify(*signed(pki, launch()))  # the chain is in memory, so the copies race on the id alone
    request = signed(pki, launch())
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def copy() -> None:
        barrier.wait()
        try:
            verifier.verify(*request)
            outcomes.append("accepted")
        except VerificationError as exc:
            outcomes.append(exc.check)
    threads = [threading.Thread(target=copy) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(outcomes) == ["accepted"] + ["replay"] * 7


def test_a_forged_request_does_not_use_up_its_id(
        pki: TestPki, make_verifier: Callable[..., RequestVerifier]) -> None:
    """Only ids of requests that passed are remembered: sending a stolen id first cannot block Alexa's request."""
    verifier = make_verifier()
    envelope = launch()
    refused("signature", lambda: verifier.verify(*signed(pki, envelope, key=pki.other_key)))
    verifier.verify(*signed(pki, envelope))


def test_a_request_without_an_id_is_refused(pki: TestPki, make_verifier: Callable[..., RequestVerifier]) -> None:
    envelope = launch()
    del envelope["request"]["requestId"]
    refused("request_id", lambda: make_verifier().verify(*signed(pki, envelope)))


def test_ids_are_forgotten_once_their_timestamp_has_left_the_window(
        pki: TestPki, clock: Clock, make_verifier: Callable[..., RequestVerifier]) -> None:
    """Memory is bounded by time: an id is kept only while the timestamp check would still pass its request."""
    verifier = make_verifier()
    for _ in range(3):
        verifier.verify(*signed(pki, launch()))
    assert len(verifier._seen) == 3
    clock.now = NOW + timedelta(seconds=151)
    verifier.verify(*signed(pki, launch(clock.now)))
    assert len(verifier._seen) == 1


def test_the_memory_of_ids_is_bounded_by_count(
        pki: TestPki, make_verifier: Callable[..., RequestVerifier], caplog: pytest.LogCaptureFixture) -> None:
    verifier = make_verifier(replay_cache_size=2)
    for _ in range(3):
        verifier.verify(*signed(pki, launch()))
    assert len(verifier._seen) == 2
    assert "forgotten early" in caplog.text


# ---------------------------------------------------------------- the endpoint

@pytest.fixture
def secured(settings: Settings, pki: TestPki, tmp_path: Path) -> Settings:
    secured = replace(settings, verify=True, ca_bundle=pki.write_root(tmp_path / "root.pem"), skill_id=(SKILL,))
    seeded = cache_file(secured.cert_cache_path, CERT_URL)
    seeded.parent.mkdir(parents=True, exist_ok=True)
    seeded.write_bytes(pki.chain())
    return secured


def post(client: Any, pki: TestPki, body: bytes) -> Any:
    headers = {"SignatureCertChainUrl": CERT_URL, "Signature-256": sign(body, pki.leaf_key)}
    return client.post("/alexa", data=body, headers=headers, content_type="application/json")


def test_a_replay_to_the_endpoint_is_a_400_and_a_new_request_is_answered(
        secured: Settings, pm: BandCoachPluginManager, pki: TestPki) -> None:
    verifier = RequestVerifier.from_settings(secured, clock=lambda: NOW, fetch=_no_network)
    client = create_app(secured, pm=pm, verifier=verifier).test_client()
    body = json.dumps(launch()).encode()
    assert post(client, pki, body).status_code == 200
    replayed = post(client, pki, body)
    assert replayed.status_code == 400
    assert "replay" in replayed.get_json()["error"]
    assert post(client, pki, json.dumps(launch()).encode()).status_code == 200


def test_with_verification_off_a_repeated_request_is_answered(
        settings: Settings, pm: BandCoachPluginManager) -> None:
    client = create_app(replace(settings, skill_id=(SKILL,)), pm=pm).test_client()
    body = json.dumps(testing.launch_request(application_id=SKILL)).encode()
    assert [client.post("/alexa", data=body, content_type="application/json").status_code
            for _ in range(2)] == [200, 200]
