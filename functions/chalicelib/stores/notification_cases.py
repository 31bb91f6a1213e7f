"""Data access for notification cases, in the single table.

One per dispatch, in the notice's partition: PK ``NOTICE#<id>``, SK
``NOTIFICATION#v000001#<platform>``, ``body`` the case as JSON. Opened once: a retried
hand-off finds the case there and changes nothing.
"""

from __future__ import annotations

from typing import Any

from chalicelib.dispatch.model import DispatchRef
from chalicelib.notification.model import NotificationCase
from chalicelib.stores import aws_clients
from chalicelib.stores.aws_clients import query_items
from chalicelib.stores.dynamodb_items import from_attributes, to_attributes, written

_PREFIX = "NOTIFICATION#"


class NotificationCaseStore:
    def __init__(self, table_name: str) -> None:
        self._table = table_name
        self._db = aws_clients.dynamodb()

    @staticmethod
    def key(ref: DispatchRef) -> dict[str, str]:
        """The case's item key: what the workflow passes on to start the capability."""
        return {
            "PK": f"NOTICE#{ref.notice_id}",
            "SK": f"{_PREFIX}v{ref.version:06d}#{ref.platform_id}",
        }

    def open(self, case: NotificationCase) -> NotificationCase:
        """Store a new case and return it; when the dispatch already has one (a retried
        hand-off), leave it as it is and return that one."""
        item: dict[str, Any] = {**self.key(case.ref), "body": case.model_dump_json()}
        if written(
            self._db.put_item,
            TableName=self._table,
            Item=to_attributes(item),
            ConditionExpression="attribute_not_exists(SK)",
        ):
            return case
        existing = self.get(case.ref)
        if existing is None:  # the condition failed, so the item was there: not deleted
            raise RuntimeError(f"the notification case of {case.ref} vanished")
        return existing

    def get(self, ref: DispatchRef) -> NotificationCase | None:
        response = self._db.get_item(
            TableName=self._table, Key=to_attributes(self.key(ref)), ConsistentRead=True
        )
        item = response.get("Item")
        return NotificationCase.model_validate_json(from_attributes(item)["body"]) if item else None

    def for_notice(self, notice_id: str) -> list[NotificationCase]:
        """Every case of every version of the notice."""
        items = query_items(
            self._db,
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues=to_attributes(
                {":pk": f"NOTICE#{notice_id}", ":prefix": _PREFIX}
            ),
            ConsistentRead=True,
        )
        return [
            NotificationCase.model_validate_json(from_attributes(item)["body"]) for item in items
        ]
