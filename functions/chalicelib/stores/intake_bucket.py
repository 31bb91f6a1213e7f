"""Data access for the intake bucket: ``incoming/<regulator-id>/<file>`` in,
``results/<regulator-id>/<file>.result.json`` out."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.stores import aws_clients

INCOMING_PREFIX = "incoming/"
RESULTS_PREFIX = "results/"
FORMAT_METADATA_KEY = "psx-format"
# Also the rule for regulator ids in API keys (chalicelib/api/principal.py).
REGULATOR_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
_REGULATOR_ID = re.compile(REGULATOR_ID_PATTERN)


class NotAnIntakeKey(ValueError):
    """The object is not under ``incoming/<regulator-id>/``: nothing to ingest."""


@dataclass(frozen=True)
class IntakeObject:
    bucket: str
    key: str
    regulator_id: str
    relative_name: str
    version_id: str | None = None

    @property
    def result_key(self) -> str:
        return f"{RESULTS_PREFIX}{self.regulator_id}/{self.relative_name}.result.json"

    @property
    def progress_key(self) -> str:
        """Where the intake of a large file says how far it has got (before the report)."""
        return f"{RESULTS_PREFIX}{self.regulator_id}/{self.relative_name}.progress.json"


def intake_object(bucket: str, key: str, version_id: str | None = None) -> IntakeObject:
    """Read the regulator id and file name out of an ``incoming/`` key."""
    if not key.startswith(INCOMING_PREFIX):
        raise NotAnIntakeKey(f"{key!r} is not under {INCOMING_PREFIX}")
    regulator_id, _, relative_name = key.removeprefix(INCOMING_PREFIX).partition("/")
    if not _REGULATOR_ID.match(regulator_id) or not relative_name or relative_name.endswith("/"):
        raise NotAnIntakeKey(f"{key!r} is not incoming/<regulator-id>/<file>")
    return IntakeObject(bucket, key, regulator_id, relative_name, version_id)


def result_key_for(regulator_id: str, relative_name: str) -> str:
    return IntakeObject("", "", regulator_id, relative_name).result_key


def progress_key_for(regulator_id: str, relative_name: str) -> str:
    return IntakeObject("", "", regulator_id, relative_name).progress_key


@dataclass(frozen=True)
class StoredFile:
    size: int
    etag: str
    format_hint: str | None


class IntakeBucket:
    def __init__(self) -> None:
        self._s3 = aws_clients.s3()

    def describe(self, obj: IntakeObject) -> StoredFile | None:
        """Size, ETag and the uploader's ``--format``; None when the object is gone."""
        try:
            head = self._s3.head_object(Bucket=obj.bucket, Key=obj.key, **_version(obj))
        except ClientError as exc:
            if exc.response["Error"]["Code"] in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise
        return StoredFile(
            size=head["ContentLength"],
            etag=head["ETag"].strip('"'),
            format_hint=head.get("Metadata", {}).get(FORMAT_METADATA_KEY),
        )

    def read(self, obj: IntakeObject) -> bytes:
        body = self._s3.get_object(Bucket=obj.bucket, Key=obj.key, **_version(obj))["Body"]
        return body.read()

    def write_result(self, obj: IntakeObject, report: dict[str, Any]) -> None:
        self._s3.put_object(
            Bucket=obj.bucket,
            Key=obj.result_key,
            Body=json.dumps(report, ensure_ascii=False, indent=2).encode("utf-8"),
            ContentType="application/json; charset=utf-8",
        )

    def write_progress(self, obj: IntakeObject, progress: dict[str, Any]) -> None:
        self._s3.put_object(
            Bucket=obj.bucket,
            Key=obj.progress_key,
            Body=json.dumps(progress).encode("utf-8"),
            ContentType="application/json",
        )


def _version(obj: IntakeObject) -> dict[str, Any]:
    return {"VersionId": obj.version_id} if obj.version_id else {}
