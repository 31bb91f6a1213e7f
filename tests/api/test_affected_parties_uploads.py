"""Large lists of affected parties as a file: announced through the API, PUT to a
presigned URL, taken row by row by the upload function (S3 -> SQS -> here) through the
same path as JSON batches, in the embedded runtime."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests

from chalicelib.deadlines.policy import DeadlinePolicy, NotificationMode
from chalicelib.notification.services import notification_services
from chalicelib.notification.uploads import UPLOAD_HOLD, process_upload
from chalicelib.settings import load_settings
from chalicelib.stores.affected_parties_bucket import upload_key
from chalicelib.stores.platforms_table import PlatformStore
from psx.embedded.runtime import EmbeddedRuntime
from tests.api.support import Api, Caller, new_platform, new_regulator, seed_notice, table
from tests.api.test_notification import _sent_to
from tests.e2e.lifecycle_steps import services

UPLOADS = "/v1/notices/{}/affected-parties/uploads"


@pytest.fixture(scope="module")
def regulator(api: Api) -> Caller:
    return new_regulator()


@pytest.fixture
def delegating(regulator: Caller) -> Caller:
    platform = new_platform()
    agreement = DeadlinePolicy(notification_mode=NotificationMode.EXCHANGE)
    PlatformStore(table()).set_agreement(platform.id, regulator.id, agreement)
    return platform


def _upload(
    api: Api,
    runtime: EmbeddedRuntime,
    notice_id: str,
    platform: Caller,
    data: bytes,
    **body: Any,
) -> dict[str, Any]:
    """Announce, PUT and take a file; what the status URL then answers."""
    created = api.post(UPLOADS.format(notice_id), body, platform)
    assert created.status == 201, created
    return _put(api, runtime, platform, created.body, data)


def _put(
    api: Api, runtime: EmbeddedRuntime, platform: Caller, created: dict[str, Any], data: bytes
) -> dict[str, Any]:
    assert requests.put(created["upload_url"], data=data, timeout=30).ok
    runtime.pump()
    answer = api.get(f"/v1{created['status_path'].removeprefix('/v1')}", platform)
    assert answer.status == 200, answer
    return dict(answer.body)


def _statuses(api: Api, notice_id: str, platform: Caller) -> dict[str, str]:
    page = api.get(f"/v1/notices/{notice_id}/notifications", platform, limit=100)
    return {
        item["buyer_ref"] or f"{item['seller_id']}/{item['listing_id']}": item["status"]
        for item in page.body["items"]
    }


CSV = (
    "buyer_ref,seller_id,name,email,phone,language,country,listing_id,listing_ids,purchased_on\n"
    "B-1,,,kim.csv@mail.example,,ko,KR,L-1,,2026-11-01\n"
    "B-2,,,not-an-address,,,,,,\n"
    "B-3,,,,+821023456780,ko,,,,\n"
    "B-4,,,anna.csv@mail.example,,xx,,,,\n"
    ",S-1,Shop,seller.csv@shop.example,,de,,,L-1|L-2,\n"
    "B-5,S-2,,both@mail.example,,,,,,\n"
    "B-6,,,kim.csv@mail.example,,,,,,\n"
)


def test_a_csv_file_is_taken_row_by_row_with_each_refused_row_named(
    api: Api, runtime: EmbeddedRuntime, regulator: Caller, delegating: Caller
) -> None:
    notice_id = seed_notice(regulator, [delegating])

    result = _upload(api, runtime, notice_id, delegating, CSV.encode(), format="csv", final=True)

    assert result["status"] == "completed", result
    assert result["counts"] == {
        "rows": 7,
        "queued": 4,  # B-1, B-3, and the seller's two listings
        "duplicates": 1,  # B-6: the same address as B-1
        "excluded_by_lookback": 0,
        "refused": 3,
    }
    errors = [(e["row"], e["field"], e["code"]) for e in result["errors"]]
    assert errors == [
        (3, "email", "invalid_email"),
        (5, "language", "unknown_language"),
        (7, None, "party"),
    ]
    assert result["errors_total"] == 3 and result["error"] is None
    assert _statuses(api, notice_id, delegating) == {
        "B-1": "sent",
        "B-3": "sent",
        "S-1/L-1": "failed",  # no action report: no statement of reasons to send
        "S-1/L-2": "failed",
    }
    assert len(_sent_to("kim.csv@mail.example")) == 1
    page = api.get(f"/v1/notices/{notice_id}/notifications", delegating)
    assert page.body["final"] is True
    (received,) = [
        e for e in services().notices.timeline(notice_id) if e.kind == "affected_parties_received"
    ]
    assert received.details["batch_id"] == result["upload_id"]
    assert (received.details["rows"], received.details["refused"]) == (7, 3)
    assert "@" not in str(received.details)  # counts only: contacts are personal data


def test_a_gzipped_jsonl_file_and_its_repeated_event_store_and_send_once(
    api: Api, runtime: EmbeddedRuntime, regulator: Caller, delegating: Caller
) -> None:
    notice_id = seed_notice(regulator, [delegating])
    lines = [
        {"buyer_ref": "B-1", "email": "lee.jsonl@mail.example", "language": "ko"},
        {"buyer_ref": "B-2", "email": "lee.jsonl@mail.example"},
        "[1, 2]",
        {"buyer_ref": "B-3", "email": "no-at-sign", "colour": "red"},
    ]
    data = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n{oops\n"

    created = api.post(UPLOADS.format(notice_id), {"format": "jsonl", "gzip": True}, delegating)
    result = _put(api, runtime, delegating, created.body, gzip.compress(data.encode()))
    # The same file again: S3 sends a second event for the same upload.
    again = _put(api, runtime, delegating, created.body, gzip.compress(data.encode()))

    assert result["status"] == "completed", result
    assert result["counts"]["queued"] == 1 and result["counts"]["duplicates"] == 1
    assert {(e["row"], e["field"], e["code"]) for e in result["errors"]} == {
        (3, None, "not_an_object"),
        (4, "colour", "invalid"),  # an unknown field, as in a JSON batch
        (5, None, "not_json"),
    }
    assert result["counts"]["refused"] == 3 and result["errors_total"] == 3
    assert again == result  # finished: a repeated event takes nothing
    assert len(_sent_to("lee.jsonl@mail.example")) == 1


def test_a_platform_that_notifies_itself_gets_no_upload_url(api: Api, regulator: Caller) -> None:
    platform = new_platform()  # the default agreement: the platform notifies
    notice_id = seed_notice(regulator, [platform])

    answer = api.post(UPLOADS.format(notice_id), {"format": "csv"}, platform)

    assert answer.status == 409 and answer.problem_type == "notifies-itself"


def test_only_a_platform_the_notice_was_sent_to_may_upload_and_read(
    api: Api, regulator: Caller, delegating: Caller
) -> None:
    notice_id = seed_notice(regulator, [delegating])
    created = api.post(UPLOADS.format(notice_id), {"format": "csv"}, delegating)
    other = new_platform()

    unknown = api.post(UPLOADS.format("ntc-" + "0" * 24), {"format": "csv"}, delegating)
    not_sent = api.post(UPLOADS.format(notice_id), {"format": "csv"}, other)
    by_regulator = api.post(UPLOADS.format(notice_id), {"format": "csv"}, regulator)
    read_by_other = api.get(created.headers["Location"], other)
    no_such_upload = api.get(
        UPLOADS.format(notice_id) + "/upl-20260101T000000Z-00000000", delegating
    )
    pending = api.get(created.headers["Location"], delegating)

    assert (unknown.status, not_sent.status, by_regulator.status) == (404, 404, 403)
    assert (read_by_other.status, no_such_upload.status) == (404, 404)
    assert pending.status == 200 and pending.body["status"] == "pending"
    assert pending.body["counts"] is None and pending.body["errors"] == []
    assert created.body["upload_url"].startswith("http")
    assert f"affected-parties/{delegating.id}/{notice_id}/" in created.body["upload_url"]


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"format": "xlsx"}, "#/format"),
        ({"format": "csv", "compression": "zip"}, "#/compression"),
        ({}, "#/format"),
    ],
)
def test_a_bad_request_is_refused_with_its_pointer(
    api: Api, regulator: Caller, delegating: Caller, body: dict[str, Any], pointer: str
) -> None:
    notice_id = seed_notice(regulator, [delegating])

    answer = api.post(UPLOADS.format(notice_id), body, delegating)

    assert answer.status == 400, answer
    assert [error["pointer"] for error in answer.body["errors"]] == [pointer]


@pytest.mark.parametrize(
    ("data", "compressed", "code"),
    [
        (b"buyer_ref,email\nB-1,caf\xe9@mail.example\n", False, "not_utf8"),
        (b"B-1,b1@mail.example\n", False, "missing_header"),
        (b"buyer_ref,email,shoe_size\nB-1,b1@mail.example,42\n", False, "unknown_column"),
        (b"", False, "empty_file"),
        (b"buyer_ref,email\n", False, "empty_file"),
        (b"buyer_ref,email\nB-1,b1@mail.example\n", True, "not_gzip"),
        (b"buyer_ref,email\n" + b"B-1,b1@mail.example\n" * 4, False, "too_many_rows"),
    ],
)
def test_a_file_that_cannot_be_read_fails_whole_and_stores_nothing(
    api: Api,
    runtime: EmbeddedRuntime,
    regulator: Caller,
    delegating: Caller,
    monkeypatch: pytest.MonkeyPatch,
    data: bytes,
    compressed: bool,
    code: str,
) -> None:
    monkeypatch.setenv("PSX_AFFECTED_PARTIES_MAX_ROWS", "3")
    notice_id = seed_notice(regulator, [delegating])

    result = _upload(api, runtime, notice_id, delegating, data, format="csv", gzip=compressed)

    assert result["status"] == "failed" and result["error"]["code"] == code, result
    assert result["counts"] is None and result["errors"] == []
    assert _statuses(api, notice_id, delegating) == {}


def test_a_processing_that_died_is_taken_over_once_its_hold_lapses(
    api: Api, regulator: Caller, delegating: Caller
) -> None:
    notice_id = seed_notice(regulator, [delegating])
    created = api.post(UPLOADS.format(notice_id), {"format": "jsonl"}, delegating)
    own = notification_services(load_settings())
    upload = own.recipients.get_upload(notice_id, delegating.id, created.body["upload_id"])
    assert upload is not None
    boto3.client("s3").put_object(
        Bucket=own.uploads.bucket,
        Key=upload_key(upload),
        Body=b'{"buyer_ref": "B-1", "email": "held@mail.example"}\n',
    )
    started = datetime.now(UTC)
    # A first processing claimed it, then its invocation died.
    assert own.recipients.claim_upload(upload, "dead", started, started + UPLOAD_HOLD)

    def at(moment: datetime) -> Any:
        return process_upload(notice_id, delegating.id, upload.upload_id, 10, lambda: moment, own)

    while_held = at(started + UPLOAD_HOLD / 2)
    taken_over = at(started + UPLOAD_HOLD + timedelta(seconds=1))
    once_finished = at(started + 3 * UPLOAD_HOLD)

    assert while_held is None and once_finished is None
    assert taken_over is not None and taken_over.status == "completed"
    assert taken_over.counts["queued"] == 1
