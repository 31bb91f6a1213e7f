"""The notice lifecycle end to end, with two simulated platforms on localhost.

Each platform is a webhook receiver that verifies Standard Webhooks signatures with the
off-the-shelf library. Platforms answer through the same domain call the HTTPS API makes;
deadlines are enforced by running the scheduled check at an injected time.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import chalicelib.dispatch.push as push_module
from chalicelib.api.principal import PrincipalKind
from chalicelib.dispatch.model import DispatchRef, DispatchState, WaitKind
from chalicelib.dispatch.waits import DispatchClosed, hand_off
from psx.embedded.runtime import EmbeddedRuntime
from psx.notice_status import notice_status
from psx.polling import wait_until
from psx.render import status_text
from psx.target import Target
from psx.webhook_receiver import WebhookReceiver
from tests.api.support import Api, key_for
from tests.e2e.lifecycle_steps import (
    EscalationSubscriber,
    dispatch_of,
    finished,
    notice_row,
    notified_by_platform,
    publish,
    receiving_platforms,
    respond,
    services,
    timeline_kinds,
    waiting_for,
)

# A listing as the API stores it (the dispatch reads the action report back).
_REMOVED_LISTING = {
    "listing_id": "L-1",
    "url": "https://market.example/item/L-1",
    "title": "Magnetic toy set",
    "seller_id": "S-9",
    "action": "removed",
    "acted_at": "2026-11-30T09:00:00+00:00",
}

pytestmark = pytest.mark.e2e

# A misconfigured endpoint's answer: its environment and the request's headers.
DEBUG_PAGE = b"<pre>DB_PASSWORD=hunter2 db01.corp.internal\nwebhook-signature: v1,abc</pre>"


@pytest.fixture
def platforms(runtime: EmbeddedRuntime) -> Iterator[dict[str, WebhookReceiver]]:
    """Two platforms with webhooks, registered under ids no other test uses."""
    with receiving_platforms("temu", "aliexpress") as receivers:
        yield receivers


@pytest.fixture(scope="module")
def escalations(runtime: EmbeddedRuntime) -> EscalationSubscriber:
    return EscalationSubscriber(runtime)


def _refs(notice_id: str, version: int, platforms: dict[str, WebhookReceiver]) -> list[DispatchRef]:
    return [DispatchRef(notice_id, version, platform_id) for platform_id in platforms]


def test_both_platforms_get_signed_notices_answer_and_hand_off(
    runtime: EmbeddedRuntime, regulator_id: str, platforms: dict[str, WebhookReceiver]
) -> None:
    notice_id = publish(runtime, regulator_id, "n.csv", notice_row("H-1", list(platforms)))

    for ref in _refs(notice_id, 1, platforms):
        receiver = platforms[ref.platform_id]
        waiting_for(ref, WaitKind.ACKNOWLEDGEMENT)
        (delivery,) = receiver.deliveries
        assert delivery.body["type"] == "notice.published"
        assert delivery.body["notice_id"] == notice_id and delivery.body["version"] == 1
        assert delivery.body["deadlines"]["acknowledgement"] is not None
        # Both platforms were named; each sees only itself.
        assert delivery.body["notice"]["target_platforms"] == [ref.platform_id]
        assert receiver.rejections == []
        respond(ref, WaitKind.ACKNOWLEDGEMENT)
        waiting_for(ref, WaitKind.ACTION_REPORT)
        respond(ref, WaitKind.ACTION_REPORT, listings=[_REMOVED_LISTING])
        waiting_for(ref, WaitKind.NOTIFICATION)
    # Notification is under way (each platform notifies itself by default); verification
    # waits for its own capability.
    _assert_cases(runtime, regulator_id, notice_id, set(platforms), "in_progress")
    for ref in _refs(notice_id, 1, platforms):
        reported = notified_by_platform(ref, sellers=1, buyers=40)
        assert reported.completed and reported.mode == "platform"

    assert finished(runtime, notice_id, 1)["status"] == "SUCCEEDED"
    for ref in _refs(notice_id, 1, platforms):
        dispatch = dispatch_of(ref)
        assert dispatch is not None and dispatch.state is DispatchState.HANDED_OFF
        assert timeline_kinds(notice_id, ref.platform_id) == [
            "dispatched",
            "webhook_delivered",
            "awaiting_acknowledgement",
            "acknowledgement_received",
            "awaiting_action_report",
            "action_report_received",
            "awaiting_notification",
            "awaiting_verification",
            "notification_started",
            "notification_completed",
        ]
        (completed,) = [
            e
            for e in services().notices.timeline(notice_id)
            if e.kind == "notification_completed" and e.details["platform_id"] == ref.platform_id
        ]
        assert completed.details["counts"]["self_notified_buyers"] == 40
    _assert_cases(runtime, regulator_id, notice_id, set(platforms), "completed")
    _assert_a_retried_hand_off_changes_nothing(
        runtime, DispatchRef(notice_id, 1, next(iter(platforms)))
    )


def _assert_a_retried_hand_off_changes_nothing(runtime: EmbeddedRuntime, ref: DispatchRef) -> None:
    """HandOff again (the workflow's retry): the same result for the next state, the same
    cases, no second event."""
    cases = (services().notification_cases.get(ref), services().verification_cases.get(ref))
    timeline = timeline_kinds(ref.notice_id, ref.platform_id)
    answer = runtime.client("lambda").invoke(
        FunctionName=runtime.function_name("hand_off"), Payload=json.dumps(vars(ref))
    )
    result = json.loads(answer["Payload"].read())

    assert result == {
        "dispatch": vars(ref),
        "cases": {
            "notification": {
                "PK": f"NOTICE#{ref.notice_id}",
                "SK": f"NOTIFICATION#v000001#{ref.platform_id}",
            },
            "verification": {
                "PK": f"NOTICE#{ref.notice_id}",
                "SK": f"VERIFICATION#v000001#{ref.platform_id}",
            },
        },
    }
    assert (services().notification_cases.get(ref), services().verification_cases.get(ref)) == cases
    assert timeline_kinds(ref.notice_id, ref.platform_id) == timeline


def _assert_cases(
    runtime: EmbeddedRuntime,
    regulator_id: str,
    notice_id: str,
    platform_ids: set[str],
    notification_status: str,
) -> None:
    """Both capabilities' cases are open for every platform (notification in
    ``notification_status``, verification pending), read back by the stores, psx status
    and the regulator's API."""
    for platform_id in platform_ids:
        ref = DispatchRef(notice_id, 1, platform_id)
        verification = services().verification_cases.get(ref)
        assert verification is not None and verification.status == "pending"
        assert [listing.listing_id for listing in verification.reported_listings] == ["L-1"]
        notification = services().notification_cases.get(ref)
        assert notification is not None and notification.seller_ids == ["S-9"]
    status = json.loads(json.dumps(notice_status(Target(), notice_id)))
    shown = {d["platform_id"]: (d["notification"], d["verification"]) for d in status["dispatches"]}
    assert shown == dict.fromkeys(platform_ids, (notification_status, "pending"))
    assert status_text(status).count(f"notification     {notification_status}") == len(platform_ids)
    regulator = key_for(PrincipalKind.REGULATOR, regulator_id)
    answer = Api(runtime).get(f"/v1/notices/{notice_id}", regulator)
    assert answer.status == 200, answer.body
    seen = {
        d["platform_id"]: (d["notification"], d["verification"]) for d in answer.body["dispatches"]
    }
    assert seen == dict.fromkeys(platform_ids, (notification_status, "pending"))


def test_a_platform_whose_webhook_is_down_still_gets_the_notice_in_its_inbox(
    runtime: EmbeddedRuntime,
    regulator_id: str,
    platforms: dict[str, WebhookReceiver],
    escalations: EscalationSubscriber,
) -> None:
    down, up = list(platforms)
    platforms[down].go_down()

    notice_id = publish(runtime, regulator_id, "n.csv", notice_row("D-1", [down, up]))

    down_ref = DispatchRef(notice_id, 1, down)
    dispatch = waiting_for(down_ref, WaitKind.ACKNOWLEDGEMENT, seconds=60)
    assert dispatch.state is DispatchState.INBOX_ONLY
    assert dispatch.webhook_attempts == 4  # the first try and three retries
    kinds = timeline_kinds(notice_id, down)
    assert kinds.count("webhook_failed") == 4 and "webhook_gave_up" in kinds
    alert = wait_until(lambda: escalations.about(notice_id), "the webhook alert")
    assert alert[0]["platform_id"] == down
    # The other platform's branch of the Map runs on its own: wait for it too.
    waiting_for(DispatchRef(notice_id, 1, up), WaitKind.ACKNOWLEDGEMENT)
    assert len(platforms[up].deliveries) == 1

    respond(down_ref, WaitKind.ACKNOWLEDGEMENT)  # the platform pulled its inbox
    waiting_for(down_ref, WaitKind.ACTION_REPORT)


def test_a_failing_endpoints_debug_page_and_our_tracebacks_stay_off_the_timeline(
    runtime: EmbeddedRuntime,
    regulator_id: str,
    platforms: dict[str, WebhookReceiver],
    escalations: EscalationSubscriber,
) -> None:
    broken = next(iter(platforms))
    platforms[broken].fail_next(4, status=500, body=DEBUG_PAGE)

    notice_id = publish(runtime, regulator_id, "n.csv", notice_row("X-1", [broken]))

    waiting_for(DispatchRef(notice_id, 1, broken), WaitKind.ACKNOWLEDGEMENT, seconds=60)
    events = {e.event_key: e for e in services().notices.timeline(notice_id)}
    failures = [e for e in events.values() if e.kind == "webhook_failed"]
    assert [e.details["status_code"] for e in failures] == [500] * 4
    assert {e.details["reason"] for e in failures} == {"HTTP 500 from the platform's endpoint"}
    (gave_up,) = [e for e in events.values() if e.kind == "webhook_gave_up"]
    assert gave_up.details["reason"] == "every attempt failed (see the webhook_failed events)"
    alert = wait_until(lambda: escalations.about(notice_id), "the webhook alert")
    for text in (json.dumps([vars(e) for e in events.values()], default=str), str(alert)):
        for leak in ("DB_PASSWORD", "corp.internal", "webhook-signature", "Traceback", ".py"):
            assert leak not in text


def test_a_missed_deadline_escalates_and_late_answers_are_recorded_as_late(
    runtime: EmbeddedRuntime,
    regulator_id: str,
    platforms: dict[str, WebhookReceiver],
    escalations: EscalationSubscriber,
) -> None:
    late, punctual = list(platforms)
    notice_id = publish(runtime, regulator_id, "n.csv", notice_row("L-1", [late, punctual]))
    late_ref, punctual_ref = DispatchRef(notice_id, 1, late), DispatchRef(notice_id, 1, punctual)
    dispatch = waiting_for(late_ref, WaitKind.ACKNOWLEDGEMENT)
    waiting_for(punctual_ref, WaitKind.ACKNOWLEDGEMENT)
    respond(punctual_ref, WaitKind.ACKNOWLEDGEMENT)
    assert dispatch.acknowledgement_deadline is not None
    after_deadline = dispatch.acknowledgement_deadline + timedelta(hours=1)

    assert _missed(runtime, after_deadline, notice_id) == [vars(late_ref)]

    wait_until(lambda: "deadline_missed" in timeline_kinds(notice_id, late), "the breach")
    breach = escalations.breach_about(notice_id)
    assert breach["platform_id"] == late and breach["waiting_for"] == "acknowledgement"
    waiting_for(late_ref, WaitKind.ACKNOWLEDGEMENT)  # waits on, without a deadline

    outcome = respond(late_ref, WaitKind.ACKNOWLEDGEMENT, at=after_deadline + timedelta(days=3))

    assert outcome.recorded and outcome.late_working_days >= 1
    waiting_for(late_ref, WaitKind.ACTION_REPORT)
    # Each miss is escalated once; the punctual platform never missed anything.
    assert _missed(runtime, after_deadline, notice_id) == []


def test_a_withdrawal_mid_flight_ends_the_waits_and_tells_the_platforms(
    runtime: EmbeddedRuntime, regulator_id: str, platforms: dict[str, WebhookReceiver]
) -> None:
    notice_id = publish(runtime, regulator_id, "n.csv", notice_row("W-1", list(platforms)))
    for ref in _refs(notice_id, 1, platforms):
        waiting_for(ref, WaitKind.ACKNOWLEDGEMENT)

    publish(runtime, regulator_id, "w.csv", notice_row("W-1", list(platforms), status="withdrawn"))

    assert finished(runtime, notice_id, 1)["status"] == "SUCCEEDED"
    assert finished(runtime, notice_id, 2)["status"] == "SUCCEEDED"
    for ref in _refs(notice_id, 1, platforms):
        assert dispatch_of(ref).state is DispatchState.CLOSED  # type: ignore[union-attr]
        types = [d.body["type"] for d in platforms[ref.platform_id].deliveries]
        assert types == ["notice.published", "notice.withdrawn"]
        with pytest.raises(DispatchClosed):
            respond(ref, WaitKind.ACKNOWLEDGEMENT)
        # The closed version is never handed off, even by a HandOff that comes late (an
        # action report answered just before the withdrawal): nothing takes it over.
        assert hand_off(ref, datetime.now(UTC), services()).cases == {}
        assert services().notification_cases.get(ref) is None
        assert services().verification_cases.get(ref) is None
    for ref in _refs(notice_id, 2, platforms):  # the withdrawal itself: delivered, owes nothing
        withdrawal = dispatch_of(ref)
        assert withdrawal is not None and withdrawal.withdrawal
        assert withdrawal.state is DispatchState.DELIVERED and withdrawal.open_wait is None


def test_an_amendment_supersedes_the_old_version_and_is_dispatched_again(
    runtime: EmbeddedRuntime, regulator_id: str, platforms: dict[str, WebhookReceiver]
) -> None:
    notice_id = publish(runtime, regulator_id, "n.csv", notice_row("A-1", list(platforms)))
    for ref in _refs(notice_id, 1, platforms):
        waiting_for(ref, WaitKind.ACKNOWLEDGEMENT)

    publish(runtime, regulator_id, "a.csv", notice_row("A-1", list(platforms), model="M-1; M-2"))

    assert finished(runtime, notice_id, 1)["status"] == "SUCCEEDED"
    for ref in _refs(notice_id, 2, platforms):
        waiting_for(ref, WaitKind.ACKNOWLEDGEMENT)
        latest = platforms[ref.platform_id].deliveries[-1].body
        assert (latest["type"], latest["version"]) == ("notice.amended", 2)
        assert latest["notice"]["product"]["models"] == ["M-1", "M-2"]


def test_a_duplicate_callback_is_a_no_op(
    runtime: EmbeddedRuntime, regulator_id: str, platforms: dict[str, WebhookReceiver]
) -> None:
    platform_id = next(iter(platforms))
    notice_id = publish(runtime, regulator_id, "n.csv", notice_row("C-1", [platform_id]))
    ref = DispatchRef(notice_id, 1, platform_id)
    waiting_for(ref, WaitKind.ACKNOWLEDGEMENT)

    first = respond(ref, WaitKind.ACKNOWLEDGEMENT)
    second = respond(ref, WaitKind.ACKNOWLEDGEMENT)

    assert (first.recorded, second.recorded) == (True, False)
    waiting_for(ref, WaitKind.ACTION_REPORT)
    assert timeline_kinds(notice_id, platform_id).count("acknowledgement_received") == 1


def test_a_handler_error_inside_the_map_is_retried(
    runtime: EmbeddedRuntime,
    regulator_id: str,
    platforms: dict[str, WebhookReceiver],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    platform_id = next(iter(platforms))
    real_deliver = push_module.deliver
    calls = []

    def flaky_deliver(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("transient failure inside the handler")
        return real_deliver(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(push_module, "deliver", flaky_deliver)

    notice_id = publish(runtime, regulator_id, "n.csv", notice_row("R-1", [platform_id]))

    dispatch = waiting_for(DispatchRef(notice_id, 1, platform_id), WaitKind.ACKNOWLEDGEMENT)
    assert dispatch.state is DispatchState.DELIVERED
    assert len(calls) == 2 and len(platforms[platform_id].deliveries) == 1


def test_an_amendment_racing_the_first_dispatch_never_leaves_two_versions_open(
    runtime: EmbeddedRuntime, regulator_id: str, platforms: dict[str, WebhookReceiver]
) -> None:
    platform_id = next(iter(platforms))
    notice_id = publish(runtime, regulator_id, "n.csv", notice_row("Q-1", [platform_id]))
    publish(runtime, regulator_id, "a.csv", notice_row("Q-1", [platform_id], model="M-2"))

    waiting_for(DispatchRef(notice_id, 2, platform_id), WaitKind.ACKNOWLEDGEMENT)
    assert finished(runtime, notice_id, 1)["status"] == "SUCCEEDED"
    first = dispatch_of(DispatchRef(notice_id, 1, platform_id))
    assert first is None or first.state is DispatchState.CLOSED
    assert [d.body["version"] for d in platforms[platform_id].deliveries][-1] == 2


def test_a_deadline_is_missed_only_after_it_passed_and_the_breach_is_dated_by_the_check(
    runtime: EmbeddedRuntime,
    regulator_id: str,
    platforms: dict[str, WebhookReceiver],
    escalations: EscalationSubscriber,
) -> None:
    punctual, late = list(platforms)
    notice_id = publish(runtime, regulator_id, "n.csv", notice_row("B-1", [punctual, late]))
    punctual_ref, late_ref = DispatchRef(notice_id, 1, punctual), DispatchRef(notice_id, 1, late)
    deadline = waiting_for(late_ref, WaitKind.ACKNOWLEDGEMENT).acknowledgement_deadline
    waiting_for(punctual_ref, WaitKind.ACKNOWLEDGEMENT)
    assert deadline is not None

    # As `psx audit --at` does: the check's own clock, not the handlers'.
    for before in (deadline - timedelta(seconds=1), deadline):
        assert _missed(runtime, before, notice_id) == []
    on_time = respond(punctual_ref, WaitKind.ACKNOWLEDGEMENT, at=deadline)
    # EventBridge's event time has whole seconds, and so does the check's clock.
    check = (deadline + timedelta(hours=1)).replace(microsecond=0)
    missed = _missed(runtime, check, notice_id)

    assert on_time.late_working_days == 0
    assert missed == [vars(late_ref)]
    breach = wait_until(
        lambda: [e for e in services().notices.timeline(notice_id) if e.kind == "deadline_missed"],
        "the breach on the timeline",
    )
    assert [(e.at, e.details["platform_id"]) for e in breach] == [(check, late)]
    alert = escalations.breach_about(notice_id)
    assert alert["detected_at"] == check.isoformat()
    waiting_for(late_ref, WaitKind.ACKNOWLEDGEMENT)  # the late wait
    answer_at = check + timedelta(minutes=5)
    assert respond(late_ref, WaitKind.ACKNOWLEDGEMENT, at=answer_at).late_working_days == 1
    answers = {
        e.details["platform_id"]: (e.at, e.details["late"])
        for e in services().notices.timeline(notice_id)
        if e.kind == "acknowledgement_received"
    }
    assert answers == {punctual: (deadline, False), late: (answer_at, True)}
    # The late wait is stored before its event: the answer may come first.
    late_wait = wait_until(
        lambda: [
            e for e in services().notices.timeline(notice_id) if e.event_key.endswith("_late")
        ],
        "the late wait's event",
    )
    assert [e.at for e in late_wait] == [check]  # not before the breach that opened it


def test_a_lagging_deadline_index_does_not_fail_a_wait_that_is_not_due(
    runtime: EmbeddedRuntime, regulator_id: str, platforms: dict[str, WebhookReceiver]
) -> None:
    platform_id = next(iter(platforms))
    notice_id = publish(runtime, regulator_id, "n.csv", notice_row("G-1", [platform_id]))
    ref = DispatchRef(notice_id, 1, platform_id)
    waiting_for(ref, WaitKind.ACKNOWLEDGEMENT)
    stale_index_key = _open_wait_index_key(runtime, ref)
    respond(ref, WaitKind.ACKNOWLEDGEMENT)
    dispatch = waiting_for(ref, WaitKind.ACTION_REPORT)
    assert dispatch.acknowledgement_deadline and dispatch.action_deadline
    # The index is eventually consistent: it may still list the acknowledgement's deadline.
    _set_open_wait_index_key(runtime, ref, stale_index_key)
    between = dispatch.acknowledgement_deadline + timedelta(hours=1)
    assert between < dispatch.action_deadline

    assert _missed(runtime, between, notice_id) == []
    assert dispatch_of(ref).open_wait is WaitKind.ACTION_REPORT  # type: ignore[union-attr]
    assert "deadline_missed" not in timeline_kinds(notice_id)


def _missed(runtime: EmbeddedRuntime, at: datetime, notice_id: str) -> list[dict[str, Any]]:
    """The deadline check at ``at``: the waits of ``notice_id`` it failed (the module's
    other notices may have missed theirs too)."""
    missed = runtime.run_schedules(at)["enforce_deadlines"]["missed"]
    return [m for m in missed if m["notice_id"] == notice_id]


def _dispatch_key(ref: DispatchRef) -> dict[str, dict[str, str]]:
    return {
        "PK": {"S": f"NOTICE#{ref.notice_id}"},
        "SK": {"S": f"DISPATCH#v{ref.version:06d}#{ref.platform_id}"},
    }


def _open_wait_index_key(runtime: EmbeddedRuntime, ref: DispatchRef) -> str:
    item = runtime.client("dynamodb").get_item(
        TableName=os.environ["PSX_TABLE_NAME"], Key=_dispatch_key(ref), ConsistentRead=True
    )["Item"]
    return str(item["GSI2SK"]["S"])


def _set_open_wait_index_key(runtime: EmbeddedRuntime, ref: DispatchRef, key: str) -> None:
    runtime.client("dynamodb").update_item(
        TableName=os.environ["PSX_TABLE_NAME"],
        Key=_dispatch_key(ref),
        UpdateExpression="SET GSI2SK = :key",
        ExpressionAttributeValues={":key": {"S": key}},
    )


def test_notification_past_its_deadline_is_escalated_and_a_late_finish_still_ends_it(
    runtime: EmbeddedRuntime,
    regulator_id: str,
    platforms: dict[str, WebhookReceiver],
    escalations: EscalationSubscriber,
) -> None:
    platform_id = next(iter(platforms))
    notice_id = publish(runtime, regulator_id, "n.csv", notice_row("N-1", [platform_id]))
    ref = DispatchRef(notice_id, 1, platform_id)
    waiting_for(ref, WaitKind.ACKNOWLEDGEMENT)
    respond(ref, WaitKind.ACTION_REPORT, listings=[_REMOVED_LISTING])
    waiting = waiting_for(ref, WaitKind.NOTIFICATION)
    deadline = waiting.deadline(WaitKind.NOTIFICATION)
    assert deadline is not None  # three working days from the hand-off

    assert _missed(runtime, deadline, notice_id) == []  # at the deadline itself: on time
    (missed,) = _missed(runtime, deadline + timedelta(minutes=1), notice_id)

    assert missed["platform_id"] == platform_id
    wait_until(
        lambda: "notification_deadline_missed" in timeline_kinds(notice_id, platform_id),
        "the breach",
    )
    breach = escalations.breach_about(notice_id)
    assert breach["waiting_for"] == "notification"
    case = wait_until(
        lambda: (c := services().notification_cases.get(ref)) and c.status == "overdue" and c,
        "the case to be overdue",
    )
    assert case
    waiting_for(ref, WaitKind.NOTIFICATION)  # waits on, without a deadline
    notified_by_platform(ref, sellers=1, buyers=3, at=deadline + timedelta(days=1))
    assert finished(runtime, notice_id, 1)["status"] == "SUCCEEDED"
    kinds = timeline_kinds(notice_id, platform_id)
    assert kinds[-4:] == [
        "notification_started",
        "notification_deadline_missed",
        "notification_started",
        "notification_completed",
    ]
