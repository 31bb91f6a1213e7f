"""The compliance audit's entry points: its schedule and the tasks of
workflows/compliance-audit.asl.json (thin adapters over ``chalicelib.verification.audit``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from chalice import Rate  # type: ignore[attr-defined]
from chalice.app import CloudWatchEvent
from pydantic import BaseModel

from chalicelib.handlers import entry_points
from chalicelib.observability import metrics
from chalicelib.settings import live_check_settings, load_settings
from chalicelib.verification import audit, takedown_audit
from chalicelib.verification.services import VerificationServices, verification_services
from chalicelib.verification.takedown_checks import MIN_INTERVAL_SECONDS, listing_checker

verification = entry_points()


def _services() -> VerificationServices:
    return verification_services(load_settings())


class AuditSchedule(BaseModel):
    """EventBridge's scheduled event (``time``), or `psx audit verify`'s, which may name
    one platform and ask for a re-run of an audited snapshot."""

    time: datetime
    platform_id: str | None = None
    rerun: bool = False


# Daily on AWS (the stage's AuditSchedule in infra/stages.py replaces this rate); in
# `psx serve` on its schedule timer; on demand with `psx audit verify`.
@verification.schedule(Rate(1, unit=Rate.DAYS), name="start_compliance_audits")
def start_compliance_audits_task(event: CloudWatchEvent) -> dict[str, Any]:
    request = AuditSchedule.model_validate(event.to_dict())
    started = audit.start_audits(_services(), request.time, request.platform_id, request.rerun)
    metrics.add_metric(name="AuditsStarted", unit=MetricUnit.Count, value=len(started))
    return {"at": request.time.isoformat(), "started": started}


class SnapshotRef(BaseModel):
    platform_id: str
    snapshot_id: str


class PartRef(SnapshotRef):
    part: str
    index_key: str


class StoreRequest(SnapshotRef):
    at: datetime


@verification.lambda_function(name="prepare_audit")
def prepare_audit_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    ref = SnapshotRef.model_validate(event)
    return audit.prepare_audit(_services(), ref.platform_id, ref.snapshot_id)


@verification.lambda_function(name="match_catalogue_part")
def match_catalogue_part_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    ref = PartRef.model_validate(event)
    return audit.match_part(_services(), ref.platform_id, ref.snapshot_id, ref.part, ref.index_key)


@verification.lambda_function(name="check_takedowns")
def check_takedowns_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    ref = SnapshotRef.model_validate(event)
    live = live_check_settings(MIN_INTERVAL_SECONDS)
    checker = listing_checker(
        live.contact_url,
        allow_loopback=live.allow_loopback,
        min_interval_seconds=live.min_interval_seconds,
    )
    summary = takedown_audit.check_platform_takedowns(
        _services(),
        ref.platform_id,
        ref.snapshot_id,
        checker,
        lambda: context.get_remaining_time_in_millis() / 1000,
    )
    metrics.add_metric(name="TakedownsLiveChecked", unit=MetricUnit.Count, value=summary["checked"])
    return summary


@verification.lambda_function(name="store_findings")
def store_findings_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = StoreRequest.model_validate(event)
    report = audit.store_findings(_services(), request.platform_id, request.snapshot_id, request.at)
    metrics.add_metric(name="FindingsRecorded", unit=MetricUnit.Count, value=report["new_findings"])
    # The workflow keeps the summary; the full report (bad rows and all) is in S3.
    kept = ("status", "rows", "bad_rows", "findings", "new_findings", "live_checks")
    return {key: report[key] for key in kept}
