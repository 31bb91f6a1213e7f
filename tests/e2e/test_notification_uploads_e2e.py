"""An uploaded file of affected parties ends a platform's notification in the real
lifecycle: the upload function (S3 -> SQS -> Lambda) is the one that sees the platform's
last list arrive with nothing left to send, records the end and resumes the workflow's
wait (workflows/notice-lifecycle.asl.json in the embedded runtime)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from chalicelib.api.principal import PrincipalKind
from chalicelib.deadlines.policy import DeadlinePolicy, NotificationMode
from chalicelib.dispatch.model import DispatchRef, WaitKind
from chalicelib.stores.platforms_table import PlatformStore
from psx.embedded.runtime import EmbeddedRuntime
from psx.webhook_receiver import WebhookReceiver
from tests.api.support import Api, key_for, table
from tests.e2e.lifecycle_steps import (
    finished,
    notice_row,
    publish,
    receiving_platforms,
    respond,
    services,
    timeline_kinds,
    waiting_for,
)

pytestmark = pytest.mark.e2e

_REMOVED_LISTING = {
    "listing_id": "U-1",
    "url": "https://market.example/item/U-1",
    "title": "Magnetic toy set",
    "seller_id": "S-9",
    "action": "removed",
    "acted_at": "2026-11-30T09:00:00+00:00",
}


@pytest.fixture(scope="module")
def platforms(runtime: EmbeddedRuntime) -> Iterator[dict[str, WebhookReceiver]]:
    with receiving_platforms("uploader") as receivers:
        yield receivers


def test_a_final_file_with_nothing_left_to_send_ends_the_notification_wait(
    runtime: EmbeddedRuntime, regulator_id: str, platforms: dict[str, WebhookReceiver]
) -> None:
    (platform_id,) = platforms
    agreement = DeadlinePolicy(notification_mode=NotificationMode.EXCHANGE)
    PlatformStore(table()).set_agreement(platform_id, regulator_id, agreement)
    notice_id = publish(runtime, regulator_id, "n.csv", notice_row("U-1", [platform_id]))
    ref = DispatchRef(notice_id, 1, platform_id)
    waiting_for(ref, WaitKind.ACKNOWLEDGEMENT)
    respond(ref, WaitKind.ACTION_REPORT, listings=[_REMOVED_LISTING])
    waiting_for(ref, WaitKind.NOTIFICATION)
    platform = key_for(PrincipalKind.PLATFORM, platform_id)
    api = Api(runtime)

    # The platform's last list: its one row is refused, so nothing is left to send.
    created = api.post(
        f"/v1/notices/{notice_id}/affected-parties/uploads",
        {"format": "csv", "final": True},
        platform,
    )
    assert created.status == 201, created
    data = b"buyer_ref,email\nB-1,not-an-address\n"
    assert requests.put(created.body["upload_url"], data=data, timeout=30).ok
    runtime.pump()

    status = api.get(created.body["status_path"], platform)
    assert status.body["status"] == "completed", status.body
    assert status.body["counts"]["refused"] == 1 and status.body["counts"]["queued"] == 0
    assert finished(runtime, notice_id, 1)["status"] == "SUCCEEDED"
    assert timeline_kinds(notice_id, platform_id)[-1] == "notification_completed"
    case = services().notification_cases.get(ref)
    assert case is not None and case.status == "completed"
