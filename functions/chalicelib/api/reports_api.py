"""The compliance report through the API: a regulator sees every platform on its own
notices, a platform only itself, on every regulator's notices sent to it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from chalicelib.api.calls import ApiCall, Reply
from chalicelib.api.principal import PrincipalKind
from chalicelib.api.problems import ApiProblem
from chalicelib.api.report_models import (
    ComplianceQuery,
    ComplianceReportView,
    ComplianceRow,
    OpenEscalation,
)
from chalicelib.api.services import ApiServices
from chalicelib.reports.exports import to_csv
from chalicelib.reports.report import ComplianceReport, Period, Scope, report_from_log


def compliance(call: ApiCall, services: ApiServices) -> Reply:
    query = call.query_as(ComplianceQuery)
    period = Period(_midnight(query.from_), _midnight(query.to) + timedelta(days=1))
    scope = _scope(call, query)
    report = report_from_log(services.report_log, period, scope, query.group, call.now)
    return Reply(_view(report), csv=to_csv(report))


def _scope(call: ApiCall, query: ComplianceQuery) -> Scope:
    principal = call.principal
    if principal.kind is PrincipalKind.REGULATOR:
        return Scope(regulator_id=principal.id, platform_id=query.platform)
    if query.platform not in {None, principal.id}:
        raise ApiProblem(
            403, "other-platform", "Not yours", "a platform's report covers only itself"
        )
    return Scope(platform_id=principal.id)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _view(report: ComplianceReport) -> ComplianceReportView:
    return ComplianceReportView(
        period_start=report.period.start.date(),
        period_end=(report.period.end - timedelta(days=1)).date(),
        group=report.group,
        rows=[
            ComplianceRow(
                platform_id=row.platform_id,
                regulator_id=row.regulator_id,
                bucket=row.bucket,
                figures=row.figures,
            )
            for row in report.rows
        ],
        open_escalations=[
            OpenEscalation(
                notice_id=e.notice_id,
                version=e.version,
                platform_id=e.platform_id,
                regulator_id=e.regulator_id,
                title=e.title,
                waiting_for=e.waiting_for,
                deadline=e.deadline,
            )
            for e in report.open_escalations
        ],
    )
