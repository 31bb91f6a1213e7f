"""Data access for feeds, on the single table (docs/dynamodb.md).

One item per feed: PK ``FEED#<name>``, SK ``META``; ``body`` the ``Feed`` as JSON (what
the operator configured, never rewritten), the state as attributes of its own (so each
change is one conditional ``UpdateItem``): ``paused``, ``cursor``, ``validators``,
``last_attempt_at``, ``last_success_at``, ``last_error``, ``last_error_at``, and while a
pull runs its lease, ``lease_owner`` / ``lease_until``. ``GSI1PK = FEEDS`` / ``GSI1SK =
<name>`` lists them all (tens of feeds: one index partition).

The lease makes pulls of one feed take turns: it is taken only when free or run out,
and the cursor moves (and the pull ends) only while the mover holds it.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from chalicelib.feeds.model import Feed, FeedRecord, FeedState, Validators
from chalicelib.feeds.pull import FeedBusy, FeedNotFound, LeaseLost
from chalicelib.stores import aws_clients
from chalicelib.stores.aws_clients import query_items
from chalicelib.stores.dynamodb_items import batch_get, from_attributes, to_attributes, written
from chalicelib.stores.index_pages import sortable_time, stored_time

_ALL_FEEDS = "FEEDS"
_HELD_BY_OWNER = "lease_owner = :owner"


class FeedExists(RuntimeError):
    """``create`` found the name taken."""


def _key(name: str) -> dict[str, str]:
    return {"PK": f"FEED#{name}", "SK": "META"}


class FeedsTable:
    def __init__(self, table_name: str) -> None:
        self._table = table_name
        self._db = aws_clients.dynamodb()

    def create(self, feed: Feed) -> None:
        item = {**_key(feed.name), "body": feed.model_dump_json(), "paused": False}
        created = written(
            self._db.put_item,
            TableName=self._table,
            Item=to_attributes({**item, "GSI1PK": _ALL_FEEDS, "GSI1SK": feed.name}),
            ConditionExpression="attribute_not_exists(PK)",
        )
        if not created:
            raise FeedExists(f"a feed named {feed.name} exists already")

    def get(self, name: str) -> FeedRecord | None:
        item = self._db.get_item(
            TableName=self._table, Key=to_attributes(_key(name)), ConsistentRead=True
        ).get("Item")
        return _record(from_attributes(item)) if item else None

    def list(self) -> builtins.list[FeedRecord]:
        """Every feed, by name (GSI1 is eventually consistent: one added a moment ago
        may be missing)."""
        items = query_items(
            self._db,
            TableName=self._table,
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :pk",
            ExpressionAttributeValues=to_attributes({":pk": _ALL_FEEDS}),
        )
        keys = [_key(from_attributes(item)["GSI1SK"]) for item in items]
        records = [_record(item) for item in batch_get(self._db, self._table, keys)]
        return sorted(records, key=lambda record: record.feed.name)

    def for_regulator(self, regulator_id: str) -> builtins.list[FeedRecord]:
        """The feeds that speak for ``regulator_id``."""
        return [record for record in self.list() if record.feed.regulator_id == regulator_id]

    def set_paused(self, name: str, paused: bool) -> None:
        changed = written(
            self._db.update_item,
            TableName=self._table,
            Key=to_attributes(_key(name)),
            UpdateExpression="SET paused = :paused",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeValues=to_attributes({":paused": paused}),
        )
        if not changed:
            raise FeedNotFound(f"no feed {name}")

    # -- the puller's writes (chalicelib/feeds/pull.py) -----------------------------------

    def claim(self, name: str, owner: str, now: datetime, until: datetime) -> FeedRecord:
        try:
            item = self._db.update_item(
                TableName=self._table,
                Key=to_attributes(_key(name)),
                UpdateExpression="SET lease_owner = :owner, lease_until = :until",
                ConditionExpression="attribute_exists(PK) AND "
                "(attribute_not_exists(lease_until) OR lease_until < :now)",
                ExpressionAttributeValues=to_attributes(
                    {":owner": owner, ":until": sortable_time(until), ":now": sortable_time(now)}
                ),
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except self._db.exceptions.ConditionalCheckFailedException:
            current = self.get(name)
            if current is None:
                raise FeedNotFound(f"no feed {name}") from None
            raise FeedBusy(f"feed {name} is being pulled by another puller") from None
        return _record(from_attributes(item))

    def advance(
        self, name: str, owner: str, cursor: str | None, validators: Validators | None
    ) -> None:
        values: dict[str, Any] = {":owner": owner, ":cursor": cursor}
        update = "SET #cursor = :cursor"
        if validators is None:
            update += " REMOVE validators"
        else:
            update += ", validators = :validators"
            values[":validators"] = validators.model_dump_json()
        self._held_update(name, update, values, {"#cursor": "cursor"})

    def finish(self, name: str, owner: str, now: datetime, error: str | None) -> None:
        values: dict[str, Any] = {":owner": owner, ":now": sortable_time(now)}
        if error is None:
            update = "SET last_attempt_at = :now, last_success_at = :now"
        else:
            update = "SET last_attempt_at = :now, last_error_at = :now, last_error = :error"
            values[":error"] = error
        self._held_update(name, f"{update} REMOVE lease_owner, lease_until", values, {})

    def _held_update(
        self, name: str, update: str, values: dict[str, Any], names: dict[str, str]
    ) -> None:
        changed = written(
            self._db.update_item,
            TableName=self._table,
            Key=to_attributes(_key(name)),
            UpdateExpression=update,
            ConditionExpression=_HELD_BY_OWNER,
            ExpressionAttributeValues=to_attributes(values),
            **({"ExpressionAttributeNames": names} if names else {}),
        )
        if not changed:
            raise LeaseLost(f"the lease on feed {name} ran out and another pull took it")


def _record(item: dict[str, Any]) -> FeedRecord:
    validators = item.get("validators")
    return FeedRecord(
        feed=Feed.model_validate_json(item["body"]),
        state=FeedState(
            paused=bool(item.get("paused", False)),
            cursor=item.get("cursor"),
            last_attempt_at=stored_time(item, "last_attempt_at"),
            last_success_at=stored_time(item, "last_success_at"),
            last_error=item.get("last_error"),
            last_error_at=stored_time(item, "last_error_at"),
            validators=Validators.model_validate_json(validators) if validators else None,
        ),
    )
