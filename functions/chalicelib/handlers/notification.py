"""Notification: the notify function (SQS -> here), which sends each queued chunk of
recipients once, and finds whom a new version of a notice must follow up; and the upload
function (S3 -> SQS -> here), which takes each uploaded file of affected parties once."""

from __future__ import annotations

import json
from typing import Any, cast

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from chalice.app import SQSEvent

from chalicelib import clock
from chalicelib.handlers import entry_points
from chalicelib.intake.events import S3Notification
from chalicelib.notification.delivery import FollowUp, QueuedChunk, deliver_chunk
from chalicelib.notification.follow_ups import follow_up_platform
from chalicelib.notification.rendering import MessageKind
from chalicelib.notification.services import notification_services
from chalicelib.notification.uploads import process_upload
from chalicelib.observability import logger
from chalicelib.settings import load_settings
from chalicelib.stores.affected_parties_bucket import parse_upload_key

notification = entry_points()


@notification.on_sqs_message(queue="psx-notification", batch_size=10, name="notify_recipients")
def notify_recipients(event: SQSEvent) -> PartialItemFailureResponse:
    """Send each chunk of a batch; a failed chunk (throttling, an outage) comes back alone."""
    processor = BatchProcessor(event_type=EventType.SQS)
    return process_partial_response(
        event=event.to_dict(),
        record_handler=_deliver,
        processor=processor,
        context=cast(Any, event.context),  # Chalice passes Lambda's context object here
    )


def _deliver(record: SQSRecord) -> None:
    body = json.loads(record.body)
    services = notification_services(load_settings())
    if "scan" in body:
        queued = follow_up_platform(
            body["notice_id"],
            body["platform_id"],
            int(body["scan"]["version"]),
            clock.now(),
            services,
        )
        logger.info(
            "notification follow-ups queued",
            extra={
                "notice_id": body["notice_id"],
                "platform_id": body["platform_id"],
                "recipients": queued,
            },
        )
        return
    follow_up = body.get("follow_up")
    chunk = QueuedChunk(
        body["notice_id"],
        body["platform_id"],
        list(body["keys"]),
        FollowUp(MessageKind(follow_up["kind"]), int(follow_up["version"])) if follow_up else None,
    )
    # The message id is the claim: the same on every redelivery of this message.
    deliver_chunk(chunk, record.message_id, clock.now(), services)
    logger.info(
        "notification chunk delivered",
        extra={
            "notice_id": chunk.notice_id,
            "platform_id": chunk.platform_id,
            "recipients": len(chunk.keys),
        },
    )


@notification.on_sqs_message(
    queue="psx-affected-parties-uploads", batch_size=1, name="take_affected_parties_uploads"
)
def take_affected_parties_uploads(event: SQSEvent) -> PartialItemFailureResponse:
    """Take each uploaded file named in the S3 notifications; a failed one comes back."""
    processor = BatchProcessor(event_type=EventType.SQS)
    return process_partial_response(
        event=event.to_dict(),
        record_handler=_take_uploads,
        processor=processor,
        context=cast(Any, event.context),  # Chalice passes Lambda's context object here
    )


def _take_uploads(record: SQSRecord) -> None:
    notification = S3Notification.model_validate_json(record.body)
    settings = load_settings()
    for s3_record in notification.records:  # none in S3's s3:TestEvent
        named = parse_upload_key(s3_record.s3.object.key)
        if named is None:
            logger.warning("ignored object outside the uploads layout")
            continue
        platform_id, notice_id, upload_id = named
        finished = process_upload(
            notice_id,
            platform_id,
            upload_id,
            settings.notification.max_upload_rows,
            clock.now,
            notification_services(settings),
        )
        logger.info(
            "affected parties file taken" if finished else "affected parties file skipped",
            extra={
                "notice_id": notice_id,
                "platform_id": platform_id,
                "upload_id": upload_id,
                "status": finished.status if finished else None,
                "counts": finished.counts if finished else None,
            },
        )
