"""Uploading a notice file to the intake bucket and waiting for its result report."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from botocore.exceptions import ClientError

from chalicelib.stores.intake_bucket import (
    FORMAT_METADATA_KEY,
    progress_key_for,
    result_key_for,
    version_result_key_for,
)

Progress = Callable[[int], None]


class ReportTimeout(TimeoutError):
    """No result report for the uploaded file arrived in time."""


@dataclass(frozen=True)
class Upload:
    bucket: str
    key: str
    etag: str
    regulator_id: str
    relative_name: str
    version_id: str | None = None  # what PutObject answered; None: an unversioned bucket

    @property
    def result_key(self) -> str:
        """This upload's own report (the plain name holds the newest upload's)."""
        if self.version_id is None:
            return result_key_for(self.regulator_id, self.relative_name)
        return version_result_key_for(self.regulator_id, self.relative_name, self.version_id)

    @property
    def progress_key(self) -> str:
        return progress_key_for(self.regulator_id, self.relative_name, self.version_id)

    def is_reported_by(self, report: dict[str, Any]) -> bool:
        file = report["file"]
        if self.version_id is None:
            return bool(file["etag"] == self.etag)
        return bool(file.get("version_id") == self.version_id)


class _ReadWithProgress:
    """The file as PutObject reads it, counting each byte once (botocore may read it
    twice: once for a checksum, once to send)."""

    def __init__(self, file: BinaryIO, progress: Progress) -> None:
        self._file = file
        self._progress = progress
        self._counted = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._file.read(size)
        position = self._file.tell()
        if position > self._counted:
            self._progress(position - self._counted)
            self._counted = position
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()


def upload_notice_file(
    s3: Any,
    bucket: str,
    path: Path,
    regulator_id: str,
    format_hint: str | None = None,
    progress: Progress | None = None,
    name: str | None = None,
) -> Upload:
    """One PutObject: its answer names the object version (and ETag) this upload made,
    which is how its report is told apart from another upload under the same name."""
    relative_name = name or path.name
    key = f"incoming/{regulator_id}/{relative_name}"
    metadata = {FORMAT_METADATA_KEY: format_hint} if format_hint else {}
    with path.open("rb") as file:
        body = _ReadWithProgress(file, progress) if progress else file
        put = s3.put_object(Bucket=bucket, Key=key, Body=body, Metadata=metadata)
    etag = put["ETag"].strip('"')
    return Upload(bucket, key, etag, regulator_id, relative_name, put.get("VersionId"))


def wait_for_report(
    s3: Any,
    upload: Upload,
    timeout_seconds: float,
    poll: Callable[[], object] = lambda: time.sleep(0.5),
) -> dict[str, Any]:
    """The report written for *this* upload (by its version id; by ETag in a bucket
    without versions), not just any report under the file's name."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        report = _read_report(s3, upload)
        if report is not None and upload.is_reported_by(report):
            return report
        poll()
    raise ReportTimeout(
        f"no result report at s3://{upload.bucket}/{upload.result_key} after {timeout_seconds:.0f}s"
    )


def _read_report(s3: Any, upload: Upload) -> dict[str, Any] | None:
    try:
        body = s3.get_object(Bucket=upload.bucket, Key=upload.result_key)["Body"].read()
    except ClientError as exc:
        if exc.response["Error"]["Code"] in {"NoSuchKey", "404"}:
            return None
        raise
    report: dict[str, Any] = json.loads(body)
    return report


def progress_shown(
    s3: Any,
    upload: Upload,
    show: Callable[[str], None],
    pause: Callable[[], object] = lambda: time.sleep(0.5),
) -> Callable[[], None]:
    """A ``poll`` for ``wait_for_report`` that shows how far the intake of *this* upload
    has got (large files only write progress) each time it moves."""
    shown: list[dict[str, Any]] = []

    def poll() -> None:
        progress = _read_progress(s3, upload)
        if progress is not None and progress.get("etag") == upload.etag and progress not in shown:
            shown.append(progress)
            show(
                f"{progress['stored']} of {progress['rows']} rows stored, "
                f"{progress['executions_started']} executions started"
            )
        pause()

    return poll


def _read_progress(s3: Any, upload: Upload) -> dict[str, Any] | None:
    try:
        body = s3.get_object(Bucket=upload.bucket, Key=upload.progress_key)["Body"].read()
    except ClientError as exc:
        if exc.response["Error"]["Code"] in {"NoSuchKey", "404"}:
            return None  # not started yet, or a small file
        raise
    progress: dict[str, Any] = json.loads(body)
    return progress
