"""Intake of one uploaded notice file: parse, validate, store, start lifecycles, report."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.intake.parse import parse_notice_file
from chalicelib.intake.progress import IntakeProgress
from chalicelib.intake.report import RowResult, file_summary, processed_report, refused_report
from chalicelib.intake.rows import ParsedFile, ParsedRow, Problem
from chalicelib.notices.model import notice_id_for
from chalicelib.settings import Settings
from chalicelib.stores.intake_bucket import IntakeBucket, IntakeObject, StoredFile
from chalicelib.stores.notices_table import CurrentState, NoticeStore
from chalicelib.workflow.lifecycle import LifecycleStarter

Clock = Callable[[], datetime]

# Rows are I/O-bound (a DynamoDB transaction and a StartExecution each): a few threads
# keep a large file well inside the Lambda timeout.
STORE_WORKERS = 8


@dataclass(frozen=True)
class IntakeServices:
    bucket: IntakeBucket
    notices: NoticeStore
    lifecycle: LifecycleStarter
    clock: Clock


@dataclass(frozen=True)
class _Batch:
    obj: IntakeObject
    source_format: str
    received_at: datetime
    known: dict[str, CurrentState]


def ingest_file(
    obj: IntakeObject, stored: StoredFile, settings: Settings, services: IntakeServices
) -> dict[str, Any]:
    """Ingest one object and write its result report; returns the report.

    Every write below is idempotent, so a retried or duplicated delivery converges on
    the same notices and the same executions.
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
    by_notice = _accepted_rows_by_notice(obj.regulator_id, parsed.rows)
    batch = _Batch(
        obj=obj,
        source_format=parsed.format,
        received_at=services.clock(),
        known=services.notices.current_states(list(by_notice)),
    )
    results: dict[int, RowResult] = {}
    progress = IntakeProgress(
        lambda written: services.bucket.write_progress(obj, written),
        etag=summary["etag"],
        rows=sum(len(rows) for rows in by_notice.values()),
    )
    with ThreadPoolExecutor(max_workers=STORE_WORKERS) as pool:
        # Rows naming the same notice go to one worker, in file order, so a file that
        # re-issues a notice twice yields its versions in the order the regulator wrote.
        for stored in pool.map(lambda rows: _store_rows(batch, rows, services), by_notice.values()):
            results.update(stored)
            progress.add(stored.values())
    ordered = [results.get(id(row)) or RowResult(row) for row in parsed.rows]
    return processed_report(summary, parsed, ordered)


def _accepted_rows_by_notice(
    regulator_id: str, rows: list[ParsedRow]
) -> dict[str, list[ParsedRow]]:
    grouped: dict[str, list[ParsedRow]] = {}
    for row in rows:
        if row.accepted and row.content is not None:
            notice_id = notice_id_for(regulator_id, row.content.source_reference)
            grouped.setdefault(notice_id, []).append(row)
    return grouped


def _store_rows(
    batch: _Batch, rows: list[ParsedRow], services: IntakeServices
) -> dict[int, RowResult]:
    results: dict[int, RowResult] = {}
    known: CurrentState | None = None
    for index, row in enumerate(rows):
        assert row.content is not None  # grouped rows are accepted rows
        if index == 0:
            known = batch.known.get(
                notice_id_for(batch.obj.regulator_id, row.content.source_reference)
            )
        saved = services.notices.save(
            row.content,
            regulator_id=batch.obj.regulator_id,
            source_format=batch.source_format,
            source_file=batch.obj.key,
            received_at=batch.received_at,
            known=known,
        )
        known = saved.current
        if not saved.current.lifecycle_started:
            # Also for an unchanged row: the start may have been lost to a crash after the
            # save. Starting by name is idempotent; the workflow marks itself started.
            services.lifecycle.start(saved.current)
        results[id(row)] = RowResult(row, saved, services.lifecycle.execution_arn(saved.current))
    return results
