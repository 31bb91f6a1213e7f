"""Data access for the catalogue bucket: platforms' snapshots and the audits' work.

- ``catalogues/<platform>/<snapshot-id>/<part>`` and ``…/_manifest.json``: what a
  platform delivers (presigned PUTs, or `psx catalogue upload`);
- ``audits/<platform>/<snapshot-id>/items.json``: the parts the audit's Distributed Map
  reads (one item each), ``…/matches/<part>.json`` each part's matches and reading,
  ``…/report.json`` the snapshot's report (written last: the snapshot was audited).

The notice indexes live in the same bucket (``notice_index_bucket.py``): one private
bucket for everything the audits read and write, with one grant per prefix.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.stores import aws_clients
from chalicelib.verification.snapshots import MANIFEST_NAME, SnapshotManifest

CATALOGUE_PREFIX = "catalogues/"
AUDIT_PREFIX = "audits/"


def snapshot_prefix(platform_id: str, snapshot_id: str) -> str:
    return f"{CATALOGUE_PREFIX}{platform_id}/{snapshot_id}/"


def part_key(platform_id: str, snapshot_id: str, name: str) -> str:
    return snapshot_prefix(platform_id, snapshot_id) + name


def manifest_key(platform_id: str, snapshot_id: str) -> str:
    return part_key(platform_id, snapshot_id, MANIFEST_NAME)


def audit_prefix(platform_id: str, snapshot_id: str) -> str:
    return f"{AUDIT_PREFIX}{platform_id}/{snapshot_id}/"


def items_key(platform_id: str, snapshot_id: str) -> str:
    return audit_prefix(platform_id, snapshot_id) + "items.json"


def matches_key(platform_id: str, snapshot_id: str, part: str) -> str:
    return audit_prefix(platform_id, snapshot_id) + f"matches/{part}.json"


def takedowns_key(platform_id: str, snapshot_id: str) -> str:
    return audit_prefix(platform_id, snapshot_id) + "takedowns.json"


def report_key(platform_id: str, snapshot_id: str) -> str:
    return audit_prefix(platform_id, snapshot_id) + "report.json"


class CatalogueBucket:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket
        self._s3 = aws_clients.s3()

    def part_key(self, platform_id: str, snapshot_id: str, name: str) -> str:
        """Where a part (or the manifest) of the snapshot is uploaded."""
        return part_key(platform_id, snapshot_id, name)

    def presigned_put(self, key: str, expires_seconds: int) -> str:
        url: str = self._s3.generate_presigned_url(
            "put_object",
            Params={"Bucket": self.bucket, "Key": key},
            ExpiresIn=expires_seconds,
        )
        return url

    def manifest(self, platform_id: str, snapshot_id: str) -> SnapshotManifest | None:
        """The snapshot's manifest; None before it is uploaded. A malformed one raises
        pydantic's ValidationError (the snapshot is then never complete)."""
        raw = self.get_bytes(manifest_key(platform_id, snapshot_id))
        return None if raw is None else SnapshotManifest.model_validate_json(raw)

    def uploaded_parts(self, platform_id: str, snapshot_id: str) -> set[str]:
        prefix = snapshot_prefix(platform_id, snapshot_id)
        return {key.removeprefix(prefix) for key in self._keys(prefix)} - {MANIFEST_NAME}

    def platforms(self) -> list[str]:
        return sorted(p.strip("/") for p in self._folders(CATALOGUE_PREFIX))

    def snapshots(self, platform_id: str) -> list[str]:
        """The platform's snapshot ids, newest first (ids sort by upload time)."""
        return sorted(
            (s.strip("/") for s in self._folders(f"{CATALOGUE_PREFIX}{platform_id}/")), reverse=True
        )

    def read_part(self, platform_id: str, snapshot_id: str, name: str) -> bytes | None:
        return self.get_bytes(part_key(platform_id, snapshot_id, name))

    def put_items(self, platform_id: str, snapshot_id: str, items: list[dict[str, Any]]) -> str:
        """The audit's Map items (a JSON array: the S3 item reader's input); their key."""
        key = items_key(platform_id, snapshot_id)
        self.put_json(key, items)
        return key

    def put_matches(self, platform_id: str, snapshot_id: str, part: str, document: object) -> None:
        self.put_json(matches_key(platform_id, snapshot_id, part), document)

    def matches(self, platform_id: str, snapshot_id: str, part: str) -> Any:
        return self.get_json(matches_key(platform_id, snapshot_id, part))

    def put_takedowns(self, platform_id: str, snapshot_id: str, document: object) -> None:
        self.put_json(takedowns_key(platform_id, snapshot_id), document)

    def takedowns(self, platform_id: str, snapshot_id: str) -> Any:
        """The audit's live checks of takedowns; None when none were made."""
        return self.get_json(takedowns_key(platform_id, snapshot_id))

    def put_report(self, platform_id: str, snapshot_id: str, report: object) -> None:
        self.put_json(report_key(platform_id, snapshot_id), report)

    def report(self, platform_id: str, snapshot_id: str) -> Any:
        return self.get_json(report_key(platform_id, snapshot_id))

    def has_report(self, platform_id: str, snapshot_id: str) -> bool:
        return self.exists(report_key(platform_id, snapshot_id))

    def get_bytes(self, key: str) -> bytes | None:
        try:
            response = self._s3.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                return None
            raise
        data: bytes = response["Body"].read()
        return data

    def get_json(self, key: str) -> Any:
        raw = self.get_bytes(key)
        return None if raw is None else json.loads(raw)

    def put_bytes(self, key: str, data: bytes) -> None:
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=data)

    def put_json(self, key: str, document: object) -> None:
        self.put_bytes(key, json.dumps(document, ensure_ascii=False, sort_keys=True).encode())

    def exists(self, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                return False
            raise
        return True

    def _keys(self, prefix: str) -> list[str]:
        paginator = self._s3.get_paginator("list_objects_v2")
        return [
            entry["Key"]
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix)
            for entry in page.get("Contents", [])
        ]

    def _folders(self, prefix: str) -> list[str]:
        paginator = self._s3.get_paginator("list_objects_v2")
        return [
            common["Prefix"].removeprefix(prefix)
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/")
            for common in page.get("CommonPrefixes", [])
        ]
