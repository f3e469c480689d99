"""Fifty runners at once, twenty turns each, against the running server: every position and history exact.

The server is the real WSGI stack (waitress, as `bandcoach serve` runs it) on 127.0.0.1; the state
is the real SQLite file, or the DynamoDB stand-in.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest
import waitress
from support.dynamo_standin import dynamo_endpoint, use_dummy_credentials  # noqa: F401  (a fixture)

from skill import testing
from skill.config import Settings
from skill.routines import BandLevel
from skill.state import make_store
from skill.web.app import create_app

USERS = 50
ROUTINE = "glutes"  # five exercises: the script below is twenty turns


@pytest.fixture
def serve() -> Iterator[Any]:
    """Start an app under waitress on a free loopback port; yields a function (settings) -> base URL."""
    running = []

    def start(settings: Settings) -> str:
        server = waitress.create_server(create_app(settings), host="127.0.0.1", port=0, threads=8)
        loop = threading.Thread(target=server.run, name="waitress-loop", daemon=True)
        loop.start()
        running.append((server, loop))
        return f"http://127.0.0.1:{server.effective_port}/alexa"

    yield start
    for server, loop in running:
        stop_waitress(server, loop)


def stop_waitress(server: Any, loop: threading.Thread) -> None:
    """Close the server from inside its own loop, then wait for the loop to end.

    Closing the listening socket from this thread while the loop sits in select() on it makes the
    loop raise EBADF in its thread; the trigger runs the close between two polls instead.
    """
    server.trigger.pull_trigger(server.close)
    loop.join(timeout=10)
    server.task_dispatcher.shutdown()
    assert not loop.is_alive(), "waitress loop did not stop within 10 s of close"


def post(url: str, envelope: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(url, data=json.dumps(envelope).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.load(reply)


def runner_session(url: str, user: str, blocks: int) -> None:
    """Twenty turns, as Alexa would send them: set the band, three full routines, then stop early."""
    def turn(name: str, slots: dict | None = None, attributes: dict | None = None) -> dict[str, Any]:
        return post(url, testing.intent_request(name, slots, user_id=user, session_attributes=attributes or {}))

    def start() -> dict[str, Any]:
        """A workout is known by its routine and the second it began: two may not begin in one second,
        which skipping through five exercises can do here (no runner talks that fast)."""
        time.sleep(1.0 - time.time() % 1.0)
        return turn("StartRoutineIntent", {"routine": ROUTINE})

    turn("SetBandIntent", {"band": "heavy"})
    for _ in range(3):
        data = start()
        for _ in range(blocks - 1):
            data = turn("AMAZON.NextIntent", attributes=data.get("sessionAttributes"))
        assert data["response"]["shouldEndSession"] is True
    data = start()
    data = turn("AMAZON.NextIntent", attributes=data["sessionAttributes"])
    data = turn("AMAZON.NextIntent", attributes=data["sessionAttributes"])
    turn("AMAZON.StopIntent", attributes=data["sessionAttributes"])


def run_everyone(url: str, blocks: int) -> list[str]:
    users = [f"amzn1.ask.account.RUNNER{i:03d}-{uuid.uuid4().hex[:6]}" for i in range(USERS)]
    assert 4 * blocks == 20, "the script is twenty turns for a five-exercise routine"
    with ThreadPoolExecutor(max_workers=USERS) as pool:
        list(pool.map(lambda u: runner_session(url, u, blocks), users))
    return users


def assert_exact(settings: Settings, users: list[str]) -> None:
    store = make_store(settings)
    for user in users:
        state = store.load(user)
        # each routine is skipped through in a moment, so none counts as completed (it is still recorded)
        assert [(s.routine, s.completed, s.band) for s in state.history] == [(ROUTINE, False, BandLevel.HEAVY)] * 3
        assert state.in_progress is not None
        assert (state.in_progress.place.routine, state.in_progress.place.block, state.in_progress.place.band) == (
            ROUTINE, 2, BandLevel.HEAVY)
        assert state.band is BandLevel.HEAVY


def test_fifty_runners_on_sqlite_lose_nothing(serve, settings, catalog):
    blocks = len(catalog.timeline(ROUTINE).blocks)
    users = run_everyone(serve(settings), blocks)
    assert_exact(settings, users)


def test_fifty_runners_on_the_dynamodb_stand_in_lose_nothing(serve, settings, catalog, dynamo_endpoint,  # noqa: F811
                                                               monkeypatch):
    use_dummy_credentials(monkeypatch)
    dynamo = replace(settings, state="dynamodb", secret="concurrency-test-secret",
                     dynamodb_table=f"state-{uuid.uuid4().hex[:12]}", aws_endpoint_url=dynamo_endpoint)
    blocks = len(catalog.timeline(ROUTINE).blocks)
    users = run_everyone(serve(dynamo), blocks)
    assert_exact(dynamo, users)
