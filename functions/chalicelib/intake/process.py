"""Intake of one uploaded notice file: parse, validate, store, start lifecycles, report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.intake.parse import parse_notice_file
from chalicelib.intake.report import RowResult, file_summary, processed_report, refused_report
from chalicelib.intake.rows import ParsedFile, ParsedRow, Problem
from chalicelib.settings import Settings
from chalicelib.stores.intake_bucket import IntakeBucket, IntakeObject, StoredFile
from chalicelib.stores.notices_table import NoticeStore
from chalicelib.workflow.lifecycle import LifecycleStarter

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class IntakeServices:
    bucket: IntakeBucket
    notices: NoticeStore
    lifecycle: LifecycleStarter
    clock: Clock


def ingest_file(
    obj: IntakeObject, stored: StoredFile, settings: Settings, services: IntakeServices
) -> dict[str, Any]:
    """Ingest one object and write its result report; returns the report.

    Every write below is idempotent, so a retried or duplicated delivery converges on
    the same notices, the same executions and the same report counts.
    """
    summary = file_summary(
        bucket=obj.bucket,
        key=obj.key,
        regulator_id=obj.regulator_id,
        size=stored.size,
        etag=stored.etag,
        processed_at=services.clock(),
    )
    if stored.size > settings.limits.max_file_bytes:
        reason = Problem(
            "file",
            "file_too_large",
            f"file is {stored.size} bytes; the limit is {settings.limits.max_file_bytes} bytes",
        )
        report = refused_report(summary, reason, stored.format_hint)
    else:
        parsed = parse_notice_file(
            services.bucket.read(obj),
            filename=obj.relative_name,
            format_hint=stored.format_hint,
            limits=settings.limits,
            defaults=settings.regulator_defaults(obj.regulator_id),
        )
        report = _report_for(obj, parsed, summary, services)
    services.bucket.write_result(obj, report)
    return report


def _report_for(
    obj: IntakeObject, parsed: ParsedFile, summary: dict[str, Any], services: IntakeServices
) -> dict[str, Any]:
    if parsed.refused is not None:
        return refused_report(summary, parsed.refused, parsed.format)
    received_at = services.clock()
    results = [_store_row(obj, parsed.format, row, received_at, services) for row in parsed.rows]
    return processed_report(summary, parsed, results)


def _store_row(
    obj: IntakeObject,
    source_format: str,
    row: ParsedRow,
    received_at: datetime,
    services: IntakeServices,
) -> RowResult:
    if not row.accepted or row.content is None:
        return RowResult(row)
    saved = services.notices.save(
        row.content,
        regulator_id=obj.regulator_id,
        source_format=source_format,
        source_file=obj.key,
        received_at=received_at,
    )
    if saved.lifecycle_started:
        return RowResult(row, saved)
    # Started after the notice is stored and flagged after the start: a crash in
    # between is healed by the retry, which finds the flag unset and restarts by name.
    execution_arn = services.lifecycle.start(saved.notice)
    services.notices.mark_lifecycle_started(saved.notice.notice_id, saved.notice.version)
    return RowResult(row, saved, execution_arn)
