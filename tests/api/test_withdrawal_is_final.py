"""A withdrawal is final unless the regulator re-issues the notice: one rule for file rows,
``POST /v1/notices`` and ``/amendment``, with real lifecycle executions and platforms
that receive signed webhooks.

- an amendment of a withdrawn notice is refused, pointing to a re-issue;
- withdrawing a withdrawn notice again (file row or API) changes nothing;
- the notice sent whole again re-issues it: status active, published as a new notice to
  the platforms its content targets (one that never had it gets ``notice.published``);
- an amendment or a file row that races a withdrawal never undoes it, the withdrawal
  reaches the platforms, and nothing escalates for a withdrawn notice.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.dispatch.model import DispatchRef, WaitKind
from chalicelib.notices.model import NoticeContent, notice_id_for
from chalicelib.stores.notices_table import NoticeStore
from psx.embedded.runtime import EmbeddedRuntime
from psx.polling import wait_until
from psx.webhook_receiver import WebhookReceiver
from tests.api.support import Api, Caller, at_once, new_regulator, racing_saves, unique
from tests.e2e.intake_steps import upload
from tests.e2e.lifecycle_steps import (
    HEADER,
    finished,
    notice_row,
    publish,
    receiving_platforms,
    timeline_kinds,
    waiting_for,
)

pytestmark = pytest.mark.e2e

NOTICE = {
    "kind": "order",
    "jurisdiction": "KR",
    "product": {"name": "Magnetic toy", "models": ["M-1"]},
}


@pytest.fixture
def platforms(runtime: EmbeddedRuntime) -> Iterator[dict[str, WebhookReceiver]]:
    """``had`` is sent the notice first; ``new`` only what a re-issue targets."""
    with receiving_platforms("had", "new") as receivers:
        yield receivers


def received(receiver: WebhookReceiver) -> list[tuple[str, int]]:
    return [(d.body["type"], d.body["version"]) for d in receiver.deliveries]


def send(api: Api, regulator: Caller, body: dict[str, Any]) -> Any:
    return api.post("/v1/notices", {**NOTICE, **body}, regulator)


def test_the_api_refuses_amending_a_withdrawn_notice_and_re_issues_it_when_sent_again(
    runtime: EmbeddedRuntime, api: Api, platforms: dict[str, WebhookReceiver]
) -> None:
    had, new = platforms
    regulator = new_regulator()
    notice = {"source_reference": unique("RI"), "target_platforms": [had]}
    notice_id = send(api, regulator, notice).body["notice_id"]
    waiting_for(DispatchRef(notice_id, 1, had), WaitKind.ACKNOWLEDGEMENT)
    assert api.post(f"/v1/notices/{notice_id}/withdrawal", {}, regulator).status == 201
    _withdrawal_delivered(platforms[had])

    amended = api.post(
        f"/v1/notices/{notice_id}/amendment", {"changes": {"remedy": "x"}}, regulator
    )
    withdrawn_again = send(api, regulator, {**notice, "status": "withdrawn", "remedy": "y"})
    reissued = send(api, regulator, {**notice, "target_platforms": [had, new]})

    assert amended.status == 409 and amended.problem_type == "notice-withdrawn"
    assert "POST /v1/notices" in amended.body["detail"]
    assert withdrawn_again.status == 200 and withdrawn_again.body["outcome"] == "unchanged"
    assert reissued.status == 201, reissued
    assert (reissued.body["version"], reissued.body["status"], reissued.body["outcome"]) == (
        3,
        "active",
        "reissued",
    )
    _published_anew(runtime, notice_id, platforms)


def test_file_rows_follow_the_same_rule(
    runtime: EmbeddedRuntime, regulator_id: str, platforms: dict[str, WebhookReceiver]
) -> None:
    had, new = platforms
    notice_id = publish(runtime, regulator_id, "n.csv", notice_row("RF-1", [had]))
    waiting_for(DispatchRef(notice_id, 1, had), WaitKind.ACKNOWLEDGEMENT)

    withdrawn = _row(runtime, regulator_id, "w.csv", notice_row("RF-1", [had], status="withdrawn"))
    _withdrawal_delivered(platforms[had])
    again = _row(runtime, regulator_id, "w2.csv", notice_row("RF-1", [had], "withdrawn", "M-9"))
    reissued = _row(runtime, regulator_id, "r.csv", notice_row("RF-1", [had, new]))

    assert (withdrawn["outcome"], withdrawn["version"]) == ("withdrawn", 2)
    assert (again["outcome"], again["version"]) == ("unchanged", 2)
    assert (reissued["outcome"], reissued["version"], reissued["replaced_version"]) == (
        "reissued",
        3,
        2,
    )
    _published_anew(runtime, notice_id, platforms)


def _withdrawal_delivered(receiver: WebhookReceiver) -> None:
    # (A re-issue planned before the withdrawal was would close it unsent: the platform
    # then learns the current state from the re-issue alone.)
    wait_until(lambda: ("notice.withdrawn", 2) in received(receiver), "the withdrawal")


def _row(runtime: EmbeddedRuntime, regulator_id: str, name: str, row: str) -> dict[str, Any]:
    (result,) = upload(runtime, regulator_id, name, (HEADER + row).encode())["rows"]
    return dict(result)


def _published_anew(
    runtime: EmbeddedRuntime, notice_id: str, platforms: dict[str, WebhookReceiver]
) -> None:
    """Version 3 re-issued a notice that version 2 withdrew from ``had``: both platforms
    get it as a new notice, with deadlines."""
    had, new = platforms
    for platform_id in platforms:
        dispatch = waiting_for(DispatchRef(notice_id, 3, platform_id), WaitKind.ACKNOWLEDGEMENT)
        assert dispatch.acknowledgement_deadline is not None and not dispatch.withdrawal
    assert finished(runtime, notice_id, 2)["status"] == "SUCCEEDED"
    assert received(platforms[had]) == [
        ("notice.published", 1),
        ("notice.withdrawn", 2),
        ("notice.published", 3),
    ]
    assert received(platforms[new]) == [("notice.published", 3)]


def test_a_file_row_meeting_a_withdrawal_it_did_not_know_of_is_rejected_not_a_reissue(
    runtime: EmbeddedRuntime, regulator_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(runtime, regulator_id, "n.csv", notice_row("RM-1", ["nobody"]))
    notice_id = notice_id_for(regulator_id, "RM-1")
    real_save = NoticeStore.save

    def withdrawn_just_before(self: NoticeStore, content: NoticeContent, **kwargs: Any) -> Any:
        """The regulator withdraws through the API while intake stores the row."""
        monkeypatch.setattr(NoticeStore, "save", real_save)
        current, notice = self.current_state(notice_id), self.get(notice_id)
        assert notice is not None
        withdrawal = notice.content.model_copy(update={"withdrawn": True})
        real_save(self, withdrawal, **{**kwargs, "known": current, "based_on_known": True})
        return real_save(self, content, **kwargs)

    monkeypatch.setattr(NoticeStore, "save", withdrawn_just_before)
    raced = _row(runtime, regulator_id, "a.csv", notice_row("RM-1", ["nobody"], model="M-2"))
    sent_again = _row(runtime, regulator_id, "a2.csv", notice_row("RM-1", ["nobody"], model="M-2"))

    assert raced["status"] == "rejected"
    assert [(e["field"], e["code"]) for e in raced["errors"]] == [("status", "withdrawn_meanwhile")]
    assert (sent_again["outcome"], sent_again["version"]) == ("reissued", 3)


def test_an_amendment_racing_a_withdrawal_never_reaches_the_platform_after_it(
    runtime: EmbeddedRuntime,
    http: Api,
    platforms: dict[str, WebhookReceiver],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    had = next(iter(platforms))
    regulator = new_regulator()
    notice_id = send(http, regulator, {"source_reference": unique("RR"), "target_platforms": [had]})
    notice_id = notice_id.body["notice_id"]
    dispatch = waiting_for(DispatchRef(notice_id, 1, had), WaitKind.ACKNOWLEDGEMENT)
    racing_saves(monkeypatch, 2, first=lambda content: content.withdrawn)

    amended, withdrawn = at_once(
        lambda: http.post(
            f"/v1/notices/{notice_id}/amendment", {"changes": {"remedy": "x"}}, regulator
        ),
        lambda: http.post(f"/v1/notices/{notice_id}/withdrawal", {"reason": "r"}, regulator),
    )
    monkeypatch.undo()

    assert (amended.status, withdrawn.status) == (409, 201), (amended, withdrawn)
    _withdrawn_for_good(runtime, notice_id, 2, platforms[had], dispatch.action_deadline)


def test_a_withdrawal_right_after_an_amendment_ends_both_versions(
    runtime: EmbeddedRuntime, http: Api, platforms: dict[str, WebhookReceiver]
) -> None:
    """The amended version's workflow and the withdrawal's run at once: the withdrawal
    still reaches the platform, and the amended version never escalates."""
    had = next(iter(platforms))
    regulator = new_regulator()
    sent = send(http, regulator, {"source_reference": unique("RS"), "target_platforms": [had]})
    notice_id = sent.body["notice_id"]
    dispatch = waiting_for(DispatchRef(notice_id, 1, had), WaitKind.ACKNOWLEDGEMENT)
    path = f"/v1/notices/{notice_id}"

    amended = http.post(f"{path}/amendment", {"changes": {"remedy": "x"}}, regulator)
    withdrawn = http.post(f"{path}/withdrawal", {"reason": "r"}, regulator)

    assert (amended.status, withdrawn.status) == (201, 201)
    assert finished(runtime, notice_id, 2)["status"] == "SUCCEEDED"
    _withdrawn_for_good(runtime, notice_id, 3, platforms[had], dispatch.action_deadline)


def _withdrawn_for_good(
    runtime: EmbeddedRuntime,
    notice_id: str,
    withdrawal: int,
    receiver: WebhookReceiver,
    deadline: Any,
) -> None:
    """Every execution ended, the platform was last told of the withdrawal, and the
    deadline check long after every deadline finds nothing to escalate."""
    for version in range(1, withdrawal + 1):
        assert finished(runtime, notice_id, version)["status"] == "SUCCEEDED"
    wait_until(lambda: ("notice.withdrawn", withdrawal) in received(receiver), "the withdrawal")
    assert max(received(receiver), key=lambda delivery: delivery[1]) == (
        "notice.withdrawn",
        withdrawal,
    )
    checked = runtime.run_schedules(deadline + timedelta(days=30))
    missed = checked["enforce_deadlines"]["missed"]
    assert [ref for ref in missed if ref["notice_id"] == notice_id] == []
    assert "deadline_missed" not in timeline_kinds(notice_id)
