"""Concurrent changes to one notice over real HTTP (the in-process local server, many
requests at once): an amendment or a withdrawal applies to the version it was computed
from or is refused, never to a newer one; ETag and If-Match make the check explicit.

Races are forced, not hoped for: ``racing_saves`` holds every request at the store until
all of them have read the notice, so each computes its change from the same version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.api.openapi import openapi_document
from tests.api.support import (
    Answer,
    Api,
    Caller,
    HttpApi,
    at_once,
    new_regulator,
    racing_saves,
    unique,
)

NOTICE = {
    "kind": "order",
    "jurisdiction": "KR",
    "title": "Magnetic toy recall",
    "product": {"name": "Magnetic toy", "models": ["M-1"]},
    "target_platforms": ["nobody-registered"],
}


@pytest.fixture
def regulator(http: HttpApi) -> Caller:
    return new_regulator()


def send(api: Api, regulator: Caller) -> str:
    answer = api.post("/v1/notices", {**NOTICE, "source_reference": unique("C")}, regulator)
    assert answer.status == 201, answer
    return str(answer.body["notice_id"])


def amend(api: Api, regulator: Caller, notice_id: str, **changes: Any) -> Callable[[], Answer]:
    return lambda: api.post(f"/v1/notices/{notice_id}/amendment", {"changes": changes}, regulator)


def withdraw(api: Api, regulator: Caller, notice_id: str, reason: str) -> Callable[[], Answer]:
    return lambda: api.post(f"/v1/notices/{notice_id}/withdrawal", {"reason": reason}, regulator)


def notice(api: Api, regulator: Caller, notice_id: str) -> dict[str, Any]:
    answer = api.get(f"/v1/notices/{notice_id}", regulator)
    assert answer.status == 200, answer
    return dict(answer.body)


def requested(api: Api, regulator: Caller, notice_id: str, kind: str) -> list[dict[str, Any]]:
    events = api.get(f"/v1/notices/{notice_id}/timeline", regulator).body["events"]
    return [event for event in events if event["kind"] == f"{kind}_requested"]


# -- finding 2: concurrent amendments revert each other -----------------------------------


def test_concurrent_amendments_from_one_version_apply_once_and_refuse_the_rest(
    http: HttpApi, regulator: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    notice_id = send(http, regulator)
    changes = {"remedy": "Full refund", "title": "Recall: magnets", "consumer_contact": "080"}
    racing_saves(monkeypatch, len(changes))

    answers = at_once(*(amend(http, regulator, notice_id, **{f: v}) for f, v in changes.items()))

    statuses = sorted(answer.status for answer in answers)
    assert statuses == [201, 409, 409], answers
    (won,) = [field for field, answer in zip(changes, answers, strict=True) if answer.status == 201]
    for answer in answers:
        if answer.status == 409:
            assert answer.problem_type == "concurrent-update"
            assert "version 2" in answer.body["detail"] and "ETag" in answer.headers
    final = notice(http, regulator, notice_id)
    assert final["version"] == 2
    # The winner's change, and none of the refused ones' (they changed nothing).
    before = {"remedy": None, "title": NOTICE["title"], "consumer_contact": None}
    assert {field: final["content"][field] for field in changes} == before | {won: changes[won]}


def test_concurrent_amendments_never_lose_an_accepted_change(
    http: HttpApi, regulator: Caller
) -> None:
    """Unforced: whatever the interleaving, every 201 is in the final version."""
    notice_id = send(http, regulator)
    changes = {"remedy": "Full refund", "title": "Recall: magnets", "consumer_contact": "080"}

    answers = at_once(*(amend(http, regulator, notice_id, **{f: v}) for f, v in changes.items()))

    assert {answer.status for answer in answers} <= {201, 409}, answers
    accepted = [f for f, answer in zip(changes, answers, strict=True) if answer.status == 201]
    final = notice(http, regulator, notice_id)
    assert final["version"] == 1 + len(accepted)
    assert all(final["content"][field] == changes[field] for field in accepted)


# -- finding 1: a withdrawal undone by an amendment that finishes later ---------------------


def test_an_amendment_computed_before_a_withdrawal_never_undoes_it(
    http: HttpApi, regulator: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    notice_id = send(http, regulator)
    # Both read version 1; the withdrawal is stored first, the amendment after it.
    racing_saves(monkeypatch, 2, first=lambda content: content.withdrawn)

    amended, withdrawn = at_once(
        amend(http, regulator, notice_id, remedy="Full refund"),
        withdraw(http, regulator, notice_id, "tests were wrong"),
    )

    assert withdrawn.status == 201 and withdrawn.body["status"] == "withdrawn", withdrawn
    assert amended.status == 409 and amended.problem_type == "concurrent-update", amended
    final = notice(http, regulator, notice_id)
    assert (final["version"], final["status"]) == (2, "withdrawn")
    assert final["content"]["remedy"] is None
    assert requested(http, regulator, notice_id, "amendment") == []


# -- finding 2: six concurrent withdrawals --------------------------------------------------


def test_six_concurrent_withdrawals_one_wins_and_the_others_are_refused_not_unchanged(
    http: HttpApi, regulator: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    notice_id = send(http, regulator)
    reasons = [f"reason {number}" for number in range(6)]
    racing_saves(monkeypatch, len(reasons))

    answers = at_once(*(withdraw(http, regulator, notice_id, reason) for reason in reasons))

    assert sorted(answer.status for answer in answers) == [201, 409, 409, 409, 409, 409]
    assert {a.problem_type for a in answers if a.status == 409} == {"concurrent-update"}
    (winner,) = [r for r, answer in zip(reasons, answers, strict=True) if answer.status == 201]
    (recorded,) = requested(http, regulator, notice_id, "withdrawal")
    assert recorded["details"]["reason"] == winner


def test_six_withdrawals_unforced_exactly_one_succeeds(http: HttpApi, regulator: Caller) -> None:
    notice_id = send(http, regulator)

    answers = at_once(*(withdraw(http, regulator, notice_id, f"r{n}") for n in range(6)))

    assert sorted(answer.status for answer in answers)[:2] == [201, 409], answers
    refused = [answer.problem_type for answer in answers if answer.status != 201]
    assert len(refused) == 5 and set(refused) <= {"concurrent-update", "already-withdrawn"}
    assert len(requested(http, regulator, notice_id, "withdrawal")) == 1


# -- ETag and If-Match ---------------------------------------------------------------------


def test_the_notice_has_an_etag_per_version_that_if_match_checks(
    api: Api, regulator: Caller
) -> None:
    notice_id = send(api, regulator)
    first_etag = api.get(f"/v1/notices/{notice_id}", regulator).headers["ETag"]
    path = f"/v1/notices/{notice_id}/amendment"

    amended = api.post(path, {"changes": {"remedy": "A"}}, regulator, headers=_if(first_etag))
    stale = api.post(path, {"changes": {"title": "B"}}, regulator, headers=_if(first_etag))
    current_etag = api.get(f"/v1/notices/{notice_id}", regulator).headers["ETag"]

    assert amended.status == 201 and amended.headers["ETag"] == current_etag != first_etag
    assert stale.status == 412 and stale.problem_type == "precondition-failed", stale
    assert stale.headers["ETag"] == current_etag and "version 2" in stale.body["detail"]
    assert notice(api, regulator, notice_id)["content"]["title"] == NOTICE["title"]
    either = f'"ntc-000000000000000000000000-v1", {current_etag}'
    chained = api.post(path, {"changes": {"title": "C"}}, regulator, headers=_if(either))
    anything = api.post(path, {"changes": {"title": "D"}}, regulator, headers=_if("*"))
    assert (chained.status, anything.status) == (201, 201)


def test_a_key_reused_with_another_if_match_is_another_request(api: Api, regulator: Caller) -> None:
    notice_id = send(api, regulator)
    etag = api.get(f"/v1/notices/{notice_id}", regulator).headers["ETag"]
    path, body = f"/v1/notices/{notice_id}/amendment", {"changes": {"remedy": "A"}}

    first = api.post(path, body, regulator, idempotency_key="amend-1", headers=_if(etag))
    replayed = api.post(path, body, regulator, idempotency_key="amend-1", headers=_if(etag))
    other = api.post(path, body, regulator, idempotency_key="amend-1", headers=_if("*"))

    assert (first.status, replayed.status) == (201, 201)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert other.status == 409 and other.problem_type == "idempotency-key-reused"


@pytest.mark.parametrize("header", ["3", '"unterminated', "W/3", '"a" "b"'])
def test_a_malformed_if_match_is_a_400_naming_the_header(
    api: Api, regulator: Caller, header: str
) -> None:
    notice_id = send(api, regulator)

    answer = api.post(
        f"/v1/notices/{notice_id}/withdrawal", {}, regulator, headers={"If-Match": header}
    )

    assert answer.status == 400 and answer.body["errors"][0]["header"] == "If-Match", answer


def test_a_weak_etag_never_matches(api: Api, regulator: Caller) -> None:
    notice_id = send(api, regulator)
    etag = api.get(f"/v1/notices/{notice_id}", regulator).headers["ETag"]

    answer = api.post(
        f"/v1/notices/{notice_id}/withdrawal", {}, regulator, headers=_if("W/" + etag)
    )

    assert answer.status == 412, answer
    assert notice(api, regulator, notice_id)["status"] == "active"


def test_if_match_on_another_regulators_notice_is_not_found(api: Api, regulator: Caller) -> None:
    notice_id = send(api, regulator)
    etag = api.get(f"/v1/notices/{notice_id}", regulator).headers["ETag"]

    answer = api.post(f"/v1/notices/{notice_id}/withdrawal", {}, new_regulator(), headers=_if(etag))

    assert answer.status == 404 and "ETag" not in answer.headers


def test_a_change_racing_with_if_match_is_412(
    http: HttpApi, regulator: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    notice_id = send(http, regulator)
    etag = http.get(f"/v1/notices/{notice_id}", regulator).headers["ETag"]
    path = f"/v1/notices/{notice_id}/amendment"
    racing_saves(monkeypatch, 2)

    answers = at_once(
        *(
            lambda value=value: http.post(
                path, {"changes": {"remedy": value}}, regulator, headers=_if(etag)
            )
            for value in ("A", "B")
        )
    )

    assert sorted(answer.status for answer in answers) == [201, 412], answers


def _if(etag: str) -> dict[str, str]:
    return {"If-Match": etag}


def test_the_openapi_document_states_etag_if_match_and_412() -> None:
    paths = openapi_document()["paths"]
    notice = "/v1/notices/{notice_id}"

    for path in (f"{notice}/amendment", f"{notice}/withdrawal"):
        operation = paths[path]["post"]
        headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
        assert "If-Match" in headers and "412" in operation["responses"]
        assert "ETag" in operation["responses"]["201"]["headers"]
    assert "ETag" in paths[notice]["get"]["responses"]["200"]["headers"]
    assert "412" not in paths[f"{notice}/acknowledgement"]["post"]["responses"]
