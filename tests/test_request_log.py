"""One log line per request (id, type or intent, latency, outcome), as text or JSON, that a request cannot split."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.serve_process import live_serve, post_json

from skill import testing
from skill.web.server import JsonLogFormatter

FORGED = "StartRoutineIntent\n2026-01-01 00:00:00,000 ERROR skill.web.app: forged\r\x1b[2J\u2028"
TEXT = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")  # `bandcoach serve`'s text format


@pytest.fixture
def logged() -> Iterator[tuple[io.StringIO, logging.Handler]]:
    """Everything logged at INFO and above, into a string; the test sets the formatter."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield out, handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def post(client: Any, envelope: dict[str, Any]) -> int:
    return int(client.post("/alexa", json=envelope).status_code)


def test_json_gives_one_object_per_request_with_id_kind_latency_and_outcome(client, logged) -> None:
    out, handler = logged
    handler.setFormatter(JsonLogFormatter())
    envelope = testing.intent_request("ListRoutinesIntent")
    post(client, envelope)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    (line,) = [entry for entry in lines if entry["logger"] == "bandcoach.requests"]
    assert line["request_id"] == envelope["request"]["requestId"]
    assert (line["type"], line["intent"], line["status"], line["outcome"]) == (
        "IntentRequest", "ListRoutinesIntent", 200, "answered")
    assert isinstance(line["latency_ms"], float) and 0 <= line["latency_ms"] < 10_000


def test_a_refused_request_logs_its_outcome_and_reason(client, logged) -> None:
    out, handler = logged
    handler.setFormatter(JsonLogFormatter())
    client.post("/alexa", data=b"[1, 2]", content_type="application/json")
    (line,) = [json.loads(x) for x in out.getvalue().splitlines() if "bandcoach.requests" in x]
    assert (line["status"], line["outcome"]) == (400, "refused") and "JSON object" in line["reason"]


@pytest.mark.parametrize("formatter", [JsonLogFormatter(), TEXT], ids=["json", "text"])
def test_an_intent_name_with_a_newline_cannot_forge_a_log_line(client, logged, formatter) -> None:
    out, handler = logged
    handler.setFormatter(formatter)
    post(client, testing.intent_request(FORGED))
    text = out.getvalue()
    request_lines = [line for line in text.splitlines() if "bandcoach.requests" in line]
    assert len(request_lines) == 1
    assert "forged" in request_lines[0]  # the name is there, escaped, on the request's own line
    assert not any(line.startswith("2026-01-01") for line in text.splitlines())
    assert "\x1b" not in text and "\u2028" not in text and "\r" not in text


def test_serve_with_json_logging_writes_only_json_lines(tmp_path: Path) -> None:
    with live_serve(tmp_path, BANDCOACH_LOG_FORMAT="json", BANDCOACH_LOG_LEVEL="INFO") as live:
        status, _ = post_json(f"{live.url}/alexa", testing.intent_request(FORGED))
    entries = [json.loads(line) for line in live.log.read_text().splitlines()]  # every line is one JSON object
    assert status == 200
    assert [e["intent"] for e in entries if e["logger"] == "bandcoach.requests"] == [FORGED]
    assert any(e["message"].startswith("Band Coach listening on") for e in entries)
