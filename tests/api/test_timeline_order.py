"""A notice's timeline, as the regulator reads it over the API, is in causal order and
every row names its version: checked with real lifecycle executions, with the races of
a busy exchange made to happen (a handler is held until the race has been run)."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from chalicelib.api.principal import PrincipalKind
from chalicelib.dispatch.model import DispatchRef, WaitKind
from psx.embedded.runtime import EmbeddedRuntime
from tests.api.support import Api, Caller, key_for, listing, new_regulator, unique
from tests.e2e.lifecycle_steps import finished, register, waiting_for

pytestmark = pytest.mark.e2e

HOLD_SECONDS = 30

NOTICE = {
    "kind": "order",
    "jurisdiction": "KR",
    "title": "Magnetic toy recall",
    "product": {"name": "Magnetic toy", "brand": "KidBlocks", "models": ["M-1"]},
    "hazard": {"types": ["Injuries"], "description": "Magnets can be swallowed"},
    "barcodes": "8801234567893",
}


class Gate:
    """Holds a workflow handler (in its own thread) until the test has run its race."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self._opened = threading.Event()

    def hold(self) -> None:
        self.reached.set()
        assert self._opened.wait(HOLD_SECONDS), "the test never opened the gate"

    def wait_until_reached(self) -> None:
        assert self.reached.wait(HOLD_SECONDS), "the workflow never reached the gate"

    def open(self) -> None:
        self._opened.set()


@pytest.fixture
def regulator() -> Caller:
    return new_regulator()


@pytest.fixture
def platform_id() -> str:
    platform_id = unique("shop")
    register(platform_id, None)  # inbox only: the platform pulls
    return platform_id


def _lifecycle_tasks(runtime: EmbeddedRuntime) -> ModuleType:
    """The lifecycle's task handlers, as the running exchange imported them."""
    assert runtime.app  # imported with the app, once moto runs (not at collection)
    return importlib.import_module("chalicelib.handlers.lifecycle")


def _hold(
    monkeypatch: pytest.MonkeyPatch,
    runtime: EmbeddedRuntime,
    handler: str,
    when: Callable[..., bool],
    gate: Gate,
) -> None:
    """Hold the lifecycle tasks' calls of ``handler`` for which ``when(*args)`` is true at
    ``gate``."""
    real = getattr(_lifecycle_tasks(runtime), handler)

    def held(*args: Any) -> Any:
        if when(*args):
            gate.hold()
        return real(*args)

    monkeypatch.setattr(_lifecycle_tasks(runtime), handler, held)


def _timeline(api: Api, regulator: Caller, notice_id: str) -> list[dict[str, Any]]:
    answer = api.get(f"/v1/notices/{notice_id}/timeline", regulator)
    assert answer.status == 200, answer
    events: list[dict[str, Any]] = answer.body["events"]
    return events


def _steps(events: list[dict[str, Any]], platform_id: str | None = None) -> list[str]:
    return [
        f"{e['kind']} v{e['version']}"
        for e in events
        if platform_id is None or e["platform_id"] == platform_id
    ]


def test_answers_that_come_before_the_workflow_waits_follow_the_waits(
    runtime: EmbeddedRuntime,
    api: Api,
    regulator: Caller,
    platform_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    platform = key_for(PrincipalKind.PLATFORM, platform_id)
    gate = Gate()
    _hold(monkeypatch, runtime, "open_wait", lambda ref, *_: ref.platform_id == platform_id, gate)
    sent = api.post(
        "/v1/notices",
        {**NOTICE, "source_reference": unique("R"), "target_platforms": [platform_id]},
        regulator,
    )
    notice_id = sent.body["notice_id"]

    gate.wait_until_reached()  # dispatched, and about to wait for the acknowledgement
    ack = api.post(f"/v1/notices/{notice_id}/acknowledgement", {}, platform)
    report = api.post(f"/v1/notices/{notice_id}/actions", {"listings": [listing()]}, platform)
    gate.open()
    waiting_for(DispatchRef(notice_id, 1, platform_id), WaitKind.NOTIFICATION)
    told = api.post(
        f"/v1/notices/{notice_id}/affected-parties",
        {"notified_by_platform": {"buyers": 3}, "final": True},
        platform,
    )

    assert (ack.status, report.status, told.status) == (201, 201, 201)
    assert finished(runtime, notice_id, 1)["status"] == "SUCCEEDED"
    events = _timeline(api, regulator, notice_id)
    assert _steps(events, platform_id) == [
        "dispatched v1",
        "inbox_only v1",
        "awaiting_acknowledgement v1",
        "acknowledgement_received v1",
        "awaiting_action_report v1",
        "action_report_received v1",
        "awaiting_notification v1",
        "awaiting_verification v1",
        "notification_started v1",
        "affected_parties_received v1",
        "notification_completed v1",
    ]
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)


def test_a_withdrawal_found_by_a_running_plan_closes_after_it_was_requested(
    runtime: EmbeddedRuntime,
    api: Api,
    regulator: Caller,
    platform_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reference = unique("R")
    body = {**NOTICE, "source_reference": reference, "target_platforms": [platform_id]}
    notice_id = api.post("/v1/notices", body, regulator).body["notice_id"]
    waiting_for(DispatchRef(notice_id, 1, platform_id), WaitKind.ACKNOWLEDGEMENT)
    amendment_planning, amendment_planned = Gate(), threading.Event()
    real_plan = _lifecycle_tasks(runtime).plan_dispatch

    def plan(notice: str, version: int, now: Any, services: Any) -> Any:
        # The amendment's plan read its clock before the withdrawal arrived and finds the
        # withdrawal only once it has created its dispatches; the withdrawal's own plan
        # waits for it (so the amendment's plan is the one closing them).
        if notice == notice_id and version == 2:
            amendment_planning.hold()
            planned = real_plan(notice, version, now, services)
            amendment_planned.set()
            return planned
        if notice == notice_id and version == 3:
            assert amendment_planned.wait(HOLD_SECONDS)
        return real_plan(notice, version, now, services)

    monkeypatch.setattr(_lifecycle_tasks(runtime), "plan_dispatch", plan)

    amended = api.post(
        f"/v1/notices/{notice_id}/amendment", {"changes": {"remedy": "refund"}}, regulator
    )
    amendment_planning.wait_until_reached()
    withdrawn = api.post(f"/v1/notices/{notice_id}/withdrawal", {"reason": "gone"}, regulator)
    amendment_planning.open()

    assert (amended.status, withdrawn.status) == (201, 201)
    for version in (2, 3):
        assert finished(runtime, notice_id, version)["status"] == "SUCCEEDED"
    events = _timeline(api, regulator, notice_id)
    steps = _steps(events)
    assert steps.index("withdrawal_requested v3") < steps.index("closed v2")
    assert steps.index("amendment_requested v2") < steps.index("closed v1")
    closures = {e["version"]: e["details"] for e in events if e["kind"] == "closed"}
    assert closures[1]["by_version"] == 2 and closures[1]["reason"].startswith("superseded")
    assert closures[2]["by_version"] == 3 and closures[2]["reason"] == "withdrawn"
    # Distinct events are distinct rows: no two alike once the version is shown.
    rows = [(e["kind"], e["version"], e["platform_id"]) for e in events]
    assert len(set(rows)) == len(rows)
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
