"""Notice intake: S3 -> SQS -> here. Each notice file named in a batch is ingested once."""

from __future__ import annotations

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
from chalice.app import SQSEvent
from pydantic import BaseModel

from chalicelib import clock, idempotency
from chalicelib.handlers import entry_points
from chalicelib.intake.events import S3Notification
from chalicelib.intake.process import MAX_DELIVERIES, IntakeServices, ingest_file
from chalicelib.observability import logger, metrics
from chalicelib.settings import load_settings
from chalicelib.stores.evidence_bucket import EvidenceBucket
from chalicelib.stores.intake_bucket import IntakeBucket, NotAnIntakeKey, intake_object
from chalicelib.stores.notices_table import NoticeStore
from chalicelib.workflow.lifecycle import LifecycleStarter

intake = entry_points()


class IntakeFile(BaseModel):
    bucket: str
    key: str
    etag: str
    version_id: str | None = None


@intake.on_sqs_message(queue="psx-intake", batch_size=5, name="intake_notice_files")
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
        clock=clock.now,
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
