"""What the threaded stand-ins on 127.0.0.1 share: served from a thread and shut down on exit; what they saw."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, Self, TypeVar, cast

SeenT = TypeVar("SeenT")


class LoopbackServer:
    """`with Standin() as s:` serves `self.server` from a daemon thread and stops it on the way out."""

    server: ThreadingHTTPServer
    _thread: threading.Thread

    def serve_in_background(self, server: ThreadingHTTPServer, name: str) -> None:
        """Keep `server` and the thread that will serve it (started by `__enter__`)."""
        self.server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, name=name,
                                        daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


class Traffic(Generic[SeenT]):
    """What a TTS stand-in records of its requests: each one seen, and the most it was answering at once.

    `take` is the stand-in's first step for every request: it counts the request in, thinks for the
    behaviour's delay (so overlapping requests show), counts it out, and says whether it is to fail.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._seen: list[SeenT] = []
        self._in_flight = 0
        self.max_in_flight = 0

    def take(self, *, fail_first: int, delay: float, always_fail: bool = False) -> bool:
        """One request in and out again after `delay` s; True when it is to fail (one of the first `fail_first`)."""
        with self.lock:
            failing = always_fail or len(self._seen) < fail_first
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        time.sleep(delay)
        with self.lock:
            self._in_flight -= 1
        return failing

    def record(self, seen: SeenT) -> None:
        with self.lock:
            self._seen.append(seen)

    @property
    def seen(self) -> list[SeenT]:
        """The requests recorded so far, in order (a copy)."""
        with self.lock:
            return list(self._seen)


class QuietLog:
    """Mixed into a request handler (before BaseHTTPRequestHandler): keeps test output quiet, no access log."""

    def log_message(self, format: str, *args: object) -> None:
        pass


class StateServer(ThreadingHTTPServer):
    """A threaded HTTP server that holds its stand-in's state for the request handlers (`self.server.state`)."""

    daemon_threads = True
    state: Any


class RecordingStandin(LoopbackServer, Generic[SeenT]):
    """A stand-in whose state keeps `traffic`: serves `handler` on 127.0.0.1 and reports what it saw."""

    server: StateServer

    def start(self, handler: type[BaseHTTPRequestHandler], state: Any, name: str) -> None:
        """Bind a free port on the loopback and keep the server (served by `__enter__`)."""
        server = StateServer(("127.0.0.1", 0), handler)
        server.state = state
        self.serve_in_background(server, name)

    @property
    def seen(self) -> list[SeenT]:
        """The requests received so far, in order."""
        return cast("list[SeenT]", self.server.state.traffic.seen)

    @property
    def max_in_flight(self) -> int:
        """The most requests that were being answered at the same moment."""
        return int(self.server.state.traffic.max_in_flight)
