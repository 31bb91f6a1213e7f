"""The stores' shared DynamoDB helpers: attribute conversion and the batched read."""

from __future__ import annotations

from decimal import Decimal, Inexact
from enum import StrEnum
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from chalicelib.stores.dynamodb_items import (
    BATCH_GET_LIMIT,
    batch_get,
    from_attributes,
    is_condition_failure,
    to_attributes,
    written,
)


class _FakeDynamoDB:
    """Answers BatchGetItem for the keys it holds, leaving the first key of every
    request unprocessed once (as DynamoDB does under throttling)."""

    def __init__(self, table: str, stored: set[str]) -> None:
        self.table = table
        self.stored = stored
        self.requests: list[list[str]] = []
        self._deferred: set[str] = set()

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        request = RequestItems[self.table]
        assert request["ConsistentRead"] is True
        names = [key["PK"]["S"] for key in request["Keys"]]
        assert len(names) <= BATCH_GET_LIMIT and len(set(names)) == len(names)
        self.requests.append(names)
        deferred = [name for name in names[:1] if name not in self._deferred]
        self._deferred.update(deferred)
        answered = [name for name in names if name not in deferred and name in self.stored]
        response: dict[str, Any] = {
            "Responses": {self.table: [to_attributes({"PK": n, "n": 1}) for n in answered]}
        }
        if deferred:
            keys = [to_attributes({"PK": name}) for name in deferred]
            response["UnprocessedKeys"] = {self.table: {"Keys": keys, "ConsistentRead": True}}
        return response


def test_batch_get_chunks_dedupes_and_asks_again_for_unprocessed_keys() -> None:
    names = [f"k{i}" for i in range(250)]
    db = _FakeDynamoDB("t", stored=set(names[:240]))
    keys = [{"PK": name} for name in names + names[:10]]  # ten named twice

    found = list(batch_get(db, "t", keys))  # type: ignore[arg-type]

    assert sorted(item["PK"] for item in found) == sorted(names[:240])
    assert [len(request) for request in db.requests] == [100, 1, 100, 1, 50, 1]
    assert found[0]["n"] == Decimal(1)


def test_attributes_round_trip_plain_values() -> None:
    values = {"s": "x", "n": 7, "b": False}
    attributes = to_attributes(values)
    assert attributes == {"s": {"S": "x"}, "n": {"N": "7"}, "b": {"BOOL": False}}
    assert from_attributes(attributes) == values


class Colour(StrEnum):
    RED = "red"


def test_attributes_are_what_boto3_serializes() -> None:
    # Strings take a shorter path; every value must come out as boto3 makes it.
    values = {
        "s": "x",
        "empty": "",
        "enum": Colour.RED,
        "n": Decimal("1.5"),
        "i": 7,
        "negative": -(10**38) + 1,
        "large": 10**37 * 9,
        "none": None,
        "b": True,
        "bytes": b"\x00",
        "ss": {"a", "b"},
        "ns": {1, 2},
        "m": {"k": "v", "l": ["x", 1, None]},
    }
    assert to_attributes(values) == {
        name: TypeSerializer().serialize(value) for name, value in values.items()
    }
    with pytest.raises(TypeError):
        to_attributes({"f": 1.5})
    with pytest.raises(Inexact):  # as TypeSerializer refuses it
        to_attributes({"n": 10**38 + 1})


def _error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": ""}}, "PutItem")


def test_only_a_failed_condition_is_a_condition_failure() -> None:
    assert is_condition_failure(_error("ConditionalCheckFailedException"))
    assert not is_condition_failure(_error("ValidationException"))


def test_a_conditional_write_says_whether_it_was_written() -> None:
    requests: list[dict[str, object]] = []

    def put_item(**request: object) -> None:
        requests.append(request)

    def refused(**_: object) -> None:
        raise _error("ConditionalCheckFailedException")

    def throttled(**_: object) -> None:
        raise _error("ProvisionedThroughputExceededException")

    assert written(put_item, TableName="t", Item={}) is True
    assert requests == [{"TableName": "t", "Item": {}}]
    assert written(refused, TableName="t") is False
    with pytest.raises(ClientError):
        written(throttled, TableName="t")
