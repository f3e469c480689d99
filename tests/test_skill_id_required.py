"""Fail closed: with verification on and no BANDCOACH_SKILL_ID, no Alexa request is answered.

Another skill's requests are signed by Alexa too, so a signature alone does not make a request ours.
BANDCOACH_ALLOW_ANY_SKILL=1 opts out explicitly; `bandcoach serve --local` turns verification off and
allows any skill, saying so.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from support.pki import CERT_URL, NOW, TestPki, cache_file, sign
from support.serve_process import health, live_serve, post_json

from skill import testing
from skill.cli import cli
from skill.config import Settings
from skill.web.app import create_app
from skill.web.verify import RequestVerifier

FOREIGN = "amzn1.ask.skill.someone-else"


def _no_network(url: str, timeout: float, max_bytes: int) -> bytes:
    raise AssertionError(f"the seeded chain must be used, not fetched: {url}")


def verified_app(settings: Settings, pm: Any, pki: TestPki, tmp_path: Path, **changes: Any) -> Any:
    """The app with verification on (test root trusted, chain seeded, clock at NOW) and no skill id."""
    secured = replace(settings, verify=True, ca_bundle=pki.write_root(tmp_path / "root.pem"),
                      **{"skill_id": (), **changes})
    seeded = cache_file(secured.cert_cache_path, CERT_URL)
    seeded.parent.mkdir(parents=True, exist_ok=True)
    seeded.write_bytes(pki.chain())
    verifier = RequestVerifier.from_settings(secured, clock=lambda: NOW, fetch=_no_network)
    return create_app(secured, pm=pm, verifier=verifier)


def signed_launch(client: Any, pki: TestPki, application_id: str = FOREIGN) -> Any:
    envelope = testing.launch_request(application_id=application_id)
    envelope["request"]["timestamp"] = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = json.dumps(envelope).encode()
    headers = {"SignatureCertChainUrl": CERT_URL, "Signature-256": sign(body, pki.leaf_key)}
    return client.post("/alexa", data=body, headers=headers, content_type="application/json")


def test_a_signed_request_for_another_skill_is_refused_naming_the_setting(settings, pm, pki, tmp_path) -> None:
    reply = signed_launch(verified_app(settings, pm, pki, tmp_path).test_client(), pki)
    assert reply.status_code == 400
    assert "BANDCOACH_SKILL_ID" in reply.get_json()["error"]


def test_healthz_is_503_saying_what_to_set(settings, pm, pki, tmp_path) -> None:
    reply = verified_app(settings, pm, pki, tmp_path).test_client().get("/healthz")
    assert reply.status_code == 503
    body = reply.get_json()
    assert body["status"] == "degraded"
    assert any("BANDCOACH_SKILL_ID" in p and "BANDCOACH_ALLOW_ANY_SKILL=1" in p for p in body["problems"])


def test_start_up_logs_it_once_and_refused_requests_add_no_warnings(settings, pm, pki, tmp_path, caplog) -> None:
    with caplog.at_level(logging.INFO):
        client = verified_app(settings, pm, pki, tmp_path).test_client()
        for _ in range(5):
            signed_launch(client, pki)
    said = [r for r in caplog.records if "BANDCOACH_SKILL_ID is not set" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.ERROR
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r is not said[0]
                and "verification" not in r.name]


def test_allow_any_skill_answers_another_skills_signed_request(settings, pm, pki, tmp_path) -> None:
    client = verified_app(settings, pm, pki, tmp_path, allow_any_skill=True).test_client()
    assert signed_launch(client, pki).status_code == 200
    assert client.get("/healthz").status_code == 200


def test_a_configured_skill_id_is_answered_and_healthy(settings, pm, pki, tmp_path) -> None:
    client = verified_app(settings, pm, pki, tmp_path, skill_id=(FOREIGN,)).test_client()
    assert signed_launch(client, pki).status_code == 200
    assert client.get("/healthz").status_code == 200


def test_without_verification_any_skill_is_answered_as_before(client) -> None:
    assert client.post("/alexa", json=testing.launch_request(application_id=FOREIGN)).status_code == 200


@pytest.mark.parametrize(("environ", "missing"), [
    ({}, True),
    ({"BANDCOACH_SKILL_ID": "amzn1.ask.skill.x"}, False),
    ({"BANDCOACH_ALLOW_ANY_SKILL": "1"}, False),
    ({"BANDCOACH_VERIFY": "0"}, False),
])
def test_the_setting_is_required_only_with_verification_on_and_no_opt_out(environ, missing) -> None:
    assert Settings.from_env(environ).skill_id_missing is missing


def test_serve_local_refuses_to_listen_beyond_this_machine(runner) -> None:
    result = runner.invoke(cli, ["serve", "--local", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "--local serves only this machine" in result.output


def test_serve_local_says_what_it_turned_off_and_answers_any_skill(tmp_path: Path) -> None:
    # The README's first command, less the install: no BANDCOACH_* but the test's own directories.
    with live_serve(tmp_path, "--local", BANDCOACH_VERIFY=None) as live:
        status, _ = health(live.url, timeout=5.0) or (None, None)
        answered, _ = post_json(f"{live.url}/alexa", testing.launch_request())
    log = live.log.read_text()
    assert "--local: request verification is OFF" in log and "any skill id" in log
    assert (status, answered) == (200, 200)


def test_serve_without_a_skill_id_stays_up_and_says_503(tmp_path: Path) -> None:
    with live_serve(tmp_path, BANDCOACH_VERIFY=None) as live:
        answer = health(live.url, timeout=5.0)
    assert answer is not None and answer[0] == 503
    assert "BANDCOACH_SKILL_ID" in " ".join(answer[1]["problems"])
    assert live.log.read_text().count("BANDCOACH_SKILL_ID is not set") == 1
