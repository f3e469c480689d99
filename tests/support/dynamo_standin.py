"""A local DynamoDB stand-in for tests: moto's server mode on 127.0.0.1 and a free port.

DynamoDB applies each request to an item atomically: of two PutItems conditioned on the same
`version`, one succeeds and the other fails its condition. moto checks the ConditionExpression and
then stores the item with no lock between the two, so under a threaded server two such puts can both
succeed and one update is silently lost (seen in CI as 80 of 81 increments). The stand-in therefore
serves one request at a time: that makes every moto request atomic, as DynamoDB's are.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from skill.state.dynamodb import DynamoDBStore
from support.live_server import free_port

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextmanager
def moto_server() -> Iterator[str]:
    """Run moto's server in this process on a free port, one request at a time; yields its endpoint URL."""
    access_log = logging.getLogger("werkzeug")
    level = access_log.level
    access_log.setLevel(logging.WARNING)  # one line per request drowns a failing test's output
    app = _OneRequestAtATime(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", free_port(), app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="moto-standin", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        access_log.setLevel(level)


class _OneRequestAtATime:
    """WSGI wrapper: each request is handled, body and all, while holding one lock (see the module doc)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self.lock:
            body = self.app(environ, start_response)
            try:
                return [b"".join(body)]
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()


def use_dummy_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials that the stand-in accepts, so no real AWS profile is ever read."""
    for name, value in DUMMY_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")


@pytest.fixture(scope="session")
def dynamo_endpoint() -> Iterator[str]:
    """One moto server for the whole run; each test makes its own table."""
    with moto_server() as url:
        yield url


def dynamo_store(endpoint: str, monkeypatch: pytest.MonkeyPatch, *, secret: bytes = b"test-secret") -> DynamoDBStore:
    """A DynamoDBStore on a fresh, created table of the stand-in."""
    use_dummy_credentials(monkeypatch)
    store = DynamoDBStore(f"state-{uuid.uuid4().hex[:12]}", secret=secret, endpoint_url=endpoint)
    store.ensure_table()
    return store
