"""A notice extended to a platform it never went to, end to end: the regulator's call
through the API, the extension's own lifecycle execution, the platform's signed webhook
and its answer through the API; and what an extension refuses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.api.principal import PrincipalKind
from chalicelib.dispatch.model import DispatchRef, WaitKind
from psx.embedded.runtime import EmbeddedRuntime
from psx.polling import wait_until
from psx.webhook_receiver import WebhookReceiver
from tests.api.support import Api, Caller, key_for
from tests.e2e.lifecycle_steps import (
    dispatch_of,
    notice_row,
    publish,
    receiving_platforms,
    timeline_kinds,
    waiting_for,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def platforms(runtime: EmbeddedRuntime) -> Iterator[dict[str, WebhookReceiver]]:
    with receiving_platforms("temu", "aliexpress", "coupang") as receivers:
        yield receivers


@pytest.fixture
def api(runtime: EmbeddedRuntime) -> Api:
    return Api(runtime)


def _dispatched_to_two(
    runtime: EmbeddedRuntime, regulator_id: str, platforms: dict[str, WebhookReceiver]
) -> tuple[str, list[str], str]:
    """A notice sent to the first two platforms, both waiting for its acknowledgement;
    its id, those two, and the third platform."""
    first, second, third = platforms
    notice_id = publish(runtime, regulator_id, "n.csv", notice_row("X-1", [first, second]))
    for platform_id in (first, second):
        waiting_for(DispatchRef(notice_id, 1, platform_id), WaitKind.ACKNOWLEDGEMENT)
    return notice_id, [first, second], third


def test_an_extended_notice_reaches_the_third_platform_which_answers_through_the_api(
    runtime: EmbeddedRuntime, api: Api, regulator_id: str, platforms: dict[str, WebhookReceiver]
) -> None:
    notice_id, targeted, third = _dispatched_to_two(runtime, regulator_id, platforms)
    regulator = key_for(PrincipalKind.REGULATOR, regulator_id)
    etag = api.get(f"/v1/notices/{notice_id}", regulator).headers["ETag"]

    extended = api.post(
        f"/v1/notices/{notice_id}/extensions",
        {"platforms": [third], "reason": "Found on a third marketplace"},
        regulator,
        headers={"If-Match": etag},
    )

    assert extended.status == 201, extended.body
    assert extended.body == {
        "notice_id": notice_id,
        "version": 1,
        "added": [third],
        "unchanged": [],
    }
    assert extended.headers["ETag"] == etag  # no new version
    ref = DispatchRef(notice_id, 1, third)
    waiting_for(ref, WaitKind.ACKNOWLEDGEMENT)
    (delivery,) = platforms[third].deliveries
    assert (delivery.body["type"], delivery.body["version"]) == ("notice.published", 1)
    assert delivery.body["notice"]["target_platforms"] == [third]  # sees only itself
    assert delivery.body["deadlines"]["acknowledgement"] is not None

    platform = key_for(PrincipalKind.PLATFORM, third)
    acknowledged = api.post(
        f"/v1/notices/{notice_id}/acknowledgement", {"version": 1, "reference": "T-1"}, platform
    )

    assert acknowledged.status == 201, acknowledged.body
    waiting_for(ref, WaitKind.ACTION_REPORT)
    # The wait is stored before its event: wait for the event too.
    wait_until(
        lambda: "awaiting_action_report" in timeline_kinds(notice_id, third) or None,
        "the awaiting_action_report event",
        30,
    )
    assert timeline_kinds(notice_id, third) == [
        "extended",
        "dispatched",
        "webhook_delivered",
        "awaiting_acknowledgement",
        "acknowledgement_received",
        "awaiting_action_report",
    ]
    # The platforms that had it are not disturbed: same version, same wait, one webhook.
    for platform_id in targeted:
        dispatch = dispatch_of(DispatchRef(notice_id, 1, platform_id))
        assert dispatch is not None and dispatch.open_wait is WaitKind.ACKNOWLEDGEMENT
        assert len(platforms[platform_id].deliveries) == 1
    _assert_the_same_request_again_changes_nothing(api, regulator, notice_id, third, platforms)
    _assert_the_next_version_reaches_the_extension(api, regulator, notice_id, third)


def _assert_the_same_request_again_changes_nothing(
    api: Api,
    regulator: Caller,
    notice_id: str,
    third: str,
    platforms: dict[str, WebhookReceiver],
) -> None:
    again = api.post(f"/v1/notices/{notice_id}/extensions", {"platforms": [third]}, regulator)

    assert again.status == 200, again.body
    assert (again.body["added"], again.body["unchanged"]) == ([], [third])
    assert len(platforms[third].deliveries) == 1
    assert timeline_kinds(notice_id, third).count("extended") == 1


def _assert_the_next_version_reaches_the_extension(
    api: Api, regulator: Caller, notice_id: str, third: str
) -> None:
    amended = api.post(
        f"/v1/notices/{notice_id}/amendment", {"changes": {"remedy": "Full refund"}}, regulator
    )

    assert amended.status == 201, amended.body
    waiting_for(DispatchRef(notice_id, 2, third), WaitKind.ACKNOWLEDGEMENT)


def test_what_an_extension_refuses(
    runtime: EmbeddedRuntime, api: Api, regulator_id: str, platforms: dict[str, WebhookReceiver]
) -> None:
    notice_id, targeted, third = _dispatched_to_two(runtime, regulator_id, platforms)
    regulator = key_for(PrincipalKind.REGULATOR, regulator_id)
    path = f"/v1/notices/{notice_id}/extensions"

    unknown = api.post(path, {"platforms": [third, "nobody-here"]}, regulator)
    assert (unknown.status, unknown.problem_type) == (400, "validation-error")
    assert [(e["pointer"], e["code"]) for e in unknown.body["errors"]] == [
        ("#/platforms/1", "unknown_platform")
    ]

    targeted_already = api.post(path, {"platforms": [targeted[0]]}, regulator)
    assert (targeted_already.status, targeted_already.problem_type) == (409, "already-targeted")

    stale = api.post(path, {"platforms": [third]}, regulator, headers={"If-Match": '"old-v9"'})
    assert stale.status == 412

    someone_else = key_for(PrincipalKind.REGULATOR, f"{regulator_id}-other")
    assert api.post(path, {"platforms": [third]}, someone_else).status == 404
    platform = key_for(PrincipalKind.PLATFORM, targeted[0])
    assert api.post(path, {"platforms": [third]}, platform).status == 403

    withdrawn = api.post(f"/v1/notices/{notice_id}/withdrawal", {"reason": "wrong"}, regulator)
    assert withdrawn.status == 201, withdrawn.body
    after = api.post(path, {"platforms": [third]}, regulator)
    assert (after.status, after.problem_type) == (409, "notice-withdrawn")
    # Nothing of it reached the third platform.
    assert "extended" not in timeline_kinds(notice_id, third)
    assert platforms[third].deliveries == []
