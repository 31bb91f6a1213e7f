"""Idempotent writes and problem details: what a client sees when it retries, and when its
request is wrong."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from chalicelib.api.http import MAX_BODY_BYTES
from chalicelib.api.problems import PROBLEM_JSON
from tests.api.support import Answer, Api, Caller, new_regulator, seed_notice


def _notice(regulator: Caller) -> dict[str, str]:
    return {
        "source_reference": f"I-{datetime.now(UTC).timestamp()}",
        "product_name": "Heater",
        "jurisdiction": "KR",
    }


# -- idempotency -------------------------------------------------------------------------


def test_a_retry_gets_the_original_response(api: Api, regulator: Caller) -> None:
    body = _notice(regulator)

    first = api.post("/v1/notices", body, regulator, idempotency_key="retry-1")
    retry = api.post("/v1/notices", body, regulator, idempotency_key="retry-1")

    assert first.status == retry.status == 201
    assert retry.body == first.body
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers


def test_a_retry_of_an_answer_does_not_answer_twice(
    api: Api, platform: Caller, regulator: Caller
) -> None:
    notice_id = seed_notice(regulator, [platform])
    path = f"/v1/notices/{notice_id}/acknowledgement"

    first = api.post(path, {"reference": "T-1"}, platform, idempotency_key="ack-1")
    retry = api.post(path, {"reference": "T-1"}, platform, idempotency_key="ack-1")

    assert first.status == retry.status == 201 and retry.body == first.body


def test_the_same_key_with_another_body_is_a_conflict(api: Api, regulator: Caller) -> None:
    api.post("/v1/notices", _notice(regulator), regulator, idempotency_key="reuse-1")

    other = api.post("/v1/notices", _notice(regulator), regulator, idempotency_key="reuse-1")

    assert other.status == 409 and other.problem_type == "idempotency-key-reused"


def test_keys_belong_to_their_principal(api: Api, regulator: Caller) -> None:
    someone_else = new_regulator()

    mine = api.post("/v1/notices", _notice(regulator), regulator, idempotency_key="shared")
    theirs = api.post("/v1/notices", _notice(someone_else), someone_else, idempotency_key="shared")

    assert mine.status == theirs.status == 201
    assert mine.body["notice_id"] != theirs.body["notice_id"]


def test_a_refused_request_releases_its_key(api: Api, regulator: Caller) -> None:
    refused = api.post(
        "/v1/notices", {"product_name": "Heater"}, regulator, idempotency_key="fix-1"
    )  # no jurisdiction: 400

    fixed = api.post("/v1/notices", _notice(regulator), regulator, idempotency_key="fix-1")

    assert refused.status == 400 and fixed.status == 201


def test_a_write_without_a_key_is_refused(api: Api, regulator: Caller) -> None:
    answer = api.post("/v1/notices", _notice(regulator), regulator, idempotency_key=None)

    assert answer.status == 400
    assert answer.body["errors"][0]["header"] == "Idempotency-Key"


# -- problem details ---------------------------------------------------------------------


def _problem(answer: Answer) -> dict[str, Any]:
    assert answer.headers["Content-Type"] == PROBLEM_JSON
    body: dict[str, Any] = answer.body
    assert body["status"] == answer.status and body["type"].startswith("urn:psx:problem:")
    assert body["title"]
    return body


def test_malformed_json_is_a_400_problem(api: Api, regulator: Caller) -> None:
    answer = api.post("/v1/notices", raw=b'{"product_name": ', caller=regulator)

    assert answer.status == 400
    assert _problem(answer)["errors"][0]["code"] == "json_invalid"


def test_unknown_fields_are_named(api: Api, platform: Caller, regulator: Caller) -> None:
    notice_id = seed_notice(regulator, [platform])

    answer = api.post(
        f"/v1/notices/{notice_id}/acknowledgement", {"refrence": "typo", "x": 1}, platform
    )

    assert answer.status == 400
    pointers = {e["pointer"] for e in _problem(answer)["errors"]}
    assert pointers == {"#/refrence", "#/x"}


def test_query_parameters_are_validated_and_unknown_ones_refused(
    api: Api, platform: Caller
) -> None:
    too_many = api.get("/v1/inbox", platform, limit=1000)
    unknown = api.get("/v1/inbox", platform, colour="red")
    bad_cursor = api.get("/v1/inbox", platform, cursor="bm90IGEgY3Vyc29y")
    naive = api.get("/v1/inbox", platform, since="2025-01-01T00:00:00")

    for answer, parameter in [
        (too_many, "limit"),
        (unknown, "colour"),
        (bad_cursor, "cursor"),
        (naive, "since"),
    ]:
        assert answer.status == 400, answer
        assert _problem(answer)["errors"][0]["parameter"] == parameter


def test_a_body_over_the_limit_is_413(api: Api, regulator: Caller) -> None:
    big = json.dumps({"title": "x" * (MAX_BODY_BYTES + 1)}).encode()

    answer = api.post("/v1/notices", raw=big, caller=regulator)

    assert answer.status == 413 and _problem(answer)["type"] == "urn:psx:problem:request-too-large"


def test_chalices_own_errors_are_problems_too(api: Api, regulator: Caller) -> None:
    wrong_type = api.post(
        "/v1/notices", raw=b"x", caller=regulator, headers={"Content-Type": "text/plain"}
    )
    wrong_method = api.request("PUT", "/v1/notices", regulator)

    assert wrong_type.status == 415 and _problem(wrong_type)
    assert wrong_method.status == 405 and _problem(wrong_method)


def test_a_platform_calling_a_regulator_endpoint_is_told_why(api: Api, platform: Caller) -> None:
    answer = api.get("/v1/notices", platform)

    assert answer.status == 403
    assert _problem(answer)["detail"] == "this is for regulators"
