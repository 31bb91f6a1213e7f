"""The report log: every counted timeline event's occurrence, kept once, so a report reads
a few thousand items instead of every timeline.

Log items ``PK = REPORTLOG#<yyyy-mm>`` (the month of the event), ``SK = <dd>#<shard>``
(``shard``: the notice id's CRC-32 modulo ``SHARDS``) hold ``entries``, a string set of
encoded occurrences (``reports/occurrences.py``), and ``n``, how many. Kept with the event
(``NoticeStore.append_event``): the event first (conditional, so written once), then
``ADD entries :occurrence, n :1`` on the condition that the set does not hold it yet, also
when the event was already there (so a crash between the two writes is repaired by the
retry). A repeat fails the condition and changes nothing; concurrent writers are
serialised by DynamoDB on the item. So ``entries`` holds each event exactly once and ``n``
counts them.

Reading a year's items whole would be slow where every element is a value of its own
(moto serialises each). A report therefore keeps a snapshot of each log item
(``PK = REPORTSNAP#<yyyy-mm>``, same ``SK``): the entries compressed into one binary value,
with the ``n`` it covers. A report reads the log's counts (``SK``, ``n`` only) and the
snapshots, uses each snapshot whose ``n`` equals the log's, and reads again (and snapshots)
only the log items that grew since: derived data, checked against the count, never trusted
blindly.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.reports.occurrences import Occurrence, decode_all, encode
from chalicelib.stores import aws_clients
from chalicelib.stores.aws_clients import query_items
from chalicelib.stores.dynamodb_items import is_condition_failure, to_attributes, written

# A log item holds a day's occurrences of one shard (~200 bytes each): at 100,000
# notices x 3 platforms a year ~650, a third of DynamoDB's 400 KB item limit.
SHARDS = 4
_LOG = "REPORTLOG#"
_SNAPSHOT = "REPORTSNAP#"


class ReportLog:
    def __init__(self, table_name: str) -> None:
        self._table = table_name
        self._db = aws_clients.dynamodb()

    def keep(self, occurrence: Occurrence) -> None:
        """Keep ``occurrence``; again is a no-op."""
        entry = encode(occurrence)
        try:
            self._db.update_item(
                TableName=self._table,
                Key=to_attributes(location(occurrence)),
                UpdateExpression="ADD entries :entries, n :one",
                ConditionExpression="NOT contains(entries, :entry)",
                ExpressionAttributeValues={
                    ":entries": {"SS": [entry]},
                    ":entry": {"S": entry},
                    ":one": {"N": "1"},
                },
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise

    def occurrences(self, start: datetime, end: datetime) -> Iterator[Occurrence]:
        """Every occurrence recorded in the months from ``start`` to ``end``."""
        for month in _months(start.astimezone(UTC), end.astimezone(UTC)):
            counts = {
                item["SK"]["S"]: int(item["n"]["N"])
                for item in self._query(_LOG + month, ProjectionExpression="SK, n")
            }
            snapshots = {item["SK"]["S"]: item for item in self._query(_SNAPSHOT + month)}
            for sort_key, count in sorted(counts.items()):
                snapshot = snapshots.get(sort_key)
                if snapshot is not None and int(snapshot["n"]["N"]) == count:
                    entries = zlib.decompress(snapshot["entries"]["B"]).decode().split("\n")
                else:
                    entries = self._refresh(month, sort_key)
                yield from decode_all(entries)

    def _query(self, partition: str, **extra: Any) -> Iterator[dict[str, Any]]:
        return query_items(
            self._db,
            TableName=self._table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": partition}},
            ConsistentRead=True,
            **extra,
        )

    def _refresh(self, month: str, sort_key: str) -> list[str]:
        """The log item's entries, read whole, and snapshotted for the next report (unless
        a concurrent report snapshotted as many or more)."""
        item = self._db.get_item(
            TableName=self._table,
            Key={"PK": {"S": _LOG + month}, "SK": {"S": sort_key}},
            ConsistentRead=True,
        )["Item"]
        entries = sorted(item["entries"]["SS"])
        written(
            self._db.put_item,
            TableName=self._table,
            Item={
                "PK": {"S": _SNAPSHOT + month},
                "SK": {"S": sort_key},
                "n": {"N": str(len(entries))},
                "entries": {"B": zlib.compress("\n".join(entries).encode())},
            },
            ConditionExpression="attribute_not_exists(n) OR n < :n",
            ExpressionAttributeValues={":n": {"N": str(len(entries))}},
        )
        return entries


def location(occurrence: Occurrence) -> dict[str, str]:
    """The key of the log item an occurrence is kept in."""
    at = occurrence.at.astimezone(UTC)
    shard = zlib.crc32(occurrence.notice_id.encode()) % SHARDS
    return {"PK": f"{_LOG}{at.year:04d}-{at.month:02d}", "SK": f"{at.day:02d}#{shard}"}


def _months(start: datetime, end: datetime) -> Iterator[str]:
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield f"{year:04d}-{month:02d}"
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
