"""How far the intake of a large file has got, for ``psx upload`` to show while it waits.

Written at most once per interval (an S3 PUT is cheap next to a row's transaction and
execution start), and only for files with enough accepted rows to make a wait
noticeable; the result report, written last, supersedes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from chalicelib.intake.report import RowResult
from chalicelib.notices.versions import SaveOutcome

# Below this many accepted rows the report comes quickly enough without progress.
PROGRESS_MIN_ROWS = 100
PROGRESS_INTERVAL_SECONDS = 1.0


class IntakeProgress:
    def __init__(
        self,
        write: Callable[[dict[str, Any]], None],
        etag: str,
        rows: int,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write = write
        self._etag = etag
        self._rows = rows
        self._monotonic = monotonic
        self._stored = 0
        self._started = 0
        self._last_written: float | None = None

    def add(self, results: Iterable[RowResult]) -> None:
        """Count rows just stored; writes the progress when the interval has passed."""
        for result in results:
            if result.saved is not None:
                self._stored += 1
                self._started += result.saved.outcome is not SaveOutcome.UNCHANGED
        if self._rows < PROGRESS_MIN_ROWS:
            return
        now = self._monotonic()
        if self._last_written is None or now - self._last_written >= PROGRESS_INTERVAL_SECONDS:
            self._last_written = now
            self._write(
                {
                    "etag": self._etag,
                    "rows": self._rows,
                    "stored": self._stored,
                    "executions_started": self._started,
                }
            )
