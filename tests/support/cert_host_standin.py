"""A stand-in for Alexa's certificate host (s3.amazonaws.com) on 127.0.0.1, misbehaving on demand.

Plain sockets, not http.server, so a route can do what a real server never would: accept and never
answer, trickle the status line and headers a byte at a time, or stream more than any chain. Every
request is counted by path before its behaviour runs. The verifier reaches it the way the other
verification tests reach theirs: an injected `fetch` that keeps the production URL (which must pass
the https/s3.amazonaws.com/echo.api rules) and downloads the same path from here with the real
`fetch_url`.

Bounded: one thread per connection, each ending when its behaviour ends, when the client goes away
or at `close()`, which closes every socket and joins every thread.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlsplit

from skill.web.verify import fetch_url

Behaviour = Callable[[socket.socket, threading.Event], None]

MAX_BEHAVIOUR_SECONDS = 20.0  # no route runs longer, whatever a test forgets


def _send(conn: socket.socket, data: bytes) -> bool:
    """Send `data`; False once the client has gone away."""
    try:
        conn.sendall(data)
        return True
    except OSError:
        return False


def head(status: str, length: int | None) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Connection: close", "Content-Type: application/x-pem-file"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def serve(body: bytes) -> Behaviour:
    """200 with `body` (a certificate chain), Content-Length declared."""
    def behave(conn: socket.socket, stop: threading.Event) -> None:
        _send(conn, head("200 OK", len(body)) + body)
    return behave


def status(code: int, reason: str = "Not Found") -> Behaviour:
    """An empty answer with HTTP status `code`."""
    def behave(conn: socket.socket, stop: threading.Event) -> None:
        _send(conn, head(f"{code} {reason}", 0))
    return behave


def hang() -> Behaviour:
    """Accept, read the request, and never answer (until the stand-in stops)."""
    def behave(conn: socket.socket, stop: threading.Event) -> None:
        stop.wait(MAX_BEHAVIOUR_SECONDS)
    return behave


def trickle(interval: float = 1.0, body: bytes = b"") -> Behaviour:
    """The status line and headers one byte every `interval` seconds, then `body`."""
    def behave(conn: socket.socket, stop: threading.Event) -> None:
        data = head("200 OK", len(body)) + body
        ends = time.monotonic() + MAX_BEHAVIOUR_SECONDS
        for index in range(len(data)):
            if not _send(conn, data[index:index + 1]) or stop.wait(interval) or time.monotonic() > ends:
                return
    return behave


def oversize(size: int, *, declare_length: bool = True) -> Behaviour:
    """200 and `size` bytes of body, declared in Content-Length or not."""
    def behave(conn: socket.socket, stop: threading.Event) -> None:
        if not _send(conn, head("200 OK", size if declare_length else None)):
            return
        chunk = b"A" * 16384
        sent = 0
        while sent < size and not stop.is_set():
            if not _send(conn, chunk[: size - sent]):
                return
            sent += len(chunk)
    return behave


def after(seconds: float, then: Behaviour) -> Behaviour:
    """`then`, once `seconds` have passed (a slow answer, so concurrent requests overlap)."""
    def behave(conn: socket.socket, stop: threading.Event) -> None:
        if not stop.wait(seconds):
            then(conn, stop)
    return behave


class CertHost:
    """The certificate host on 127.0.0.1; routes by URL path, `default` (a 404) for anything not routed."""

    def __init__(self) -> None:
        self.routes: dict[str, Behaviour] = {}
        self.default: Behaviour = status(404)
        self.requests: list[str] = []  # paths, in arrival order
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._connections: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept_loop, name="cert-host-accept", daemon=True)
        self._acceptor.start()

    # ---------------------------------------------------------------- routes and the verifier's fetch

    def route(self, url: str, behaviour: Behaviour) -> None:
        self.routes[urlsplit(url).path] = behaviour

    def local(self, url: str) -> str:
        return f"http://127.0.0.1:{self.port}{urlsplit(url).path}"

    def fetch(self, url: str, timeout: float, max_bytes: int) -> bytes:
        """The verifier's `fetch`: the real fetch_url, downloading the same path from this stand-in."""
        return fetch_url(self.local(url), timeout, max_bytes)

    def hits(self, url: str) -> int:
        with self._lock:
            return Counter(self.requests)[urlsplit(url).path]

    def wait_for(self, url: str, count: int = 1, timeout: float = 5.0) -> None:
        """Block until `count` requests for `url` have arrived (AssertionError after `timeout`)."""
        path = urlsplit(url).path
        with self._arrived:
            if not self._arrived.wait_for(lambda: self.requests.count(path) >= count, timeout):
                raise AssertionError(f"{count} request(s) for {path} did not arrive; saw {self.requests}")

    # ---------------------------------------------------------------- the server

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                if self._stop.is_set():
                    conn.close()
                    return
                self._connections.add(conn)
                thread = threading.Thread(target=self._handle, args=(conn,), name="cert-host-conn", daemon=True)
                self._threads.append(thread)
            thread.start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            path = self._read_request_path(conn)
            if path is None:
                return
            with self._arrived:
                self.requests.append(path)
                self._arrived.notify_all()
            self.routes.get(path, self.default)(conn, self._stop)
        finally:
            with self._lock:
                self._connections.discard(conn)
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    @staticmethod
    def _read_request_path(conn: socket.socket) -> str | None:
        """The path of the request line, once the whole request head has arrived; None if it never does."""
        conn.settimeout(5.0)
        data = b""
        try:
            while b"\r\n\r\n" not in data and len(data) < 16384:
                chunk = conn.recv(4096)
                if not chunk:
                    return None
                data += chunk
        except OSError:
            return None
        conn.settimeout(MAX_BEHAVIOUR_SECONDS)  # a client that stops reading cannot block a send for ever
        parts = data.split(b"\r\n", 1)[0].split()
        return parts[1].decode("ascii", "replace") if len(parts) >= 2 else None

    def close(self) -> None:
        """Stop: every behaviour returns, every socket closes, every thread is joined."""
        self._stop.set()
        self._acceptor.join(5.0)
        self._listener.close()
        with self._lock:
            connections, threads = list(self._connections), list(self._threads)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join(5.0)
        alive = [thread for thread in threads if thread.is_alive()]
        assert not alive, f"{len(alive)} stand-in connection thread(s) did not stop"
