"""`psx upload` of a large file shows how far the intake has got while it waits."""

from __future__ import annotations

import re
from typing import Any

import pytest

from psx.embedded.runtime import EmbeddedRuntime
from psx.uploads import Upload, progress_shown
from tests.e2e.intake_steps import upload
from tests.e2e.lifecycle_steps import HEADER, notice_row

pytestmark = pytest.mark.e2e

ROWS = 120


def _sent(report: dict[str, Any], regulator_id: str, name: str) -> Upload:
    file = report["file"]
    return Upload(file["bucket"], file["key"], file["etag"], regulator_id, name, file["version_id"])


def _shown(runtime: EmbeddedRuntime, sent: Upload) -> list[str]:
    lines: list[str] = []
    poll = progress_shown(runtime.client("s3"), sent, lines.append, pause=lambda: None)
    poll()
    poll()  # the same progress again is not shown twice
    return lines


def test_a_large_files_intake_writes_progress_that_upload_shows_for_that_upload(
    runtime: EmbeddedRuntime, regulator_id: str
) -> None:
    rows = "".join(notice_row(f"P-{n}", []) for n in range(ROWS))
    report = upload(runtime, regulator_id, "big.csv", (HEADER + rows).encode())
    sent = _sent(report, regulator_id, "big.csv")

    (line,) = _shown(runtime, sent)
    # Written once a second while rows are stored: how far it got depends on the pace.
    shown = re.fullmatch(r"(\d+) of 120 rows stored, (\d+) executions started", line)
    assert shown is not None, line
    assert 1 <= int(shown[1]) <= ROWS and shown[1] == shown[2]
    # Another upload of the same name has progress of its own, never this one's.
    assert _shown(runtime, Upload(**{**vars(sent), "version_id": "another-upload"})) == []
    assert _shown(runtime, Upload(**{**vars(sent), "etag": "an-older-upload"})) == []


def test_a_small_file_writes_no_progress(runtime: EmbeddedRuntime, regulator_id: str) -> None:
    report = upload(runtime, regulator_id, "small.csv", (HEADER + notice_row("S-1", [])).encode())
    sent = _sent(report, regulator_id, "small.csv")

    assert _shown(runtime, sent) == []
