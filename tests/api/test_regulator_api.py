"""Regulator endpoints: a notice sent as JSON is judged like a file row; lists, amendments,
withdrawals and the timeline."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.support import Api, Caller, new_regulator, unique

NOTICE = {
    "kind": "order",
    "jurisdiction": "KR",
    "title": "Magnetic toy recall",
    "product": {"name": "Magnetic toy", "brand": "KidBlocks", "models": ["M-1", "M-2"]},
    "hazard": {"types": ["Injuries"], "description": "Magnets can be swallowed"},
    "barcodes": "8801234567893, 8801234567890",
    "target_platforms": ["nobody-registered"],
}


@pytest.fixture
def regulator(api: Api) -> Caller:
    return new_regulator()


def _send(api: Api, regulator: Caller, **fields: Any) -> Any:
    answer = api.post(
        "/v1/notices", {**NOTICE, "source_reference": unique("R"), **fields}, regulator
    )
    assert answer.status == 201, answer
    return answer.body


def test_a_notice_is_validated_like_a_file_row(api: Api, regulator: Caller) -> None:
    answer = api.post("/v1/notices", {**NOTICE, "source_reference": unique("R")}, regulator)
    receipt = answer.body

    assert answer.status == 201 and receipt["outcome"] == "created" and receipt["version"] == 1
    assert answer.headers["Location"] == f"/v1/notices/{receipt['notice_id']}"
    # The mistyped barcode is kept and warned about, exactly as for files.
    assert [w["pointer"] for w in receipt["warnings"]] == ["#/barcodes"]
    notice = api.get(f"/v1/notices/{receipt['notice_id']}", regulator).body
    assert notice["content"]["product"]["barcodes"] == ["8801234567893"]
    assert notice["content"]["product"]["suspect_barcodes"] == ["8801234567890"]


@pytest.mark.parametrize(
    ("fields", "pointer", "code"),
    [
        ({"jurisdiction": "Atlantis"}, "#/jurisdiction", "jurisdiction_invalid"),
        ({"product": {"brand": "KidBlocks"}, "barcodes": None}, "#/product_name", None),
        ({"title": "x" * 30_000}, "#/title", "cell_too_long"),
        ({"product_colour": "red"}, "#/product_colour", "extra_forbidden"),
        ({"barcodes": 8801234567893}, "#/barcodes", None),
    ],
    ids=["jurisdiction", "unidentified", "too-long", "unknown-field", "number-not-text"],
)
def test_a_notice_a_file_would_reject_is_400_with_the_field(
    api: Api, regulator: Caller, fields: dict[str, Any], pointer: str, code: str | None
) -> None:
    body = {**NOTICE, "source_reference": unique("R"), **fields}

    answer = api.post("/v1/notices", body, regulator)

    assert answer.status == 400, answer
    errors = answer.body["errors"]
    assert pointer in [e["pointer"] for e in errors], errors
    if code:
        assert code in [e["code"] for e in errors]


def test_sending_the_same_notice_again_changes_nothing(api: Api, regulator: Caller) -> None:
    reference = unique("R")
    first = api.post("/v1/notices", {**NOTICE, "source_reference": reference}, regulator)
    again = api.post("/v1/notices", {**NOTICE, "source_reference": reference}, regulator)

    assert (first.status, again.status) == (201, 200)
    assert again.body["outcome"] == "unchanged" and again.body["version"] == 1


def test_an_amendment_changes_only_the_fields_given(api: Api, regulator: Caller) -> None:
    notice_id = _send(api, regulator)["notice_id"]

    answer = api.post(
        f"/v1/notices/{notice_id}/amendment",
        {"changes": {"remedy": "Full refund", "title": None}, "reason": "remedy agreed"},
        regulator,
    )

    assert answer.status == 201 and answer.body["version"] == 2, answer
    content = api.get(f"/v1/notices/{notice_id}", regulator).body["content"]
    assert content["remedy"] == "Full refund" and content["title"] is None
    assert content["product"]["models"] == ["M-1", "M-2"]
    kinds = [
        e["kind"] for e in api.get(f"/v1/notices/{notice_id}/timeline", regulator).body["events"]
    ]
    assert "amendment_requested" in kinds


def test_an_amendment_without_a_change_makes_no_version(api: Api, regulator: Caller) -> None:
    notice_id = _send(api, regulator)["notice_id"]

    answer = api.post(f"/v1/notices/{notice_id}/amendment", {"changes": {}}, regulator)

    assert answer.status == 200 and answer.body["outcome"] == "unchanged"


def test_a_regulator_marks_a_notice_global_on_sending_or_by_amendment(
    api: Api, regulator: Caller
) -> None:
    sent = _send(api, regulator, global_watch=True)
    plain = _send(api, regulator)
    amended = api.post(
        f"/v1/notices/{plain['notice_id']}/amendment",
        {"changes": {"global_watch": "yes"}},
        regulator,
    )
    other_change = api.post(
        f"/v1/notices/{sent['notice_id']}/amendment", {"changes": {"remedy": "Refund"}}, regulator
    )

    assert amended.status == 201 and amended.body["version"] == 2, amended
    assert other_change.status == 201, other_change

    def watched(notice_id: str) -> bool:
        return bool(api.get(f"/v1/notices/{notice_id}", regulator).body["content"]["global_watch"])

    # Another amendment keeps the mark: only a change of global_watch itself undoes it.
    assert watched(sent["notice_id"]) and watched(plain["notice_id"])
    unreadable = _send(api, regulator, global_watch="perhaps")
    assert [(w["pointer"], w["code"]) for w in unreadable["warnings"]] == [
        ("#/barcodes", "barcode_check_digit"),
        ("#/global_watch", "global_watch_unknown"),
    ]
    assert not watched(unreadable["notice_id"])


@pytest.mark.parametrize(
    ("changes", "pointer"),
    [
        ({"source_reference": "OTHER"}, "#/changes/source_reference"),
        ({"status": "withdrawn"}, "#/changes/status"),
        ({"jurisdiction": "ZZ"}, "#/changes/jurisdiction"),
    ],
)
def test_an_amendment_cannot_rename_withdraw_or_break_a_notice(
    api: Api, regulator: Caller, changes: dict[str, Any], pointer: str
) -> None:
    notice_id = _send(api, regulator)["notice_id"]

    answer = api.post(f"/v1/notices/{notice_id}/amendment", {"changes": changes}, regulator)

    assert answer.status == 400
    assert pointer in [e["pointer"] for e in answer.body["errors"]], answer.body


def test_a_withdrawal_is_a_new_version_once(api: Api, regulator: Caller) -> None:
    notice_id = _send(api, regulator)["notice_id"]
    path = f"/v1/notices/{notice_id}/withdrawal"

    first = api.post(path, {"reason": "sold out everywhere"}, regulator)
    second = api.post(path, {}, regulator)
    amend = api.post(f"/v1/notices/{notice_id}/amendment", {"changes": {"remedy": "x"}}, regulator)

    assert first.status == 201 and first.body["status"] == "withdrawn"
    assert second.status == 409 and second.problem_type == "already-withdrawn"
    assert amend.status == 409 and amend.problem_type == "notice-withdrawn"


def test_the_list_pages_and_filters_a_regulators_notices(api: Api, regulator: Caller) -> None:
    sent = [_send(api, regulator)["notice_id"] for _ in range(5)]
    api.post(f"/v1/notices/{sent[0]}/withdrawal", {}, regulator)

    first = api.get("/v1/notices", regulator, limit=3).body
    rest = api.get("/v1/notices", regulator, limit=3, cursor=first["next_cursor"]).body
    withdrawn = api.get("/v1/notices", regulator, status="withdrawn").body

    listed = [item["notice_id"] for item in first["items"] + rest["items"]]
    assert sorted(listed) == sorted(sent) and rest["next_cursor"] is None
    assert listed[0] == sent[0]  # most recently changed first: the withdrawal
    assert [item["notice_id"] for item in withdrawn["items"]] == [sent[0]]
