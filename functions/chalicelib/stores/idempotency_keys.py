"""Data access for the API's idempotency keys, in the single table (docs/dynamodb.md).

One item per (principal, key): PK ``IDEMPOTENCY#api#<principal>``, SK the SHA-256 of the
client's ``Idempotency-Key`` (keys are the caller's text: hashed, they are safe and
bounded as sort keys). A claim holds the request's fingerprint while it runs; completing
it stores the response for replays. ``expiration`` (epoch seconds) lets DynamoDB's TTL
delete the item; until it does, an expired item counts as absent.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.stores import aws_clients
from chalicelib.stores.dynamodb_items import (
    from_attributes,
    to_attributes,
    written,
)


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: dict[str, str]
    body: str


@dataclass(frozen=True)
class IdempotencyRecord:
    fingerprint: str
    response: StoredResponse | None  # None while the first request is still running


def _key(principal: str, idempotency_key: str) -> dict[str, Any]:
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()
    return to_attributes({"PK": f"IDEMPOTENCY#api#{principal}", "SK": digest})


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


class IdempotencyKeyStore:
    def __init__(self, table_name: str) -> None:
        self._table = table_name
        self._db = aws_clients.dynamodb()

    def claim(
        self,
        principal: str,
        idempotency_key: str,
        fingerprint: str,
        now: datetime,
        keep_seconds: int,
        lock_seconds: int,
    ) -> IdempotencyRecord | None:
        """Claim the key for this request: None when claimed, else the record that holds it.

        An expired record, or a claim whose holder died (its lock ran out), is taken over.
        """
        claimed = written(
            self._db.put_item,
            TableName=self._table,
            Item={
                **_key(principal, idempotency_key),
                **to_attributes(
                    {
                        "fingerprint": fingerprint,
                        "expiration": _epoch(now) + keep_seconds,
                        "locked_until": _epoch(now) + lock_seconds,
                    }
                ),
            },
            ConditionExpression=(
                "attribute_not_exists(PK) OR expiration < :now "
                "OR (attribute_not_exists(stored_response) AND locked_until < :now)"
            ),
            ExpressionAttributeValues=to_attributes({":now": _epoch(now)}),
        )
        if claimed:
            return None
        held = self._get(principal, idempotency_key)
        # Deleted between our write and our read (a failed request released it):
        # report it as in progress; the client's retry will claim it.
        return held or IdempotencyRecord(fingerprint="", response=None)

    def complete(
        self, principal: str, idempotency_key: str, fingerprint: str, response: StoredResponse
    ) -> None:
        """Keep the response for replays of this key."""
        self._db.update_item(
            TableName=self._table,
            Key=_key(principal, idempotency_key),
            UpdateExpression="SET stored_response = :response REMOVE locked_until",
            ConditionExpression="fingerprint = :fingerprint",
            ExpressionAttributeValues=to_attributes(
                {
                    ":response": json.dumps(vars(response), sort_keys=True),
                    ":fingerprint": fingerprint,
                }
            ),
        )

    def release(self, principal: str, idempotency_key: str, fingerprint: str) -> None:
        """Forget our claim (the request failed): the client may retry with the same key."""
        written(
            self._db.delete_item,
            TableName=self._table,
            Key=_key(principal, idempotency_key),
            ConditionExpression=(
                "fingerprint = :fingerprint AND attribute_not_exists(stored_response)"
            ),
            ExpressionAttributeValues=to_attributes({":fingerprint": fingerprint}),
        )

    def _get(self, principal: str, idempotency_key: str) -> IdempotencyRecord | None:
        raw = self._db.get_item(
            TableName=self._table, Key=_key(principal, idempotency_key), ConsistentRead=True
        ).get("Item")
        if raw is None:
            return None
        item = from_attributes(raw)
        stored = item.get("stored_response")
        return IdempotencyRecord(
            fingerprint=item["fingerprint"],
            response=StoredResponse(**json.loads(stored)) if stored else None,
        )
