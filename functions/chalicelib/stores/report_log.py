"""The report log: every counted timeline event's occurrence, kept once, so a report reads
a year's summaries instead of every timeline.

Log items ``PK = REPORTLOG#<yyyy-mm>`` (the month of the event), ``SK = <dd>#<shard>``
(``shard``: the notice id's CRC-32 modulo ``SHARDS``) hold ``entries``, a string set of
encoded occurrences (``reports/occurrences.py``), and ``n``, how many. Beside them, one
count item per month and shard (``PK = REPORTCOUNT``, ``SK = <yyyy-mm>#<shard>``, ``n``)
counts the entries of the month's log items of that shard. Kept with the event
(``NoticeStore.append_events``): the event first (conditional, so written once), then, in
one transaction, ``ADD entries :entries, n :n`` on the condition that the set holds none
of them yet and ``ADD n :n`` on the count item; also when the event was already there
(so a crash between the two writes is repaired by the retry). The events recorded
together that fall in one log item (a notice dispatched to every platform) go in one
transaction; a repeat fails its condition and the whole transaction changes nothing,
and then each is kept alone, so the others still are. Concurrent writers are
serialised by DynamoDB. So ``entries`` holds each event exactly once, and ``n`` and the
counts count them.

Reading a year's items whole would be slow where every element is a value of its own
(moto serialises each). Two kinds of derived items, each checked against a count and never
trusted blindly, spare it:

- a snapshot of each log item (``PK = REPORTSNAP#<yyyy-mm>``, same ``SK``): its entries
  compressed into one binary value, with the ``n`` it covers;
- a summary of each month (``PK = REPORTSUM#<yyyy-mm>``, ``SK = <part>``): the month's
  ``reports/summaries.py`` summary (made of its occurrences and the next month's),
  compressed and cut in parts that fit an item, each with the counts of both months it
  was made from (``n``, ``next``: read before the log items) and how many parts.

A report reads the months' counts (one query for the whole period) and uses each month's
summary whose counts equal the months'; a summary of other counts is brought up to date
(``summaries.updated``: the log items that grew since, in the shards whose counts
changed, read whole; the dispatches they are about folded again from them and the
snapshots), and a month without a summary is read whole with the next (the log items'
``n``, their snapshots, and whole the log items that grew since) and summarised. A month
without a count item (its events were all kept before the counts existed) is read from
the log items every time. The daily report run (``reports/publication.py``) keeps every
month's summary current (``bring_up_to_date``).
"""

from __future__ import annotations

import random
import time
import zlib
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.reports.occurrences import Occurrence, decode_all, encode
from chalicelib.reports.summaries import (
    MonthSummary,
    decode_summary,
    encode_summary,
    month_after,
    summarise,
    updated,
)
from chalicelib.stores import aws_clients
from chalicelib.stores.aws_clients import query_items
from chalicelib.stores.dynamodb_items import batch_get, to_attributes, written

# A log item holds a day's occurrences of one shard (~200 bytes each): at 100,000
# notices x 3 platforms a year ~650, a third of DynamoDB's 400 KB item limit.
SHARDS = 4
_LOG = "REPORTLOG#"
_SNAPSHOT = "REPORTSNAP#"
_SUMMARY = "REPORTSUM#"
_COUNTS = "REPORTCOUNT"
# A summary part's bytes: an item holds at most 400 KB, keys and attributes included.
_PART_BYTES = 350_000
# Concurrent transactions on one count item are refused (TransactionConflict), not queued.
_CONFLICT_RETRIES = 8


class ReportLog:
    def __init__(self, table_name: str) -> None:
        self._table = table_name
        self._db = aws_clients.dynamodb()

    def keep(self, occurrence: Occurrence) -> None:
        """Keep ``occurrence`` and count it; again is a no-op."""
        self.keep_all([occurrence])

    def keep_all(self, occurrences: list[Occurrence]) -> None:
        """Keep and count each of ``occurrences``; one kept already is a no-op. Those of
        one log item (a notice's dispatches to every platform) are kept in one
        transaction; one at a time only when one of them was kept already."""
        by_log_item: dict[tuple[str, str], list[str]] = {}
        for occurrence in occurrences:
            key = location(occurrence)
            by_log_item.setdefault((key["PK"], key["SK"]), []).append(encode(occurrence))
        for (partition, sort_key), encoded in by_log_item.items():
            key = {"PK": partition, "SK": sort_key}
            entries = list(dict.fromkeys(encoded))  # a set holds a repeat once
            if not self._kept_together(key, entries) and len(entries) > 1:
                for entry in entries:
                    self._kept_together(key, [entry])

    def _kept_together(self, key: dict[str, str], entries: list[str]) -> bool:
        """Add ``entries`` to the log item and count them, all or none: False (nothing
        written) when the item holds one of them already."""
        absent = {f":entry{i}": {"S": entry} for i, entry in enumerate(entries)}
        counted = {":n": {"N": str(len(entries))}}
        writes = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": to_attributes(key),
                    "UpdateExpression": "ADD entries :entries, n :n",
                    "ConditionExpression": " AND ".join(
                        f"NOT contains(entries, {name})" for name in absent
                    ),
                    "ExpressionAttributeValues": {
                        ":entries": {"SS": entries},
                        **absent,
                        **counted,
                    },
                }
            },
            {
                "Update": {
                    "TableName": self._table,
                    "Key": to_attributes(count_key(key)),
                    "UpdateExpression": "ADD n :n",
                    "ExpressionAttributeValues": counted,
                }
            },
        ]
        attempt = 0
        while True:
            try:
                self._db.transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
                return True
            except ClientError as exc:
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                if reasons[:1] == ["ConditionalCheckFailed"]:
                    return False  # kept already (and counted with it)
                if "TransactionConflict" not in reasons or attempt == _CONFLICT_RETRIES - 1:
                    raise
                time.sleep(random.uniform(0, 0.01 * 2**attempt))  # the other one ends first
                attempt += 1

    def summaries(self, start: datetime, end: datetime) -> Iterator[tuple[str, MonthSummary]]:
        """Each month's summary, from ``start``'s month to ``end``'s."""
        months = list(_months(start.astimezone(UTC), end.astimezone(UTC)))
        shards = self._counts(months[0], month_after(months[-1]))
        counts = {month: sum(counted.values()) for month, counted in shards.items()}
        read: dict[str, list[Occurrence]] = {}  # months read whole, for the next one too
        for month in months:
            following = month_after(month)
            count = counts.get(month)
            made_of = (count or 0, counts.get(following, 0))
            latest = None if count is None else self._summary(month)
            if latest is not None and latest[0] == made_of:
                yield month, latest[1]
                continue
            if latest is not None:
                counted = (shards[month], shards.get(following, {}))
                summary, then_kept = self._updated(month, latest[1], counted)
            else:
                own = read.pop(month, None) or list(self._occurrences(month))
                then = read[following] = list(self._occurrences(following))
                summary, then_kept = summarise(own, then, _place), bool(then)
            # A month without counts (kept before they existed) has no summary, nor one
            # whose next month has entries but no count yet.
            if count is not None and (following in counts or not then_kept):
                self._keep_summary(month, made_of, summary)
            yield month, summary

    def bring_up_to_date(self, until: datetime) -> list[str]:
        """Every month's summary current (made or brought up to date where it is not),
        from the first month counted to ``until``'s; those months."""
        counted = {item["SK"]["S"].partition("#")[0] for item in self._query(_COUNTS)}
        if not counted:
            return []
        first = datetime.strptime(min(counted), "%Y-%m").replace(tzinfo=UTC)
        return [month for month, _ in self.summaries(first, until)]

    def kept_in(self, month: str, places: dict[str, int]) -> Iterator[Occurrence]:
        """Every occurrence kept in the log items ``places`` (sort key: how many entries)
        of ``month``: from their snapshots of that many entries (one query), else read
        whole (a log item only grows: a snapshot of as many entries holds the same)."""
        for occurrences in self._kept(month, places).values():
            yield from occurrences

    def _kept(self, month: str, places: dict[str, int]) -> dict[str, list[Occurrence]]:
        """``kept_in``'s occurrences, by log item."""
        if not places:
            return {}
        snapshots = {
            item["SK"]["S"]: item
            for item in self._query(_SNAPSHOT + month, between=(min(places), max(places)))
        }
        return {
            sort_key: decode_all(self._entries(month, sort_key, count, snapshots.get(sort_key)))
            for sort_key, count in sorted(places.items())
        }

    def _counts(self, first: str, last: str) -> dict[str, dict[int, int]]:
        """Each month's count per shard; a month without any is left out."""
        counts: dict[str, dict[int, int]] = {}
        items = self._query(_COUNTS, between=(first, last + "#~"))
        for item in items:
            month, _, shard = item["SK"]["S"].partition("#")
            counts.setdefault(month, {})[int(shard)] = int(item["n"]["N"])
        return counts

    def _summary(self, month: str) -> tuple[tuple[int, int], MonthSummary] | None:
        """The month's latest whole summary and the counts it was made from (the month's
        and the next one's); None if there is none (not yet, or only mixed parts)."""
        made: dict[tuple[int, int], dict[int, dict[str, Any]]] = {}
        for item in self._query(_SUMMARY + month):
            made_of = (int(item["n"]["N"]), int(item["next"]["N"]))
            made.setdefault(made_of, {})[int(item["SK"]["S"])] = item
        for made_of, parts in sorted(made.items(), reverse=True):
            wanted = {int(item["parts"]["N"]) for item in parts.values()}
            if len(wanted) == 1 and set(parts) == set(range(wanted.pop())):
                body = b"".join(parts[n]["body"]["B"] for n in sorted(parts))
                return made_of, decode_summary(zlib.decompress(body).decode())
        return None

    def _updated(
        self,
        month: str,
        summary: MonthSummary,
        counted: tuple[dict[int, int], dict[int, int]],
    ) -> tuple[MonthSummary, bool]:
        """``summary`` brought up to date with the log items of the month and the next
        that grew since it was made (read whole, and snapshotted for the next report), and
        whether the next month keeps any occurrence; ``counted``: both months' counts per
        shard."""
        following = month_after(month)
        now = (
            self._sizes_now(month, summary.places[0], counted[0]),
            self._sizes_now(following, summary.places[1], counted[1]),
        )
        grown = tuple(
            self._kept(of, {at: n for at, n in sizes.items() if n != made.get(at)})
            for of, sizes, made in zip((month, following), now, summary.places, strict=True)
        )

        def kept(which: int, places: set[str]) -> Iterator[Occurrence]:
            return self.kept_in((month, following)[which], {at: now[which][at] for at in places})

        def places_after(notice_id: str) -> list[str]:
            return [at for at in now[1] if at.endswith(f"#{shard_of(notice_id)}")]

        updated_summary = updated(summary, (grown[0], grown[1]), kept, places_after, _place)
        return updated_summary, bool(now[1])

    def _keep_summary(self, month: str, made_of: tuple[int, int], summary: MonthSummary) -> None:
        """Write the summary's parts, each unless a concurrent report wrote one of later
        counts (equal counts: the same log, the same summary)."""
        body = zlib.compress(encode_summary(summary).encode())
        parts = [body[at : at + _PART_BYTES] for at in range(0, len(body), _PART_BYTES)]
        count, following = (str(n) for n in made_of)
        for n, part in enumerate(parts):
            written(
                self._db.put_item,
                TableName=self._table,
                Item={
                    "PK": {"S": _SUMMARY + month},
                    "SK": {"S": f"{n:04d}"},
                    "n": {"N": count},
                    "next": {"N": following},
                    "parts": {"N": str(len(parts))},
                    "body": {"B": part},
                },
                ConditionExpression=(
                    "attribute_not_exists(n) OR n < :n OR (n = :n AND #next < :next)"
                ),
                ExpressionAttributeNames={"#next": "next"},
                ExpressionAttributeValues={":n": {"N": count}, ":next": {"N": following}},
            )

    def _occurrences(self, month: str) -> Iterator[Occurrence]:
        """Every occurrence of ``month``, from the log items' snapshots where current."""
        counts = self._sizes(month)
        snapshots = {item["SK"]["S"]: item for item in self._query(_SNAPSHOT + month)}
        for sort_key, count in sorted(counts.items()):
            yield from decode_all(self._entries(month, sort_key, count, snapshots.get(sort_key)))

    def _sizes_now(
        self, month: str, made: dict[str, int], counted: dict[int, int]
    ) -> dict[str, int]:
        """How many entries each log item of ``month`` holds: ``made`` (a summary's) for the
        shards whose count is what ``made`` adds up to (a log item only grows), read for
        the others; so a report reads the log items of a shard that changed, not of the
        month (moto sizes every entry of a queried item, projected or not)."""
        held: dict[int, int] = defaultdict(int)
        for place, n in made.items():
            held[_shard_of_place(place)] += n
        changed = {shard for shard in set(held) | set(counted) if held[shard] != counted.get(shard)}
        sizes = {place: n for place, n in made.items() if _shard_of_place(place) not in changed}
        keys = [
            {"PK": _LOG + month, "SK": f"{day:02d}#{shard}"}
            for shard in sorted(changed)
            for day in range(1, 32)
        ]
        for item in batch_get(self._db, self._table, keys, "SK, n"):
            sizes[item["SK"]] = int(item["n"])
        return sizes

    def _sizes(self, month: str) -> dict[str, int]:
        """How many entries each log item of ``month`` holds, by sort key."""
        return {
            item["SK"]["S"]: int(item["n"]["N"])
            for item in self._query(_LOG + month, ProjectionExpression="SK, n")
        }

    def _entries(
        self, month: str, sort_key: str, count: int, snapshot: dict[str, Any] | None
    ) -> list[str]:
        if snapshot is not None and int(snapshot["n"]["N"]) == count:
            return zlib.decompress(snapshot["entries"]["B"]).decode().split("\n")
        return self._refresh(month, sort_key)

    def _query(
        self, partition: str, between: tuple[str, str] | None = None, **extra: Any
    ) -> Iterator[dict[str, Any]]:
        condition, values = "PK = :pk", {":pk": {"S": partition}}
        if between is not None:
            condition += " AND SK BETWEEN :first AND :last"
            values |= {":first": {"S": between[0]}, ":last": {"S": between[1]}}
        return query_items(
            self._db,
            TableName=self._table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
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
    shard = shard_of(occurrence.notice_id)
    return {"PK": f"{_LOG}{at.year:04d}-{at.month:02d}", "SK": f"{at.day:02d}#{shard}"}


def shard_of(notice_id: str) -> int:
    """The shard of a notice's log items: every occurrence about it is kept in one."""
    return zlib.crc32(notice_id.encode()) % SHARDS


def _place(occurrence: Occurrence) -> str:
    return location(occurrence)["SK"]


def _shard_of_place(place: str) -> int:
    return int(place.partition("#")[2])


def count_key(log_key: dict[str, str]) -> dict[str, str]:
    """The count item of a log item: its month and shard."""
    month = log_key["PK"].removeprefix(_LOG)
    shard = log_key["SK"].partition("#")[2]
    return {"PK": _COUNTS, "SK": f"{month}#{shard}"}


def _months(start: datetime, end: datetime) -> Iterator[str]:
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield f"{year:04d}-{month:02d}"
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
