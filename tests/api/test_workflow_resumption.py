"""The API resumes a real lifecycle execution, exactly once per answer: a notice published
through S3 waits for the platform; answers sent over the API move it on, and repeated
answers (retried or new) move nothing."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.api.principal import PrincipalKind
from chalicelib.dispatch.model import DispatchRef, WaitKind
from psx.embedded.runtime import EmbeddedRuntime
from tests.api.support import Api, listing, unique
from tests.api.support import key_for as api_key_for
from tests.e2e.lifecycle_steps import (
    finished,
    notice_row,
    publish,
    register,
    timeline_kinds,
    waiting_for,
)

pytestmark = pytest.mark.e2e


def _resumptions(runtime: EmbeddedRuntime, notice_id: str, state: str) -> int:
    """How many times the execution left the wait ``state`` (each exit is one resume)."""
    sfn = runtime.client("stepfunctions")
    arn = runtime.outputs["PsxLifecycleStateMachineArn"].replace(":stateMachine:", ":execution:")
    events: list[dict[str, Any]] = sfn.get_execution_history(
        executionArn=f"{arn}:{notice_id}-v1", maxResults=1000
    )["events"]
    return sum(
        1
        for event in events
        if event["type"].endswith("StateExited")
        and event.get("stateExitedEventDetails", {}).get("name") == state
    )


def test_answers_over_the_api_resume_the_workflow_exactly_once(
    runtime: EmbeddedRuntime, api: Api, regulator_id: str
) -> None:
    platform_id = unique("shop")
    register(platform_id, None)  # inbox only: the platform pulls
    platform = api_key_for(PrincipalKind.PLATFORM, platform_id)
    notice_id = publish(runtime, regulator_id, "n.csv", notice_row("X-1", [platform_id]))
    ref = DispatchRef(notice_id, 1, platform_id)
    waiting_for(ref, WaitKind.ACKNOWLEDGEMENT)
    inbox = api.get("/v1/inbox", platform).body["items"]
    assert [item["notice_id"] for item in inbox] == [notice_id]
    ack_path = f"/v1/notices/{notice_id}/acknowledgement"

    first = api.post(ack_path, {"reference": "T-1"}, platform, idempotency_key="ack-x1")
    waiting_for(ref, WaitKind.ACTION_REPORT)
    retried = api.post(ack_path, {"reference": "T-1"}, platform, idempotency_key="ack-x1")
    repeated = api.post(ack_path, {"reference": "T-2"}, platform)

    assert first.status == 201 and first.body["late"] is False
    assert retried.status == 201 and retried.headers["Idempotent-Replayed"] == "true"
    assert repeated.status == 409
    assert _resumptions(runtime, notice_id, "AwaitAcknowledgement") == 1
    assert timeline_kinds(notice_id, platform_id).count("acknowledgement_received") == 1

    report = api.post(f"/v1/notices/{notice_id}/actions", {"listings": [listing()]}, platform)
    again = api.post(f"/v1/notices/{notice_id}/actions", {"listings": [listing()]}, platform)

    assert report.status == 201 and again.status == 409
    waiting_for(ref, WaitKind.NOTIFICATION)
    counts = {"notified_by_platform": {"buyers": 2}, "final": True}
    told = api.post(f"/v1/notices/{notice_id}/affected-parties", counts, platform)
    assert told.status == 201 and told.body["completed"] is True
    assert finished(runtime, notice_id, 1)["status"] == "SUCCEEDED"
    assert _resumptions(runtime, notice_id, "AwaitActionReport") == 1
    assert _resumptions(runtime, notice_id, "AwaitNotification") == 1
    assert timeline_kinds(notice_id, platform_id)[-5:] == [
        "awaiting_notification",
        "awaiting_verification",
        "notification_started",
        "affected_parties_received",
        "notification_completed",
    ]
