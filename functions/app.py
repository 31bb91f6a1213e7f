"""Every Lambda entry point of Product Safety Exchange, as thin adapters.

Each handler parses its event, calls domain code in ``chalicelib`` and returns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import idempotent_function
from chalice import Chalice, ConvertToMiddleware, Rate  # type: ignore[attr-defined]
from chalice.app import AuthRequest, CloudWatchEvent, Request, Response, SQSEvent
from pydantic import BaseModel

from chalicelib import clock, idempotency
from chalicelib.api import http as api_http
from chalicelib.api.authorizer import authorizer_response
from chalicelib.api.services import api_key_store
from chalicelib.dispatch.model import DispatchRef, WaitKind
from chalicelib.dispatch.plan import plan_dispatch
from chalicelib.dispatch.push import fall_back_to_inbox, push_webhook
from chalicelib.dispatch.services import LifecycleServices, lifecycle_services
from chalicelib.dispatch.waits import enforce_deadlines, escalate, hand_off, open_wait
from chalicelib.intake.events import S3Notification
from chalicelib.intake.process import MAX_DELIVERIES, IntakeServices, ingest_file
from chalicelib.observability import logger, metrics, tracer
from chalicelib.settings import load_settings
from chalicelib.stores.evidence_bucket import EvidenceBucket
from chalicelib.stores.intake_bucket import IntakeBucket, NotAnIntakeKey, intake_object
from chalicelib.stores.notices_table import NoticeStore
from chalicelib.workflow.lifecycle import LifecycleStarter
from chalicelib.workflow.received import record_received

app = Chalice(app_name="psx")
app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context))
app.register_middleware(ConvertToMiddleware(tracer.capture_lambda_handler))
app.register_middleware(ConvertToMiddleware(metrics.log_metrics))


def _now() -> datetime:
    return clock.now()


# -- HTTPS API ------------------------------------------------------------------------------


@app.route("/v1/health", methods=["GET"])
def health() -> dict[str, str]:
    """Liveness for load balancers and `psx serve`: the app loaded and is configured.
    Public, like the OpenAPI document; every other route needs an API key."""
    settings = load_settings()
    return {"status": "ok", "table": settings.table_name}


@app.authorizer(ttl_seconds=0)  # no caching: a revoked key fails on its next request
def api_key_authorizer(auth_request: AuthRequest) -> dict[str, Any]:
    """``Authorization: Bearer psx_…`` -> principal ``platform:<id>`` / ``regulator:<id>``."""
    store = api_key_store(load_settings())
    return authorizer_response(store, auth_request.token, auth_request.method_arn, _now())


@app.middleware("http")
def problem_details(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Chalice's own error answers (405, 415, 500) become problem details like ours."""
    return api_http.as_problem(get_response(event))


def _api(operation_id: str, **path: str) -> Response:
    request = app.current_request
    assert request is not None  # set by Chalice for every route
    return api_http.handle(operation_id, request, _now(), **path)


_KEY = {"authorizer": api_key_authorizer}


@app.route("/v1/openapi.json", methods=["GET"])
def openapi_document() -> Response:
    return api_http.openapi_response()


@app.route("/v1/inbox", methods=["GET"], **_KEY)
def list_inbox() -> Response:
    return _api("listInbox")


@app.route("/v1/notices", methods=["GET"], **_KEY)
def list_notices() -> Response:
    return _api("listNotices")


@app.route("/v1/notices", methods=["POST"], **_KEY)
def submit_notice() -> Response:
    return _api("submitNotice")


@app.route("/v1/notices/{notice_id}", methods=["GET"], **_KEY)
def get_notice(notice_id: str) -> Response:
    return _api("getNotice", notice_id=notice_id)


@app.route("/v1/notices/{notice_id}/timeline", methods=["GET"], **_KEY)
def get_timeline(notice_id: str) -> Response:
    return _api("getTimeline", notice_id=notice_id)


@app.route("/v1/notices/{notice_id}/acknowledgement", methods=["POST"], **_KEY)
def acknowledge(notice_id: str) -> Response:
    return _api("acknowledge", notice_id=notice_id)


@app.route("/v1/notices/{notice_id}/actions", methods=["POST"], **_KEY)
def report_actions(notice_id: str) -> Response:
    return _api("reportActions", notice_id=notice_id)


@app.route("/v1/notices/{notice_id}/affected-parties", methods=["POST"], **_KEY)
def report_affected_parties(notice_id: str) -> Response:
    return _api("reportAffectedParties", notice_id=notice_id)


@app.route("/v1/notices/{notice_id}/withdrawal", methods=["POST"], **_KEY)
def withdraw_notice(notice_id: str) -> Response:
    return _api("withdrawNotice", notice_id=notice_id)


@app.route("/v1/notices/{notice_id}/amendment", methods=["POST"], **_KEY)
def amend_notice(notice_id: str) -> Response:
    return _api("amendNotice", notice_id=notice_id)


@app.route("/v1/webhook-test", methods=["POST"], **_KEY)
def test_webhook() -> Response:
    return _api("testWebhook")


# -- Notice intake: S3 -> SQS -> here --------------------------------------------------------


class IntakeFile(BaseModel):
    bucket: str
    key: str
    etag: str
    version_id: str | None = None


@app.on_sqs_message(queue="psx-intake", batch_size=5, name="intake_notice_files")
def intake_notice_files(event: SQSEvent) -> PartialItemFailureResponse:
    """Ingest every notice file named in a batch of S3 notifications; failed records retry."""
    processor = BatchProcessor(event_type=EventType.SQS)
    return process_partial_response(
        event=event.to_dict(),
        record_handler=_ingest_notification,
        processor=processor,
        context=cast(Any, event.context),  # Chalice passes Lambda's context object here
    )


def _ingest_notification(record: SQSRecord, lambda_context: Any) -> None:
    notification = S3Notification.model_validate_json(record.body)
    if notification.event == "s3:TestEvent":
        return
    final_delivery = int(record.attributes.approximate_receive_count) >= MAX_DELIVERIES
    for s3_record in notification.records:
        s3_object = s3_record.s3.object
        _ingest_object(
            s3_record.s3.bucket.name,
            s3_object.key,
            s3_object.version_id,
            final_delivery,
            lambda_context,
        )


def _ingest_object(
    bucket: str, key: str, version_id: str | None, final_delivery: bool, lambda_context: Any
) -> None:
    try:
        obj = intake_object(bucket, key, version_id)
    except NotAnIntakeKey as exc:
        logger.warning("ignored object outside the intake layout", extra={"reason": str(exc)})
        return
    settings = load_settings()
    services = IntakeServices(
        bucket=IntakeBucket(),
        notices=NoticeStore(settings.table_name),
        lifecycle=LifecycleStarter(settings.lifecycle_state_machine_arn),
        clock=_now,
        evidence=EvidenceBucket(settings.evidence_bucket, settings.evidence_retention_days),
    )
    stored = services.bucket.describe(obj)
    if stored is None:
        logger.warning("object deleted before intake", extra={"key": key})
        return
    # An event that names no version (a bucket without versioning): the one described.
    obj = obj.at_version(stored.version_id)

    config = idempotency.intake_file_config()
    config.register_lambda_context(lambda_context)

    @idempotent_function(  # type: ignore[untyped-decorator]  # Powertools ships it untyped
        data_keyword_argument="file",
        persistence_store=idempotency.persistence_layer(settings.table_name),
        config=config,
    )
    def ingest_once(file: dict[str, Any]) -> dict[str, Any]:
        report = ingest_file(obj, stored, settings, services, final_delivery)
        return {"status": report["status"], "counts": report["counts"]}

    file = IntakeFile(bucket=bucket, key=key, version_id=stored.version_id, etag=stored.etag)
    outcome = ingest_once(file=file.model_dump())
    counts = outcome["counts"]
    metrics.add_metric(name="NoticeRowsAccepted", unit=MetricUnit.Count, value=counts["accepted"])
    metrics.add_metric(name="NoticeRowsRejected", unit=MetricUnit.Count, value=counts["rejected"])
    logger.info("notice file ingested", extra={"key": key, **outcome})


# -- Lifecycle workflow tasks (invoked by Step Functions) ----------------------------------


class NoticeVersionRef(BaseModel):
    notice_id: str
    version: int


@app.lambda_function(name="record_received")
def record_received_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    ref = NoticeVersionRef.model_validate(event)
    settings = load_settings()
    timeline_event = record_received(
        NoticeStore(settings.table_name), ref.notice_id, ref.version, _now()
    )
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


@app.lambda_function(name="plan_dispatch")
def plan_dispatch_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    ref = NoticeVersionRef.model_validate(event)
    plan = plan_dispatch(ref.notice_id, ref.version, _now(), _lifecycle())
    # Whole items for the workflow's Map: each iteration gets its dispatch as input.
    dispatches = [
        {**ref.model_dump(), "platform_id": platform_id, "event_type": plan.event_type}
        for platform_id in plan.platform_ids
    ]
    return {"dispatches": dispatches}


@app.lambda_function(name="push_webhook")
def push_webhook_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = PushRequest.model_validate(event)
    return push_webhook(request.ref(), request.event_type, _now(), _lifecycle())


@app.lambda_function(name="fall_back_to_inbox")
def fall_back_to_inbox_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = FallbackRequest.model_validate(event)
    # The Cause (exception text, stack trace) is for operators: logs, never the timeline.
    logger.warning(
        "webhook delivery given up", extra={"dispatch": vars(request.ref()), "error": request.error}
    )
    fall_back_to_inbox(request.ref(), str(request.error.get("Error")), _now(), _lifecycle())
    return {"fallback": "inbox"}


@app.lambda_function(name="open_wait")
def open_wait_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = WaitRequest.model_validate(event)
    open_wait(request.ref(), request.kind, request.token, request.late, _now(), _lifecycle())
    return {"waiting_for": request.kind.value}


@app.lambda_function(name="escalate")
def escalate_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = EscalationRequest.model_validate(event)
    escalate(request.ref(), request.kind, _now(), _lifecycle())
    return {"escalated": request.kind.value}


@app.lambda_function(name="hand_off")
def hand_off_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = DispatchRefModel.model_validate(event)
    handed = hand_off(request.ref(), _now(), _lifecycle())
    # The dispatch reference and each case's key: what a later state starts a capability with.
    return {"dispatch": request.model_dump(), "cases": handed.cases}


# -- Schedules ---------------------------------------------------------------------------


class ScheduledEvent(BaseModel):
    """EventBridge's scheduled event; ``time`` is when the schedule fired (injectable)."""

    time: datetime


@app.schedule(Rate(15, unit=Rate.MINUTES), name="enforce_deadlines")
def enforce_deadlines_task(event: CloudWatchEvent) -> dict[str, Any]:
    """Fail every platform wait whose working-day deadline has passed (DeadlineMissed)."""
    scheduled = ScheduledEvent.model_validate(event.to_dict())
    missed = enforce_deadlines(scheduled.time, _lifecycle())
    metrics.add_metric(name="DeadlinesMissed", unit=MetricUnit.Count, value=len(missed))
    return {"at": scheduled.time.isoformat(), "missed": [vars(ref) for ref in missed]}
