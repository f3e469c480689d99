"""A local DynamoDB stand-in for tests: moto's server mode on 127.0.0.1 and a free port."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from moto.server import ThreadedMotoServer

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
    """Run moto's server in this process until the block ends; yields its endpoint URL."""
    port = free_port()
    access_log = logging.getLogger("werkzeug")
    level = access_log.level
    access_log.setLevel(logging.WARNING)  # one line per request drowns a failing test's output
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        access_log.setLevel(level)


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
