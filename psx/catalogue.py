"""Catalogue snapshots from files: what `psx catalogue upload` and the demo put into the
catalogue bucket, and `psx audit verify`, which starts the audits on demand.

Each file is one part, uploaded as it is. The manifest counts each part's data rows and
is written last, which makes the snapshot complete.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from chalicelib.stores.catalogue_bucket import CatalogueBucket, manifest_key, part_key
from chalicelib.verification.snapshots import (
    PartFormat,
    SnapshotManifest,
    new_snapshot_id,
    part_format,
)
from infra.stack import function_name_output
from infra.verification import START_AUDITS_FUNCTION
from psx.scheduled import scheduled_event
from psx.target import Target, TargetError


class CatalogueFileError(ValueError):
    """A file that cannot be a catalogue part (its name, its content)."""


@dataclass(frozen=True)
class Part:
    name: str
    data: bytes
    rows: int


def part_from_file(path: Path) -> Part:
    """The part a file uploads as: its bytes and data rows."""
    name = path.name
    try:
        found, gzipped = part_format(name)
        data = path.read_bytes()
        raw = gzip.decompress(data) if gzipped else data
        return Part(name, data, data_rows(found, raw))
    except (OSError, EOFError, UnicodeDecodeError, csv.Error, ValueError, pa.ArrowException) as exc:
        raise CatalogueFileError(f"{path}: {exc}") from exc


def data_rows(found: PartFormat, raw: bytes) -> int:
    if found is PartFormat.PARQUET:
        # The footer holds the row count; a file that is not Parquet is refused before upload.
        return int(pq.ParquetFile(pa.BufferReader(raw)).metadata.num_rows)
    text = raw.decode("utf-8-sig")
    if found is PartFormat.JSON_LINES:
        return sum(1 for line in text.splitlines() if line.strip())
    delimiter = "\t" if found is PartFormat.TSV else ","
    return max(
        0, sum(1 for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)) - 1
    )


def upload_snapshot(
    bucket: CatalogueBucket, platform_id: str, parts: list[Part], now: datetime
) -> tuple[str, SnapshotManifest]:
    """Every part, then the manifest: the new snapshot's id and manifest."""
    names = [part.name for part in parts]
    if len(names) != len(set(names)):
        raise CatalogueFileError(f"two files upload as the same part: {sorted(names)}")
    snapshot_id = new_snapshot_id(now)
    manifest = SnapshotManifest.model_validate(
        {"snapshot_time": now, "parts": [{"name": p.name, "rows": p.rows} for p in parts]}
    )
    for part in parts:
        bucket.put_bytes(part_key(platform_id, snapshot_id, part.name), part.data)
    bucket.put_bytes(manifest_key(platform_id, snapshot_id), manifest.model_dump_json().encode())
    return snapshot_id, manifest


def run_verification(
    target: Target, at: datetime, platform_id: str | None, rerun: bool, wait_seconds: float
) -> list[dict[str, Any]]:
    """Start the audits as the schedule does (``at``), then wait for each: their outputs."""
    function_name = target.output_named(function_name_output(START_AUDITS_FUNCTION))
    event = scheduled_event(at) | {"platform_id": platform_id, "rerun": rerun}
    response = target.client("lambda").invoke(
        FunctionName=function_name, Payload=json.dumps(event).encode()
    )
    payload = json.loads(response["Payload"].read())
    if response.get("FunctionError"):
        raise TargetError(f"starting the audits failed: {payload.get('errorMessage', payload)}")
    machine = target.output("PSX_AUDIT_STATE_MACHINE_ARN")
    executions = machine.replace(":stateMachine:", ":execution:")
    return [
        _finished(target, f"{executions}:{started['name']}", wait_seconds) | started
        for started in payload["started"]
    ]


def _finished(target: Target, execution_arn: str, wait_seconds: float) -> dict[str, Any]:
    sfn = target.client("stepfunctions")
    deadline = time.monotonic() + wait_seconds
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            output = json.loads(described.get("output") or "{}")
            return {"status": described["status"], "report": output.get("report")}
        if time.monotonic() > deadline:
            return {"status": "RUNNING", "report": None}
        time.sleep(0.5)
