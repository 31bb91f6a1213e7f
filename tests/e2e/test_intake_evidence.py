"""Intake keeps each upload's file and report as evidence without ever costing the
regulator their report: a failure of the moment retries the delivery (and the retry
rewrites no evidence), any other failure is logged and the report still goes out."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.intake.process import MAX_DELIVERIES
from chalicelib.notices.timeline import EventKind
from chalicelib.stores.evidence_bucket import EvidenceBucket, EvidenceConflict, EvidenceRef
from chalicelib.stores.notices_table import NoticeStore, TimelineEvent
from psx.embedded.runtime import EmbeddedRuntime
from tests.e2e.intake_steps import accepted_rows, store, upload
from tests.e2e.lifecycle_steps import HEADER, notice_row

pytestmark = pytest.mark.e2e


def _kept_events(notice_id: str) -> list[TimelineEvent]:
    return [
        event for event in store().timeline(notice_id) if event.kind == EventKind.SOURCE_FILE_KEPT
    ]


def _versions(runtime: EmbeddedRuntime, key: str) -> list[str]:
    listed = runtime.client("s3").list_object_versions(
        Bucket=runtime.outputs["PsxEvidenceBucket"], Prefix=key
    )
    return [v["VersionId"] for v in listed.get("Versions", []) if v["Key"] == key]


@pytest.mark.parametrize(
    ("error", "deliveries"),
    [
        (EvidenceConflict("a key holding other bytes"), 1),
        # A deployment fault (the role lacks the grant) may be fixed before the last try.
        (
            ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "PutObject"),
            MAX_DELIVERIES,
        ),
    ],
    ids=["fault-logged-at-once", "refusal-retried-then-logged"],
)
def test_evidence_that_cannot_be_kept_still_lets_the_report_out(
    runtime: EmbeddedRuntime,
    regulator_id: str,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    deliveries: int,
) -> None:
    attempts: list[str] = []

    def refuse(self: EvidenceBucket, key: str, body: bytes, content_type: str) -> EvidenceRef:
        attempts.append(key)
        raise error

    monkeypatch.setattr(EvidenceBucket, "put", refuse)
    report = upload(runtime, regulator_id, "n.csv", (HEADER + notice_row("P-1", [])).encode())

    assert len(attempts) == deliveries
    assert report["status"] == "processed" and report["counts"]["accepted"] == 1
    assert _kept_events(accepted_rows(report)[0]["notice_id"]) == []


def test_a_retried_delivery_keeps_one_copy_of_the_file(
    runtime: EmbeddedRuntime, regulator_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first delivery kept the file, then failed naming it: the retry finds the same
    bytes under the same key and names that very version."""
    original = NoticeStore.append_event
    failed: list[str] = []
    lock = threading.Lock()

    def fail_once(self: NoticeStore, event: TimelineEvent) -> bool:
        with lock:
            if event.kind == EventKind.SOURCE_FILE_KEPT and not failed:
                failed.append(event.notice_id)
                raise ConnectionResetError
        return original(self, event)

    monkeypatch.setattr(NoticeStore, "append_event", fail_once)
    body = (HEADER + notice_row("R-1", [])).encode()
    report = upload(runtime, regulator_id, "retried.csv", body)

    notice_id = accepted_rows(report)[0]["notice_id"]
    assert failed == [notice_id]
    (kept,) = _kept_events(notice_id)
    file_ref: dict[str, Any] = kept.details["evidence"]["file"]
    assert _versions(runtime, file_ref["key"]) == [file_ref["version_id"]]
    evidence = EvidenceBucket(runtime.outputs["PsxEvidenceBucket"], 1)
    assert evidence.read(EvidenceRef(file_ref["key"], file_ref["version_id"])) == body
    assert kept.details["source_file"] == f"incoming/{regulator_id}/retried.csv"


def test_each_upload_of_a_file_is_its_own_evidence(
    runtime: EmbeddedRuntime, regulator_id: str
) -> None:
    body = (HEADER + notice_row("U-1", [])).encode()
    first = upload(runtime, regulator_id, "again.csv", body)
    second = upload(runtime, regulator_id, "again.csv", body)

    notice_id = accepted_rows(first)[0]["notice_id"]
    assert accepted_rows(second)[0]["outcome"] == "unchanged"
    uploads = [event.details["upload_version_id"] for event in _kept_events(notice_id)]
    assert sorted(uploads) == sorted([first["file"]["version_id"], second["file"]["version_id"]])
