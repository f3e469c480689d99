"""The production WSGI server `bandcoach serve` runs: waitress with limits sized for Alexa, and its log format.

Waitress's defaults suit a trusted network, not the internet: 100 connections in all (101 idle
sockets took the skill offline), two minutes before an idle one is dropped, and request bodies up to
1 GiB, spooled to a temporary file past 512 KiB before the app's 128 KiB limit is ever consulted. The
limits below are the production ones; docs/deploy.md explains each and what to put in front.
"""

from __future__ import annotations

import json
import logging
import resource
import sys
import time
from datetime import UTC, datetime
from typing import Any

import waitress
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer

from skill.handlers.endpoint import MAX_BODY_BYTES

logger = logging.getLogger(__name__)

# Connections served at once (idle keep-alives included); more wait in the kernel's backlog. Sized for
# file descriptors rather than waitress's 100: each connection is one descriptor, polled with poll(),
# not select(), which fails past descriptor 1023. The soft RLIMIT_NOFILE is raised to fit at start.
CONNECTION_LIMIT = 1000
DESCRIPTORS_SPARE = 64  # for the listening socket, SQLite's files, logs and certificate downloads
BACKLOG = 1024  # connections the kernel holds while CONNECTION_LIMIT are open
# A connection with nothing in flight for this long is closed: Alexa sends each request whole, and a
# proxy in front reconnects for free. Checked every CLEANUP_INTERVAL_S seconds.
CHANNEL_TIMEOUT_S = 10
CLEANUP_INTERVAL_S = 2
# A request must arrive whole (headers and body) within this long of its first byte, however it trickles:
# a client sending one byte every few seconds is never idle, so CHANNEL_TIMEOUT_S alone cannot drop it.
REQUEST_DEADLINE_S = 10.0
# Waitress refuses (413) a Content-Length at or over this before reading the body, and a chunked body once
# it reaches it: exactly the app's own 128 KiB limit (skill.handlers.endpoint.MAX_BODY_BYTES) is allowed.
MAX_REQUEST_BODY_BYTES = MAX_BODY_BYTES + 1
MAX_REQUEST_HEADER_BYTES = 16 * 1024  # Alexa's headers (two signatures, the chain URL) take about 1.5 KiB
# Bodies are buffered in memory up to this size and only then spooled to a temporary file: above the body
# limit, so no request body ever reaches the disk.
INBUF_OVERFLOW_BYTES = 2 * MAX_BODY_BYTES

LIMITS: dict[str, Any] = {
    "connection_limit": CONNECTION_LIMIT, "backlog": BACKLOG, "channel_timeout": CHANNEL_TIMEOUT_S,
    "cleanup_interval": CLEANUP_INTERVAL_S, "max_request_body_size": MAX_REQUEST_BODY_BYTES,
    "max_request_header_size": MAX_REQUEST_HEADER_BYTES, "inbuf_overflow": INBUF_OVERFLOW_BYTES,
    "asyncore_use_poll": True, "expose_tracebacks": False,
}


class _TimedParser(HTTPRequestParser):
    """Waitress's parser, stamped with when the request's first byte came."""

    def __init__(self, adj: Any) -> None:
        super().__init__(adj)
        self.first_byte = time.monotonic()


class DeadlineChannel(HTTPChannel):
    """A waitress connection that is closed when a request has been arriving for over REQUEST_DEADLINE_S.

    The server's loop asks every channel `readable()` at least once a second (asyncore_loop_timeout);
    a late request marks the channel to close, and `writable()` then lets the loop close it.
    """

    parser_class = _TimedParser
    will_close: bool = False  # waitress's own flag (and default), declared for the type checker

    def readable(self) -> bool:
        partial = self.request
        if partial is not None and not partial.completed \
                and time.monotonic() - partial.first_byte > REQUEST_DEADLINE_S:
            if not self.will_close:
                logger.info("closed a connection from %s: its request took over %.0f s to arrive",
                            self.addr[0] if self.addr else "?", REQUEST_DEADLINE_S)
            self.will_close = True
        return bool(super().readable())


def connection_limit() -> int:
    """CONNECTION_LIMIT, lowered (with a warning) when this process may not open that many descriptors.

    The soft RLIMIT_NOFILE is raised towards the hard limit first, which needs no privilege.
    """
    wanted = CONNECTION_LIMIT + DESCRIPTORS_SPARE
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and soft < wanted:
        limit = max(16, soft - DESCRIPTORS_SPARE)
        logger.warning("only %d open files allowed (ulimit -n): serving %d connections at once, not %d; "
                       "raise the limit (e.g. LimitNOFILE=%d in the systemd unit)", soft, limit, CONNECTION_LIMIT,
                       wanted)
        return limit
    return CONNECTION_LIMIT


# How long a thread may hold the GIL while another waits (Python's default: 5 ms). Every SQLite statement
# and socket write releases the GIL, and a request that wants it back then waits up to the whole interval
# behind a busy thread. Measured against 5 ms in docs/performance.md (issue 18, item 6). Process-wide, so
# set by the server, never on import.
SWITCH_INTERVAL_S = 0.0005


def create_server(app: Any, *, host: str, port: int, threads: int) -> Any:
    """A waitress server for `app` on host:port with the production limits and a short GIL switch interval
    (SWITCH_INTERVAL_S); call `.run()` to serve."""
    channels: dict[int, Any] = {}
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    server = waitress.create_server(app, map=channels, host=host, port=port, threads=threads, ident="bandcoach",
                                    server_name=host, **{**LIMITS, "connection_limit": connection_limit()})
    for listener in list(channels.values()):  # every listening socket (one per address host resolves to)
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = DeadlineChannel
    return server


class JsonLogFormatter(logging.Formatter):
    """One JSON object a line (BANDCOACH_LOG_FORMAT=json): time, level, logger, message, any `fields`
    passed as `extra`, and a traceback as one escaped string. JSON escapes every newline and control
    character, so nothing a request carries can start a line of its own."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update({k: v for k, v in fields.items() if k not in entry})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=True, default=str)
