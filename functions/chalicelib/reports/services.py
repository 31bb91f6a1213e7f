"""Everything the scheduled compliance reports use, built once per process and
configuration."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.settings import ReportSettings
from chalicelib.stores.aws_clients import per_world
from chalicelib.stores.report_log import ReportLog
from chalicelib.stores.reports_bucket import ReportsBucket
from chalicelib.stores.workflow_executions import WorkflowExecutions


@dataclass(frozen=True)
class ReportServices:
    log: ReportLog
    shelf: ReportsBucket
    runs: WorkflowExecutions


@per_world
def report_services(settings: ReportSettings) -> ReportServices:
    return ReportServices(
        log=ReportLog(settings.table_name),
        shelf=ReportsBucket(settings.bucket),
        runs=WorkflowExecutions(settings.state_machine_arn),
    )
