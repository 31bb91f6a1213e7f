"""The report log: every counted timeline event's occurrence, kept once, beside the
event, so a report reads a few thousand items instead of every timeline.

Items ``PK = REPORTLOG#<yyyy-mm>`` (the month of the event), ``SK = <dd>#<shard>``
(``shard``: the notice id's CRC-32 modulo ``SHARDS``); each event is one attribute of its
item, named ``<notice-id>#<event-key>``, holding the encoded occurrence
(``reports/occurrences.py``). A year of 100,000 notices to three platforms is a few
thousand items, read with one Query per month.

Written with the event (``NoticeStore.append_event``): the event first (conditional, so
written once), then its attribute here, set whether or not the event was new. Setting an
attribute to the same value is idempotent and concurrent writers set different
attributes, so retries, duplicates and a crash between the two writes all converge on
exactly one entry per event. (Not a transaction: moto copies the whole table for each
``TransactWriteItems``, which would make the embedded exchange slower with every event.)
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import UTC, datetime

from chalicelib.reports.occurrences import Occurrence, decode_all, encode
from chalicelib.stores import aws_clients
from chalicelib.stores.aws_clients import query_items
from chalicelib.stores.dynamodb_items import to_attributes

SHARDS = 16
_PREFIX = "REPORTLOG#"
_KEY_NAMES = frozenset({"PK", "SK"})


class ReportLog:
    def __init__(self, table_name: str) -> None:
        self._table = table_name
        self._db = aws_clients.dynamodb()

    def keep(self, occurrence: Occurrence, event_key: str) -> None:
        """Keep ``occurrence`` (of the event ``event_key``); again is a no-op."""
        at = occurrence.at.astimezone(UTC)
        self._db.update_item(
            TableName=self._table,
            Key=to_attributes(
                {"PK": _month_key(at), "SK": f"{at.day:02d}#{_shard(occurrence.notice_id)}"}
            ),
            UpdateExpression="SET #event = :occurrence",
            ExpressionAttributeNames={"#event": f"{occurrence.notice_id}#{event_key}"},
            ExpressionAttributeValues=to_attributes({":occurrence": encode(occurrence)}),
        )

    def occurrences(self, start: datetime, end: datetime) -> Iterator[Occurrence]:
        """Every occurrence recorded in the months from ``start`` to ``end``."""
        for month in _months(start.astimezone(UTC), end.astimezone(UTC)):
            for item in query_items(
                self._db,
                TableName=self._table,
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues=to_attributes({":pk": month}),
                ConsistentRead=True,
            ):
                yield from decode_all(
                    value["S"] for name, value in item.items() if name not in _KEY_NAMES
                )


def _month_key(at: datetime) -> str:
    return f"{_PREFIX}{at.year:04d}-{at.month:02d}"


def _shard(notice_id: str) -> str:
    return f"{zlib.crc32(notice_id.encode()) % SHARDS:02d}"


def _months(start: datetime, end: datetime) -> Iterator[str]:
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield f"{_PREFIX}{year:04d}-{month:02d}"
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
