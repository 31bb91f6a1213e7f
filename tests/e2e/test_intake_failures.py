"""Intake when a row cannot be stored: the file is always reported, row by row.

A row whose item the store refuses (too large, invalid, a fault met with its data) is a
row-level error and the rest of the file goes on; a transient failure (throttling, the
network) fails the delivery, which is retried and converges: each notice stored once,
each lifecycle started once, one report.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from chalicelib.intake import process
from chalicelib.intake.process import MAX_DELIVERIES
from chalicelib.notices.model import notice_id_for
from chalicelib.record_size import MAX_RECORD_BYTES
from chalicelib.stores.intake_bucket import IntakeBucket, result_key_for
from chalicelib.stores.notices_table import NoticeStore
from chalicelib.workflow.lifecycle import LifecycleStarter
from psx.embedded.runtime import EmbeddedRuntime
from tests.e2e.intake_steps import accepted_rows, executions_named, store, upload

pytestmark = pytest.mark.e2e

HEADER = (
    "source_reference,product_name,title,product_description,hazard_description,remedy,"
    "consumer_contact,brand,manufacturer,category,jurisdiction\n"
)


def _row(reference: str, cell: str = "") -> str:
    cells = ",".join([cell] * 8)
    return f"{reference},어린이 블록 장난감 {reference},{cells},KR\n"


def _csv(*rows: str) -> bytes:
    return (HEADER + "".join(rows)).encode("utf-8")


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "refused"}}, "PutItem")


@contextmanager
def _failing(
    monkeypatch: pytest.MonkeyPatch,
    cls: type[Any],
    method: str,
    reference: str,
    error: Exception,
    times: int = 1_000,
) -> Iterator[list[str]]:
    """``cls.method`` raises ``error`` for the notice ``reference`` (``times`` times);
    yields the references it failed."""
    original: Callable[..., Any] = getattr(cls, method)
    failed: list[str] = []
    lock = threading.Lock()

    def fail_then_run(self: Any, subject: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            failing = subject.source_reference == reference and len(failed) < times
            if failing:
                failed.append(reference)
        if failing:
            raise error
        return original(self, subject, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(cls, method, fail_then_run)
        yield failed


def test_an_over_size_row_is_rejected_and_the_rest_of_the_file_is_stored(
    runtime: EmbeddedRuntime, regulator_id: str
) -> None:
    # Finding 5: 8 cells of 19,000 Korean characters, each within the cell limit, are
    # 456 KB together: more than one DynamoDB item may hold.
    huge = _row("BIG-1", "가" * 19_000)

    report = upload(runtime, regulator_id, "huge-row.csv", _csv(_row("SMALL-1"), huge))

    assert report["status"] == "processed"
    assert (report["counts"]["accepted"], report["counts"]["rejected"]) == (1, 1)
    rejected = next(row for row in report["rows"] if row["status"] == "rejected")
    (error,) = rejected["errors"]
    assert (rejected["row"], error["field"], error["code"]) == (3, "title", "notice_too_large")
    assert f"{MAX_RECORD_BYTES:,} bytes" in error["message"]
    assert store().current_state(notice_id_for(regulator_id, "BIG-1")) is None
    (stored,) = accepted_rows(report)
    assert store().get(stored["notice_id"]) is not None


@pytest.mark.parametrize(
    "error",
    [_client_error("ValidationException"), KeyError("a fault met with this row's data")],
    ids=["item-refused", "unexpected"],
)
def test_a_row_that_cannot_be_stored_is_a_row_error_and_the_file_goes_on(
    runtime: EmbeddedRuntime, regulator_id: str, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    with _failing(monkeypatch, NoticeStore, "save", "BAD-1", error):
        report = upload(
            runtime, regulator_id, "one-bad.csv", _csv(_row("OK-1"), _row("BAD-1"), _row("OK-2"))
        )

    assert report["counts"]["accepted"] == 2
    bad = next(row for row in report["rows"] if row["status"] == "rejected")
    (problem,) = bad["errors"]
    assert (bad["row"], problem["code"]) == (3, "store_failed")
    assert "Traceback" not in problem["message"] and "a fault met" not in problem["message"]
    assert type(error).__name__ in problem["message"] or "ValidationException" in problem["message"]
    assert {row["source_reference"] for row in accepted_rows(report)} == {"OK-1", "OK-2"}


def test_a_delivery_failing_half_way_is_retried_and_stores_each_notice_once(
    runtime: EmbeddedRuntime, regulator_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 9: the intake Lambda fails after storing part of the file (a throttled save
    # of one row, a lost connection after another row was saved but before its lifecycle
    # started); the message is redelivered.
    references = [f"HALF-{n}" for n in range(6)]
    name = "half-way.csv"
    with (
        _failing(
            monkeypatch,
            NoticeStore,
            "save",
            "HALF-4",
            _client_error("ProvisionedThroughputExceededException"),
            times=1,
        ) as failed_saves,
        _failing(
            monkeypatch,
            LifecycleStarter,
            "start",
            # start() is given the notice's state: match it by its source reference.
            "HALF-1",
            EndpointConnectionError(endpoint_url="https://states.example"),
            times=1,
        ) as failed_starts,
    ):
        report = upload(runtime, regulator_id, name, _csv(*(_row(r) for r in references)))

    assert failed_saves == ["HALF-4"] and failed_starts == ["HALF-1"]
    assert report["counts"]["accepted"] == 6 and report["counts"]["rejected"] == 0
    for reference in references:
        notice_id = notice_id_for(regulator_id, reference)
        assert store().current_state(notice_id).version == 1  # type: ignore[union-attr]
        assert store().get_version(notice_id, 2) is None
        assert [e["name"] for e in executions_named(runtime, notice_id)] == [f"{notice_id}-v1"]
    versions = runtime.client("s3").list_object_versions(
        Bucket=runtime.outputs["PsxIntakeBucket"], Prefix=result_key_for(regulator_id, name)
    )
    assert len(versions["Versions"]) == 1  # one report, written by the delivery that finished


def _dead_letters(runtime: EmbeddedRuntime) -> list[dict[str, Any]]:
    sqs = runtime.client("sqs")
    redrive = sqs.get_queue_attributes(
        QueueUrl=runtime.outputs["IntakeQueueUrl"], AttributeNames=["RedrivePolicy"]
    )["Attributes"]["RedrivePolicy"]
    dlq_name = json.loads(redrive)["deadLetterTargetArn"].rsplit(":", 1)[-1]
    dlq_url = sqs.get_queue_url(QueueName=dlq_name)["QueueUrl"]
    return sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10).get("Messages", [])


def test_a_row_failing_on_every_delivery_is_reported_on_the_last_one(
    runtime: EmbeddedRuntime, regulator_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    throttled = _client_error("ThrottlingException")
    with _failing(monkeypatch, NoticeStore, "save", "SLOW-1", throttled) as failed:
        report = upload(runtime, regulator_id, "throttled.csv", _csv(_row("OK-3"), _row("SLOW-1")))

    assert len(failed) == MAX_DELIVERIES  # retried until the last delivery, then reported
    assert report["counts"]["accepted"] == 1
    (problem,) = next(row for row in report["rows"] if row["status"] == "rejected")["errors"]
    assert problem["code"] == "store_failed" and "ThrottlingException" in problem["message"]
    assert "upload the file again" in problem["message"]
    assert all("throttled.csv" not in m["Body"] for m in _dead_letters(runtime))


@pytest.mark.parametrize(
    ("error", "deliveries"),
    [(KeyError("a fault met with this file"), 1), (ConnectionResetError(), MAX_DELIVERIES)],
    ids=["fault-reported-at-once", "transient-reported-last"],
)
def test_a_file_that_cannot_be_processed_gets_a_refused_report(
    runtime: EmbeddedRuntime,
    regulator_id: str,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    deliveries: int,
) -> None:
    reads: list[object] = []

    def read(self: IntakeBucket, obj: object) -> bytes:
        reads.append(obj)
        raise error

    monkeypatch.setattr(IntakeBucket, "read", read)
    report = upload(runtime, regulator_id, "unreadable.csv", _csv(_row("NEVER-1")))

    assert len(reads) == deliveries
    assert report["status"] == "refused"
    assert report["reason"]["code"] == process.INTAKE_FAILED
    assert type(error).__name__ in report["reason"]["message"]
    assert "a fault met" not in report["reason"]["message"]
    assert store().current_state(notice_id_for(regulator_id, "NEVER-1")) is None
