"""Data access for registered platforms, on the single table (docs/dynamodb.md).

One item per platform: PK ``PLATFORM#<id>``, SK ``META``, ``body`` the ``Platform`` as
JSON. ``GSI1PK = PLATFORMS`` / ``GSI1SK = <id>`` lists them all: there are tens of
platforms, not millions, so one index partition is plenty.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

from chalicelib.deadlines.policy import DeadlinePolicy
from chalicelib.platforms.model import Platform
from chalicelib.stores import aws_clients
from chalicelib.stores.aws_clients import query_items
from chalicelib.stores.dynamodb_items import (
    batch_get,
    from_attributes,
    to_attributes,
    written,
)

_ALL_PLATFORMS = "PLATFORMS"
_MAX_UPDATE_ATTEMPTS = 5


class PlatformExists(RuntimeError):
    """``create`` found the platform id already registered."""


class PlatformNotFound(LookupError):
    """``update`` found no platform under that id."""


class ConcurrentUpdateError(RuntimeError):
    """The platform kept changing under ``update``; the caller may try again."""


def _key(platform_id: str) -> dict[str, str]:
    return {"PK": f"PLATFORM#{platform_id}", "SK": "META"}


class PlatformStore:
    def __init__(self, table_name: str) -> None:
        self._table = table_name
        self._db = aws_clients.dynamodb()

    def create(self, platform: Platform) -> None:
        created = written(
            self._db.put_item,
            TableName=self._table,
            Item=_item(platform),
            ConditionExpression="attribute_not_exists(PK)",
        )
        if not created:
            raise PlatformExists(f"platform {platform.platform_id} is already registered")

    def get(self, platform_id: str) -> Platform | None:
        item = self._get_item(platform_id)
        return _platform(item) if item else None

    def update(self, platform_id: str, /, **changes: Any) -> Platform:
        """Apply ``changes`` (field values) and return the updated platform.

        Read-validate-write with a compare-and-set on the stored body, so two operators
        editing different fields at once cannot undo each other's change.
        Raises ``PlatformNotFound``, or pydantic's ``ValidationError`` for invalid changes.
        """
        if "platform_id" in changes:
            raise ValueError("a platform's id cannot change; register a new platform instead")
        return self._change(platform_id, lambda _: changes)

    def set_agreement(
        self, platform_id: str, regulator_id: str, policy: DeadlinePolicy | None
    ) -> Platform:
        """Store (or with ``None`` remove) the platform's deadline agreement with
        ``regulator_id`` (``*``: every regulator); its other agreements stay as they are."""

        def agreements(current: Platform) -> dict[str, Any]:
            changed = {**current.agreements, regulator_id: policy}
            return {
                "agreements": {key: value for key, value in changed.items() if value is not None}
            }

        return self._change(platform_id, agreements)

    def _change(
        self, platform_id: str, changes_to: Callable[[Platform], dict[str, Any]]
    ) -> Platform:
        for _ in range(_MAX_UPDATE_ATTEMPTS):
            item = self._get_item(platform_id)
            if item is None:
                raise PlatformNotFound(f"no platform {platform_id}")
            current = _platform(item)
            # model_validate, not model_copy: model_copy would skip validation.
            updated = Platform.model_validate({**current.model_dump(), **changes_to(current)})
            if self._replace_if_unchanged(updated, previous_body=item["body"]):
                return updated
        raise ConcurrentUpdateError(
            f"platform {platform_id} changed under {_MAX_UPDATE_ATTEMPTS} updates"
        )

    def list(self) -> builtins.list[Platform]:
        """Every registered platform, active or not, ordered by id.

        GSI1 is eventually consistent: a platform registered a moment ago may be missing.
        """
        # Consistent: an agreement or deactivation applies to the very next dispatch.
        keys = [_key(platform_id) for platform_id in self._listed_ids()]
        platforms = [_platform(item) for item in batch_get(self._db, self._table, keys)]
        return sorted(platforms, key=lambda platform: platform.platform_id)

    # -- internals -------------------------------------------------------------------------

    def _get_item(self, platform_id: str) -> dict[str, Any] | None:
        item = self._db.get_item(
            TableName=self._table, Key=to_attributes(_key(platform_id)), ConsistentRead=True
        ).get("Item")
        return from_attributes(item) if item else None

    def _replace_if_unchanged(self, platform: Platform, previous_body: str) -> bool:
        return written(
            self._db.put_item,
            TableName=self._table,
            Item=_item(platform),
            ConditionExpression="body = :previous",
            ExpressionAttributeValues=to_attributes({":previous": previous_body}),
        )

    def _listed_ids(self) -> builtins.list[str]:
        items = query_items(
            self._db,
            TableName=self._table,
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :pk",
            ExpressionAttributeValues=to_attributes({":pk": _ALL_PLATFORMS}),
        )
        return [from_attributes(item)["GSI1SK"] for item in items]


def _item(platform: Platform) -> dict[str, Any]:
    return to_attributes(
        {
            **_key(platform.platform_id),
            "body": platform.model_dump_json(),
            "GSI1PK": _ALL_PLATFORMS,
            "GSI1SK": platform.platform_id,
        }
    )


def _platform(item: dict[str, Any]) -> Platform:
    return Platform.model_validate_json(item["body"])
