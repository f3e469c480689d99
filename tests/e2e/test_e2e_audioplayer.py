"""virtual-alexa's simulated AudioPlayer drives a hands-free workout on `bandcoach serve` over HTTP."""

from __future__ import annotations

import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from support.builtin_catalog import builtin_catalog
from support.e2e_node import ROOT, LiveServer, passed, require_node, run_node_json, serve
from support.live_server import bandcoach_command, server_env

from skill.config import Settings
from skill.routines import Variant
from skill.state import make_store

pytestmark = pytest.mark.e2e

MODEL = ROOT / "interaction_models" / "en-US.json"
# An https address nothing fetches: virtual-alexa checks the scheme and never downloads the stream.
PUBLIC_URL = "https://audio.bandcoach.invalid/coach"
WARM = ("audio", "warm", "--routine", "desk", "--variant", "short", "--locale", "en-US", "--engine", "espeak")
# The behaviours tests/e2e/virtual_alexa_audio.js checks, one test each (it reports exactly these).
GROUPS = ("plays", "whole_workout", "voice_commands", "last_segment", "buttons", "failed", "not_warmed")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Data and cache directories with desk's short variant warmed by the real CLI and espeak-ng."""
    require_node()  # skip (or fail in CI) before spending time on audio
    home = tmp_path_factory.mktemp("audioplayer")
    done = subprocess.run([bandcoach_command(), *WARM], cwd=ROOT, env=server_env(home, BANDCOACH_PUBLIC_URL=PUBLIC_URL),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and "0 failed" in done.stdout, f"{done.stdout}\n{done.stderr}"
    return home


@pytest.fixture(scope="module")
def server(home: Path) -> Iterator[LiveServer]:
    """One real server for the module: the warmed cache and an https public URL."""
    with serve(home, BANDCOACH_PUBLIC_URL=PUBLIC_URL) as live:
        yield live


@pytest.fixture(scope="module")
def report(server: LiveServer) -> dict[str, Any]:
    """Every group's result from one run of the node driver."""
    return run_node_json("virtual_alexa_audio.js", server.alexa_url, str(MODEL), PUBLIC_URL)


def test_driver_reports_exactly_the_known_groups(report: dict[str, Any]) -> None:
    assert sorted(report) == sorted(GROUPS)


@pytest.mark.parametrize("group", GROUPS)
def test_virtual_alexa_audio_player(report: dict[str, Any], group: str, server: LiveServer) -> None:
    passed(report, group, server)


def test_every_streamed_url_is_served_by_the_skill(report: dict[str, Any], server: LiveServer) -> None:
    """The public URL is a stand-in for this server: each segment's path answers with its MP3."""
    urls = passed(report, "whole_workout", server)["facts"]["urls"]
    segments = len(builtin_catalog().timeline("desk", variant=Variant.SHORT).blocks)  # one per exercise
    assert len(set(urls)) == len(urls) == segments
    for url in urls:
        path = urlsplit(url).path.removeprefix(urlsplit(PUBLIC_URL).path)
        with urllib.request.urlopen(f"{server.url}{path}", timeout=5) as reply:
            body = reply.read()
        assert reply.status == 200 and reply.headers["Content-Type"] == "audio/mpeg"
        assert len(body) > 10_000 and body[:2] in (b"\xff\xf3", b"\xff\xf2", b"ID")


def test_the_whole_workout_is_recorded_once(report: dict[str, Any], server: LiveServer, home: Path) -> None:
    user = passed(report, "whole_workout", server)["facts"]["userId"]
    store = make_store(Settings.from_env(server_env(home, BANDCOACH_PUBLIC_URL=PUBLIC_URL)))
    try:
        state = store.load(user)
    finally:
        getattr(store, "close", lambda: None)()
    assert state.in_progress is None
    # virtual-alexa plays the whole workout in seconds: recorded, but too fast to count as completed
    # (tests/test_handsfree.py plays one at a runner's pace and sees it completed)
    assert [(s.routine, s.completed) for s in state.history] == [("desk", False)]
