"""The DynamoDB backend against moto's server: item shape, optimistic retries, table creation, errors."""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from support.dynamo_standin import dynamo_endpoint, dynamo_store, use_dummy_credentials  # noqa: F401  (a fixture)

from skill.routines import BandLevel, Place, Variant
from skill.state import InProgress, StateError, UserState, hash_user
from skill.state.codec import encode_state
from skill.state.dynamodb import CONFLICT_RETRIES, PAGED_FORMAT, DynamoDBStore

ALEXA_ID = "amzn1.ask.account.AFAKEIDFORTESTS0123456789"
START = datetime(2026, 3, 10, 18, 30, tzinfo=UTC)
STARTED = int(START.timestamp())


@pytest.fixture
def store(dynamo_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> DynamoDBStore:  # noqa: F811
    return dynamo_store(dynamo_endpoint, monkeypatch)


def _item(store: DynamoDBStore) -> dict:
    return store.client.get_item(TableName=store.table, Key={"user": {"S": store.key(ALEXA_ID)}})["Item"]


def test_item_is_keyed_by_the_hashed_id_with_a_numeric_version(store: DynamoDBStore) -> None:
    store.set_band(ALEXA_ID, None, BandLevel.MEDIUM)
    store.set_band(ALEXA_ID, "glutes", BandLevel.HEAVY)
    item = _item(store)
    assert item["user"]["S"] == hash_user(b"test-secret", ALEXA_ID)
    assert item["version"] == {"N": "2"}
    assert "amzn1" not in str(item)


def test_an_update_that_changes_nothing_writes_nothing(store: DynamoDBStore) -> None:
    store.set_locale(ALEXA_ID, "en-GB")
    store.set_locale(ALEXA_ID, "en-GB")
    assert _item(store)["version"] == {"N": "1"}


def test_a_write_between_read_and_put_makes_the_update_retry_on_fresh_state(store: DynamoDBStore) -> None:
    other = DynamoDBStore(store.table, secret=b"test-secret", client=store.client)
    calls: list[UserState] = []

    def set_step(state: UserState) -> UserState:
        calls.append(state)
        if len(calls) == 1:  # a second request for the same runner lands in between
            other.set_band(ALEXA_ID, None, BandLevel.HEAVY)
        return replace(state, in_progress=InProgress(Place("desk", Variant.SHORT, BandLevel.LIGHT, 0, 2, STARTED)))

    result = store.update(ALEXA_ID, set_step)
    assert len(calls) == 2 and calls[1].band is BandLevel.HEAVY
    assert store.load(ALEXA_ID) == result
    assert (result.band, result.in_progress.place.block) == (BandLevel.HEAVY, 2)


def test_ensure_table_creates_once(store: DynamoDBStore) -> None:
    assert store.ensure_table() is False
    fresh = DynamoDBStore(store.table + "-new", secret=b"k", client=store.client)
    assert fresh.migrate() == PAGED_FORMAT
    assert fresh.client.describe_table(TableName=fresh.table)["Table"]["KeySchema"] == [
        {"AttributeName": "user", "KeyType": "HASH"}]


def test_missing_table_says_to_run_db_migrate(store: DynamoDBStore) -> None:
    missing = DynamoDBStore("no-such-table", secret=b"k", client=store.client)
    with pytest.raises(StateError, match="bandcoach db migrate"):
        missing.load(ALEXA_ID)


def test_unreachable_endpoint_says_what_to_check(monkeypatch: pytest.MonkeyPatch) -> None:
    use_dummy_credentials(monkeypatch)
    client = boto3.session.Session().client(
        "dynamodb", endpoint_url="http://127.0.0.1:9", region_name="us-east-1",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=1))
    with pytest.raises(StateError, match="BANDCOACH_AWS_ENDPOINT_URL"):
        DynamoDBStore("t", secret=b"k", client=client).load(ALEXA_ID)


def test_a_newer_stored_format_is_refused(store: DynamoDBStore) -> None:
    store.client.put_item(TableName=store.table, Item={
        "user": {"S": store.key(ALEXA_ID)}, "version": {"N": "1"}, "state": {"S": '{"format": 99}'}})
    with pytest.raises(StateError, match="upgrade bandcoach"):
        store.load(ALEXA_ID)


def test_a_position_kept_inside_state_by_older_items_is_read_and_then_superseded(store: DynamoDBStore) -> None:
    kept = InProgress(Place("desk", Variant.SHORT, BandLevel.LIGHT, 0, 2, STARTED))
    old = encode_state(UserState(in_progress=kept))
    store.client.put_item(TableName=store.table, Item={
        "user": {"S": store.key(ALEXA_ID)}, "version": {"N": "3"}, "state": {"S": json.dumps(old)}})
    assert store.load(ALEXA_ID).in_progress == kept
    store.set_in_progress(ALEXA_ID, replace(kept, place=kept.place.at(3)))
    assert store.load(ALEXA_ID).in_progress == replace(kept, place=kept.place.at(3))
    assert _item(store)["version"] == {"N": "4"}


def test_an_update_that_keeps_conflicting_gives_up_after_a_bounded_number_of_attempts(store: DynamoDBStore) -> None:
    other = DynamoDBStore(store.table, secret=b"test-secret", client=store.client)
    calls: list[UserState] = []

    def always_overtaken(state: UserState) -> UserState:
        calls.append(state)
        other.set_band(ALEXA_ID, "desk", (BandLevel.LIGHT, BandLevel.HEAVY)[len(calls) % 2])
        return state.with_band(None, BandLevel.MEDIUM)

    with pytest.raises(StateError, match="kept conflicting"):
        store.update(ALEXA_ID, always_overtaken)
    assert len(calls) <= CONFLICT_RETRIES


def test_of_puts_conditioned_on_one_version_exactly_one_succeeds(store: DynamoDBStore) -> None:
    """The atomicity every version-conditioned update relies on, which the stand-in must give as DynamoDB does.

    A tiny switch interval makes threads interleave between moto's condition check and its write,
    where two puts could both succeed if requests were not atomic.
    """
    key = {"user": {"S": store.key(ALEXA_ID)}}
    store.client.put_item(TableName=store.table, Item={**key, "version": {"N": "0"}})

    def put(version: int, start: threading.Barrier, won: list[int], writer: int) -> None:
        start.wait()
        try:
            store.client.put_item(TableName=store.table, Item={**key, "version": {"N": str(version + 1)}},
                                  ConditionExpression="#version = :seen",
                                  ExpressionAttributeNames={"#version": "version"},
                                  ExpressionAttributeValues={":seen": {"N": str(version)}})
            won.append(writer)
        # Not client.exceptions.ConditionalCheckFailedException: threads racing on its lazy, unlocked
        # first build can raise and catch different classes of that name.
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        for version in range(100):
            start, won = threading.Barrier(4), []
            threads = [threading.Thread(target=put, args=(version, start, won, n)) for n in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=30)
            assert len(won) == 1, f"version {version}: writers {won} all passed the condition"
    finally:
        sys.setswitchinterval(interval)
