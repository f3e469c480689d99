"""A hands-free workout ends once, whatever order its endings arrive in, through the real app and SQLite store.

The device may report the end more than once (PlaybackFinished twice), report a stop after the end
(PlaybackStopped, the pause button, "Alexa, stop" with the finished token still in the context), or
race two of them on different request threads. Each workout (routine + start second) must be
recorded exactly once and never offered back to resume after it ended.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from support.alexa_checks import speech_of
from support.handsfree_support import BAND, ROUTINE, VARIANT
from support.tokens import encode, keyed
from support.workouts import store_of

from skill import testing
from skill.catalog import Catalog
from skill.config import Settings
from skill.playback import Stream
from skill.routines import Place
from skill.state import UserState

RUNNER = "amzn1.ask.account.ENDINGS"
RACES = 40
Send = Callable[[str, str], dict[str, Any]]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared settings with the secret support.tokens seals hands-free tokens under."""
    return keyed(settings)


def last_segment(catalog: Catalog, started: int) -> str:
    """The token of a workout's last segment, begun `started` (epoch seconds) ago, as the device holds it."""
    blocks = len(catalog.timeline(ROUTINE, band=BAND, variant=VARIANT).blocks)
    return encode(Stream(Place(ROUTINE, VARIANT, BAND, 0, blocks - 1, started)))


def request_for(step: str, token: str, user: str) -> dict[str, Any]:
    """One ending as the device sends it, for the stream `token` names."""
    player = {"token": token, "offsetInMilliseconds": 60_000, "playerActivity": "FINISHED"}
    if step in ("PlaybackStarted", "PlaybackFinished", "PlaybackStopped"):
        return testing.audio_player_request(step, token, 60_000, user_id=user)
    if step == "pause button":
        return testing.playback_controller_request("Pause", audio_player=player, user_id=user)
    intent = {"stop intent": "AMAZON.StopIntent", "I'm done": "FinishWorkoutIntent"}[step]
    return testing.intent_request(intent, new=True, audio_player=player, user_id=user)


def sender(app: Any) -> Send:
    """Post one ending for RUNNER; each call has its own test client, so threads may share the app."""
    def send(step: str, token: str, user: str = RUNNER) -> dict[str, Any]:
        reply = app.test_client().post("/alexa", data=json.dumps(request_for(step, token, user)),
                                       content_type="application/json")
        assert reply.status_code == 200, reply.get_data(as_text=True)
        data: dict[str, Any] = reply.get_json()
        return data
    return send


def records_of(state: UserState, started: int) -> list[bool]:
    """Whether each history record of the workout begun at `started` was completed (one entry per record)."""
    return [r.completed for r in state.history
            if r.routine == ROUTINE and int(r.started_at.timestamp()) == started]


@pytest.mark.usefixtures("workouts_take_their_time")
@pytest.mark.parametrize("steps", [
    ("PlaybackFinished", "PlaybackFinished"),
    ("PlaybackStarted", "PlaybackFinished", "PlaybackFinished", "PlaybackFinished"),
    ("PlaybackFinished", "PlaybackStopped"),
    ("PlaybackFinished", "pause button"),
    ("PlaybackFinished", "stop intent"),
    ("PlaybackFinished", "PlaybackStopped", "PlaybackFinished", "stop intent"),
    ("I'm done", "PlaybackFinished"),
    ("I'm done", "PlaybackStopped", "PlaybackFinished"),
], ids=["finished-twice", "started-then-finished-three-times", "stopped-after-finished", "pause-after-finished",
        "stop-intent-after-finished", "every-ending-twice", "finished-after-im-done",
        "stopped-and-finished-after-im-done"])
def test_each_order_of_endings_records_the_workout_once(app: Any, catalog: Catalog, steps: tuple[str, ...]) -> None:
    started = int(time.time()) - 600
    token, send = last_segment(catalog, started), sender(app)
    for step in steps:
        send(step, token)
    state = store_of(app).load(RUNNER)
    assert records_of(state, started) == [True] and state.in_progress is None
    launch = app.test_client().post("/alexa", json=testing.launch_request(user_id=RUNNER)).get_json()
    assert "Welcome back" not in speech_of(launch)


@pytest.mark.usefixtures("workouts_take_their_time")
def test_an_earlier_workouts_late_ending_leaves_the_current_one_on_offer(app: Any, catalog: Catalog) -> None:
    """A repeated PlaybackFinished of yesterday's workout must not clear today's, paused mid-way."""
    send = sender(app)
    earlier = last_segment(catalog, int(time.time()) - 3 * 3600)
    send("PlaybackFinished", earlier)
    today = int(time.time()) - 60
    paused = encode(Stream(Place(ROUTINE, VARIANT, BAND, 0, 1, today)))
    send("PlaybackStopped", paused)
    send("PlaybackFinished", earlier)
    kept = store_of(app).load(RUNNER).in_progress
    assert kept is not None and (kept.place.started, kept.place.block) == (today, 1)


@pytest.mark.usefixtures("workouts_take_their_time")
@pytest.mark.parametrize("rival", ["PlaybackFinished", "PlaybackStopped", "pause button", "stop intent"])
def test_an_ending_racing_playback_finished_never_reopens_or_doubles_the_workout(app: Any, catalog: Catalog,
                                                                                  rival: str) -> None:
    """PlaybackFinished and a rival ending sent at the same moment on two threads, RACES times over."""
    send, store = sender(app), store_of(app)
    failures: list[str] = []
    for run in range(RACES):
        user, started = f"{RUNNER}-{rival}-{run}", int(time.time()) - 600 - run
        token = last_segment(catalog, started)
        send("PlaybackStarted", token, user)  # the last segment is playing: its place is kept
        barrier = threading.Barrier(2)

        def end(step: str, token: str = token, user: str = user, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                send(step, token, user)
            except BaseException as exc:  # a thread's failure must fail the test, not only warn
                failures.append(f"{step}: {exc!r}")

        threads = [threading.Thread(target=end, args=(step,)) for step in ("PlaybackFinished", rival)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        state = store.load(user)
        if records_of(state, started) != [True] or state.in_progress is not None:
            failures.append(f"run {run}: records {records_of(state, started)}, kept {state.in_progress}")
    assert failures == []
