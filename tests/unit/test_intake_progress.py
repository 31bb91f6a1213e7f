"""Progress of a large file's intake: counted per stored row, written at most once per
interval, never for small files."""

from __future__ import annotations

from typing import Any

from chalicelib.intake.progress import PROGRESS_INTERVAL_SECONDS, PROGRESS_MIN_ROWS, IntakeProgress
from chalicelib.intake.report import RowResult
from chalicelib.intake.rows import ParsedRow
from chalicelib.notices.model import NoticeStatus
from chalicelib.notices.versions import CurrentState, SavedNotice, SaveOutcome


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _result(outcome: SaveOutcome | None) -> RowResult:
    row = ParsedRow(row=1, locator="row 1")
    if outcome is None:
        return RowResult(row)  # rejected
    current = CurrentState(
        notice_id="ntc-1",
        version=1,
        status=NoticeStatus.ACTIVE,
        content_hash="h",
        regulator_id="kftc",
        source_reference="R-1",
        lifecycle_started=False,
    )
    return RowResult(row, SavedNotice(current, outcome))


def test_progress_is_written_at_once_then_at_most_once_per_interval() -> None:
    written: list[dict[str, Any]] = []
    clock = Clock()
    progress = IntakeProgress(written.append, etag="e1", rows=PROGRESS_MIN_ROWS, monotonic=clock)

    progress.add([_result(SaveOutcome.CREATED), _result(None)])
    progress.add([_result(SaveOutcome.UNCHANGED)])
    clock.now += PROGRESS_INTERVAL_SECONDS
    progress.add([_result(SaveOutcome.NEW_VERSION)])

    assert written == [
        {"etag": "e1", "rows": PROGRESS_MIN_ROWS, "stored": 1, "executions_started": 1},
        # The unchanged row was stored again but started no execution.
        {"etag": "e1", "rows": PROGRESS_MIN_ROWS, "stored": 3, "executions_started": 2},
    ]


def test_small_files_write_no_progress() -> None:
    written: list[dict[str, Any]] = []
    progress = IntakeProgress(written.append, etag="e1", rows=PROGRESS_MIN_ROWS - 1)

    progress.add([_result(SaveOutcome.CREATED)] * (PROGRESS_MIN_ROWS - 1))

    assert written == []
