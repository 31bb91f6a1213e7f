"""Data access for API keys, in the single table (docs/dynamodb.md).

One item per key: PK ``APIKEY#<key-id>``, SK ``META``, with the principal it
authenticates (``platform:<id>`` or ``regulator:<id>``), the SHA-256 of the whole key
(never the key itself), when it was created, and when it stops working: ``expires_at``
(the end of a rotation's grace period) or ``revoked_at`` (at once).
``GSI1PK = APIKEYS#<principal>`` / ``GSI1SK = <created>#<key-id>`` lists a principal's keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.stores import aws_clients
from chalicelib.stores.aws_clients import query_items
from chalicelib.stores.dynamodb_items import (
    from_attributes,
    to_attributes,
    written,
)
from chalicelib.stores.index_pages import sortable_time, stored_time


@dataclass(frozen=True)
class StoredKey:
    key_id: str
    principal: str
    secret_sha256: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def valid_at(self, now: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at


def _key(key_id: str) -> dict[str, Any]:
    return to_attributes({"PK": f"APIKEY#{key_id}", "SK": "META"})


class ApiKeyStore:
    def __init__(self, table_name: str) -> None:
        self._table = table_name
        self._db = aws_clients.dynamodb()

    def create(self, key: StoredKey) -> bool:
        """Store a new key; False when its id is already taken (the caller draws another)."""
        return written(
            self._db.put_item,
            TableName=self._table,
            Item={
                **_key(key.key_id),
                **to_attributes(
                    {
                        "key_id": key.key_id,
                        "principal": key.principal,
                        "secret_sha256": key.secret_sha256,
                        "created_at": sortable_time(key.created_at),
                        "GSI1PK": f"APIKEYS#{key.principal}",
                        "GSI1SK": f"{sortable_time(key.created_at)}#{key.key_id}",
                    }
                ),
            },
            ConditionExpression="attribute_not_exists(PK)",
        )

    def get(self, key_id: str) -> StoredKey | None:
        item = self._db.get_item(TableName=self._table, Key=_key(key_id), ConsistentRead=True).get(
            "Item"
        )
        return _stored_key(from_attributes(item)) if item else None

    def for_principal(self, principal: str) -> list[StoredKey]:
        """The principal's keys, oldest first, whatever their state."""
        items = query_items(
            self._db,
            TableName=self._table,
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :pk",
            ExpressionAttributeValues=to_attributes({":pk": f"APIKEYS#{principal}"}),
        )
        key_ids = [from_attributes(item)["GSI1SK"].rsplit("#", 1)[1] for item in items]
        found = [self.get(key_id) for key_id in key_ids]
        return [key for key in found if key is not None]

    def revoke(self, key_id: str, at: datetime) -> bool:
        """Stop the key working now; False when it was already revoked (or never existed)."""
        return self._stamp(key_id, "revoked_at", at, "attribute_not_exists(revoked_at)")

    def expire(self, key_id: str, at: datetime) -> bool:
        """Let the key work until ``at``; an earlier expiry already set is kept."""
        return self._stamp(
            key_id,
            "expires_at",
            at,
            "attribute_not_exists(revoked_at) AND "
            "(attribute_not_exists(expires_at) OR expires_at > :at)",
        )

    def _stamp(self, key_id: str, attribute: str, at: datetime, condition: str) -> bool:
        return written(
            self._db.update_item,
            TableName=self._table,
            Key=_key(key_id),
            UpdateExpression=f"SET {attribute} = :at",
            ConditionExpression=f"attribute_exists(PK) AND {condition}",
            ExpressionAttributeValues=to_attributes({":at": sortable_time(at)}),
        )


def _stored_key(item: dict[str, Any]) -> StoredKey:
    created_at = stored_time(item, "created_at")
    assert created_at is not None
    return StoredKey(
        key_id=item["key_id"],
        principal=item["principal"],
        secret_sha256=item["secret_sha256"],
        created_at=created_at,
        expires_at=stored_time(item, "expires_at"),
        revoked_at=stored_time(item, "revoked_at"),
    )
