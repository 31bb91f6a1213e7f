"""The scheduled compliance reports end to end: the schedule starts the real
workflows/compliance-report.asl.json in the embedded runtime, which brings every month's
summary of the report log up to date and publishes each platform's report for the
current half year to the reports bucket; a second start the same day starts nothing,
two at once start one run, a run again publishes the same objects, and a failed run
publishes nothing (the next one does)."""

from __future__ import annotations

import json
import os
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from chalicelib.notices.timeline import EventKind, TimelineEvent, event_key_for
from chalicelib.reports.exports import to_csv
from chalicelib.reports.publication import published_key
from chalicelib.reports.report import Grouping, Scope, half_year, report_from_log
from chalicelib.reports.summaries import month_after
from chalicelib.stores.notices_table import NoticeStore
from chalicelib.stores.report_log import ReportLog
from psx.embedded.runtime import EmbeddedRuntime
from psx.scheduled import scheduled_event
from tests.e2e.verification_steps import execution_finished

pytestmark = pytest.mark.e2e

MACHINE_OUTPUT = "PsxReportStateMachineArn"
AT = datetime(2031, 9, 15, 6, 0, tzinfo=UTC)  # the schedule fires in 2031-H2


def _land(platform_id: str, sent: datetime, answered: datetime | None) -> None:
    store = NoticeStore(os.environ["PSX_TABLE_NAME"])
    notice_id = f"ntc-{uuid.uuid4().hex[:24]}"

    def event(kind: str, at: datetime, part: str, **details: Any) -> None:
        store.append_event(
            TimelineEvent(
                notice_id,
                event_key_for(1, platform_id, part),
                cast(EventKind, kind),
                at,
                "psx",
                {"platform_id": platform_id, **details},
            )
        )

    event(
        "dispatched",
        sent,
        "dispatched",
        regulator_id="kftc",
        jurisdiction="KR",
        title="Magnetic toy",
        acknowledgement_deadline=(sent + timedelta(days=1)).isoformat(),
        action_deadline=(sent + timedelta(days=3)).isoformat(),
    )
    if answered is not None:
        event("acknowledgement_received", answered, "acknowledgement", late_working_days=0)


def _start(runtime: EmbeddedRuntime, at: datetime, on_demand: bool = False) -> str | None:
    event = scheduled_event(at) | {"on_demand": on_demand}
    result = runtime.registry.invoke(runtime.function_name("start_compliance_reports"), event)
    return cast(str | None, result["started"])


def _finished(runtime: EmbeddedRuntime, name: str) -> dict[str, Any]:
    return execution_finished(runtime, MACHINE_OUTPUT, name)


def _published(runtime: EmbeddedRuntime, platform_id: str, extension: str) -> str:
    s3 = runtime.client("s3")
    key = published_key("2031-H2", platform_id, extension)
    body = s3.get_object(Bucket=os.environ["PSX_REPORTS_BUCKET"], Key=key)["Body"].read()
    return str(body.decode())


def _summaries_made_of(runtime: EmbeddedRuntime) -> dict[str, set[tuple[int, int]]]:
    """Each summarised month: the counts its summary's parts were made from."""
    db, table = runtime.client("dynamodb"), os.environ["PSX_TABLE_NAME"]
    made: dict[str, set[tuple[int, int]]] = {}
    for page in db.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            if item["PK"]["S"].startswith("REPORTSUM#"):
                month = item["PK"]["S"].removeprefix("REPORTSUM#")
                made.setdefault(month, set()).add((int(item["n"]["N"]), int(item["next"]["N"])))
    return made


def _counts(runtime: EmbeddedRuntime) -> dict[str, int]:
    db, table = runtime.client("dynamodb"), os.environ["PSX_TABLE_NAME"]
    counts: dict[str, int] = {}
    for item in db.query(
        TableName=table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "REPORTCOUNT"}},
    )["Items"]:
        month = item["SK"]["S"].partition("#")[0]
        counts[month] = counts.get(month, 0) + int(item["n"]["N"])
    return counts


def test_the_schedule_brings_summaries_up_to_date_and_publishes_each_platforms_report(
    runtime: EmbeddedRuntime,
) -> None:
    _land("temu", datetime(2031, 3, 2, 9, 0, tzinfo=UTC), None)  # the half year before
    for day in (1, 14, 30):
        sent = datetime(2031, 7, day, 9, 0, tzinfo=UTC)
        _land("temu", sent, sent + timedelta(hours=5))
        _land("aliexpress", sent + timedelta(days=40), None)
    run = _start(runtime, AT)
    assert run == "compliance-reports-2031-09-15"

    finished = _finished(runtime, run)

    assert finished["status"] == "SUCCEEDED"
    assert json.loads(finished["output"])["published"] == {
        "half_year": "2031-H2",
        "platforms": ["aliexpress", "temu"],
    }
    # Every month's summary is current (a month without events needs none): a report now
    # reads them as they are (none is stale, none is folded again).
    counts = _counts(runtime)
    made = _summaries_made_of(runtime)
    assert sorted(made) == sorted(counts) == ["2031-03", "2031-07", "2031-08", "2031-09"]
    for month in counts:
        following = month_after(month)
        assert made[month] == {(counts[month], counts.get(following, 0))}, month
    log = ReportLog(os.environ["PSX_TABLE_NAME"])
    for platform_id in ("temu", "aliexpress"):
        expected = report_from_log(
            log, half_year("2031-H2"), Scope(platform_id=platform_id), Grouping.MONTH, AT
        )
        document = json.loads(_published(runtime, platform_id, "json"))
        assert document["as_of"] == AT.isoformat()
        assert document["rows"] == [row.as_dict() for row in expected.rows]
        assert _published(runtime, platform_id, "csv") == to_csv(expected)
        page = _published(runtime, platform_id, "html")
        assert f"Product safety compliance report 2031-H2: {platform_id}" in page
    temu = json.loads(_published(runtime, "temu", "json"))
    assert temu["rows"][0]["notices_sent"] == 3  # the half year's, not March's
    assert temu["rows"][0]["acknowledged_on_time"] == 3


def test_the_days_run_starts_once_however_often_and_concurrently_it_is_asked_for(
    runtime: EmbeddedRuntime,
) -> None:
    day = AT + timedelta(days=1)
    started: list[str | None] = []
    threads = [
        threading.Thread(target=lambda: started.append(_start(runtime, day))) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Step Functions answers a start of a running execution's name and input as the first.
    assert set(started) - {None} == {"compliance-reports-2031-09-16"}
    assert _finished(runtime, "compliance-reports-2031-09-16")["status"] == "SUCCEEDED"
    runs = [e["name"] for e in runtime.executions(MACHINE_OUTPUT)]
    assert runs.count("compliance-reports-2031-09-16") == 1
    assert _start(runtime, day + timedelta(hours=6)) is None  # later the same day


def test_a_run_again_publishes_the_same_report(runtime: EmbeddedRuntime) -> None:
    _land("temu", datetime(2031, 8, 4, 9, 0, tzinfo=UTC), datetime(2031, 8, 4, 12, tzinfo=UTC))
    first = _start(runtime, AT + timedelta(days=2))
    assert first is not None
    assert _finished(runtime, first)["status"] == "SUCCEEDED"
    published = {ext: _published(runtime, "temu", ext) for ext in ("json", "csv", "html")}

    # On demand (`psx report --publish`): a run of its own as of the same moment.
    again = _start(runtime, AT + timedelta(days=2), on_demand=True)
    assert again is not None and again != first
    assert _finished(runtime, again)["status"] == "SUCCEEDED"

    assert {ext: _published(runtime, "temu", ext) for ext in published} == published


def test_a_failed_run_publishes_nothing_and_the_next_one_does(runtime: EmbeddedRuntime) -> None:
    sfn = runtime.client("stepfunctions")
    name = f"broken-{uuid.uuid4().hex[:8]}"
    sfn.start_execution(
        stateMachineArn=runtime.outputs[MACHINE_OUTPUT], name=name, input='{"at": "someday"}'
    )

    failed = _finished(runtime, name)

    assert failed["status"] == "FAILED"
    history = sfn.get_execution_history(executionArn=failed["executionArn"])["events"]
    attempts = [e for e in history if e["type"] == "TaskScheduled"]
    assert len(attempts) == 4  # the first try and three retries, then the run fails
    entered = [
        e["stateEnteredEventDetails"]["name"] for e in history if e["type"] == "TaskStateEntered"
    ]
    assert entered == ["UpdateReportSummaries"]  # never published
    later = AT + timedelta(days=3)
    run = _start(runtime, later)
    assert run is not None
    assert _finished(runtime, run)["status"] == "SUCCEEDED"
    assert json.loads(_published(runtime, "temu", "json"))["as_of"] == later.isoformat()
