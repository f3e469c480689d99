"""The lifecycle the threaded stand-ins on 127.0.0.1 share: served from a thread, shut down on exit."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Self


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
