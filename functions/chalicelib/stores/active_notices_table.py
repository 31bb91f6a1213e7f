"""Data access for the register of notices the audits match catalogues against: one
item per notice (PK ``ACTIVE_NOTICES``, SK the notice id) holding its latest version and
status, moved on by the lifecycle's first step for every stored version. Versions only
move forward (a late retry of an older version changes nothing)."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.notices.model import NoticeStatus
from chalicelib.stores import aws_clients
from chalicelib.stores.aws_clients import query_items
from chalicelib.stores.dynamodb_items import from_attributes, to_attributes, written

PARTITION = "ACTIVE_NOTICES"


@dataclass(frozen=True)
class NoticeVersionStatus:
    notice_id: str
    version: int
    status: NoticeStatus


class ActiveNoticeStore:
    def __init__(self, table_name: str) -> None:
        self._table = table_name
        self._db = aws_clients.dynamodb()

    def note(self, notice_id: str, version: int, status: NoticeStatus) -> bool:
        """Record the notice's version; False when a newer one is recorded already."""
        return written(
            self._db.put_item,
            TableName=self._table,
            Item=to_attributes(
                {
                    "PK": PARTITION,
                    "SK": notice_id,
                    "version": version,
                    "status": status.value,
                }
            ),
            ConditionExpression="attribute_not_exists(SK) OR version < :v",
            ExpressionAttributeValues=to_attributes({":v": version}),
        )

    def active(self) -> list[NoticeVersionStatus]:
        """Every notice whose latest version is not a withdrawal, by notice id."""
        items = query_items(
            self._db,
            TableName=self._table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues=to_attributes({":pk": PARTITION}),
            ConsistentRead=True,
        )
        noted = [from_attributes(item) for item in items]
        return [
            NoticeVersionStatus(item["SK"], int(item["version"]), NoticeStatus(item["status"]))
            for item in noted
            if item["status"] != NoticeStatus.WITHDRAWN.value
        ]
