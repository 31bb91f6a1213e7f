"""DynamoDB attribute values to and from plain Python values, and the batched read the
stores share.

boto3's ``TypeSerializer`` / ``TypeDeserializer`` do the conversion; the stores keep the
low-level client (not the Table resource), so every call stays one visible client call.
Numbers come back as ``Decimal``: a store that keeps an int converts with ``int()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# BatchGetItem's limit on keys per request.
BATCH_GET_LIMIT = 100

_serializer = TypeSerializer()
# DynamoDB numbers have at most 38 significant digits.
_N_LIMIT = 10**38
_deserializer = TypeDeserializer()


def to_attributes(values: Mapping[str, Any]) -> dict[str, Any]:
    """An item, key or ``ExpressionAttributeValues`` in DynamoDB's attribute-value form."""
    return {name: _attribute(value) for name, value in values.items()}


def _attribute(value: Any) -> dict[str, Any]:
    # Most values stored are strings and ints: ``TypeSerializer`` tries null, bool and
    # number first for each, and makes each int a Decimal in its context. Here they are
    # serialized as it serializes them (a str subclass, such as an enum, is kept as it
    # is; an int of over 38 digits, which it refuses, and every other type go through it).
    if isinstance(value, str):
        return {"S": value}
    if type(value) is int and -_N_LIMIT < value < _N_LIMIT:
        return {"N": str(value)}
    return dict(_serializer.serialize(value))


def from_attributes(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item as DynamoDB returns it, as plain values."""
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def is_condition_failure(exc: ClientError) -> bool:
    """The write's condition did not hold (nothing was written)."""
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def written(write: Callable[..., object], **request: Any) -> bool:
    """Make a conditional write (``write`` is the client's put, update or delete): True
    when it was written, False when its condition did not hold; other errors raise."""
    try:
        write(**request)
    except ClientError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def batch_get(
    db: DynamoDBClient,
    table: str,
    keys: Sequence[Mapping[str, Any]],
    projection: str | None = None,
) -> Iterator[dict[str, Any]]:
    """The items ``keys`` name (plain values; only the attributes ``projection`` names
    when given), read consistently, in no particular order; absent ones are left out.
    Chunks of ``BATCH_GET_LIMIT`` keys; the keys DynamoDB leaves unprocessed
    (throttling, the 16 MB answer limit) are asked for again."""
    # BatchGetItem refuses a request that names one key twice.
    unique = list({tuple(sorted(key.items())): key for key in keys}.values())
    for start in range(0, len(unique), BATCH_GET_LIMIT):
        chunk = [to_attributes(key) for key in unique[start : start + BATCH_GET_LIMIT]]
        wanted = {"ProjectionExpression": projection} if projection else {}
        request: Any = {table: {"Keys": chunk, "ConsistentRead": True, **wanted}}
        while request:
            response = db.batch_get_item(RequestItems=request)
            for item in response["Responses"].get(table, []):
                yield from_attributes(item)
            request = response.get("UnprocessedKeys") or None
