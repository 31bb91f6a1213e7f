"""Data access for audit findings, in the single table.

A finding lives in its notice's partition: PK ``NOTICE#<id>``, SK ``FINDING#<finding id>``,
written once (conditional put: an audit run again, or two reduce steps at once, store
it once). ``GSI1`` (``FINDINGS#<regulator>``) lists a regulator's findings and ``GSI2``
(``FINDINGS#PLATFORM#<platform>``) a platform's, newest first, by
``<found at>#<notice id>#<finding id>``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.stores import aws_clients
from chalicelib.stores.aws_clients import query_items
from chalicelib.stores.dynamodb_items import batch_get, from_attributes, to_attributes, written
from chalicelib.stores.index_pages import Page, PageRequest, gsi1_page, sortable_time
from chalicelib.verification.findings import Finding, FindingKind, FindingStatus, Resolution


def _key(notice_id: str, finding_id: str) -> dict[str, str]:
    return {"PK": f"NOTICE#{notice_id}", "SK": f"FINDING#{finding_id}"}


def _table_key(sort_key: str) -> dict[str, str]:
    _, notice_id, finding_id = sort_key.split("#")
    return _key(notice_id, finding_id)


class FindingStore:
    def __init__(self, table_name: str) -> None:
        self._table = table_name
        self._db = aws_clients.dynamodb()

    def add(self, finding: Finding) -> bool:
        """Store a new finding; False (nothing written) when it is already stored."""
        sort_key = f"{sortable_time(finding.found_at)}#{finding.notice_id}#{finding.finding_id}"
        item: dict[str, Any] = {
            **_key(finding.notice_id, finding.finding_id),
            "GSI1PK": f"FINDINGS#{finding.regulator_id}",
            "GSI1SK": sort_key,
            "GSI2PK": f"FINDINGS#PLATFORM#{finding.platform_id}",
            "GSI2SK": sort_key,
            "body": finding.model_dump_json(),
        }
        return written(
            self._db.put_item,
            TableName=self._table,
            Item=to_attributes(item),
            ConditionExpression="attribute_not_exists(SK)",
        )

    def get(self, notice_id: str, finding_id: str) -> Finding | None:
        item = self._db.get_item(
            TableName=self._table,
            Key=to_attributes(_key(notice_id, finding_id)),
            ConsistentRead=True,
        ).get("Item")
        return _finding(from_attributes(item)) if item else None

    def known_ids(self, notice_ids: set[str]) -> set[str]:
        """The ids of every finding stored for these notices."""
        return {finding.finding_id for n in sorted(notice_ids) for finding in self.for_notice(n)}

    def for_notice(self, notice_id: str) -> list[Finding]:
        items = query_items(
            self._db,
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues=to_attributes(
                {":pk": f"NOTICE#{notice_id}", ":prefix": "FINDING#"}
            ),
            ConsistentRead=True,
        )
        findings = [_finding(from_attributes(item)) for item in items]
        return sorted(findings, key=lambda f: (f.found_at, f.finding_id), reverse=True)

    def page(
        self,
        request: PageRequest,
        *,
        regulator_id: str | None = None,
        platform_id: str | None = None,
        kind: FindingKind | None = None,
    ) -> Page[Finding]:
        """A regulator's findings (``regulator_id``; ``platform_id`` filters) or a
        platform's own (``platform_id`` alone), newest first."""
        if regulator_id is not None:
            index, partition = "GSI1", f"FINDINGS#{regulator_id}"
        elif platform_id is not None:
            index, partition = "GSI2", f"FINDINGS#PLATFORM#{platform_id}"
        else:
            raise ValueError("a page of findings is a regulator's or a platform's")

        def keep(finding: Finding) -> bool:
            return (kind is None or finding.kind is kind) and (
                platform_id is None or finding.platform_id == platform_id
            )

        return gsi1_page(
            self._table, partition, request, _table_key, self._load, keep, index_name=index
        )

    def _load(self, sort_keys: list[str]) -> list[Finding | None]:
        keys = [_table_key(sort_key) for sort_key in sort_keys]
        found = {
            (item["PK"], item["SK"]): _finding(item)
            for item in batch_get(self._db, self._table, keys)
        }
        return [found.get((key["PK"], key["SK"])) for key in keys]

    def resolve(
        self,
        finding: Finding,
        resolution: Resolution,
        reason: str | None,
        at: datetime,
    ) -> Finding | None:
        """Resolve an open finding; None when it was resolved already (nothing changed)."""
        resolved = finding.model_copy(
            update={
                "status": FindingStatus.RESOLVED,
                "resolution": resolution,
                "resolution_reason": reason,
                "resolved_at": at,
            }
        )
        changed = written(
            self._db.update_item,
            TableName=self._table,
            Key=to_attributes(_key(finding.notice_id, finding.finding_id)),
            UpdateExpression="SET body = :body, resolved = :yes",
            ConditionExpression="attribute_exists(SK) AND attribute_not_exists(resolved)",
            ExpressionAttributeValues=to_attributes(
                {":body": resolved.model_dump_json(), ":yes": True}
            ),
        )
        return resolved if changed else None


def _finding(item: dict[str, Any]) -> Finding:
    return Finding.model_validate_json(item["body"])
