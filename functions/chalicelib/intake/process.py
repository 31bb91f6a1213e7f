"""Intake of one uploaded notice file: parse, validate, store, start lifecycles, report."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from chalicelib.intake.evidence import keep_upload_evidence
from chalicelib.intake.parse import parse_notice_file
from chalicelib.intake.progress import IntakeProgress
from chalicelib.intake.report import RowResult, file_summary, processed_report, refused_report
from chalicelib.intake.rows import ParsedFile, ParsedRow, Problem
from chalicelib.notices.model import NoticeContent, notice_id_for
from chalicelib.notices.versions import (
    ConcurrentWriteError,
    CurrentState,
    SavedNotice,
    VersionConflict,
)
from chalicelib.observability import logger
from chalicelib.record_size import RecordTooLarge
from chalicelib.settings import Settings
from chalicelib.stores.aws_errors import error_name, is_permanent
from chalicelib.stores.evidence_bucket import EvidenceBucket
from chalicelib.stores.intake_bucket import (
    IntakeBucket,
    IntakeObject,
    StoredFile,
    file_name_problem,
)
from chalicelib.stores.notices_table import NoticeStore
from chalicelib.workflow.lifecycle import LifecycleStarter

Clock = Callable[[], datetime]

# Rows are I/O-bound (a DynamoDB transaction and a StartExecution each): a few threads
# keep a large file well inside the Lambda timeout.
STORE_WORKERS = 8
# The report's codes for a row that could not be stored while the rest of the file went
# on, and for a file that could not be processed at all.
STORE_FAILED = "store_failed"
INTAKE_FAILED = "intake_failed"
# How often SQS delivers a file before it moves to the dead-letter queue: infra/intake.py's
# maxReceiveCount of the intake queue (tests/infra checks that they agree). The last
# delivery reports even transient failures, so no file ends there without a report.
MAX_DELIVERIES = 5


@dataclass(frozen=True)
class IntakeServices:
    bucket: IntakeBucket
    notices: NoticeStore
    lifecycle: LifecycleStarter
    clock: Clock
    evidence: EvidenceBucket


@dataclass(frozen=True)
class _Batch:
    obj: IntakeObject
    source_format: str
    received_at: datetime
    known: dict[str, CurrentState]
    final_delivery: bool


def ingest_file(
    obj: IntakeObject,
    stored: StoredFile,
    settings: Settings,
    services: IntakeServices,
    final_delivery: bool = False,
) -> dict[str, Any]:
    """Ingest one object and write its result report; returns the report.

    Every write below is idempotent, so a retried or duplicated delivery converges on
    the same notices and the same executions. A failure of the moment (throttling, the
    network) raises, to have the delivery retried, unless this is its ``final_delivery``;
    any other failure is reported, for the row or for the file.
    """
    summary = file_summary(
        bucket=obj.bucket,
        key=obj.key,
        version_id=obj.version_id,
        regulator_id=obj.regulator_id,
        size=stored.size,
        etag=stored.etag,
        processed_at=services.clock(),
    )
    content: bytes | None = None  # the file as read, kept as evidence with its report
    try:
        report, content = _report_of(obj, stored, settings, services, summary, final_delivery)
    except Exception as exc:
        if _retry_delivery(exc) and not final_delivery:
            raise
        logger.exception("a file could not be processed", extra={"key": obj.key})
        reason = Problem("file", INTAKE_FAILED, f"the file {_failure(exc, final_delivery)}")
        report = refused_report(summary, reason, stored.format_hint)
    _keep_evidence(obj, content, report, services, final_delivery)
    services.bucket.write_result(obj, report)
    return report


def _keep_evidence(
    obj: IntakeObject,
    content: bytes | None,
    report: dict[str, Any],
    services: IntakeServices,
    final_delivery: bool,
) -> None:
    """Before the report: a failure of the moment retries the delivery; on the last
    delivery, or for a fault of another kind, the report still goes out (logged)."""
    try:
        keep_upload_evidence(obj, content, report, services.evidence, services.notices)
    except Exception as exc:
        if _retry_delivery(exc) and not final_delivery:
            raise
        logger.exception("the evidence of a file could not be kept", extra={"key": obj.key})


def _report_of(
    obj: IntakeObject,
    stored: StoredFile,
    settings: Settings,
    services: IntakeServices,
    summary: dict[str, Any],
    final_delivery: bool,
) -> tuple[dict[str, Any], bytes | None]:
    """The report, and the file's content if it was read (not for a file refused first)."""
    name_problem = file_name_problem(obj.relative_name)
    if name_problem is not None:
        reason = Problem("file", "file_name_refused", name_problem)
        return refused_report(summary, reason, stored.format_hint), None
    if stored.size > settings.limits.max_file_bytes:
        reason = Problem(
            "file",
            "file_too_large",
            f"file is {stored.size} bytes; the limit is {settings.limits.max_file_bytes} bytes",
        )
        return refused_report(summary, reason, stored.format_hint), None
    content = services.bucket.read(obj)
    parsed = parse_notice_file(
        content,
        filename=obj.relative_name,
        format_hint=stored.format_hint,
        limits=settings.limits,
        defaults=replace(
            settings.regulator_defaults(obj.regulator_id),
            target_platforms=stored.target_platforms,
        ),
    )
    return _report_for(obj, parsed, summary, services, final_delivery), content


def _report_for(
    obj: IntakeObject,
    parsed: ParsedFile,
    summary: dict[str, Any],
    services: IntakeServices,
    final_delivery: bool,
) -> dict[str, Any]:
    if parsed.refused is not None:
        return refused_report(summary, parsed.refused, parsed.format)
    by_notice = _accepted_rows_by_notice(obj.regulator_id, parsed.rows)
    batch = _Batch(
        obj=obj,
        source_format=parsed.format,
        received_at=services.clock(),
        known=services.notices.current_states(list(by_notice)),
        final_delivery=final_delivery,
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
        try:
            saved = _store_row(batch, row.content, known, services)
        except VersionConflict as exc:
            # Withdrawn while the file was on its way: only a deliberate re-issue (the row
            # sent again) may undo a withdrawal.
            message = (
                f"version {exc.current.version} withdrew this notice while the file was "
                "processed, and a withdrawal is final: upload the row again to re-issue it"
            )
            row.errors.append(Problem("status", "withdrawn_meanwhile", message))
            results[id(row)] = RowResult(row)
            continue
        except Exception as exc:
            if _retry_delivery(exc) and not batch.final_delivery:
                raise  # the whole delivery is retried; every write above is idempotent
            logger.exception("a row could not be stored", extra={"row": row.row})
            message = f"the row {_failure(exc, batch.final_delivery)}"
            results[id(row)] = RowResult(row, failure=Problem("row", STORE_FAILED, message))
            continue
        known = saved.current
        results[id(row)] = RowResult(row, saved, services.lifecycle.execution_arn(saved.current))
    return results


def _store_row(
    batch: _Batch, content: NoticeContent, known: CurrentState | None, services: IntakeServices
) -> SavedNotice:
    saved = services.notices.save(
        content,
        regulator_id=batch.obj.regulator_id,
        source_format=batch.source_format,
        source_file=batch.obj.key,
        received_at=batch.received_at,
        known=known,
    )
    if not saved.current.lifecycle_started:
        # Also for an unchanged row: the start may have been lost to a crash after the
        # save. Starting by name is idempotent; the workflow marks itself started.
        services.lifecycle.start(saved.current)
    return saved


def _retry_delivery(exc: Exception) -> bool:
    """A failure of the moment, which another delivery of the file may not meet."""
    return isinstance(exc, ConcurrentWriteError) or not is_permanent(exc)


def _failure(exc: Exception, final_delivery: bool) -> str:
    """What went wrong, in our own words (the traceback goes to the logs only)."""
    if isinstance(exc, RecordTooLarge):
        return f"could not be stored: {exc}"
    if _retry_delivery(exc) and final_delivery:
        return (
            f"could not be stored ({error_name(exc)}) in {MAX_DELIVERIES} attempts: "
            "upload the file again"
        )
    return f"could not be stored ({error_name(exc)})"
