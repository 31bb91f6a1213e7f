"""What a new version of a notice owes the buyers already told of it.

An amendment that changes the hazard, the remedy or how the product is identified sends
an updated recall; any other amendment sends nothing; a withdrawal sends a short
withdrawal notice (what was not sent yet is cancelled at delivery). Each is sent once per
person, kind and version: a follow-up item is put once (conditional put keyed by the
recipient's HMAC key, the kind and the version), then claimed and settled like the
first message.

Who is owed one is found twice, so nobody is missed: the new version's plan queues a scan
of the buyers sent an earlier version's message, and a delivery that sent an earlier
version while a newer one was stored (it claimed before the scan could see it sent)
follows its own buyers up. Both put the same items, so the second changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.notices.model import NoticeContent, NoticeStatus
from chalicelib.notification.recipients import (
    Party,
    RecipientStatus,
    StoredRecipient,
    follow_up_key,
)
from chalicelib.notification.rendering import MessageKind
from chalicelib.notification.services import NotificationServices

# What identifies the product to a buyer; its description, category or origin do not.
PRODUCT_IDENTIFICATION = (
    "name",
    "brand",
    "manufacturer",
    "models",
    "barcodes",
    "suspect_barcodes",
    "batch_numbers",
    "company_recall_code",
    "production_dates",
    "kc_certificates",
    "pictures",
)


def material_change(before: NoticeContent, after: NoticeContent) -> bool:
    """Whether buyers told ``before`` must be told ``after``: hazard, remedy or product."""
    identification = set(PRODUCT_IDENTIFICATION)
    return (
        before.hazard != after.hazard
        or before.remedy != after.remedy
        or before.product.model_dump(include=identification)
        != after.product.model_dump(include=identification)
    )


def follow_up_kind(
    notice_id: str, version: int, services: NotificationServices
) -> MessageKind | None:
    """What ``version`` of a notice sends those told an earlier version, if anything."""
    notices = services.lifecycle.notices
    notice = notices.get_version(notice_id, version)
    if notice is None or notice.status not in {NoticeStatus.WITHDRAWN, NoticeStatus.AMENDED}:
        return None  # a first version, or a re-issue: told as a new notice
    if notice.status is NoticeStatus.WITHDRAWN:
        return MessageKind.RECALL_WITHDRAWN
    previous = notices.get_version(notice_id, version - 1)
    if previous is None or material_change(previous.content, notice.content):
        return MessageKind.UPDATED_RECALL
    return None


def queue_follow_ups(notice_id: str, version: int, services: NotificationServices) -> list[str]:
    """Ask for the follow-ups of ``version`` on each platform that had an earlier version
    (the notify function scans their told buyers); returns those platforms (none when
    the version owes no follow-up). A repeat asks again, which puts nothing twice."""
    if follow_up_kind(notice_id, version, services) is None:
        return []
    dispatches = services.lifecycle.dispatches.for_notice(notice_id)
    platform_ids = sorted({d.ref.platform_id for d in dispatches if d.ref.version < version})
    if platform_ids:
        services.queue.enqueue_scan(notice_id, platform_ids, version)
    return platform_ids


def follow_up_platform(
    notice_id: str, platform_id: str, version: int, now: datetime, services: NotificationServices
) -> int:
    """Put and queue the follow-up of ``version`` for every buyer the platform's
    recipients show told an earlier version; returns how many were queued."""
    kind = follow_up_kind(notice_id, version, services)
    if kind is None:
        return 0
    queued, after = 0, None
    while True:
        told, after = services.recipients.told_buyers(notice_id, platform_id, version, after)
        queued += _put_and_queue(notice_id, platform_id, kind, version, told, now, services)
        if after is None:
            return queued


def follow_up_told(
    notice_id: str,
    platform_id: str,
    told_version: int,
    told: list[StoredRecipient],
    now: datetime,
    services: NotificationServices,
) -> None:
    """The follow-ups the versions stored after ``told_version`` owe ``told`` (buyers
    just sent ``told_version``'s message, whom those versions' scans may have missed)."""
    current = services.lifecycle.notices.current_state(notice_id)
    buyers = [r for r in told if r.recipient.party is Party.BUYER]
    if current is None or not buyers:
        return
    for version in range(told_version + 1, current.version + 1):
        kind = follow_up_kind(notice_id, version, services)
        if kind is not None:
            _put_and_queue(notice_id, platform_id, kind, version, buyers, now, services)


def _put_and_queue(
    notice_id: str,
    platform_id: str,
    kind: MessageKind,
    version: int,
    told: list[StoredRecipient],
    now: datetime,
    services: NotificationServices,
) -> int:
    entries = {
        follow_up_key(kind, version, r.key): (r.recipient, RecipientStatus.QUEUED) for r in told
    }
    store = services.recipients
    added = store.add(notice_id, platform_id, entries, now, counted=False)
    # Put earlier but never sent: a scan whose enqueue was lost is made good by its repeat.
    known = store.unsent(notice_id, platform_id, [k for k in entries if k not in set(added)])
    keys = added + known
    services.queue.enqueue(notice_id, platform_id, keys, follow_up=(kind.value, version))
    return len(keys)
