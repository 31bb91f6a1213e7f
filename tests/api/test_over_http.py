"""The API over real HTTP against `psx serve`, set up with the `psx` commands an operator
uses: the platform engineer's session of docs/api.md, key revocation and rotation, the
gateway's own answers as problem details, and idempotent retries."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.api.problems import PROBLEM_JSON
from psx.polling import wait_until
from tests.e2e.serving import Served, psx_serve

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with psx_serve() as served:
        yield served


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: Any


def call(
    served: Served,
    method: str,
    path: str,
    key: str | None = None,
    body: Any = None,
    idempotency_key: str | None = None,
) -> Reply:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if method == "POST":
        headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(served.api + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Reply(response.status, dict(response.headers), json.load(response))
    except urllib.error.HTTPError as error:
        return Reply(error.code, dict(error.headers), json.loads(error.read() or b"null"))


@dataclass(frozen=True)
class Cast:
    platform_id: str
    platform_key: str
    other_platform_key: str
    regulator_key: str


@pytest.fixture(scope="module")
def cast(served: Served) -> Cast:
    suffix = uuid.uuid4().hex[:6]
    platform_id, other_id = f"shop-{suffix}", f"other-{suffix}"
    for platform in (platform_id, other_id):
        served.json(
            "platforms", "add", platform, "--name", platform, "--jurisdiction", "KR", "--json"
        )
    return Cast(
        platform_id=platform_id,
        platform_key=served.json("keys", "issue", "--platform", platform_id, "--json")["key"],
        other_platform_key=served.json("keys", "issue", "--platform", other_id, "--json")["key"],
        regulator_key=served.json("keys", "issue", "--regulator", "kftc", "--json")["key"],
    )


def test_a_notice_from_inbox_to_reported_takedown(served: Served, cast: Cast) -> None:
    sent = call(
        served,
        "POST",
        "/v1/notices",
        cast.regulator_key,
        {
            "source_reference": f"HTTP-{uuid.uuid4().hex[:6]}",
            "kind": "order",
            "jurisdiction": "KR",
            "product_name": "Magnetic building blocks",
            "barcodes": ["8801234567893"],
            "target_platforms": [cast.platform_id],
        },
    )
    assert sent.status == 201, sent
    notice_id = sent.body["notice_id"]

    def in_inbox() -> list[Any]:
        items = call(served, "GET", "/v1/inbox", cast.platform_key).body["items"]
        return [item for item in items if item["notice_id"] == notice_id]

    (entry,) = wait_until(in_inbox, "the notice in the platform's inbox")
    notice = call(served, "GET", f"/v1/notices/{notice_id}", cast.platform_key)
    ack = call(served, "POST", f"/v1/notices/{notice_id}/acknowledgement", cast.platform_key, {})
    report = {
        "listings": [
            {
                "listing_id": "L-1",
                "url": "https://market.example/item/1",
                "title": "Magnetic blocks",
                "seller_id": "S-1",
                "action": "removed",
                "acted_at": "2025-05-02T09:30:00Z",
            }
        ]
    }
    actions = call(served, "POST", f"/v1/notices/{notice_id}/actions", cast.platform_key, report)
    timeline = call(served, "GET", f"/v1/notices/{notice_id}/timeline", cast.regulator_key)

    assert entry["dispatch"]["deadlines"]["acknowledgement"] is not None
    assert notice.body["content"]["product"]["name"] == "Magnetic building blocks"
    assert (ack.status, actions.status) == (201, 201), (ack, actions)
    kinds = [event["kind"] for event in timeline.body["events"]]
    assert {"acknowledgement_received", "action_report_received"} <= set(kinds)
    elsewhere = call(served, "GET", f"/v1/notices/{notice_id}", cast.other_platform_key)
    assert elsewhere.status == 404


@pytest.mark.parametrize(
    ("path", "key", "status"),
    [
        ("/v1/inbox", None, 401),
        ("/v1/inbox", "psx_0123456789abcdef_" + "A" * 43, 403),
        ("/v1/notices", "platform", 403),
        ("/v1/no-such-thing", "platform", 404),
    ],
    ids=["no-key", "unknown-key", "wrong-principal", "unknown-path"],
)
def test_refusals_are_problem_details(
    served: Served, cast: Cast, path: str, key: str | None, status: int
) -> None:
    answer = call(served, "GET", path, cast.platform_key if key == "platform" else key)

    assert answer.status == status
    assert answer.headers["Content-Type"] == PROBLEM_JSON
    assert answer.body["status"] == status and answer.body["type"].startswith("urn:psx:problem:")


def test_revoked_and_rotated_keys(served: Served, cast: Cast) -> None:
    issued = served.json("keys", "issue", "--regulator", "kca", "--json")
    assert call(served, "GET", "/v1/notices", issued["key"]).status == 200

    rotated = served.json("keys", "rotate", "--regulator", "kca", "--grace-hours", "1", "--json")
    both = [call(served, "GET", "/v1/notices", k["key"]).status for k in (issued, rotated)]
    served.json("keys", "revoke", "--regulator", "kca", "--key-id", issued["key_id"], "--json")

    assert both == [200, 200]  # the old key works on during the grace period
    assert call(served, "GET", "/v1/notices", issued["key"]).status == 403
    assert call(served, "GET", "/v1/notices", rotated["key"]).status == 200


def test_a_retry_over_http_replays_the_first_answer(served: Served, cast: Cast) -> None:
    body = {
        "source_reference": f"RETRY-{uuid.uuid4().hex[:6]}",
        "product_name": "Kettle",
        "jurisdiction": "KR",
    }

    first = call(served, "POST", "/v1/notices", cast.regulator_key, body, "same-key")
    retry = call(served, "POST", "/v1/notices", cast.regulator_key, body, "same-key")
    other = call(
        served, "POST", "/v1/notices", cast.regulator_key, {**body, "brand": "X"}, "same-key"
    )

    assert (first.status, retry.status, other.status) == (201, 201, 409)
    assert retry.body == first.body and retry.headers["Idempotent-Replayed"] == "true"


def test_what_psx_serve_refuses_itself_is_a_problem_too(served: Served) -> None:
    connection = http.client.HTTPConnection(served.api.removeprefix("http://"), timeout=30)
    try:
        connection.request("TRACE", "/v1/health")
        response = connection.getresponse()
        problem = json.loads(response.read())
    finally:
        connection.close()

    assert response.status == 501 and response.headers["Content-Type"] == PROBLEM_JSON
    assert problem["status"] == 501 and problem["type"] == "urn:psx:problem:gateway-error"
