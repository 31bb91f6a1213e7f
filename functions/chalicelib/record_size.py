"""How much one stored record may hold.

DynamoDB refuses an item over 400 KB (409,600 bytes, attribute names included). Every
record that holds what a caller sent (a notice version, a platform's answer and the
timeline event that repeats it, a batch of affected parties) is checked against
``MAX_RECORD_BYTES`` before anything is written, so an over-size request is a clear
400 naming the field (or a rejected row in a file's report), never a 500 or a write
that stops half-way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

DYNAMODB_ITEM_LIMIT_BYTES = 400 * 1024
# What a caller's content may take in one item. The other ~110 KB of the limit are
# headroom: keys, a version's envelope (ids, status, source file), index attributes,
# and on a dispatch the other, smaller answer (an acknowledgement).
MAX_RECORD_BYTES = 300_000


class RecordTooLarge(ValueError):
    """``what`` would take more than ``limit`` bytes stored; ``field`` is its largest part."""

    def __init__(
        self, what: str, size: int, field: tuple[str, ...], field_size: int, limit: int
    ) -> None:
        self.what = what
        self.size = size
        self.field = field
        self.field_size = field_size
        self.limit = limit
        super().__init__(
            f"{what} takes {size:,} bytes stored; the limit is {limit:,} bytes "
            f"(its largest field, {'.'.join(field) or 'the whole'}, takes {field_size:,})"
        )


def ensure_within(
    what: str, data: Mapping[str, Any], stored_bytes: int, limit: int = MAX_RECORD_BYTES
) -> None:
    """Raise ``RecordTooLarge`` when ``data`` (``stored_bytes`` once serialized as its
    store writes it) is over ``limit``."""
    if stored_bytes > limit:
        field, field_size = largest_field(data)
        raise RecordTooLarge(what, stored_bytes, field, field_size, limit)


def utf8_bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def largest_field(data: Mapping[str, Any]) -> tuple[tuple[str, ...], int]:
    """The path of the largest field (nested objects are descended; lists are one
    field) and its size as JSON."""
    largest: tuple[tuple[str, ...], int] = ((), 0)
    for name, value in data.items():
        if isinstance(value, Mapping):
            inner, size = largest_field(value)
            path = (str(name), *inner)
        else:
            path, size = (str(name),), utf8_bytes(_compact_json(value))
        if size > largest[1]:
            largest = (path, size)
    return largest


def _compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
