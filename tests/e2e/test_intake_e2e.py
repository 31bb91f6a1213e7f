"""Notice intake end to end: S3 upload -> SQS -> intake handler -> DynamoDB -> Step Functions.

Everything runs through the embedded runtime with the real workflow definition.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.stores.index_pages import PageRequest
from chalicelib.stores.intake_bucket import result_key_for
from psx.embedded.runtime import EmbeddedRuntime
from tests.e2e.intake_steps import (
    accepted_rows,
    executions_named,
    read_report,
    read_report_of,
    store,
    upload,
)

pytestmark = pytest.mark.e2e

HEADER = (
    "source_reference,product_name,brand,models,barcodes,hazard_description,jurisdiction,status\n"
)
CHARGER = (
    'KC-2026-0001,USB 고속 충전기,Voltix,VX-20,"8801234567893, 880123456789",감전 위험,KR,active\n'
)
TOY = "KC-2026-0002,어린이 블록 장난감,Toyco,TB-1,4006381333931,질식 위험,KR,active\n"
NO_PRODUCT = "KC-2026-0003,,,,,질식 위험,KR,active\n"


def _csv(*rows: str) -> bytes:
    return (HEADER + "".join(rows)).encode("utf-8")


def _stored_notices(regulator_id: str) -> list[str]:
    """The regulator's notices as its list in the API reads them (first page)."""
    page = store().page_for_regulator(regulator_id, PageRequest(limit=10))
    return [summary.state.notice_id for summary in page.items]


def _only_notice_id(report: dict[str, Any], source_reference: str) -> str:
    rows = [r for r in accepted_rows(report) if r["source_reference"] == source_reference]
    assert len(rows) == 1, rows
    return str(rows[0]["notice_id"])


def test_rows_become_notices_each_with_a_finished_lifecycle(
    runtime: EmbeddedRuntime, regulator_id: str
) -> None:
    report = upload(runtime, regulator_id, "week-47.csv", _csv(CHARGER, TOY, NO_PRODUCT))

    assert report["status"] == "processed"
    assert report["format"] == "csv"
    counts = report["counts"]
    assert (counts["rows"], counts["accepted"], counts["rejected"]) == (3, 2, 1)
    assert (counts["created"], counts["executions_started"], counts["with_warnings"]) == (2, 2, 1)
    rejected = next(r for r in report["rows"] if r["status"] == "rejected")
    assert rejected["row"] == 4
    assert rejected["errors"][0]["field"] == "product_name"

    charger_id = _only_notice_id(report, "KC-2026-0001")
    charger = store().get(charger_id)
    assert charger is not None
    assert charger.version == 1 and charger.status == "active"
    assert charger.content.product.barcodes == ["8801234567893"]
    assert charger.content.product.suspect_barcodes == ["880123456789"]

    (execution,) = executions_named(runtime, charger_id)
    assert execution["status"] == "SUCCEEDED"
    # No platform is registered in this module: the notice is received and goes nowhere.
    assert [event.kind for event in store().timeline(charger_id)] == [
        "source_file_kept",
        "received",
        "no_platforms",
    ]


def test_the_same_object_delivered_twice_changes_nothing(
    runtime: EmbeddedRuntime, regulator_id: str
) -> None:
    first = upload(runtime, regulator_id, "dup.csv", _csv(CHARGER))
    notice_id = _only_notice_id(first, "KC-2026-0001")
    bucket = runtime.outputs["PsxIntakeBucket"]
    key = f"incoming/{regulator_id}/dup.csv"
    head = runtime.client("s3").head_object(Bucket=bucket, Key=key)
    duplicate_events = [
        {
            "Records": [
                {
                    "eventName": "ObjectCreated:Put",
                    "s3": {
                        "bucket": {"name": bucket},
                        "object": {"key": key.replace("/", "%2F"), "eTag": head["ETag"], **named},
                    },
                }
            ]
        }
        # As AWS sends it, and as a bucket without versions would (the current version).
        for named in ({"versionId": head["VersionId"]}, {})
    ]

    for event in duplicate_events:
        runtime.client("sqs").send_message(
            QueueUrl=runtime.outputs["IntakeQueueUrl"], MessageBody=json.dumps(event)
        )
    runtime.pump()

    reports = runtime.client("s3").list_object_versions(
        Bucket=bucket, Prefix=result_key_for(regulator_id, "dup.csv")
    )
    assert len(reports["Versions"]) == 1  # processed once: no second report
    assert len(executions_named(runtime, notice_id)) == 1
    assert store().get(notice_id).version == 1  # type: ignore[union-attr]


def test_a_reupload_of_the_same_bytes_is_reported_again_and_changes_nothing(
    runtime: EmbeddedRuntime, regulator_id: str
) -> None:
    first = upload(runtime, regulator_id, "again.csv", _csv(CHARGER))
    notice_id = _only_notice_id(first, "KC-2026-0001")

    again = upload(runtime, regulator_id, "again.csv", _csv(CHARGER))

    assert again["file"]["version_id"] != first["file"]["version_id"]
    assert (again["counts"]["unchanged"], again["counts"]["executions_started"]) == (1, 0)
    assert len(executions_named(runtime, notice_id)) == 1
    assert store().get(notice_id).version == 1  # type: ignore[union-attr]


def test_two_files_uploaded_under_one_name_at_once_are_each_ingested_and_reported(
    runtime: EmbeddedRuntime, regulator_id: str
) -> None:
    # Finding 6: both uploads land before intake runs; each event names its version.
    s3 = runtime.client("s3")
    bucket = runtime.outputs["PsxIntakeBucket"]
    key = f"incoming/{regulator_id}/same.csv"
    puts = [s3.put_object(Bucket=bucket, Key=key, Body=_csv(row)) for row in (CHARGER, TOY)]

    runtime.pump()

    reports = [read_report_of(runtime, regulator_id, "same.csv", put["VersionId"]) for put in puts]
    assert [[r["source_reference"] for r in accepted_rows(report)] for report in reports] == [
        ["KC-2026-0001"],
        ["KC-2026-0002"],
    ]
    for report, put in zip(reports, puts, strict=True):
        assert report["file"]["version_id"] == put["VersionId"]
        assert report["file"]["etag"] == put["ETag"].strip('"')
        (row,) = accepted_rows(report)
        assert store().get(row["notice_id"]) is not None
    # The plain name holds the report of the file's current version: the second upload.
    assert read_report(runtime, regulator_id, "same.csv") == reports[1]


def test_a_reupload_under_another_name_finds_the_notices_unchanged(
    runtime: EmbeddedRuntime, regulator_id: str
) -> None:
    first = upload(runtime, regulator_id, "original.csv", _csv(CHARGER, TOY))

    second = upload(runtime, regulator_id, "copy.csv", _csv(CHARGER, TOY))

    assert first["counts"]["created"] == 2
    assert second["counts"]["unchanged"] == 2
    assert second["counts"]["executions_started"] == 0
    assert {r["notice_id"] for r in accepted_rows(first)} == {
        r["notice_id"] for r in accepted_rows(second)
    }


def test_changed_content_under_the_same_reference_is_a_new_version(
    runtime: EmbeddedRuntime, regulator_id: str
) -> None:
    first = upload(runtime, regulator_id, "v1.csv", _csv(CHARGER))
    notice_id = _only_notice_id(first, "KC-2026-0001")
    amended = CHARGER.replace("VX-20", '"VX-20; VX-21"')

    second = upload(runtime, regulator_id, "v2.csv", _csv(amended))

    (row,) = accepted_rows(second)
    assert (row["notice_id"], row["version"], row["outcome"]) == (notice_id, 2, "new_version")
    current = store().get(notice_id)
    assert current is not None
    assert current.status == "amended"
    assert current.content.product.models == ["VX-20", "VX-21"]
    assert store().get_version(notice_id, 1).content.product.models == ["VX-20"]  # type: ignore[union-attr]
    names = sorted(e["name"] for e in executions_named(runtime, notice_id))
    assert names == [f"{notice_id}-v1", f"{notice_id}-v2"]


def test_a_withdrawal_row_withdraws_the_notice(runtime: EmbeddedRuntime, regulator_id: str) -> None:
    first = upload(runtime, regulator_id, "issue.csv", _csv(TOY))
    notice_id = _only_notice_id(first, "KC-2026-0002")

    second = upload(runtime, regulator_id, "withdraw.csv", _csv(TOY.replace("active", "withdrawn")))

    (row,) = accepted_rows(second)
    assert row["outcome"] == "withdrawn"
    current = store().get(notice_id)
    assert current is not None and current.status == "withdrawn" and current.version == 2


@pytest.mark.parametrize(
    ("name", "body", "code"),
    [
        ("junk.csv", bytes(range(256)) * 40, None),
        (
            "bomb.xml",
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Safety-Gate>&a;</Safety-Gate>',
            None,
        ),
        ("empty.csv", b"", None),
    ],
)
def test_an_unreadable_file_is_refused_with_a_reason_and_nothing_stored(
    runtime: EmbeddedRuntime, regulator_id: str, name: str, body: bytes, code: str | None
) -> None:
    report = upload(runtime, regulator_id, name, body)

    assert report["status"] == "refused"
    assert report["reason"]["field"] == "file"
    assert report["reason"]["message"]
    assert report["counts"]["accepted"] == 0
    assert _stored_notices(regulator_id) == []


def test_a_refused_file_leaves_earlier_notices_as_they_were(
    runtime: EmbeddedRuntime, regulator_id: str
) -> None:
    first = upload(runtime, regulator_id, "good.csv", _csv(CHARGER))
    notice_id = _only_notice_id(first, "KC-2026-0001")

    upload(runtime, regulator_id, "good.csv", b"\x00\x01\x02 not a notice file")

    current = store().get(notice_id)
    assert current is not None and current.version == 1


def test_a_file_over_the_size_limit_is_refused_before_download(
    runtime: EmbeddedRuntime, regulator_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PSX_MAX_FILE_BYTES", "100")

    report = upload(runtime, regulator_id, "big.csv", _csv(CHARGER, TOY))

    assert report["status"] == "refused"
    assert report["reason"]["code"] == "file_too_large"
    assert "limit is 100 bytes" in report["reason"]["message"]


def test_the_uploaders_format_overrides_detection(
    runtime: EmbeddedRuntime, regulator_id: str
) -> None:
    body = json.dumps([{"source_reference": "J-1", "product_name": "Kettle", "jurisdiction": "DE"}])

    as_csv = upload(runtime, regulator_id, "notices.txt", body.encode(), {"psx-format": "csv"})
    as_detected = upload(runtime, regulator_id, "notices2.txt", body.encode())

    assert as_detected["format"] == "json" and as_detected["counts"]["accepted"] == 1
    assert as_csv["format"] == "csv"
    assert as_csv["counts"]["accepted"] == 0


@pytest.mark.parametrize("name", ["week\n47.csv", "\x1b]52;c;cHduZWQ=\x07.csv", "n" * 300 + ".csv"])
def test_a_file_name_we_refuse_arriving_by_other_means_gets_a_refused_report(
    runtime: EmbeddedRuntime, regulator_id: str, name: str
) -> None:
    report = upload(runtime, regulator_id, name, _csv(CHARGER))

    assert report["status"] == "refused"
    assert report["reason"]["code"] == "file_name_refused"
    assert "rename the file" in report["reason"]["message"]
    assert _stored_notices(regulator_id) == []


def test_objects_outside_the_intake_layout_are_ignored(runtime: EmbeddedRuntime) -> None:
    s3 = runtime.client("s3")
    bucket = runtime.outputs["PsxIntakeBucket"]
    runtime.pump()  # whatever earlier tests left queued
    s3.put_object(Bucket=bucket, Key="incoming/no-file-name/", Body=b"")
    s3.put_object(Bucket=bucket, Key="incoming/UPPER CASE/x.csv", Body=_csv(CHARGER))

    # Each notification is delivered once and handled: none failed to be retried.
    assert runtime.pump() == 2
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="results/UPPER")
    assert listed["KeyCount"] == 0


def test_a_poison_message_fails_alone_and_ends_in_the_dead_letter_queue(
    runtime: EmbeddedRuntime, regulator_id: str
) -> None:
    sqs = runtime.client("sqs")
    queue_url = runtime.outputs["IntakeQueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody="this is not an S3 notification")

    report = upload(runtime, regulator_id, "beside-poison.csv", _csv(TOY))

    assert report["counts"]["accepted"] == 1
    dlq_arn = json.loads(
        sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])[
            "Attributes"
        ]["RedrivePolicy"]
    )["deadLetterTargetArn"]
    dlq_url = sqs.get_queue_url(QueueName=dlq_arn.rsplit(":", 1)[-1])["QueueUrl"]
    dead = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10).get("Messages", [])
    assert [m["Body"] for m in dead] == ["this is not an S3 notification"]


def test_the_workflow_fails_cleanly_for_a_version_that_is_not_stored(
    runtime: EmbeddedRuntime,
) -> None:
    sfn = runtime.client("stepfunctions")
    execution = sfn.start_execution(
        stateMachineArn=runtime.outputs["PsxLifecycleStateMachineArn"],
        name="ntc-missing-v9",
        input=json.dumps(
            {"notice_id": "ntc-missing", "version": 9, "regulator_id": "x", "status": "active"}
        ),
    )

    runtime.wait_for_executions()
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    assert described["status"] == "FAILED"
    assert described["error"] == "UnknownNoticeVersion"
