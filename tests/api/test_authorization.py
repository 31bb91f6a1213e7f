"""The authorization matrix: every endpoint x no key, an unknown key, a revoked key, another
platform, the platform the notice went to, the regulator that sent it, another regulator.

Each cell gets a fresh notice, so a success in one cell changes nothing for another. The
matrix runs twice: through Chalice's test client and over real HTTP to the local server
that `psx serve` runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest

from chalicelib.api.operations import OPERATIONS
from psx.embedded.runtime import EmbeddedRuntime
from psx.embedded.serve import LocalApi
from psx.webhook_receiver import WebhookReceiver
from tests.api.support import (
    UNKNOWN_KEY,
    Answer,
    Api,
    Caller,
    HttpApi,
    listing,
    new_platform,
    new_regulator,
    revoked,
    seed_notice,
)

WHO = ("none", "unknown", "revoked", "other_platform", "platform", "regulator", "other_regulator")


@dataclass(frozen=True)
class Cast:
    platform: Caller
    other_platform: Caller
    regulator: Caller
    other_regulator: Caller
    receiver: WebhookReceiver

    def caller(self, who: str, endpoint: Endpoint) -> Caller | str | None:
        if who == "none":
            return None
        if who == "unknown":
            return UNKNOWN_KEY
        if who == "revoked":
            return revoked(self.regulator if endpoint.for_regulators else self.platform)
        return getattr(self, who)  # type: ignore[no-any-return]


@pytest.fixture(scope="module", params=["test-client", "http"])
def api(request: pytest.FixtureRequest, runtime: EmbeddedRuntime) -> Iterator[Api]:
    if request.param == "test-client":
        yield Api(runtime)
        return
    with LocalApi(runtime, access_log=False) as server:
        yield HttpApi(server.url)


@pytest.fixture(scope="module")
def cast(api: Api) -> Any:
    with WebhookReceiver(secrets=[]) as receiver:
        platform = new_platform(receiver)
        yield Cast(platform, new_platform(), new_regulator(), new_regulator(), receiver)


@dataclass(frozen=True)
class Endpoint:
    operation_id: str
    call: Callable[[Api, str, Caller | str | None], Answer]
    success: int
    for_regulators: bool = False
    notice_scoped: bool = True


def _post(path: str, body: dict[str, Any]) -> Callable[[Api, str, Caller | str | None], Answer]:
    return lambda api, notice_id, who: api.post(path.format(notice_id), body, who)


def _get(path: str) -> Callable[[Api, str, Caller | str | None], Answer]:
    return lambda api, notice_id, who: api.get(path.format(notice_id), who)


@cache
def _platform_to_add() -> str:
    """A registered platform no seeded notice targets (registered at first use, when the
    exchange runs)."""
    return new_platform().id


def _extend(api: Api, notice_id: str, who: Caller | str | None) -> Answer:
    body = {"platforms": [_platform_to_add()]}
    return api.post(f"/v1/notices/{notice_id}/extensions", body, who)


ENDPOINTS = [
    Endpoint("listInbox", _get("/v1/inbox"), 200, notice_scoped=False),
    Endpoint("getNotice", _get("/v1/notices/{}"), 200),
    Endpoint("acknowledge", _post("/v1/notices/{}/acknowledgement", {}), 201),
    Endpoint("reportActions", _post("/v1/notices/{}/actions", {"listings": [listing()]}), 201),
    Endpoint(
        "reportAffectedParties",
        _post(
            "/v1/notices/{}/affected-parties",
            {"notified_by_platform": {"sellers": 1, "buyers": 40}},
        ),
        201,
    ),
    Endpoint("listNotifications", _get("/v1/notices/{}/notifications"), 200),
    # The logic is reached: the seeded agreement leaves notification to the platform, so
    # the exchange takes no contacts (409 notifies-itself; tests/api/
    # test_affected_parties_uploads.py has uploads in `exchange` mode), and no upload
    # was made under this notice (404 from the store, after the access checks).
    Endpoint(
        "createAffectedPartiesUpload",
        _post("/v1/notices/{}/affected-parties/uploads", {"format": "csv"}),
        409,
    ),
    Endpoint(
        "getAffectedPartiesUpload",
        _get("/v1/notices/{}/affected-parties/uploads/upl-20261202T000000Z-0badc0de"),
        404,
    ),
    Endpoint("testWebhook", _post("/v1/webhook-test", {}), 200, notice_scoped=False),
    Endpoint(
        "submitNotice",
        _post("/v1/notices", {"product_name": "Kettle", "jurisdiction": "KR"}),
        201,
        for_regulators=True,
        notice_scoped=False,
    ),
    Endpoint("listNotices", _get("/v1/notices"), 200, for_regulators=True, notice_scoped=False),
    Endpoint("getTimeline", _get("/v1/notices/{}/timeline"), 200, for_regulators=True),
    Endpoint("listFeeds", _get("/v1/feeds"), 200, for_regulators=True, notice_scoped=False),
    Endpoint("withdrawNotice", _post("/v1/notices/{}/withdrawal", {}), 201, for_regulators=True),
    Endpoint(
        "amendNotice",
        _post("/v1/notices/{}/amendment", {"changes": {"remedy": "Refund"}}),
        201,
        for_regulators=True,
    ),
    Endpoint(
        "getRecallNotice",
        _get("/v1/notices/{}/recall-notice?notice_url=https://shop.example/recall"),
        200,
    ),
    # The logic is reached: a fresh notice has no action report to state reasons for yet
    # (tests/api/test_notification_messages.py has the statements themselves).
    Endpoint("getStatementsOfReasons", _get("/v1/notices/{}/statements-of-reasons"), 409),
    Endpoint("extendNotice", _extend, 201, for_regulators=True),
    Endpoint(
        "createCatalogueSnapshot",
        _post("/v1/catalogue-snapshots", {"parts": ["part-1.jsonl.gz"]}),
        201,
        notice_scoped=False,
    ),
    Endpoint("listFindings", _get("/v1/findings"), 200, notice_scoped=False),
    Endpoint(
        "getComplianceReport",
        _get("/v1/reports/compliance?from=2026-01-01&to=2026-12-31"),
        200,
        notice_scoped=False,
    ),
    Endpoint("getNoticeFindings", _get("/v1/notices/{}/findings"), 200, for_regulators=True),
]


def test_the_matrix_covers_every_operation() -> None:
    assert {endpoint.operation_id for endpoint in ENDPOINTS} == set(OPERATIONS)


def _expected(endpoint: Endpoint, who: str) -> int:
    """What each caller gets: gateway answers first, then the API's own."""
    if who == "none":
        return 401
    if who in {"unknown", "revoked"}:
        return 403
    allowed = OPERATIONS[endpoint.operation_id].principals
    kind = "regulator" if "regulator" in who else "platform"
    if kind not in {k.value for k in allowed}:
        return 403
    if who.startswith("other") and endpoint.notice_scoped:
        return 404
    return _other_outcome(endpoint, who)


def _other_outcome(endpoint: Endpoint, who: str) -> int:
    # Not notice-scoped: another principal acts on its own data. Its webhook test finds no
    # webhook registered (409); its lists simply do not show the notice (checked below).
    if who == "other_platform" and endpoint.operation_id == "testWebhook":
        return 409
    return endpoint.success


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.operation_id)
def test_authorization(api: Api, cast: Cast, endpoint: Endpoint, who: str) -> None:
    notice_id = seed_notice(cast.regulator, [cast.platform])

    answer = endpoint.call(api, notice_id, cast.caller(who, endpoint))

    assert answer.status == _expected(endpoint, who), answer
    gateway_refusal = who in {"none", "unknown", "revoked"}
    if answer.status >= 400 and (isinstance(api, HttpApi) or not gateway_refusal):
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert answer.body["status"] == answer.status
    if endpoint.operation_id in {"listInbox", "listNotices"} and answer.status == 200:
        listed = {item["notice_id"] for item in answer.body["items"]}
        assert (notice_id in listed) == (who in {"platform", "regulator"})


def test_another_platforms_notice_is_not_found_and_reveals_nothing(api: Api, cast: Cast) -> None:
    notice_id = seed_notice(cast.regulator, [cast.platform])
    unknown_id = "ntc-" + "0" * 24

    theirs = api.get(f"/v1/notices/{notice_id}", cast.other_platform)
    nobodys = api.get(f"/v1/notices/{unknown_id}", cast.other_platform)

    assert theirs.status == nobodys.status == 404
    assert theirs.body == nobodys.body  # the same answer: existence is not confirmed


def test_a_platform_sees_only_its_own_dispatches_of_a_shared_notice(api: Api, cast: Cast) -> None:
    notice_id = seed_notice(cast.regulator, [cast.platform, cast.other_platform])

    seen = api.get(f"/v1/notices/{notice_id}", cast.other_platform).body
    everything = api.get(f"/v1/notices/{notice_id}", cast.regulator).body

    assert [d["platform_id"] for d in seen["dispatches"]] == [cast.other_platform.id]
    # Nor does it learn which other marketplaces the regulator named.
    assert seen["content"]["target_platforms"] == [cast.other_platform.id]
    assert set(everything["content"]["target_platforms"]) == {
        cast.platform.id,
        cast.other_platform.id,
    }
    assert {d["platform_id"] for d in everything["dispatches"]} == {
        cast.platform.id,
        cast.other_platform.id,
    }


def test_the_webhook_test_reaches_the_platform_signed(api: Api, cast: Cast) -> None:
    answer = api.post("/v1/webhook-test", {}, cast.platform)

    assert answer.status == 200 and answer.body["delivered"] is True, answer
    # Verified with the platform's secret. Notices dispatched by the matrix's workflows
    # may arrive at the same receiver in between, so find the test message by its id.
    (delivery,) = [d for d in cast.receiver.deliveries if d.message_id == answer.body["webhook_id"]]
    assert delivery.body["type"] == "webhook.test"


def test_health_and_the_openapi_document_are_public(api: Api) -> None:
    assert api.get("/v1/health").status == 200
    assert api.get("/v1/openapi.json").status == 200
