"""GET /metrics: requests by type and outcome with latency, store failures and health, certificate downloads,
read by prometheus_client's own text parser (a client nobody here wrote)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from skill import testing


def scrape(client: FlaskClient) -> dict[str, float]:
    """Every sample on /metrics as "name{label=value,...}" -> value."""
    reply = client.get("/metrics")
    assert reply.status_code == 200 and reply.mimetype == "text/plain"
    samples = {}
    for family in text_string_to_metric_families(reply.get_data(as_text=True)):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


def post(client: FlaskClient, envelope: dict[str, Any]) -> int:
    return client.post("/alexa", data=json.dumps(envelope), content_type="application/json").status_code


def test_requests_are_counted_by_type_and_outcome(client: FlaskClient) -> None:
    assert post(client, testing.launch_request()) == 200
    assert post(client, testing.intent_request("AMAZON.HelpIntent")) == 200
    assert client.post("/alexa", data="not json", content_type="application/json").status_code == 400
    samples = scrape(client)
    assert samples["bandcoach_requests_total{outcome=answered,type=LaunchRequest}"] == 1
    assert samples["bandcoach_requests_total{outcome=answered,type=IntentRequest}"] == 1
    assert samples["bandcoach_requests_total{outcome=refused,type=other}"] == 1


def test_latency_is_a_histogram_per_type(client: FlaskClient) -> None:
    post(client, testing.launch_request())
    samples = scrape(client)
    assert samples["bandcoach_request_seconds_count{type=LaunchRequest}"] == 1
    assert samples["bandcoach_request_seconds_bucket{le=+Inf,type=LaunchRequest}"] == 1
    assert 0 < samples["bandcoach_request_seconds_sum{type=LaunchRequest}"] < 8


def test_request_types_an_attacker_invents_do_not_grow_the_labels(client: FlaskClient) -> None:
    for n in range(20):
        envelope = testing.launch_request()
        envelope["request"]["type"] = f"Made.Up{n}"
        post(client, envelope)
    assert not any("Made" in name for name in scrape(client))


def test_a_healthy_store_reads_healthy_with_no_errors(client: FlaskClient) -> None:
    samples = scrape(client)
    assert samples["bandcoach_store_healthy{}"] == 1 and samples["bandcoach_store_errors_total{}"] == 0


def test_store_failures_are_counted_and_mark_the_store_unhealthy(client: FlaskClient, settings: Any) -> None:
    post(client, testing.intent_request("StartRoutineIntent", {"routine": "desk"}))  # creates the database
    with sqlite3.connect(settings.db_path) as conn:  # a real fault: the sessions table is gone
        conn.execute("DROP TABLE sessions")
    post(client, testing.intent_request("StartRoutineIntent", {"routine": "desk"}, new=True))
    samples = scrape(client)
    assert samples["bandcoach_store_errors_total{}"] >= 1 and samples["bandcoach_store_healthy{}"] == 0


def test_certificate_downloads_are_absent_with_verification_off(client: FlaskClient) -> None:
    assert not any(name.startswith("bandcoach_certificate_fetches") for name in scrape(client))


def test_answering_loads_no_metrics_library_until_the_first_scrape(tmp_path: Path) -> None:
    """prometheus_client costs 73 ms to import: a fresh server answers without it, and loads it to scrape."""
    code = ("import json, sys\n"
            "from skill.web.app import create_app\n"
            "client = create_app().test_client()\n"
            "client.post('/alexa', data=sys.argv[1], content_type='application/json')\n"
            "before = 'prometheus_client' in sys.modules\n"
            "client.get('/metrics')\n"
            "print(json.dumps([before, 'prometheus_client' in sys.modules]))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANDCOACH_")}
    env.update(BANDCOACH_VERIFY="0", BANDCOACH_LOAD_PLUGINS="bandcoach", BANDCOACH_DATA_DIR=str(tmp_path / "data"),
               BANDCOACH_CACHE_DIR=str(tmp_path / "cache"))
    out = subprocess.run([sys.executable, "-c", code, json.dumps(testing.launch_request())],
                         cwd=Path(__file__).parents[1], env=env, capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [False, True]
