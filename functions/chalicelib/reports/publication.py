"""The scheduled side of compliance reports (workflows/compliance-report.asl.json, daily):
every month's summary of the report log brought up to date, so that a report read later
finds them current instead of folding a year inside a request; then each platform's
report for the current half year published (JSON, CSV and the printable HTML page).

Both steps may run again, and two runs may overlap: a summary is written only over one
made of an older log (``ReportLog``), and a publication writes the same objects for the
same log and time, a later one replacing an earlier one."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol

from chalicelib.reports.exports import to_csv, to_html, to_json
from chalicelib.reports.report import (
    CLOCKS_AHEAD,
    ComplianceReport,
    Grouping,
    OccurrenceLog,
    Scope,
    half_year,
    report_from_log,
)

PUBLISHED_PREFIX = "compliance-reports/"
# The daily run's execution name: one a day, whoever starts it and however often.
_DAILY = "compliance-reports-%Y-%m-%d"
_ON_DEMAND = "compliance-reports-%Y-%m-%dT%H-%M-%S"


class Summaries(Protocol):
    def bring_up_to_date(self, until: datetime) -> list[str]: ...


class Shelf(Protocol):
    def put(self, key: str, body: str, content_type: str) -> None: ...


class Starter(Protocol):
    def start(self, name: str, payload: dict[str, object]) -> bool: ...


def start_reports(executions: Starter, at: datetime, on_demand: bool = False) -> str | None:
    """Start the day's run (``on_demand``: one of its own, named for ``at`` to the
    second); its execution name, or None when the day's run was started already."""
    name = at.astimezone(UTC).strftime(_ON_DEMAND if on_demand else _DAILY)
    return name if executions.start(name, {"at": at.isoformat()}) else None


def update_summaries(log: Summaries, at: datetime) -> list[str]:
    """Every month's summary current, to the last month a report at ``at`` reads."""
    return log.bring_up_to_date(at + CLOCKS_AHEAD)


def published_key(half_year: str, platform_id: str, extension: str) -> str:
    """Where a platform's report for a half year (``2026-H2``) is published."""
    return f"{PUBLISHED_PREFIX}{half_year}/{platform_id}/report.{extension}"


def half_year_of(at: datetime) -> str:
    moment = at.astimezone(UTC)
    return f"{moment.year}-H{1 if moment.month <= 6 else 2}"


def publish_reports(log: OccurrenceLog, shelf: Shelf, at: datetime) -> list[str]:
    """Each platform's report for the half year of ``at``, per month and in total, as of
    ``at``; the platforms published."""
    label = half_year_of(at)
    report = report_from_log(log, half_year(label), Scope(), Grouping.MONTH, at)
    platforms = sorted({row.platform_id for row in report.rows})
    for platform_id in platforms:
        own = _of_platform(report, platform_id)
        title = f"Product safety compliance report {label}: {platform_id}"
        for extension, body, content_type in (
            ("json", to_json(own, at), "application/json"),
            ("csv", to_csv(own), "text/csv; charset=utf-8"),
            ("html", to_html(own, title), "text/html; charset=utf-8"),
        ):
            shelf.put(published_key(label, platform_id, extension), body, content_type)
    return platforms


def _of_platform(report: ComplianceReport, platform_id: str) -> ComplianceReport:
    """The platform's rows of a report over every platform: each row counts one platform
    only, so they are the rows of its own report."""
    return replace(
        report,
        rows=[row for row in report.rows if row.platform_id == platform_id],
        open_escalations=[e for e in report.open_escalations if e.platform_id == platform_id],
    )
