"""The DynamoDB backend's bounded shape: one main item per runner that requests read, history pages for `load`.

Reads are counted from the responses themselves, through botocore's event hooks on the store's own
client, against moto's server (tests/support/dynamo_standin.py); no clock is involved.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from support.dynamo_standin import dynamo_endpoint, dynamo_store  # noqa: F401  (a fixture)

from skill.progression import Rating, SessionRecord
from skill.routines import BandLevel, Place, Variant
from skill.state import InProgress, StateError, UserState
from skill.state.codec import decode_state, encode_state
from skill.state.dynamodb import PAGE_SESSIONS, PAGED_FORMAT, SCHEMA_MARKER, DynamoDBStore
from skill.state.model import HISTORY_LIMIT
from skill.state.recent import ROUTINE_SESSIONS

NEW, VETERAN = "amzn1.ask.account.TEN", "amzn1.ask.account.SEVEN.HUNDRED"
TODAY = datetime(2026, 3, 10, 7, tzinfo=UTC)
KEPT = InProgress(Place("recovery", Variant.STANDARD, BandLevel.LIGHT, 0, 2, int(TODAY.timestamp())))


@pytest.fixture
def store(dynamo_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> DynamoDBStore:  # noqa: F811
    return dynamo_store(dynamo_endpoint, monkeypatch)


def workouts(n: int) -> tuple[SessionRecord, ...]:
    """A runner's newest `n` workouts, oldest first: two a day (recovery after the run, glutes in the evening)."""
    every = [SessionRecord("recovery" if i % 2 else "glutes", Variant.STANDARD, BandLevel.LIGHT, 0,
                           TODAY - timedelta(days=1 + i // 2) + timedelta(hours=10 * (1 - i % 2)), 600, True)
             for i in range(n)]
    return tuple(reversed(every))


def sessions_in(item: dict[str, Any]) -> int:
    """The sessions an item carries: a main item's recent ones (in `state`), a page's one attribute each."""
    if "state" in item:
        return len(json.loads(item["state"]["S"])["history"])
    return sum(name.isdigit() for name in item)


class Reads:
    """What one client reads from DynamoDB: calls, items, sessions and response bytes, from each response."""

    def __init__(self, client: Any) -> None:
        self.client, self.calls, self.items, self.sessions, self.bytes = client, list[str](), 0, 0, 0

    def __enter__(self) -> Reads:
        self.client.meta.events.register("after-call.dynamodb", self._count)
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.meta.events.unregister("after-call.dynamodb", self._count)

    def _count(self, http_response: AWSResponse, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        found = [parsed["Item"]] if "Item" in parsed else [r["Item"] for r in parsed.get("Responses", ())
                                                           if "Item" in r]
        self.calls.append(model.name)
        self.items += len(found)
        self.sessions += sum(sessions_in(item) for item in found)
        self.bytes += len(http_response.content)


def stored_keys(store: DynamoDBStore) -> set[str]:
    """Every key in the store's table (main items, pages, the schema marker)."""
    pages = store.client.get_paginator("scan").paginate(TableName=store.table, ProjectionExpression="#u",
                                                         ExpressionAttributeNames={"#u": "user"})
    return {found["user"]["S"] for page in pages for found in page["Items"]}


def main_item(store: DynamoDBStore, user_id: str) -> dict[str, Any]:
    item: dict[str, Any] = store.client.get_item(TableName=store.table, Key={"user": {"S": store.key(user_id)}})["Item"]
    return item


@contextmanager
def refused_once(store: DynamoDBStore, operation: str, answer: dict[str, Any]) -> Iterator[list[str]]:
    """The store's next `operation` is answered with the error `answer` instead of reaching the stand-in (as
    DynamoDB answers while a transaction is writing the item); yields the refusals made."""
    refused: list[str] = []

    def refuse(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if refused:
            return None
        refused.append(operation)
        return AWSResponse("", 400, {}, None), answer

    event = f"before-call.dynamodb.{operation}"
    store.client.meta.events.register(event, refuse)
    try:
        yield refused
    finally:
        store.client.meta.events.unregister(event, refuse)


def test_recent_reads_one_item_of_as_many_sessions_for_700_workouts_as_for_10(store: DynamoDBStore) -> None:
    store.update(NEW, lambda s: replace(s, history=workouts(10)))
    store.update(VETERAN, lambda s: replace(s, history=workouts(700)))
    with Reads(store.client) as new:
        store.recent(NEW)
    with Reads(store.client) as veteran:
        store.recent(VETERAN)
    assert new.calls == veteran.calls == ["GetItem"]
    assert (new.items, new.sessions) == (veteran.items, veteran.sessions) == (1, 2 * ROUTINE_SESSIONS)
    # The bytes differ only by longer numbers (three-digit seqs, a longer day bitmap): less than one session.
    one_session = len(json.dumps(main_item(store, NEW)["state"]["S"])) // (2 * ROUTINE_SESSIONS)
    assert abs(veteran.bytes - new.bytes) < one_session, (veteran.bytes, new.bytes, one_session)


def test_load_returns_the_whole_kept_history_in_order_after_trims(store: DynamoDBStore) -> None:
    history = workouts(HISTORY_LIMIT + 30)
    store.update(NEW, lambda s: replace(s, history=history[:480]))
    for record in history[480:]:  # the last 30 each trim the oldest session, emptying the first page
        store.record_workout(NEW, record)
    assert store.load(NEW).history == history[-HISTORY_LIMIT:]


def test_trimmed_sessions_leave_the_pages(store: DynamoDBStore) -> None:
    store.update(NEW, lambda s: replace(s, history=workouts(HISTORY_LIMIT - 5)))
    for record in workouts(40):
        store.record_workout(NEW, record)
    with Reads(store.client) as full:
        store.load(NEW)
    pages = [k for k in stored_keys(store) if "#h#" in k]
    # `load` reads the main item twice (to learn the pages, then with them) and every page left
    assert full.items - 2 == len(pages) == HISTORY_LIMIT // PAGE_SESSIONS + 1  # the newest 500 span 21 pages
    assert full.sessions - 2 * sessions_in(main_item(store, NEW)) == HISTORY_LIMIT


def test_the_largest_change_fits_one_transaction(store: DynamoDBStore) -> None:
    """Replacing a whole kept history at once touches every old page and every new one: 43 of 100 actions."""
    old, new = workouts(HISTORY_LIMIT + 10), workouts(3 * HISTORY_LIMIT)
    store.update(NEW, lambda s: replace(s, history=old))
    store.update(NEW, lambda s: replace(s, history=s.history + new))
    assert store.load(NEW).history == new[-HISTORY_LIMIT:]


def test_a_rating_edits_the_paged_session_in_place(store: DynamoDBStore) -> None:
    history = workouts(60)
    store.update(NEW, lambda s: replace(s, history=history))
    store.update(NEW, lambda s: s.with_rating(Rating.HARD))
    assert store.load(NEW).history == (*history[:-1], replace(history[-1], rating=Rating.HARD))


def test_forget_leaves_no_page(store: DynamoDBStore) -> None:
    store.update(NEW, lambda s: replace(s, history=workouts(10)))
    store.update(VETERAN, lambda s: replace(s, history=workouts(700)))
    store.record_workout(VETERAN, workouts(1)[0])
    assert store.forget(VETERAN)
    assert not {k for k in stored_keys(store) if k.startswith(store.key(VETERAN))}
    assert store.load(NEW).history == workouts(10)


def test_migrate_pages_a_format_1_item_keeping_every_session(store: DynamoDBStore) -> None:
    history = workouts(HISTORY_LIMIT)
    store.client.put_item(TableName=store.table, Item={
        "user": {"S": store.key(VETERAN)}, "version": {"N": "7"},
        "state": {"S": json.dumps(encode_state(UserState(history=history)))},
        "position": {"S": json.dumps({"routine": "recovery", "variant": "standard", "band": "light", "step": 2,
                                      "started_at": TODAY.isoformat()})}})
    assert store.migrate() == PAGED_FORMAT
    assert json.loads(main_item(store, VETERAN)["state"]["S"])["format"] == PAGED_FORMAT
    assert store.load(VETERAN) == UserState(in_progress=KEPT, history=history)


def test_a_main_item_newer_than_the_paged_format_is_refused(store: DynamoDBStore) -> None:
    store.update(NEW, lambda s: replace(s, history=workouts(3)))
    item = main_item(store, NEW)
    newer = {**json.loads(item["state"]["S"]), "format": PAGED_FORMAT + 1}
    store.client.put_item(TableName=store.table, Item={**item, "state": {"S": json.dumps(newer)}})
    with pytest.raises(StateError, match="upgrade bandcoach"):
        store.recent(NEW)


def test_a_table_a_newer_band_coach_migrated_is_refused(store: DynamoDBStore) -> None:
    store.client.put_item(TableName=store.table, Item={"user": {"S": SCHEMA_MARKER},
                                                       "format": {"N": str(PAGED_FORMAT + 1)}})
    with pytest.raises(StateError, match="upgrade bandcoach"):
        store.migrate()


def test_a_workout_recorded_between_read_and_transaction_is_kept_with_ours(store: DynamoDBStore) -> None:
    other = DynamoDBStore(store.table, secret=b"test-secret", client=store.client)
    theirs, ours = workouts(2)
    calls: list[UserState] = []

    def record(state: UserState) -> UserState:
        calls.append(state)
        if len(calls) == 1:  # another request records a workout for the same runner in between
            other.record_workout(NEW, theirs)
        return state.with_session(ours)

    store.update(NEW, record)
    assert len(calls) == 2 and store.load(NEW).history == (theirs, ours)


def test_a_position_write_that_meets_a_transaction_in_flight_is_tried_again(store: DynamoDBStore) -> None:
    conflict = {"Error": {"Code": "TransactionConflictException", "Message": "Transaction is ongoing"}}
    with refused_once(store, "UpdateItem", conflict) as refused:
        store.set_in_progress(NEW, KEPT)
    assert refused and store.recent(NEW).in_progress == KEPT


def test_a_history_read_that_meets_a_transaction_in_flight_is_read_again(store: DynamoDBStore) -> None:
    store.update(NEW, lambda s: replace(s, history=workouts(30)))
    cancelled = {"Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
                 "CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict"}, {"Code": "None"}]}
    with refused_once(store, "TransactGetItems", cancelled) as refused:
        assert store.load(NEW).history == workouts(30)
    assert refused


def test_a_band_coach_that_reads_only_format_1_refuses_a_paged_item(store: DynamoDBStore) -> None:
    """Else, during a rolling upgrade, an older instance would take the recent sessions for the whole history."""
    store.record_workout(NEW, workouts(1)[0])
    with pytest.raises(StateError, match="upgrade bandcoach"):
        decode_state(json.loads(main_item(store, NEW)["state"]["S"]))
