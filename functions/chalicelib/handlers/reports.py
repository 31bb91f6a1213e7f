"""The scheduled compliance reports' entry points: their schedule and the tasks of
workflows/compliance-report.asl.json (thin adapters over ``chalicelib.reports.publication``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from chalice import Rate  # type: ignore[attr-defined]
from chalice.app import CloudWatchEvent
from pydantic import BaseModel

from chalicelib.handlers import entry_points
from chalicelib.observability import metrics
from chalicelib.reports import publication
from chalicelib.reports.services import ReportServices, report_services
from chalicelib.settings import report_settings

reports = entry_points()


def _services() -> ReportServices:
    return report_services(report_settings())


class ReportSchedule(BaseModel):
    """EventBridge's scheduled event (``time``), or `psx report --publish`'s, which asks
    for a run of its own (the day's may have run already)."""

    time: datetime
    on_demand: bool = False


class ReportRun(BaseModel):
    at: datetime


# Daily on AWS (the stage's ReportSchedule in infra/stages.py replaces this rate); in
# `psx serve` on its schedule timer; on demand with `psx report --publish`.
@reports.schedule(Rate(1, unit=Rate.DAYS), name="start_compliance_reports")
def start_compliance_reports_task(event: CloudWatchEvent) -> dict[str, Any]:
    request = ReportSchedule.model_validate(event.to_dict())
    started = publication.start_reports(_services().runs, request.time, request.on_demand)
    return {"at": request.time.isoformat(), "started": started}


@reports.lambda_function(name="update_report_summaries")
def update_report_summaries_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    run = ReportRun.model_validate(event)
    months = publication.update_summaries(_services().log, run.at)
    metrics.add_metric(name="ReportMonthsSummarised", unit=MetricUnit.Count, value=len(months))
    return {"months": len(months)}


@reports.lambda_function(name="publish_compliance_reports")
def publish_compliance_reports_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    run = ReportRun.model_validate(event)
    services = _services()
    platforms = publication.publish_reports(services.log, services.shelf, run.at)
    metrics.add_metric(name="ReportsPublished", unit=MetricUnit.Count, value=len(platforms))
    return {"half_year": publication.half_year_of(run.at), "platforms": platforms}
