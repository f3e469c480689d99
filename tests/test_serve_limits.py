"""`bandcoach serve` under hostile clients: idle and trickling connections, and bodies too big to read.

The first tests run the real command as a subprocess on a free loopback port; the timeout tests run the
same server (skill.web.server.create_server) in-process with its timeouts shortened, so they finish in
seconds. Every socket loop is bounded in count and time.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from support.serve_process import Live, health, live_serve

from skill.web import server as web_server
from skill.web.app import create_app

IDLE_SOCKETS = 200
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_serve(tmp_path_factory.mktemp("serve")) as running:
        yield running


def test_two_hundred_idle_connections_leave_healthz_answering_within_two_seconds(live: Live) -> None:
    with ExitStack() as idle:
        for _ in range(IDLE_SOCKETS):
            idle.enter_context(socket.create_connection(("127.0.0.1", live.port), timeout=5))
        time.sleep(0.5)  # let the server accept them all: waitress's default limit (100) would stop here
        started = time.monotonic()
        answer = health(live.url, timeout=2.0)
        took = time.monotonic() - started
    assert answer is not None and answer[0] == 200, f"/healthz did not answer within 2 s beside {IDLE_SOCKETS} idle"
    assert took < 2.0


def test_a_one_mib_content_length_is_refused_before_the_body_is_read(live: Live) -> None:
    with socket.create_connection(("127.0.0.1", live.port), timeout=5) as sock:
        started = time.monotonic()
        sock.sendall(b"POST /alexa HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % MIB)  # the headers alone: not one byte of the body
        reply = sock.recv(4096)
        took = time.monotonic() - started
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert took < 2.0


def _spooled(pid: int, folder: Path) -> list[str]:
    """The server's open files inside `folder` (a spooled body is an unlinked temporary file there)."""
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = str(fd.readlink())
        except OSError:
            continue  # closed while we looked
        if target.startswith(str(folder)):
            found.append(target)
    return found


def test_a_chunked_one_mib_body_is_refused_and_never_spooled_to_disk(live: Live) -> None:
    chunk = b"x" * (64 * 1024)
    seen: list[str] = []
    sent = 0
    with socket.create_connection(("127.0.0.1", live.port), timeout=5) as sock:
        sock.sendall(b"POST /alexa HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        try:
            while sent < MIB:  # 16 chunks at most; waitress spools past 512 KiB by default
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
                time.sleep(0.02)
                seen += _spooled(live.proc.pid, live.tmpdir)
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server refused and closed while we were still sending: what should happen
        try:
            reply = sock.recv(4096)
        except ConnectionResetError:
            reply = b"(reset)"
    assert seen == [], f"the body reached the disk: {seen}"
    assert reply.startswith(b"HTTP/1.1 413") or reply in (b"", b"(reset)"), reply[:200]
    assert health(live.url, timeout=2.0) is not None


def test_the_feed_ignores_the_host_header_and_is_privately_cached(live: Live) -> None:
    request = urllib.request.Request(f"{live.url}/feed.xml", headers={"Host": "attacker.example"})
    with urllib.request.urlopen(request, timeout=5) as reply:
        body, cache = reply.read(), reply.headers["Cache-Control"]
    assert f"http://127.0.0.1:{live.port}/exports/".encode() in body
    assert b"attacker.example" not in body
    assert cache.startswith("private")


# ------------------------------------------------ timeouts, in-process with the same server, shortened


@pytest.fixture
def quick_server(settings: Any, pm: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """create_server() with a 1 s idle timeout, 1 s cleanup and a 1.5 s request deadline; yields its port."""
    monkeypatch.setattr(web_server, "LIMITS", {**web_server.LIMITS, "channel_timeout": 1, "cleanup_interval": 1})
    monkeypatch.setattr(web_server, "REQUEST_DEADLINE_S", 1.5)
    server = web_server.create_server(create_app(settings, pm=pm), host="127.0.0.1", port=0, threads=2)
    loop = threading.Thread(target=server.run, name="waitress-loop", daemon=True)
    loop.start()
    try:
        yield server.effective_port
    finally:
        server.trigger.pull_trigger(server.close)
        loop.join(timeout=10)
        server.task_dispatcher.shutdown()


def _closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed `sock` (recv gives b"" or a reset), or None if it stayed open."""
    started = time.monotonic()
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return time.monotonic() - started


def test_an_idle_connection_is_dropped_after_the_channel_timeout(quick_server: int) -> None:
    with socket.create_connection(("127.0.0.1", quick_server), timeout=5) as sock:
        took = _closed_within(sock, 6.0)
    assert took is not None and took < 4.0, "an idle connection was kept open"


def test_a_request_trickling_in_is_dropped_at_the_deadline(quick_server: int) -> None:
    header = b"POST /alexa HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n"
    started = time.monotonic()
    closed = False
    with socket.create_connection(("127.0.0.1", quick_server), timeout=5) as sock:
        try:
            for byte in header[:40]:  # one byte every 0.25 s: never idle for the 1 s channel timeout
                sock.sendall(bytes([byte]))
                time.sleep(0.25)
        except OSError:
            closed = True
        took = time.monotonic() - started
        if not closed:
            closed = _closed_within(sock, 1.0) is not None
    assert closed, "a client trickling one byte every 0.25 s kept its connection for 10 s"
    assert took < 6.0
