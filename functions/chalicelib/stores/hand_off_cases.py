"""Data access for the cases the hand-off opens, in the single table: one store class,
one instance per capability (``notification_cases.py``, ``verification_cases.py``).

One case per dispatch and capability, in the notice's partition: PK ``NOTICE#<id>``, SK
``<CAPABILITY>#v000001#<platform>``, ``body`` the case as JSON. Opened once: a retried
hand-off finds the case there and changes nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Generic, TypeVar

from chalicelib.dispatch.cases import CaseStatus, HandOffCase
from chalicelib.dispatch.model import DispatchRef
from chalicelib.stores import aws_clients
from chalicelib.stores.aws_clients import query_items
from chalicelib.stores.dynamodb_items import from_attributes, to_attributes, written

C = TypeVar("C", bound=HandOffCase)
_MAX_STATUS_ATTEMPTS = 5


class HandOffCaseStore(Generic[C]):
    """The ``case_type`` cases of one capability, under sort keys starting ``prefix``."""

    def __init__(self, table_name: str, prefix: str, case_type: type[C]) -> None:
        self._table = table_name
        self._prefix = prefix
        self._case_type = case_type
        self._db = aws_clients.dynamodb()

    def key(self, ref: DispatchRef) -> dict[str, str]:
        """The case's item key: what the workflow passes on to start the capability."""
        return {
            "PK": f"NOTICE#{ref.notice_id}",
            "SK": f"{self._prefix}v{ref.version:06d}#{ref.platform_id}",
        }

    def open(self, case: C) -> C:
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
            raise RuntimeError(f"the {self._case_type.__name__} of {case.ref} vanished")
        return existing

    def set_status(
        self, ref: DispatchRef, status: CaseStatus, unless: Collection[CaseStatus] = ()
    ) -> C | None:
        """Move the case to ``status`` unless it is in one of ``unless`` (repeating a move
        changes nothing); the case as it stands after, or None when there is no case."""
        for _ in range(_MAX_STATUS_ATTEMPTS):
            case = self.get(ref)
            if case is None or case.status in unless or case.status is status:
                return case
            moved = case.model_copy(update={"status": status})
            # Compare-and-set on the body read: a concurrent move is read again, not lost.
            if written(
                self._db.put_item,
                TableName=self._table,
                Item=to_attributes({**self.key(ref), "body": moved.model_dump_json()}),
                ConditionExpression="body = :read",
                ExpressionAttributeValues=to_attributes({":read": case.model_dump_json()}),
            ):
                return moved
        raise RuntimeError(f"the {self._case_type.__name__} of {ref} keeps changing")

    def get(self, ref: DispatchRef) -> C | None:
        response = self._db.get_item(
            TableName=self._table, Key=to_attributes(self.key(ref)), ConsistentRead=True
        )
        item = response.get("Item")
        return self._case(item) if item else None

    def for_notice(self, notice_id: str) -> list[C]:
        """Every case of every version of the notice."""
        items = query_items(
            self._db,
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues=to_attributes(
                {":pk": f"NOTICE#{notice_id}", ":prefix": self._prefix}
            ),
            ConsistentRead=True,
        )
        return [self._case(item) for item in items]

    def _case(self, item: dict[str, Any]) -> C:
        return self._case_type.model_validate_json(from_attributes(item)["body"])
