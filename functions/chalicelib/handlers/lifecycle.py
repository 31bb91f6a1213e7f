"""The lifecycle workflow's tasks (invoked by Step Functions) and its deadline schedule."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from chalice import Rate  # type: ignore[attr-defined]
from chalice.app import CloudWatchEvent
from pydantic import BaseModel

from chalicelib import clock
from chalicelib.dispatch.model import DispatchRef, WaitKind
from chalicelib.dispatch.plan import plan_dispatch, plan_extension
from chalicelib.dispatch.push import fall_back_to_inbox, push_webhook
from chalicelib.dispatch.services import LifecycleServices, lifecycle_services
from chalicelib.dispatch.waits import enforce_deadlines, escalate, hand_off, open_wait
from chalicelib.handlers import entry_points
from chalicelib.notices.model import NoticeStatus
from chalicelib.notification.completion import open_notification_wait
from chalicelib.notification.follow_ups import queue_follow_ups
from chalicelib.notification.services import notification_services
from chalicelib.observability import logger, metrics
from chalicelib.settings import load_settings
from chalicelib.stores.active_notices_table import ActiveNoticeStore
from chalicelib.stores.notices_table import NoticeStore
from chalicelib.workflow.received import record_received

lifecycle = entry_points()


class NoticeVersionRef(BaseModel):
    notice_id: str
    version: int


@lifecycle.lambda_function(name="record_received")
def record_received_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    ref = NoticeVersionRef.model_validate(event)
    settings = load_settings()
    timeline_event = record_received(
        NoticeStore(settings.table_name), ref.notice_id, ref.version, clock.now()
    )
    # What the compliance audits match against moves on with every stored version.
    status = NoticeStatus(timeline_event.details["status"])
    ActiveNoticeStore(settings.table_name).note(ref.notice_id, ref.version, status)
    return {**event, "received_recorded_at": timeline_event.at.isoformat()}


class DispatchRefModel(BaseModel):
    notice_id: str
    version: int
    platform_id: str

    def ref(self) -> DispatchRef:
        return DispatchRef(self.notice_id, self.version, self.platform_id)


class PushRequest(DispatchRefModel):
    event_type: str


class FallbackRequest(DispatchRefModel):
    error: dict[str, Any]


class WaitRequest(DispatchRefModel):
    kind: WaitKind
    late: bool
    token: str


class EscalationRequest(DispatchRefModel):
    kind: WaitKind


def _lifecycle() -> LifecycleServices:
    return lifecycle_services(load_settings())


class PlanRequest(NoticeVersionRef):
    # Set by the workflow's extension branch: dispatch the version to this platform only.
    extension_platform_id: str | None = None


@lifecycle.lambda_function(name="plan_dispatch")
def plan_dispatch_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = PlanRequest.model_validate(event)
    ref = NoticeVersionRef(notice_id=request.notice_id, version=request.version)
    if request.extension_platform_id is None:
        plan = plan_dispatch(ref.notice_id, ref.version, clock.now(), _lifecycle())
        # Buyers told an earlier version hear of this one (an updated recall, a withdrawal).
        queue_follow_ups(ref.notice_id, ref.version, notification_services(load_settings()))
    else:
        plan = plan_extension(
            ref.notice_id, ref.version, request.extension_platform_id, clock.now(), _lifecycle()
        )
    # Whole items for the workflow's Map: each iteration gets its dispatch as input.
    dispatches = [
        {**ref.model_dump(), "platform_id": platform_id, "event_type": plan.event_type}
        for platform_id in plan.platform_ids
    ]
    return {"dispatches": dispatches}


@lifecycle.lambda_function(name="push_webhook")
def push_webhook_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = PushRequest.model_validate(event)
    return push_webhook(request.ref(), request.event_type, clock.now(), _lifecycle())


@lifecycle.lambda_function(name="fall_back_to_inbox")
def fall_back_to_inbox_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = FallbackRequest.model_validate(event)
    # The Cause (exception text, stack trace) is for operators: logs, never the timeline.
    logger.warning(
        "webhook delivery given up", extra={"dispatch": vars(request.ref()), "error": request.error}
    )
    fall_back_to_inbox(request.ref(), str(request.error.get("Error")), clock.now(), _lifecycle())
    return {"fallback": "inbox"}


@lifecycle.lambda_function(name="open_wait")
def open_wait_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = WaitRequest.model_validate(event)
    if request.kind is WaitKind.NOTIFICATION:
        services = notification_services(load_settings())
        open_notification_wait(request.ref(), request.token, request.late, clock.now(), services)
    else:
        open_wait(
            request.ref(), request.kind, request.token, request.late, clock.now(), _lifecycle()
        )
    return {"waiting_for": request.kind.value}


@lifecycle.lambda_function(name="escalate")
def escalate_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = EscalationRequest.model_validate(event)
    escalate(request.ref(), request.kind, clock.now(), _lifecycle())
    return {"escalated": request.kind.value}


@lifecycle.lambda_function(name="hand_off")
def hand_off_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = DispatchRefModel.model_validate(event)
    handed = hand_off(request.ref(), clock.now(), _lifecycle())
    # The dispatch reference and each case's key: what a later state starts a capability with.
    return {"dispatch": request.model_dump(), "cases": handed.cases}


# -- Schedules ---------------------------------------------------------------------------


class ScheduledEvent(BaseModel):
    """EventBridge's scheduled event; ``time`` is when the schedule fired (injectable)."""

    time: datetime


@lifecycle.schedule(Rate(15, unit=Rate.MINUTES), name="enforce_deadlines")
def enforce_deadlines_task(event: CloudWatchEvent) -> dict[str, Any]:
    """Fail every platform wait whose working-day deadline has passed (DeadlineMissed)."""
    scheduled = ScheduledEvent.model_validate(event.to_dict())
    missed = enforce_deadlines(scheduled.time, _lifecycle())
    metrics.add_metric(name="DeadlinesMissed", unit=MetricUnit.Count, value=len(missed))
    return {"at": scheduled.time.isoformat(), "missed": [vars(ref) for ref in missed]}
