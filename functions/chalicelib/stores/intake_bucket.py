"""Data access for the intake bucket: ``incoming/<regulator-id>/<file>`` in,
``results/<regulator-id>/<file>.<version-id>.result.json`` out for each upload (the
bucket is versioned: two uploads under one name are two object versions), and
``results/<regulator-id>/<file>.result.json`` for the file's current version."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.feeds.pull import FeedFile
from chalicelib.identifiers.participants import REGULATOR_ID_PATTERN
from chalicelib.stores import aws_clients

INCOMING_PREFIX = "incoming/"
RESULTS_PREFIX = "results/"
FORMAT_METADATA_KEY = "psx-format"
# The platforms a file's notices go to when a row names none (comma-separated platform
# ids): what a feed names (chalicelib/feeds). Absent: each row's own, or every platform
# registered for its jurisdiction.
TARGETS_METADATA_KEY = "psx-targets"
_REGULATOR_ID = re.compile(REGULATOR_ID_PATTERN)
# A file name is shown in reports, terminals and consoles, and becomes part of S3 keys
# (1,024 bytes at most, the report's longer than the file's): printable, and short.
MAX_FILE_NAME_BYTES = 255
_S3_KEY_BYTES = 1024
# Control and format characters (newlines, escapes, bidi overrides), surrogates (a name
# that is not UTF-8), private-use and unassigned code points, line and paragraph
# separators. Spaces, including non-ASCII ones, are fine.
_UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


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
    def version_result_key(self) -> str | None:
        """The report of this very upload; None when the bucket keeps no versions."""
        if self.version_id is None:
            return None
        return version_result_key_for(self.regulator_id, self.relative_name, self.version_id)

    @property
    def progress_key(self) -> str:
        """Where the intake of this upload of a large file says how far it has got
        (before the report)."""
        return progress_key_for(self.regulator_id, self.relative_name, self.version_id)

    def at_version(self, version_id: str | None) -> IntakeObject:
        return replace(self, version_id=version_id)


def intake_object(bucket: str, key: str, version_id: str | None = None) -> IntakeObject:
    """Read the regulator id and file name out of an ``incoming/`` key."""
    if not key.startswith(INCOMING_PREFIX):
        raise NotAnIntakeKey(f"{key!r} is not under {INCOMING_PREFIX}")
    regulator_id, _, relative_name = key.removeprefix(INCOMING_PREFIX).partition("/")
    if (
        not _REGULATOR_ID.fullmatch(regulator_id)
        or not relative_name
        or relative_name.endswith("/")
    ):
        raise NotAnIntakeKey(f"{key!r} is not incoming/<regulator-id>/<file>")
    return IntakeObject(bucket, key, regulator_id, relative_name, version_id)


def file_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a notice file's name, or None when it can."""
    unprintable = next(
        (c for c in name if unicodedata.category(c) in _UNPRINTABLE_CATEGORIES), None
    )
    if unprintable is not None:
        return (
            f"the file name {name!r} contains an unprintable character "
            f"(U+{ord(unprintable):04X}): rename the file"
        )
    size = len(name.encode("utf-8"))
    if size > MAX_FILE_NAME_BYTES:
        return (
            f"the file name is {size} bytes long (UTF-8); the limit is {MAX_FILE_NAME_BYTES}: "
            "rename the file"
        )
    return None


def result_key_for(regulator_id: str, relative_name: str) -> str:
    return IntakeObject("", "", regulator_id, relative_name).result_key


def version_result_key_for(regulator_id: str, relative_name: str, version_id: str) -> str:
    return f"{RESULTS_PREFIX}{regulator_id}/{relative_name}.{version_id}.result.json"


def progress_key_for(regulator_id: str, relative_name: str, version_id: str | None) -> str:
    upload = f"{relative_name}.{version_id}" if version_id else relative_name
    return f"{RESULTS_PREFIX}{regulator_id}/{upload}.progress.json"


@dataclass(frozen=True)
class StoredFile:
    size: int
    etag: str
    format_hint: str | None
    version_id: str | None = None  # None in a bucket that never kept versions
    target_platforms: tuple[str, ...] = ()


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
        metadata = head.get("Metadata", {})
        return StoredFile(
            size=head["ContentLength"],
            etag=head["ETag"].strip('"'),
            format_hint=metadata.get(FORMAT_METADATA_KEY),
            version_id=_version_id(head.get("VersionId")),
            target_platforms=_targets(metadata.get(TARGETS_METADATA_KEY, "")),
        )

    def read(self, obj: IntakeObject) -> bytes:
        body = self._s3.get_object(Bucket=obj.bucket, Key=obj.key, **_version(obj))["Body"]
        return body.read()

    def write_result(self, obj: IntakeObject, report: dict[str, Any]) -> None:
        """The upload's own report, then the file's plain report name, unless a newer
        upload under the same name has replaced this one meanwhile."""
        body = report_bytes(report)
        keys = [obj.version_result_key] if obj.version_result_key else []
        if self._is_current(obj):
            keys.append(obj.result_key)
        # A name S3 took under incoming/ can be too long for a report key (a refused
        # file, over MAX_FILE_NAME_BYTES): that report is only in the logs.
        for key in (key for key in keys if len(key.encode("utf-8")) <= _S3_KEY_BYTES):
            self._s3.put_object(
                Bucket=obj.bucket,
                Key=key,
                Body=body,
                ContentType="application/json; charset=utf-8",
            )

    def _is_current(self, obj: IntakeObject) -> bool:
        current = self.describe(obj.at_version(None))
        return current is None or current.version_id == obj.version_id

    def write_progress(self, obj: IntakeObject, progress: dict[str, Any]) -> None:
        self._s3.put_object(
            Bucket=obj.bucket,
            Key=obj.progress_key,
            Body=json.dumps(progress).encode("utf-8"),
            ContentType="application/json",
        )


class IncomingFeedFiles:
    """Where feed pulls write their pages: ordinary notice files of the feed's regulator."""

    def __init__(self, bucket: str) -> None:
        self._bucket = bucket
        self._s3 = aws_clients.s3()

    def put_new(self, file: FeedFile) -> bool:
        """Store ``file`` unless its name is taken (If-None-Match: *); False when it was.
        The names carry the content's hash: a taken name holds this very content."""
        metadata = {FORMAT_METADATA_KEY: file.intake_format}
        if file.target_platforms:
            metadata[TARGETS_METADATA_KEY] = ",".join(file.target_platforms)
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=f"{INCOMING_PREFIX}{file.regulator_id}/{file.relative_name}",
                Body=file.body,
                ContentType=file.content_type,
                Metadata=metadata,
                IfNoneMatch="*",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "PreconditionFailed":
                return False
            raise
        return True


def report_bytes(report: dict[str, Any]) -> bytes:
    """A result report as the regulator reads it (and as evidence keeps it)."""
    return json.dumps(report, ensure_ascii=False, indent=2).encode("utf-8")


def _version(obj: IntakeObject) -> dict[str, Any]:
    return {"VersionId": obj.version_id} if obj.version_id else {}


def _targets(listed: str) -> tuple[str, ...]:
    return tuple(platform_id.strip() for platform_id in listed.split(",") if platform_id.strip())


def _version_id(version_id: str | None) -> str | None:
    # "null" is the version of an object written while versioning was off or suspended.
    return None if version_id in {None, "null"} else version_id
