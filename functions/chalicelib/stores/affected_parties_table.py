"""Data access for the affected sellers and buyers a platform reports, in the single table.

Each report is a batch (a platform with many buyers sends several), kept in the notice's
partition: PK ``NOTICE#<id>``, SK ``AFFECTED#v000001#<platform>#<batch-id>``, ``body``
the batch as JSON. It holds personal data (contact addresses), so it stays out of the
timeline, which regulators read; the timeline gets the counts only.
"""

from __future__ import annotations

import json
from datetime import datetime

from chalicelib.dispatch.model import DispatchRef
from chalicelib.dispatch.parties import AffectedPartiesBatch
from chalicelib.record_size import ensure_within, utf8_bytes
from chalicelib.stores import aws_clients
from chalicelib.stores.aws_clients import query_items
from chalicelib.stores.dynamodb_items import from_attributes, to_attributes
from chalicelib.stores.index_pages import sortable_time


def _prefix(ref: DispatchRef) -> str:
    return f"AFFECTED#v{ref.version:06d}#{ref.platform_id}#"


class AffectedPartiesStore:
    def __init__(self, table_name: str) -> None:
        self._table = table_name
        self._db = aws_clients.dynamodb()

    def add(
        self, ref: DispatchRef, batch_id: str, batch: AffectedPartiesBatch, at: datetime
    ) -> None:
        """Store one batch; over ``MAX_RECORD_BYTES`` it raises ``RecordTooLarge`` unwritten."""
        body = batch.model_dump(mode="json")
        stored = json.dumps(body, sort_keys=True, ensure_ascii=False)
        ensure_within("the batch of affected parties", body, utf8_bytes(stored))
        self._db.put_item(
            TableName=self._table,
            Item=to_attributes(
                {
                    "PK": f"NOTICE#{ref.notice_id}",
                    "SK": _prefix(ref) + batch_id,
                    "received_at": sortable_time(at),
                    "body": stored,
                }
            ),
            # Batch ids are drawn fresh for every request: never overwrite one.
            ConditionExpression="attribute_not_exists(SK)",
        )

    def for_dispatch(self, ref: DispatchRef) -> list[AffectedPartiesBatch]:
        """Every batch reported for the dispatch, in the order they arrived."""
        items = query_items(
            self._db,
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues=to_attributes(
                {":pk": f"NOTICE#{ref.notice_id}", ":prefix": _prefix(ref)}
            ),
            ConsistentRead=True,
        )
        return [
            AffectedPartiesBatch.model_validate_json(from_attributes(item)["body"])
            for item in items
        ]
