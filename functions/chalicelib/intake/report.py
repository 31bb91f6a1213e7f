"""The per-file result report, at ``results/<regulator-id>/<file>.result.json``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.intake.rows import ParsedFile, ParsedRow, Problem
from chalicelib.notices.versions import SavedNotice

REPORT_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class RowResult:
    parsed: ParsedRow
    saved: SavedNotice | None = None
    execution_arn: str | None = None
    failure: Problem | None = None  # an accepted row that could not be stored

    def to_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {"row": self.parsed.row, "locator": self.parsed.locator}
        if self.saved is None:
            row["status"] = "rejected"
            errors = [*self.parsed.errors, *([self.failure] if self.failure else [])]
            row["errors"] = [problem.to_dict() for problem in errors]
        else:
            current = self.saved.current
            row["status"] = "accepted"
            row["notice_id"] = current.notice_id
            row["version"] = current.version
            row["outcome"] = self.saved.outcome.value
            # A row replaces the notice whole, even a version sent meanwhile by someone else.
            row["replaced_version"] = self.saved.replaced_version
            row["source_reference"] = current.source_reference
            row["execution_arn"] = self.execution_arn
        row["warnings"] = [problem.to_dict() for problem in self.parsed.warnings]
        return row


def file_summary(
    *,
    bucket: str,
    key: str,
    version_id: str | None,
    regulator_id: str,
    size: int,
    etag: str,
    processed_at: datetime,
) -> dict[str, Any]:
    return {
        "bucket": bucket,
        "key": key,
        "version_id": version_id,
        "regulator_id": regulator_id,
        "size_bytes": size,
        "etag": etag,
        "processed_at": processed_at.isoformat(),
    }


def refused_report(file: dict[str, Any], reason: Problem, fmt: str | None) -> dict[str, Any]:
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "status": "refused",
        "format": fmt,
        "file": file,
        "reason": reason.to_dict(),
        "counts": _counts([]),
        "file_warnings": [],
        "rows": [],
    }


def processed_report(
    file: dict[str, Any], parsed: ParsedFile, results: list[RowResult]
) -> dict[str, Any]:
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "status": "processed",
        "format": parsed.format,
        "file": file,
        "reason": None,
        "counts": _counts(results),
        "file_warnings": [problem.to_dict() for problem in parsed.warnings],
        "rows": [result.to_dict() for result in results],
    }


def _counts(results: list[RowResult]) -> dict[str, int]:
    outcomes = Counter(r.saved.outcome.value for r in results if r.saved is not None)
    return {
        "rows": len(results),
        "accepted": sum(1 for r in results if r.saved is not None),
        "rejected": sum(1 for r in results if r.saved is None),
        "with_warnings": sum(1 for r in results if r.parsed.warnings),
        "created": outcomes["created"],
        "new_version": outcomes["new_version"],
        "withdrawn": outcomes["withdrawn"],
        "reissued": outcomes["reissued"],
        "unchanged": outcomes["unchanged"],
        # Every new version starts its lifecycle; unchanged rows never start another.
        "executions_started": len(results)
        - sum(1 for r in results if r.saved is None)
        - outcomes["unchanged"],
    }
