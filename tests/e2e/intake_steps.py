"""Given/When/Then helpers for driving intake through its real entry point (S3)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from chalicelib.stores.intake_bucket import result_key_for, version_result_key_for
from chalicelib.stores.notices_table import NoticeStore
from psx.embedded.runtime import EmbeddedRuntime


def upload(
    runtime: EmbeddedRuntime,
    regulator_id: str,
    name: str,
    body: bytes,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Put a file under incoming/, let the event sources run, return its result report."""
    s3 = runtime.client("s3")
    bucket = runtime.outputs["PsxIntakeBucket"]
    s3.put_object(
        Bucket=bucket, Key=f"incoming/{regulator_id}/{name}", Body=body, Metadata=metadata or {}
    )
    runtime.pump()
    return read_report(runtime, regulator_id, name)


def upload_sample(runtime: EmbeddedRuntime, regulator_id: str, path: Path) -> dict[str, Any]:
    return upload(runtime, regulator_id, path.name, path.read_bytes())


def read_report(runtime: EmbeddedRuntime, regulator_id: str, name: str) -> dict[str, Any]:
    """The report at the file's plain name: its current version's."""
    return _report_at(runtime, result_key_for(regulator_id, name))


def read_report_of(
    runtime: EmbeddedRuntime, regulator_id: str, name: str, version_id: str
) -> dict[str, Any]:
    """The report of one upload (object version) of the file."""
    return _report_at(runtime, version_result_key_for(regulator_id, name, version_id))


def _report_at(runtime: EmbeddedRuntime, key: str) -> dict[str, Any]:
    s3 = runtime.client("s3")
    body = s3.get_object(Bucket=runtime.outputs["PsxIntakeBucket"], Key=key)["Body"].read()
    report: dict[str, Any] = json.loads(body)
    return report


def store() -> NoticeStore:
    return NoticeStore(os.environ["PSX_TABLE_NAME"])


def accepted_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [row for row in report["rows"] if row["status"] == "accepted"]


def executions_named(runtime: EmbeddedRuntime, prefix: str) -> list[dict[str, Any]]:
    return runtime.wait_for_executions(name_prefix=prefix)
