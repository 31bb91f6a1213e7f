"""Strict input: times in range and with a zone, integers that are integers and bounded,
cursors exactly as the API wrote them, and a body that says it is JSON. Each case was
found answered 200, 201 or 500 by an adversarial run (issue 15: findings 3, 11, 12)."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest

from chalicelib.api.calls import encode_cursor
from chalicelib.api.problems import PROBLEM_JSON
from tests.api.support import Answer, Api, Caller, listing, new_platform, new_regulator, seed_notice


def _refused(answer: Answer, status: int = 400) -> list[dict[str, Any]]:
    assert answer.status == status, answer
    assert answer.headers["Content-Type"] == PROBLEM_JSON
    assert answer.body["status"] == status
    errors: list[dict[str, Any]] = answer.body["errors"]
    return errors


def _lists(platform: Caller, regulator: Caller) -> list[tuple[str, Caller]]:
    return [("/v1/inbox", platform), ("/v1/notices", regulator)]


# -- times -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "since", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1969-12-31T23:59:59Z"]
)
def test_a_since_out_of_range_is_a_400_naming_it(
    api: Api, platform: Caller, regulator: Caller, since: str
) -> None:
    for path, caller in _lists(platform, regulator):
        (error,) = _refused(api.get(path, caller, since=since))
        assert (error["parameter"], error["code"]) == ("since", "time_range")


@pytest.mark.parametrize(
    "since",
    [
        "1700000000",  # Unix seconds
        "-1",
        "2026-11-23T00:00:00",  # no zone
        "2026-11-23 00:00:00Z",  # no T
        "2026-11-23T00:00Z",  # no seconds
        "２０２６-11-23T00:00:00Z",  # full-width digits
        "2026-11-23T00:00:00Z\n",
    ],
)
def test_a_since_that_is_not_iso_8601_with_a_zone_is_a_400(
    api: Api, platform: Caller, regulator: Caller, since: str
) -> None:
    for path, caller in _lists(platform, regulator):
        (error,) = _refused(api.get(path, caller, since=since))
        assert (error["parameter"], error["code"]) == ("since", "time_format")


def test_a_since_in_range_with_any_zone_is_taken(
    api: Api, platform: Caller, regulator: Caller
) -> None:
    for path, caller in _lists(platform, regulator):
        for since in ("1970-01-01T00:00:00Z", "2099-12-31T23:59:59.5+14:00"):
            assert api.get(path, caller, since=since).status == 200


@pytest.mark.parametrize(
    ("acted_at", "code"),
    [
        ("0001-01-01T00:00:00Z", "time_range"),
        ("0001-01-01T00:00:00+14:00", "time_range"),
        ("1969-07-20T20:17:00Z", "time_range"),
        (1700000000, "time_format"),
        ("2025-05-02T09:30:00", "time_format"),
        ("2025-05-02", "time_format"),
    ],
)
def test_an_acted_at_out_of_range_or_without_a_zone_is_a_400(
    api: Api, platform: Caller, regulator: Caller, acted_at: Any, code: str
) -> None:
    notice_id = seed_notice(regulator, [platform])

    answer = api.post(
        f"/v1/notices/{notice_id}/actions",
        {"listings": [{**listing(), "acted_at": acted_at}]},
        platform,
    )

    (error,) = _refused(answer)
    assert (error["pointer"], error["code"]) == ("#/listings/0/acted_at", code)


@pytest.mark.parametrize("purchased_on", ["0001-01-01", 1700000000, "2026-10-30T00:00:00Z"])
def test_a_purchase_date_out_of_range_or_not_a_date_is_a_400(
    api: Api, platform: Caller, regulator: Caller, purchased_on: Any
) -> None:
    notice_id = seed_notice(regulator, [platform])
    buyer = {"buyer_ref": "B-1", "email": "b@mail.example", "purchased_on": purchased_on}
    # Checked before anything else: whoever notifies, a bad date is the answer.

    answer = api.post(f"/v1/notices/{notice_id}/affected-parties", {"buyers": [buyer]}, platform)

    (error,) = _refused(answer)
    assert error["pointer"] == "#/buyers/0/purchased_on"


# -- integers ----------------------------------------------------------------------------


@pytest.mark.parametrize("version", [True, "1", "99", 1.0, 0, 1_000_000])
def test_a_version_must_be_a_bounded_integer(
    api: Api, platform: Caller, regulator: Caller, version: Any
) -> None:
    notice_id = seed_notice(regulator, [platform])

    answer = api.post(f"/v1/notices/{notice_id}/acknowledgement", {"version": version}, platform)

    (error,) = _refused(answer)
    assert error["pointer"] == "#/version"


@pytest.mark.parametrize("buyers", [10**40, 1_000_000_001, -1, "120", True, 12.0])
def test_counts_notified_by_the_platform_must_be_bounded_integers(
    api: Api, platform: Caller, regulator: Caller, buyers: Any
) -> None:
    notice_id = seed_notice(regulator, [platform])
    body = {"notified_by_platform": {"sellers": 0, "buyers": buyers}}

    answer = api.post(f"/v1/notices/{notice_id}/affected-parties", body, platform)

    (error,) = _refused(answer)
    assert error["pointer"] == "#/notified_by_platform/buyers"


@pytest.mark.parametrize("limit", ["5_0", "+5", " 5", "5.0", "٥", "true"])
def test_a_limit_must_be_written_in_ascii_digits(
    api: Api, platform: Caller, regulator: Caller, limit: str
) -> None:
    for path, caller in _lists(platform, regulator):
        (error,) = _refused(api.get(path, caller, limit=limit))
        assert error["parameter"] == "limit"


# -- cursors -----------------------------------------------------------------------------


def _sort_key_of(cursor: str) -> str:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()


def _forgeries(cursor: str) -> list[str]:
    """Cursors the API never wrote, each leading to the same or a similar position."""
    sort_key = _sort_key_of(cursor)
    arabic_indic = sort_key.replace("0", "\u0660", 1)  # \d matched it
    return [
        encode_cursor(arabic_indic) or "",
        encode_cursor(sort_key + "\n") or "",  # $ matched before it
        cursor + "==",  # padding the API leaves off
        cursor[:4] + "...." + cursor[4:],  # base64 decoding skips what is not base64
        base64.b64encode(sort_key.encode()).decode(),  # another alphabet, when it differs
    ]


def test_only_a_cursor_the_api_wrote_is_taken(api: Api, regulator: Caller) -> None:
    platform = new_platform()
    for _ in range(3):
        seed_notice(regulator, [platform])
    cursors = {
        path: api.get(path, caller, limit=1).body["next_cursor"]
        for path, caller in _lists(platform, regulator)
    }

    for path, caller in _lists(platform, regulator):
        assert api.get(path, caller, limit=1, cursor=cursors[path]).status == 200
        for forged in _forgeries(cursors[path]):
            if forged == cursors[path]:
                continue
            (error,) = _refused(api.get(path, caller, limit=1, cursor=forged))
            assert (error["parameter"], error["code"]) == ("cursor", "cursor")


def test_an_idempotency_key_with_a_final_newline_is_a_400(api: Api, regulator: Caller) -> None:
    body = {"source_reference": "KEY-NL-1", "product_name": "Kettle", "jurisdiction": "KR"}

    answer = api.post("/v1/notices", body, regulator, idempotency_key="key-1\n")

    (error,) = _refused(answer)
    assert error["header"] == "Idempotency-Key"


# -- media type --------------------------------------------------------------------------


def test_a_body_without_content_type_is_a_415(api: Api) -> None:
    regulator = new_regulator()
    body = b'{"source_reference": "NO-TYPE-1", "product_name": "Kettle", "jurisdiction": "KR"}'
    headers = {"Idempotency-Key": str(uuid.uuid4())}

    answer = api.request("POST", "/v1/notices", regulator, headers, body)

    _refused(answer, 415)
    assert answer.body["type"] == "urn:psx:problem:unsupported-media-type"
    assert api.get("/v1/notices", regulator).body["items"] == []


def test_a_post_without_a_body_needs_no_content_type(api: Api, platform: Caller) -> None:
    headers = {"Idempotency-Key": str(uuid.uuid4())}

    answer = api.request("POST", "/v1/webhook-test", platform, headers)

    assert answer.status == 409 and answer.body["type"] == "urn:psx:problem:no-webhook"
