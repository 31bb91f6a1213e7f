"""Property: whatever the interleaving of a regulator's amendments and withdrawals and a
platform's answers, sent at once over real HTTP while the notice's lifecycle executions
run in the embedded runtime, nothing accepted is lost and a withdrawal stays final.

Each example sends a notice, then rounds of requests; the requests of one round are sent
at the same time. Every amendment changes a field no other one changes, to a value of
its own. Then:
- the versions are exactly the accepted (201) changes, applied one after the other in
  version order: each accepted amendment is in its version and every later one, a
  refused one (409/412) in none;
- at most one withdrawal is accepted, and nothing follows it: the notice stays withdrawn,
  the withdrawal reaches the platform if an earlier version did, every execution ends
  and nothing escalates;
- otherwise only the newest version is still open for the platform.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.api.principal import PrincipalKind
from chalicelib.dispatch.model import DispatchRef, DispatchState, WaitKind
from chalicelib.notices.model import NoticeContent
from chalicelib.stores.notices_table import NoticeStore
from psx.embedded.runtime import EmbeddedRuntime
from psx.polling import wait_until
from tests.api.support import (
    Answer,
    Caller,
    HttpApi,
    at_once,
    key_for,
    new_regulator,
    table,
    unique,
)
from tests.e2e.lifecycle_steps import (
    execution,
    register,
    services,
    timeline_kinds,
    waiting_for,
)

pytestmark = pytest.mark.e2e

# Canonical field → where it sits in the notice's content.
FIELDS = {
    "remedy": ("remedy",),
    "title": ("title",),
    "consumer_contact": ("consumer_contact",),
    "brand": ("product", "brand"),
    "manufacturer": ("product", "manufacturer"),
    "category": ("product", "category"),
}
AMEND, WITHDRAW, ACKNOWLEDGE, REPORT = "amend", "withdraw", "acknowledge", "report"
ALLOWED = {
    AMEND: {201: set(), 409: {"concurrent-update", "notice-withdrawn"}},
    WITHDRAW: {201: set(), 409: {"concurrent-update", "already-withdrawn"}},
    # Before the dispatch exists: not found; superseded, withdrawn or answered: 409.
    ACKNOWLEDGE: {
        201: set(),
        404: {"not-found"},
        409: {"notice-closed", "nothing-owed", "already-answered"},
    },
}
ALLOWED[REPORT] = ALLOWED[ACKNOWLEDGE]
SETTLE_SECONDS = 60


@dataclass(frozen=True)
class Request:
    kind: str
    field: str | None = None  # of an amendment

    @property
    def value(self) -> str:
        return f"{self.field} #{id(self)}"


@st.composite
def rounds(draw: st.DrawFn) -> list[list[Request]]:
    """Up to three rounds of one to three requests; amendments take distinct fields."""
    kinds = st.sampled_from([AMEND, AMEND, WITHDRAW, ACKNOWLEDGE, REPORT])
    shape = draw(st.lists(st.lists(kinds, min_size=1, max_size=3), min_size=1, max_size=3))
    fields = iter(draw(st.permutations(list(FIELDS))))
    return [
        [Request(kind, next(fields) if kind == AMEND else None) for kind in kinds_of_round]
        for kinds_of_round in shape
    ]


@pytest.fixture(scope="module")
def platform(runtime: EmbeddedRuntime) -> Caller:
    """A platform without a webhook: it pulls from its inbox and answers over the API."""
    platform_id = unique("pull")
    register(platform_id, None)
    return key_for(PrincipalKind.PLATFORM, platform_id)


def test_no_accepted_change_is_lost_and_a_withdrawal_is_final(
    runtime: EmbeddedRuntime, http: HttpApi, platform: Caller
) -> None:
    @given(plan=rounds())
    @settings(
        max_examples=12,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def property_holds(plan: list[list[Request]]) -> None:
        regulator = new_regulator()
        sent = http.post(
            "/v1/notices",
            {
                "source_reference": unique("P"),
                "jurisdiction": "KR",
                "product_name": "Magnetic toy",
                "target_platforms": [platform.id],
            },
            regulator,
        )
        assert sent.status == 201, sent
        notice_id = sent.body["notice_id"]
        # The platform has it: its answers race the regulator's changes from the start.
        waiting_for(DispatchRef(notice_id, 1, platform.id), WaitKind.ACKNOWLEDGEMENT)
        answers: list[tuple[Request, Answer]] = []
        for round_ in plan:
            calls = [_call(http, regulator, platform, notice_id, r) for r in round_]
            answers.extend(zip(round_, at_once(*calls), strict=True))

        _answers_are_allowed(answers)
        versions = _versions_are_the_accepted_changes_in_order(notice_id, answers)
        _the_lifecycle_settles(runtime, notice_id, platform.id, versions)

    property_holds()


def _call(
    http: HttpApi, regulator: Caller, platform: Caller, notice_id: str, request: Request
) -> Callable[[], Answer]:
    path = f"/v1/notices/{notice_id}"
    if request.kind == AMEND:
        body = {"changes": {request.field: request.value}}
        return lambda: http.post(f"{path}/amendment", body, regulator)
    if request.kind == WITHDRAW:
        return lambda: http.post(f"{path}/withdrawal", {"reason": "withdrawn"}, regulator)
    if request.kind == ACKNOWLEDGE:
        return lambda: http.post(f"{path}/acknowledgement", {}, platform)
    return lambda: http.post(f"{path}/actions", {"listings": []}, platform)


def _answers_are_allowed(answers: list[tuple[Request, Answer]]) -> None:
    for request, answer in answers:
        allowed = ALLOWED[request.kind]
        assert answer.status in allowed, (request, answer)
        if answer.status >= 400:
            assert answer.problem_type in allowed[answer.status], (request, answer)


def _versions_are_the_accepted_changes_in_order(
    notice_id: str, answers: list[tuple[Request, Answer]]
) -> list[NoticeContent]:
    """The stored versions, checked against the accepted changes replayed in order."""
    accepted = sorted(
        (answer.body["version"], request)
        for request, answer in answers
        if request.kind in {AMEND, WITHDRAW} and answer.status == 201
    )
    numbers = [version for version, _ in accepted]
    assert numbers == list(range(2, 2 + len(accepted))), answers  # one version each
    withdrawals = [version for version, request in accepted if request.kind == WITHDRAW]
    assert withdrawals in ([], numbers[-1:]), answers  # nothing after a withdrawal
    store = NoticeStore(table())
    stored = [store.get_version(notice_id, v) for v in range(1, 2 + len(accepted))]
    assert None not in stored and store.get_version(notice_id, 2 + len(accepted)) is None
    contents = [notice.content for notice in stored if notice is not None]
    expected = contents[0].model_dump(mode="json")
    for (version, request), content in zip(accepted, contents[1:], strict=True):
        expected = _applied(expected, request)
        assert content.model_dump(mode="json") == expected, (version, request, answers)
    refused = [r.value for r, a in answers if r.kind == AMEND and a.status != 201]
    assert not any(value in str(content) for content in contents for value in refused)
    return contents


def _applied(content: dict[str, Any], request: Request) -> dict[str, Any]:
    changed = copy.deepcopy(content)
    if request.kind == WITHDRAW:
        changed["withdrawn"] = True
        return changed
    assert request.field is not None
    *parents, leaf = FIELDS[request.field]
    reduce(lambda node, key: node[key], parents, changed)[leaf] = request.value
    return changed


def _the_lifecycle_settles(
    runtime: EmbeddedRuntime, notice_id: str, platform_id: str, versions: list[NoticeContent]
) -> None:
    latest = len(versions)
    withdrawn = versions[-1].withdrawn
    # Planned (which closes every older dispatch first): the platform had every version.
    wait_until(
        lambda: services().dispatches.get(DispatchRef(notice_id, latest, platform_id)),
        f"v{latest} of {notice_id} to be dispatched",
        SETTLE_SECONDS,
    )
    # Every superseded execution ends; with a withdrawal, every execution ends.
    for version in range(1, latest + (1 if withdrawn else 0)):
        wait_until(
            lambda version=version: execution(runtime, notice_id, version)["status"] != "RUNNING",
            f"execution of {notice_id} v{version} to end",
            SETTLE_SECONDS,
        )
        assert execution(runtime, notice_id, version)["status"] == "SUCCEEDED"
    dispatches = services().dispatches.for_notice(notice_id)
    older = [d for d in dispatches if d.ref.version < latest]
    assert all(d.state is DispatchState.CLOSED for d in older), older
    if not withdrawn:
        return
    assert all(d.open_wait is None or d.state is DispatchState.CLOSED for d in dispatches)
    assert "deadline_missed" not in timeline_kinds(notice_id)
    pushed = [e.event_key for e in services().notices.timeline(notice_id) if e.kind == "inbox_only"]
    if any(not key.startswith(f"v{latest:06d}#") for key in pushed):
        # An earlier version reached the platform's inbox: so does the withdrawal.
        assert any(key.startswith(f"v{latest:06d}#{platform_id}#") for key in pushed), pushed
