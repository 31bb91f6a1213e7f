"""Data access for the evidence bucket: what the exchange received and sent, kept
unaltered under S3 Object Lock in COMPLIANCE mode (docs/evidence.md).

Keys name the fact they hold, so a retried writer lands on the same key:
- ``files/<regulator-id>/<upload-id>/<file name>``: a regulator's file as uploaded
  (``<upload-id>`` is the intake object's version id), and next to it
  ``result-<sha256 prefix>.json``, each report the exchange wrote for that upload;
- ``notices/<notice-id>/v<version>/<kind>/<name>``: everything about one notice version
  (platform answers, affected-party counts, webhook delivery attempts).

A key is written once: the write is conditional (``If-None-Match: *``), and a retry
that finds the key taken checks that it holds the very same bytes (S3's SHA-256 of the
object) instead of adding a version. Locked versions cannot be deleted or overwritten,
by anyone, until their retention ends; a plain DELETE only hides them behind a marker.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from botocore.exceptions import ClientError

from chalicelib.stores import aws_clients

LOCK_MODE: Final = "COMPLIANCE"
NOTICES_PREFIX = "notices/"
FILES_PREFIX = "files/"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
# S3 refuses a conditional write whose key exists (412), or that races another
# conditional write of the same key (409): either way the key is taken.
_KEY_TAKEN = {"PreconditionFailed", "ConditionalRequestConflict"}


class EvidenceConflict(RuntimeError):
    """A key already holds other bytes: two different facts were given one name."""


@dataclass(frozen=True)
class EvidenceRef:
    """Where one piece of evidence is: what a timeline event names."""

    key: str
    version_id: str

    def as_details(self) -> dict[str, str]:
        return {"key": self.key, "version_id": self.version_id}


@dataclass(frozen=True)
class StoredEvidence:
    """One locked object version as S3 describes it."""

    ref: EvidenceRef
    size: int
    sha256: str  # hex; S3 computed it on upload (ChecksumAlgorithm SHA256)
    lock_mode: str | None
    retain_until: datetime | None


def notice_evidence_key(notice_id: str, version: int, kind: str, name: str) -> str:
    return f"{NOTICES_PREFIX}{notice_id}/v{version:06d}/{kind}/{name}"


def notice_prefix(notice_id: str) -> str:
    return f"{NOTICES_PREFIX}{notice_id}/"


def upload_evidence_prefix(regulator_id: str, upload_id: str) -> str:
    return f"{FILES_PREFIX}{regulator_id}/{upload_id}/"


def canonical_json(document: Any) -> bytes:
    """The one byte form of a document, so a retry writes identical bytes."""
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def content_name(stem: str, document: Any) -> str:
    """A name that is the document's own: the same document, the same name."""
    return f"{stem}-{sha256_hex(canonical_json(document))[:16]}.json"


class EvidenceBucket:
    def __init__(self, bucket: str, retention_days: int) -> None:
        self._bucket = bucket
        self._retention = timedelta(days=retention_days)
        self._s3 = aws_clients.s3()

    def put(self, key: str, body: bytes, content_type: str) -> EvidenceRef:
        """Keep ``body`` under ``key``, locked; the version that holds it."""
        # Retention runs from the wall clock, never from an injected one: a deadline
        # check run "at" a later time must not shorten what the law asks us to keep.
        retain_until = datetime.now(UTC) + self._retention
        try:
            written = self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=body,
                ContentType=content_type,
                ChecksumAlgorithm="SHA256",
                ObjectLockMode=LOCK_MODE,
                ObjectLockRetainUntilDate=retain_until,
                IfNoneMatch="*",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in _KEY_TAKEN:
                raise
            return self._already_kept(key, body)
        return EvidenceRef(key, written["VersionId"])

    def put_json(self, key: str, document: Any) -> EvidenceRef:
        return self.put(key, canonical_json(document), JSON_CONTENT_TYPE)

    def _already_kept(self, key: str, body: bytes) -> EvidenceRef:
        kept = self.describe_current(key)
        if kept.sha256 != sha256_hex(body):
            raise EvidenceConflict(f"evidence {key} already holds other bytes")
        return kept.ref

    # -- reading (exports) -------------------------------------------------------------------

    def describe_current(self, key: str) -> StoredEvidence:
        head = self._s3.head_object(Bucket=self._bucket, Key=key, ChecksumMode="ENABLED")
        return _stored(key, head)

    def describe(self, ref: EvidenceRef) -> StoredEvidence:
        head = self._s3.head_object(
            Bucket=self._bucket, Key=ref.key, VersionId=ref.version_id, ChecksumMode="ENABLED"
        )
        return _stored(ref.key, head)

    def read(self, ref: EvidenceRef) -> bytes:
        body = self._s3.get_object(Bucket=self._bucket, Key=ref.key, VersionId=ref.version_id)
        return body["Body"].read()

    def versions_under(self, prefix: str) -> Iterator[EvidenceRef]:
        """Every object version under ``prefix`` (delete markers hide none of them)."""
        pages = self._s3.get_paginator("list_object_versions").paginate(
            Bucket=self._bucket, Prefix=prefix
        )
        for page in pages:
            for version in page.get("Versions", []):
                yield EvidenceRef(version["Key"], version["VersionId"])


def _stored(key: str, head: Any) -> StoredEvidence:
    checksum = head.get("ChecksumSHA256")
    return StoredEvidence(
        ref=EvidenceRef(key, head["VersionId"]),
        size=head["ContentLength"],
        sha256=base64.b64decode(checksum).hex() if checksum else "",
        lock_mode=head.get("ObjectLockMode"),
        retain_until=head.get("ObjectLockRetainUntilDate"),
    )
