"""Smoke tests for bench/: the floor skill answers, envelopes are valid, and wrk's report parses."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(BENCH))
    import floor_skill
    import harness

    yield harness, floor_skill
    for name in ("harness", "floor_skill"):
        sys.modules.pop(name, None)


def test_floor_skill_answers_launch_and_its_intent(bench) -> None:
    harness, floor_skill = bench
    client = floor_skill.create_app().test_client()
    for name, words in (("launch", "Welcome"), ("floor_intent", "Hello")):
        reply = client.post("/alexa", data=json.dumps(harness.envelopes()[name]), content_type="application/json")
        assert reply.status_code == 200
        assert words in reply.get_json()["response"]["outputSpeech"]["ssml"]


def test_benchmarked_envelopes_get_spoken_answers_from_band_coach(bench, client) -> None:
    harness, _ = bench
    for name in ("launch", "start", "next"):
        reply = client.post("/alexa", data=json.dumps(harness.envelopes()[name]), content_type="application/json")
        assert reply.status_code == 200 and reply.get_json()["response"]["outputSpeech"]["ssml"]


def test_wrk_report_parses(bench) -> None:
    harness, _ = bench
    report = """Running 1s test @ http://127.0.0.1:1/alexa
  Latency Distribution
     50%    2.10ms
     99%    1.25s
  2000 requests in 1.00s, 1.2MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   1999.50
"""
    result = harness.parse_wrk(report)
    assert (result.requests_per_second, result.p99_ms, result.errors, result.requests) == (1999.5, 1250.0, 7, 2000)
