"""The demo's notification steps: Temu has the exchange tell its sellers and buyers,
AliExpress tells them itself and reports counts (psx/demo_platforms.py sends both)."""

from __future__ import annotations

import os
from typing import Any

from chalicelib.deadlines.policy import ANY_REGULATOR, DeadlinePolicy, NotificationMode
from chalicelib.stores.platforms_table import PlatformStore
from psx.api_client import ApiClient
from psx.demo_platforms import DemoPlatform, affected_parties, demo_listing
from psx.embedded.runtime import EmbeddedRuntime
from psx.outbox import in_process_data, messages, stored_templates
from psx.outbox_cli import outbox_line
from psx.terminal import echo


def delegate_notification(platform: DemoPlatform) -> None:
    """``platform`` agrees with every regulator that the exchange tells its parties."""
    agreement = DeadlinePolicy(notification_mode=NotificationMode.EXCHANGE)
    PlatformStore(os.environ["PSX_TABLE_NAME"]).set_agreement(
        platform.platform_id, ANY_REGULATOR, agreement
    )


def show_notification(runtime: EmbeddedRuntime, api_url: str, platform: DemoPlatform) -> None:
    """One notice's notification as the platform sees it, a duplicate batch, the outbox
    and one recall notice as the Korean buyer got it."""
    client = ApiClient(api_url, platform.api_key)
    notice_id, version = _notified_notice(client)
    echo(f"\nNotification of {notice_id} by the exchange for {platform.name}", bold=True)
    page = client.get(f"/v1/notices/{notice_id}/notifications")
    counts = page["counts"]
    echo(
        f"  {counts['buyers_notified']} buyers and {counts['sellers_notified']} seller told, "
        f"{counts['excluded_by_lookback']} buyer past the 6-month lookback excluded, "
        f"{counts['failed']} failed (GET /v1/notices/{{id}}/notifications)"
    )
    for item in page["items"]:
        echo(f"    {item['buyer_ref'] or item['seller_id']}: {item['status']} {item['kind'] or ''}")
    listing = demo_listing(notice_id, platform.platform_id, platform.listings)
    again = client.post(
        f"/v1/notices/{notice_id}/affected-parties", affected_parties(version, listing, False)
    )
    runtime.pump()
    echo(
        f"  The same batch again: {again['queued']} queued, {again['duplicates']} already "
        "known, nobody told twice"
    )
    sent = [m for m in _outbox(runtime) if m.notice_id == notice_id]
    echo(f"\npsx outbox --notice {notice_id}", bold=True)
    echo("\n".join(outbox_line(message) for message in sent))
    korean = next(m for m in sent if m.kind == "recall" and m.language == "ko")
    echo(f"\nThe recall notice {korean.recipient} received (text part)", bold=True)
    echo(korean.text)


def _notified_notice(client: ApiClient) -> tuple[str, int]:
    """The first notice in the platform's inbox whose notification ended."""
    for entry in client.pages("/v1/inbox"):
        if entry["dispatch"]["withdrawal"]:
            continue
        page = client.get(f"/v1/notices/{entry['notice_id']}/notifications")
        if page["completed"] and page["counts"]["buyers_notified"]:
            return entry["notice_id"], int(entry["version"])
    raise RuntimeError("no notice of the demo was notified by the exchange")


def _outbox(runtime: EmbeddedRuntime) -> list[Any]:
    templates = stored_templates(runtime.client("sesv2"))
    return list(messages(in_process_data(os.environ["AWS_DEFAULT_REGION"]), templates))
