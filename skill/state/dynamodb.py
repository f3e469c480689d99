"""The deployed state backend: one DynamoDB item per user, written with a version condition."""

from __future__ import annotations

import contextlib
import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from skill.state.codec import FORMAT, decode_in_progress, decode_state, encode_in_progress, encode_state
from skill.state.model import InProgress, StateError, Store, UserState

logger = logging.getLogger(__name__)

# A writer that keeps writing can win every race against one that backs off: with ten attempts one
# update in ~15 gave up (StateError) when two threads hammered one user. Thirty makes that vanishingly
# rare; the deadline stays the bound that matters to a waiting runner. An update is never dropped
# silently: it is written under its version condition or it raises.
CONFLICT_RETRIES = 30  # optimistic writes tried at most this often for one update...
CONFLICT_DEADLINE_S = 2.0  # ...and never past this long, well inside the Lambda timeout (7 s) and Alexa's 8 s


class DynamoDBStore(Store):
    """State in a DynamoDB table keyed by `user` (the hashed id); `version` guards every write."""

    def __init__(self, table: str, *, secret: bytes, endpoint_url: str | None = None,
                 region: str = "us-east-1", client: Any = None) -> None:
        super().__init__(secret=secret)
        self.table = table
        self.client = client or boto3.session.Session().client(
            "dynamodb", endpoint_url=endpoint_url, region_name=region,
            config=Config(max_pool_connections=64, retries={"mode": "standard", "max_attempts": 5}))

    def load(self, user_id: str) -> UserState:
        return self._get(self.key(user_id))[0]

    def update(self, user_id: str, fn: Callable[[UserState], UserState], *, durable: bool = False) -> UserState:
        """Read, apply `fn`, write under the version condition; every DynamoDB write is durable."""
        key = self.key(user_id)
        deadline = time.monotonic() + CONFLICT_DEADLINE_S
        for attempt in range(CONFLICT_RETRIES):
            old, version = self._get(key)
            new = fn(old)
            if new == old:
                return new
            item = _item(key, version + 1, new)
            try:
                with self._errors():
                    self.client.put_item(TableName=self.table, Item=item, **_unchanged_since(version))
                return new
            except _Conflict:
                if time.monotonic() > deadline:
                    break
                logger.debug("state of %s changed underneath (attempt %d); retrying", key[:12], attempt + 1)
                time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))
        raise StateError(f"state update kept conflicting ({attempt + 1} attempts): too many requests for one "
                         "user at once; try again")

    def set_in_progress(self, user_id: str, kept: InProgress) -> None:
        """One UpdateItem of the `position` attribute: the history in `state` is neither read nor sent.

        Bumping `version` in the same atomic write makes any read-modify-write `update` that read
        the item before it fail its version condition and run again on the new position.
        """
        with self._errors():
            self.client.update_item(
                TableName=self.table, Key={"user": {"S": self.key(user_id)}},
                UpdateExpression="SET #position = :position, #updated_at = :now, "
                                 "#version = if_not_exists(#version, :zero) + :one",
                ExpressionAttributeNames={"#position": "position", "#updated_at": "updated_at",
                                          "#version": "version"},
                ExpressionAttributeValues={":position": {"S": _json(encode_in_progress(kept))},
                                           ":now": {"S": datetime.now(UTC).isoformat()},
                                           ":zero": {"N": "0"}, ":one": {"N": "1"}})

    def forget(self, user_id: str) -> bool:
        with self._errors():
            response = self.client.delete_item(TableName=self.table, Key={"user": {"S": self.key(user_id)}},
                                               ReturnValues="ALL_OLD")
        return "Attributes" in response

    def migrate(self) -> int:
        """Create the table when missing; items are upgraded as they are read, so that is all."""
        self.ensure_table()
        return FORMAT

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

    def _get(self, key: str) -> tuple[UserState, int]:
        """The stored state and its version (defaults and 0 when there is no item)."""
        with self._errors():
            item = self.client.get_item(TableName=self.table, Key={"user": {"S": key}}, ConsistentRead=True).get("Item")
        if not item:
            return UserState(), 0
        # set_in_progress may have made the item (no `state` yet); items written before the position had
        # its own attribute carry it inside `state`, which decode_state reads.
        state = decode_state(json.loads(item["state"]["S"])) if "state" in item else UserState()
        if "position" in item:
            state = replace(state, in_progress=decode_in_progress(json.loads(item["position"]["S"])))
        return state, int(item["version"]["N"])

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn AWS failures into StateError with the fix; conflicts and existing tables into signals."""
        try:
            yield
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ConditionalCheckFailedException":
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


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _item(key: str, version: int, state: UserState) -> dict[str, Any]:
    """The whole item for put_item: the position in its own attribute (as set_in_progress keeps it)."""
    item = {"user": {"S": key}, "version": {"N": str(version)},
            "state": {"S": _json(encode_state(replace(state, in_progress=None)))},
            "updated_at": {"S": datetime.now(UTC).isoformat()}}
    if state.in_progress is not None:
        item["position"] = {"S": _json(encode_in_progress(state.in_progress))}
    return item


def _unchanged_since(version: int) -> dict[str, Any]:
    """The put_item condition: the item is still at `version` (0: there is still no item)."""
    if version == 0:
        return {"ConditionExpression": "attribute_not_exists(#user)", "ExpressionAttributeNames": {"#user": "user"}}
    return {"ConditionExpression": "#version = :seen", "ExpressionAttributeNames": {"#version": "version"},
            "ExpressionAttributeValues": {":seen": {"N": str(version)}}}


class _Conflict(Exception):
    """Another request wrote the item between our read and our conditional write."""


class _TableExists(Exception):
    """create_table found the table already there."""
