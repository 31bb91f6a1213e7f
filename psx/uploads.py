"""Uploading a notice file to the intake bucket and waiting for its result report."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.stores.intake_bucket import (
    FORMAT_METADATA_KEY,
    progress_key_for,
    result_key_for,
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

    @property
    def result_key(self) -> str:
        return result_key_for(self.regulator_id, self.relative_name)

    @property
    def progress_key(self) -> str:
        return progress_key_for(self.regulator_id, self.relative_name)


def upload_notice_file(
    s3: Any,
    bucket: str,
    path: Path,
    regulator_id: str,
    format_hint: str | None = None,
    progress: Progress | None = None,
    name: str | None = None,
) -> Upload:
    relative_name = name or path.name
    key = f"incoming/{regulator_id}/{relative_name}"
    metadata = {FORMAT_METADATA_KEY: format_hint} if format_hint else {}
    s3.upload_file(str(path), bucket, key, ExtraArgs={"Metadata": metadata}, Callback=progress)
    etag = s3.head_object(Bucket=bucket, Key=key)["ETag"].strip('"')
    return Upload(bucket, key, etag, regulator_id, relative_name)


def wait_for_report(
    s3: Any,
    upload: Upload,
    timeout_seconds: float,
    poll: Callable[[], object] = lambda: time.sleep(0.5),
) -> dict[str, Any]:
    """The report written for *this* upload (matched by ETag, not just by key)."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        report = _read_report(s3, upload)
        if report is not None and report["file"]["etag"] == upload.etag:
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
