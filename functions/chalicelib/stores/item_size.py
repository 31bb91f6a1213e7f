"""The last check before a write: an item DynamoDB would refuse for its size is never sent.

Callers bound what they store (``chalicelib.record_size``) before any write; this guard
makes a mistake in those bounds a clear ``ItemTooLarge`` (a permanent error, and an
``RecordTooLarge``) rather than a ``ValidationException`` found half-way through a save.
Sizes follow DynamoDB's rules: attribute names and values in UTF-8 bytes, numbers at
their longest, nested values with their overhead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.record_size import DYNAMODB_ITEM_LIMIT_BYTES, RecordTooLarge, utf8_bytes

# A number takes at most 21 bytes (38 digits); booleans and nulls one.
_SCALAR_BYTES = {"N": 21, "BOOL": 1, "NULL": 1}
_NESTING_BYTES = 3  # per list or map, and 1 per element


class ItemTooLarge(RecordTooLarge):
    """The item itself is over DynamoDB's limit (a bound upstream was too loose)."""


def item_bytes(item: Mapping[str, Any]) -> int:
    """The size DynamoDB counts for ``item`` (low-level attribute values)."""
    return sum(utf8_bytes(name) + _value_bytes(value) for name, value in item.items())


def ensure_fits(what: str, item: Mapping[str, Any]) -> None:
    size = item_bytes(item)
    if size > DYNAMODB_ITEM_LIMIT_BYTES:
        largest = max(item, key=lambda name: _value_bytes(item[name]))
        raise ItemTooLarge(
            what, size, (largest,), _value_bytes(item[largest]), DYNAMODB_ITEM_LIMIT_BYTES
        )


def _value_bytes(value: Mapping[str, Any]) -> int:
    ((kind, content),) = value.items()
    if kind in _SCALAR_BYTES:
        return _SCALAR_BYTES[kind]
    if kind in {"S", "B"}:
        return utf8_bytes(content) if isinstance(content, str) else len(content)
    if kind == "L":
        return _NESTING_BYTES + sum(1 + _value_bytes(element) for element in content)
    if kind == "M":
        return _NESTING_BYTES + sum(
            1 + utf8_bytes(name) + _value_bytes(element) for name, element in content.items()
        )
    # A set (SS, NS, BS): its elements, each as the scalar it holds.
    return sum(_value_bytes({kind[0]: element}) for element in content)
