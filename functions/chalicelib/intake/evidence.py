"""Evidence of an upload: the regulator's file as received and the report the exchange
wrote for it, kept locked (chalicelib/stores/evidence_bucket.py), then named on the
timeline of every notice version the file carried (``source_file_kept``).

One copy per upload, not per notice: a file of 10,000 rows is kept once, and each of its
notices' timelines points at it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.notices.timeline import EventKind, TimelineEvent, event_key_for
from chalicelib.stores.evidence_bucket import (
    JSON_CONTENT_TYPE,
    EvidenceBucket,
    EvidenceRef,
    sha256_hex,
    upload_evidence_prefix,
)
from chalicelib.stores.intake_bucket import IntakeObject, report_bytes
from chalicelib.stores.notices_table import NoticeStore

_FILE_CONTENT_TYPE = "application/octet-stream"


def keep_upload_evidence(
    obj: IntakeObject,
    content: bytes | None,
    report: dict[str, Any],
    evidence: EvidenceBucket,
    notices: NoticeStore,
) -> None:
    """Keep the file (``content``: None when it was refused before it was read: too
    large, or a refused name) and its report, then name both on the timelines. Every
    step is idempotent: a retried delivery rewrites nothing."""
    upload_id = obj.version_id or report["file"]["etag"]
    prefix = upload_evidence_prefix(obj.regulator_id, upload_id)
    kept_file = None
    if content is not None:
        kept_file = evidence.put(f"{prefix}{obj.relative_name}", content, _FILE_CONTENT_TYPE)
    body = report_bytes(report)
    # Named by its content: a retried delivery may write another report for the upload.
    report_key = f"{prefix}result-{sha256_hex(body)[:16]}.json"
    kept_report = evidence.put(report_key, body, JSON_CONTENT_TYPE)
    # Stamped when processing began: before the notices it carried were received.
    at = datetime.fromisoformat(report["file"]["processed_at"])
    for notice_id, version in _notice_versions(report):
        notices.append_event(
            _kept_event(notice_id, version, obj, upload_id, kept_file, kept_report, at)
        )


def _notice_versions(report: dict[str, Any]) -> set[tuple[str, int]]:
    return {
        (row["notice_id"], row["version"])
        for row in report.get("rows", [])
        if row.get("notice_id") and row.get("version")
    }


def _kept_event(
    notice_id: str,
    version: int,
    obj: IntakeObject,
    upload_id: str,
    kept_file: EvidenceRef | None,
    kept_report: EvidenceRef,
    at: datetime,
) -> TimelineEvent:
    return TimelineEvent(
        notice_id=notice_id,
        # One per upload: the same file uploaded again is a second piece of evidence.
        event_key=event_key_for(version, "source_file", upload_id),
        kind=EventKind.SOURCE_FILE_KEPT,
        at=at,
        actor="psx",
        details={
            "source_file": obj.key,
            "upload_version_id": obj.version_id,
            "evidence": {
                "file": kept_file.as_details() if kept_file else None,
                "result_report": kept_report.as_details(),
            },
        },
    )
