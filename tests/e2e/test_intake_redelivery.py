"""The intake crashes halfway through a file (rows stored, some executions not started)
and SQS delivers the notification again: every notice is stored once, every execution
starts once."""

from __future__ import annotations

import itertools
import threading
from typing import Any

import pytest

from chalicelib.workflow.lifecycle import LifecycleStarter
from psx.embedded.runtime import EmbeddedRuntime
from tests.e2e.intake_steps import accepted_rows, store, upload
from tests.e2e.lifecycle_steps import HEADER, notice_row

pytestmark = pytest.mark.e2e

ROWS = 12
CRASH_AT_START = ROWS // 2


class IntakeCrashed(RuntimeError):
    """The Lambda dying mid-batch (a timeout, an out-of-memory kill)."""


def test_an_intake_that_crashed_halfway_converges_when_redelivered(
    runtime: EmbeddedRuntime, regulator_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    starts = itertools.count(1)
    lock = threading.Lock()
    original_start = LifecycleStarter.start

    def crashing_start(starter: LifecycleStarter, current: Any) -> None:
        with lock:
            number = next(starts)
        if number == CRASH_AT_START:
            raise IntakeCrashed(f"crashed before starting execution {number}")
        original_start(starter, current)

    monkeypatch.setattr(LifecycleStarter, "start", crashing_start)
    rows = "".join(notice_row(f"R-{n}", []) for n in range(ROWS))

    report = upload(runtime, regulator_id, "crash.csv", (HEADER + rows).encode())

    assert next(starts) > ROWS, "the intake ran once, so nothing was redelivered"
    notice_ids = {row["notice_id"] for row in accepted_rows(report)}
    assert len(notice_ids) == ROWS
    for notice_id in notice_ids:
        current = store().current_state(notice_id)
        assert current is not None and current.version == 1
        assert store().get_version(notice_id, 2) is None
    executions = runtime.wait_for_executions(name_prefix="")
    names = [e["name"] for e in executions if e["name"].split("-v")[0] in notice_ids]
    assert sorted(names) == sorted(f"{notice_id}-v1" for notice_id in notice_ids)
