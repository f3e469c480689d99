"""The deployed state backend: per runner, one bounded item that requests read, and history pages only `load` reads.

The main item (key: the hashed id) holds the preferences, the newest sessions of each routine, the day tally
and the position, and carries the `version` every write is conditioned on. The full history lives in page
items (key `<hashed id>#h#<n>`, PAGE_SESSIONS sessions each), written in the same TransactWriteItems as the
main item, so a finished workout is stored whole or not at all (docs/state.md).
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from skill.progression import SessionRecord
from skill.state import model
from skill.state.codec import (
    FORMAT,
    decode_in_progress,
    decode_session,
    decode_state,
    encode_in_progress,
    encode_session,
    encode_state,
)
from skill.state.model import InProgress, StateError, Store, UserState
from skill.state.recent import DayTally, Numbered, history_change, tally, window

logger = logging.getLogger(__name__)

# A writer that keeps writing can win every race against one that backs off: with ten attempts one
# update in ~15 gave up (StateError) when two threads hammered one user. Thirty makes that vanishingly
# rare; the deadline stays the bound that matters to a waiting runner. An update is never dropped
# silently: it is written under its version condition or it raises.
CONFLICT_RETRIES = 30  # optimistic writes tried at most this often for one update...
CONFLICT_DEADLINE_S = 2.0  # ...and never past this long, well inside the Lambda timeout (7 s) and Alexa's 8 s

# `state` documents of paged items say 2, so a Band Coach that reads format 1 refuses them ("upgrade
# bandcoach") rather than taking the recent sessions for the whole history and writing that back.
PAGED_FORMAT = FORMAT + 1
# HISTORY_LIMIT (500) sessions span at most 21 pages: a whole history, with the pages it replaces, fits one
# TransactWriteItems (100 actions) and one TransactGetItems (moto allows 25 items, DynamoDB 100); a page
# is at most about 5 KB.
PAGE_SESSIONS = 25
LOAD_ATTEMPTS = 5  # consistent snapshots tried by `load` while writes keep moving the history's end
SCHEMA_MARKER = "bandcoach#schema"  # the item `migrate` writes once every format-1 item is paged


class DynamoDBStore(Store):
    """State in a DynamoDB table keyed by `user`: a bounded main item per runner plus its history pages."""

    def __init__(self, table: str, *, secret: bytes, endpoint_url: str | None = None,
                 region: str = "us-east-1", client: Any = None) -> None:
        super().__init__(secret=secret)
        self.table = table
        self.client = client or boto3.session.Session().client(
            "dynamodb", endpoint_url=endpoint_url, region_name=region,
            config=Config(max_pool_connections=64, retries={"mode": "standard", "max_attempts": 5}))

    def recent(self, user_id: str) -> UserState:
        """One GetItem of the main item: its size depends on the routines done, not on the history."""
        return self._read(self.key(user_id)).state

    def load(self, user_id: str) -> UserState:
        """The whole state: the main item and its history pages in one TransactGetItems (a consistent snapshot)."""
        key = self.key(user_id)
        item = self._read(key)
        for attempt in range(LOAD_ATTEMPTS):
            if item.legacy is not None:
                return replace(item.state, history=item.legacy)
            pages = _pages(item.next_seq)
            if not pages:
                return item.state
            try:
                with self._errors():
                    responses = self.client.transact_get_items(TransactItems=[
                        {"Get": {"TableName": self.table, "Key": _key(k)}} for k in (key, *_page_keys(key, pages))
                    ])["Responses"]
            except _Conflict:  # a write transaction on these items was in flight: read again once it is done
                _back_off(attempt)
                item = self._read(key)
                continue
            snapshot = _decode(responses[0].get("Item"))
            if snapshot.next_seq == item.next_seq:  # the pages asked for are the ones this main item names
                return replace(snapshot.state, history=_history(responses[1:], snapshot.next_seq))
            item = snapshot
        raise StateError("the runner's history kept changing while it was read: too many requests for one user "
                         "at once; try again")

    def update(self, user_id: str, fn: Callable[[UserState], UserState], *, durable: bool = False) -> UserState:
        """Read the main item, apply `fn` to the recent state, write under the version condition.

        A change of the history goes with its pages in one TransactWriteItems; any other change is one
        PutItem. Every DynamoDB write is durable, so `durable` asks for nothing more.
        """
        return self._update(self.key(user_id), fn)

    def set_in_progress(self, user_id: str, kept: InProgress) -> None:
        """One UpdateItem of the `position` attribute: neither the recent sessions nor the pages are read or sent.

        Bumping `version` in the same atomic write makes any read-modify-write `update` that read
        the item before it fail its version condition and run again on the new position. DynamoDB refuses
        a write to an item that a transaction (a workout being recorded) is writing; it is tried again.
        """
        for attempt in range(CONFLICT_RETRIES):
            try:
                self._set_position(user_id, kept)
                return
            except _Conflict:
                _back_off(attempt)
        raise StateError("keeping the workout's position kept conflicting with other requests for this runner; "
                         "try again")

    def _set_position(self, user_id: str, kept: InProgress) -> None:
        """The position write itself: _Conflict while a transaction holds the item."""
        with self._errors():
            self.client.update_item(
                TableName=self.table, Key=_key(self.key(user_id)),
                UpdateExpression="SET #position = :position, #updated_at = :now, "
                                 "#version = if_not_exists(#version, :zero) + :one",
                ExpressionAttributeNames={"#position": "position", "#updated_at": "updated_at",
                                          "#version": "version"},
                ExpressionAttributeValues={":position": {"S": _json(encode_in_progress(kept))},
                                           ":now": {"S": _now()}, ":zero": {"N": "0"}, ":one": {"N": "1"}})

    def forget(self, user_id: str) -> bool:
        """Delete the main item and its pages together, conditioned on the version read (no page left behind)."""
        key = self.key(user_id)
        for attempt in range(CONFLICT_RETRIES):
            item = self._read(key)
            if not item.version:
                return False
            deletes = [{"Delete": {"TableName": self.table, "Key": _key(k),
                                   **({} if k != key else _unchanged_since(item.version))}}
                       for k in (key, *_page_keys(key, _pages(item.next_seq) if item.legacy is None else range(0)))]
            try:
                self._write(deletes)
                return True
            except _Conflict:
                _back_off(attempt)
        raise StateError("forgetting kept conflicting with other requests for this runner; try again")

    def migrate(self) -> int:
        """Create the table when missing and page every format-1 item (once per table); return the format."""
        self.ensure_table()
        with self._errors():
            marker = self.client.get_item(TableName=self.table, Key=_key(SCHEMA_MARKER), ConsistentRead=True)
        if "Item" in marker:  # paged already; a table a newer Band Coach moved on is refused, not misread
            reached = int(marker["Item"]["format"]["N"])
            if reached > PAGED_FORMAT:
                raise StateError(f"DynamoDB table {self.table!r} is at format {reached}, newer than this Band Coach "
                                 f"reads ({PAGED_FORMAT}): upgrade bandcoach")
            return PAGED_FORMAT
        moved = 0
        for key in self._legacy_keys():
            self._update(key, lambda state: state, convert=True)
            moved += 1
        with self._errors():
            self.client.put_item(TableName=self.table, Item={**_key(SCHEMA_MARKER),
                                                             "format": {"N": str(PAGED_FORMAT)}})
        logger.info("DynamoDB table %s: %d runners moved to history pages", self.table, moved)
        return PAGED_FORMAT

    def ensure_table(self) -> bool:
        """Create the table (on-demand billing) and wait until it is active; False if it existed."""
        try:
            with self._errors():
                self.client.create_table(
                    TableName=self.table, BillingMode="PAY_PER_REQUEST",
                    AttributeDefinitions=[{"AttributeName": "user", "AttributeType": "S"}],
                    KeySchema=[{"AttributeName": "user", "KeyType": "HASH"}])
        except _TableExists:
            return False
        with self._errors():
            self.client.get_waiter("table_exists").wait(TableName=self.table, WaiterConfig={"Delay": 1})
        logger.info("created DynamoDB table %s", self.table)
        return True

    def _update(self, key: str, fn: Callable[[UserState], UserState], *, convert: bool = False) -> UserState:
        """`update` by hashed key; `convert` writes a format-1 item as pages even when `fn` changes nothing."""
        deadline = time.monotonic() + CONFLICT_DEADLINE_S
        for attempt in range(CONFLICT_RETRIES):
            item = self._read(key)
            new = fn(item.state)
            if new == item.state and not (convert and item.legacy is not None):
                return new
            actions, stored = _changes(self.table, key, item, new)
            try:
                self._write(actions)
                return stored
            except _Conflict:
                if time.monotonic() > deadline:
                    break
                logger.debug("state of %s changed underneath (attempt %d); retrying", key[:12], attempt + 1)
                _back_off(attempt)
        raise StateError(f"state update kept conflicting ({attempt + 1} attempts): too many requests for one "
                         "user at once; try again")

    def _write(self, actions: list[dict[str, Any]]) -> None:
        """One conditional write: a lone PutItem or DeleteItem as such, several actions as one transaction."""
        with self._errors():
            if len(actions) > 1:
                self.client.transact_write_items(TransactItems=actions)
            elif "Put" in actions[0]:
                self.client.put_item(**actions[0]["Put"])
            else:
                self.client.delete_item(**actions[0]["Delete"])

    def _read(self, key: str) -> _Item:
        """The runner's main item, decoded (strongly consistent: the previous request may have just written it)."""
        with self._errors():
            found = self.client.get_item(TableName=self.table, Key=_key(key), ConsistentRead=True).get("Item")
        return _decode(found)

    def _legacy_keys(self) -> Iterator[str]:
        """The keys of main items still in format 1 (the whole history in `state`), from a paginated Scan."""
        with self._errors():
            for page in self.client.get_paginator("scan").paginate(
                    TableName=self.table, ProjectionExpression="#user",
                    FilterExpression="attribute_exists(#state) AND attribute_not_exists(#next_seq)",
                    ExpressionAttributeNames={"#user": "user", "#state": "state", "#next_seq": "next_seq"}):
                yield from (found["user"]["S"] for found in page.get("Items", ()))

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn AWS failures into StateError with the fix; conflicts and existing tables into signals."""
        try:
            yield
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            reasons = {r.get("Code") for r in exc.response.get("CancellationReasons", ())} - {"None", None}
            if code in ("ConditionalCheckFailedException", "TransactionConflictException") or (
                    code == "TransactionCanceledException" and reasons and reasons <= {"ConditionalCheckFailed",
                                                                                      "TransactionConflict"}):
                raise _Conflict from exc
            if code == "ResourceInUseException":
                raise _TableExists from exc
            if code == "ResourceNotFoundException":
                raise StateError(f"DynamoDB table {self.table!r} does not exist: run 'bandcoach db migrate' "
                                 "to create it, or deploy the stack that defines it") from exc
            raise StateError(f"DynamoDB {code or 'request'} failed on table {self.table!r}: "
                             f"{exc.response.get('Error', {}).get('Message', exc)}; check the AWS credentials, "
                             "region (BANDCOACH_AWS_REGION) and the table's permissions") from exc
        except WaiterError as exc:
            raise StateError(f"DynamoDB table {self.table!r} did not become active: {exc}; check it in the AWS "
                             "console, then run 'bandcoach db migrate' again") from exc
        except BotoCoreError as exc:
            raise StateError(f"cannot reach DynamoDB: {exc}; check BANDCOACH_AWS_ENDPOINT_URL, "
                             "BANDCOACH_AWS_REGION and the AWS credentials") from exc


@dataclass(frozen=True, slots=True)
class _Item:
    """A main item as read: the recent state, its sessions' seqs, and what the next write builds on.

    `next_seq` is the seq the next session gets; the pages hold the seqs from `next_seq - HISTORY_LIMIT`.
    `legacy` is a format-1 item's whole history (no pages yet), which the next write moves to pages.
    """

    state: UserState
    numbered: tuple[Numbered, ...] = ()
    version: int = 0
    next_seq: int = 0
    legacy: tuple[SessionRecord, ...] | None = None


def _decode(found: Mapping[str, Any] | None) -> _Item:
    """A main item (None: no item) as an _Item; a document from a newer Band Coach is refused, not misread."""
    if not found:
        return _Item(UserState())
    version = int(found["version"]["N"])
    doc = json.loads(found["state"]["S"]) if "state" in found else {}
    if int(doc.get("format", FORMAT)) > PAGED_FORMAT:
        raise StateError(f"stored state has format {doc['format']}, newer than this Band Coach reads "
                         f"({PAGED_FORMAT}): upgrade bandcoach")
    if "next_seq" in found:
        state = decode_state({**doc, "format": FORMAT})
        numbered = tuple(zip((int(s["seq"]) for s in doc["history"]), state.history, strict=True))
        item = _Item(replace(state, days=DayTally(text=found["days"]["S"])), numbered, version,
                     int(found["next_seq"]["N"]))
    else:  # format 1, or only a position was ever written: the recent view is derived once, here
        full = decode_state(doc)  # items from before `position` had its own attribute carry it in here
        numbered = window(tuple(enumerate(full.history)))
        item = _Item(replace(full, history=tuple(r for _, r in numbered), days=DayTally(tally(added=full.history))),
                     numbered, version, len(full.history), full.history if "state" in found else None)
    if "position" in found:
        item = replace(item, state=replace(item.state,
                                           in_progress=decode_in_progress(json.loads(found["position"]["S"]))))
    return item


def _changes(table: str, key: str, item: _Item, new: UserState) -> tuple[list[dict[str, Any]], UserState]:
    """The write actions that store `new` over `item` (the main item first), and the recent state they leave.

    Sessions appended get the next seqs, kept ones edited in place (a rating) keep theirs, removed ones
    and those past HISTORY_LIMIT leave their pages; the recent sessions and day tally are recomputed from
    the change, never from the history. Bounded by the change (a format-1 item: once, by its history).
    """
    removed, edited, added = history_change(item.state.history, new.history, item.numbered)
    appended = [(item.next_seq + i, record) for i, record in enumerate(added)]
    next_seq = item.next_seq + len(added)
    cutoff = max(0, next_seq - model.HISTORY_LIMIT)
    kept = dict(item.numbered)
    for seq, _ in removed:
        del kept[seq]
    recent = window([(s, r) for s, r in sorted({**kept, **dict(edited), **dict(appended)}.items()) if s >= cutoff])
    days = item.state.days
    if removed or edited or added:
        was = dict(item.numbered)
        days = DayTally(tally(days.days(), added=[*added, *(r for _, r in edited)],
                              removed=[*(r for _, r in removed), *(was[s] for s, _ in edited)]))
    stored = replace(new, history=tuple(r for _, r in recent), days=days)

    puts = dict(enumerate(item.legacy or ()))  # a format-1 item's history, written to pages once
    for seq, _ in removed:
        puts.pop(seq, None)
    puts = {s: r for s, r in {**puts, **dict(edited), **dict(appended)}.items() if s >= cutoff}
    paged_from = max(0, item.next_seq - model.HISTORY_LIMIT) if item.legacy is None else item.next_seq
    trimmed = range(paged_from, min(cutoff, item.next_seq))
    drops = ({s for s, _ in removed if s >= paged_from} | set(trimmed)) - set(puts)
    main = {"Put": {"TableName": table, "Item": _main_item(key, item.version + 1, stored, recent, next_seq),
                    **_unchanged_since(item.version)}}
    return [main, *_page_actions(table, key, puts, drops, cutoff)], stored


def _main_item(key: str, version: int, state: UserState, recent: Sequence[Numbered], next_seq: int) -> dict[str, Any]:
    """The main item: the recent sessions (each with its seq) in `state`, the tally, the position on its own."""
    doc = {**encode_state(replace(state, in_progress=None)), "format": PAGED_FORMAT,
           "history": [{"seq": seq, **encode_session(record)} for seq, record in recent]}
    item = {**_key(key), "version": {"N": str(version)}, "state": {"S": _json(doc)},
            "days": {"S": state.days.text()}, "next_seq": {"N": str(next_seq)}, "updated_at": {"S": _now()}}
    if state.in_progress is not None:
        item["position"] = {"S": _json(encode_in_progress(state.in_progress))}
    return item


def _page_actions(table: str, key: str, puts: Mapping[int, SessionRecord], drops: set[int],
                  cutoff: int) -> list[dict[str, Any]]:
    """One action per page touched (a transaction may not act twice on an item): an Update that sets and
    removes session attributes (named by seq), or a Delete of a page wholly past the limit."""
    pages: dict[int, tuple[dict[str, str], list[str]]] = {}
    for seq, record in sorted(puts.items()):
        pages.setdefault(seq // PAGE_SESSIONS, ({}, []))[0][str(seq)] = _json(encode_session(record))
    for seq in sorted(drops):
        pages.setdefault(seq // PAGE_SESSIONS, ({}, []))[1].append(str(seq))
    actions = []
    for page, (sets, removes) in sorted(pages.items()):
        page_key = _key(f"{key}#h#{page}")
        if not sets and (page + 1) * PAGE_SESSIONS <= cutoff:
            actions.append({"Delete": {"TableName": table, "Key": page_key}})
            continue
        names = {f"#s{i}": seq for i, seq in enumerate([*sets, *removes])}
        clauses = [f"SET {', '.join(f'#s{i} = :s{i}' for i in range(len(sets)))}" if sets else "",
                   f"REMOVE {', '.join(f'#s{i}' for i in range(len(sets), len(names)))}" if removes else ""]
        actions.append({"Update": {
            "TableName": table, "Key": page_key, "UpdateExpression": " ".join(c for c in clauses if c),
            "ExpressionAttributeNames": names,
            **({"ExpressionAttributeValues": {f":s{i}": {"S": text} for i, text in enumerate(sets.values())}}
               if sets else {})}})
    return actions


def _pages(next_seq: int) -> range:
    """The page numbers that can hold the kept history when the next session's seq is `next_seq`."""
    if next_seq <= 0:
        return range(0)
    return range(max(0, next_seq - model.HISTORY_LIMIT) // PAGE_SESSIONS, (next_seq - 1) // PAGE_SESSIONS + 1)


def _page_keys(key: str, pages: range) -> tuple[str, ...]:
    return tuple(f"{key}#h#{page}" for page in pages)


def _history(responses: Sequence[Mapping[str, Any]], next_seq: int) -> tuple[SessionRecord, ...]:
    """The kept sessions in the pages read, oldest first (only seqs the main item counts as kept)."""
    cutoff = max(0, next_seq - model.HISTORY_LIMIT)
    found = {int(name): value["S"] for response in responses for name, value in response.get("Item", {}).items()
             if name != "user"}
    return tuple(decode_session(json.loads(found[seq])) for seq in sorted(found) if cutoff <= seq < next_seq)


def _back_off(attempt: int) -> None:
    """Sleep a jittered, growing while before trying a conflicting request again (at most 50 ms)."""
    time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))


def _key(key: str) -> dict[str, Any]:
    return {"user": {"S": key}}


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _unchanged_since(version: int) -> dict[str, Any]:
    """The write condition: the item is still at `version` (0: there is still no item)."""
    if version == 0:
        return {"ConditionExpression": "attribute_not_exists(#user)", "ExpressionAttributeNames": {"#user": "user"}}
    return {"ConditionExpression": "#version = :seen", "ExpressionAttributeNames": {"#version": "version"},
            "ExpressionAttributeValues": {":seen": {"N": str(version)}}}


class _Conflict(Exception):
    """Another request wrote the item between our read and our conditional write, or was writing it then."""


class _TableExists(Exception):
    """create_table found the table already there."""
