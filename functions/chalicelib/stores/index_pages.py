"""Keyset pages over ``GSI1``, newest first, for the API's lists (inbox, a regulator's notices).

The cursor is the index sort key of the last item a page returned, and the next page
starts strictly after it. Sort keys begin with a fixed-width time, so the order is
stable: an item inserted while a client pages never shifts a page boundary, nothing
that existed when the walk began is skipped, and nothing is returned twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from chalicelib.stores import aws_clients
from chalicelib.stores.dynamodb_items import from_attributes, to_attributes

T = TypeVar("T")
TableKey = dict[str, str]
# What ``sortable_time`` writes, in ASCII digits (a cursor's sort key is checked by it).
SORTABLE_TIME_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z"


def sortable_time(moment: datetime) -> str:
    """UTC, fixed width: lexicographic order is time order (used in sort keys)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def stored_time(item: dict[str, Any], name: str) -> datetime | None:
    """The moment ``sortable_time`` stored as ``item[name]``; None when it has none."""
    raw = item.get(name)
    return datetime.fromisoformat(raw) if raw else None


@dataclass(frozen=True)
class PageRequest:
    limit: int
    since: str | None = None  # the lowest sort key included
    after: str | None = None  # the sort key of the previous page's last item


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_after: str | None  # None: this was the last page


def gsi1_page(
    table: str,
    partition: str,
    request: PageRequest,
    table_key: Callable[[str], TableKey],
    load: Callable[[list[str]], list[T | None]],
    keep: Callable[[T], bool],
    index_name: str = "GSI1",
) -> Page[T]:
    """One page of the items under ``partition`` of ``index_name`` (GSI1, or GSI2 whose
    partitions other than the open waits' are lists too).

    ``table_key`` rebuilds an item's table key from its sort key (DynamoDB needs it to
    resume a query), ``load`` reads the items the index keys name (the index holds keys
    only), ``keep`` filters them; filtered pages read on until they are full.
    """
    db = aws_clients.dynamodb()
    found: list[T] = []
    after = request.after
    while True:
        kwargs: dict[str, Any] = {
            "TableName": table,
            "IndexName": index_name,
            "KeyConditionExpression": f"{index_name}PK = :pk",
            "ExpressionAttributeValues": {":pk": partition},
            "ScanIndexForward": False,
            "Limit": request.limit,
        }
        if request.since is not None:
            kwargs["KeyConditionExpression"] += f" AND {index_name}SK >= :since"
            kwargs["ExpressionAttributeValues"][":since"] = request.since
        kwargs["ExpressionAttributeValues"] = to_attributes(kwargs["ExpressionAttributeValues"])
        if after is not None:
            kwargs["ExclusiveStartKey"] = to_attributes(
                {**table_key(after), f"{index_name}PK": partition, f"{index_name}SK": after}
            )
        page = db.query(**kwargs)
        sort_keys = [from_attributes(item)[f"{index_name}SK"] for item in page["Items"]]
        more = "LastEvaluatedKey" in page
        for index, (sort_key, item) in enumerate(zip(sort_keys, load(sort_keys), strict=True)):
            if item is None or not keep(item):
                continue
            found.append(item)
            if len(found) == request.limit:
                exhausted = index == len(sort_keys) - 1 and not more
                return Page(found, None if exhausted else sort_key)
        if not more:
            return Page(found, None)
        after = from_attributes(page["LastEvaluatedKey"])[f"{index_name}SK"]
