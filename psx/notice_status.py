"""`psx status`: a notice's current version and its timeline, from the table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.dispatch.cases import HandOffStatus, hand_off_statuses
from chalicelib.dispatch.model import Dispatch, WaitKind
from chalicelib.stores.dispatches_table import DispatchStore
from chalicelib.stores.notices_table import NoticeStore
from chalicelib.stores.notification_cases import NotificationCaseStore
from chalicelib.stores.verification_cases import VerificationCaseStore
from psx.target import Target


def notice_status(
    target: Target, notice_id: str, now: datetime | None = None
) -> dict[str, Any] | None:
    """The notice, each platform's dispatch with its deadlines, and the timeline."""
    table = target.output("PSX_TABLE_NAME")
    store = NoticeStore(table)
    notice = store.get(notice_id)
    if notice is None:
        return None
    moment = now or datetime.now(UTC)
    timeline = store.timeline(notice_id)
    # Which agreement each dispatch's deadlines came from, as recorded when it was planned.
    agreements = {
        (event.version, event.details.get("platform_id")): event.details.get("agreement")
        for event in timeline
        if event.kind == "dispatched"
    }
    handed_off = hand_off_statuses(
        NotificationCaseStore(table).for_notice(notice_id),
        VerificationCaseStore(table).for_notice(notice_id),
    )
    return {
        "notice": notice.model_dump(mode="json"),
        "dispatches": [
            _dispatch_status(
                dispatch,
                agreements.get((dispatch.ref.version, dispatch.ref.platform_id)),
                handed_off.get(dispatch.ref, HandOffStatus()),
                moment,
            )
            for dispatch in sorted(
                DispatchStore(table).for_notice(notice_id),
                key=lambda d: (d.ref.version, d.ref.platform_id),
            )
        ],
        "timeline": [
            {
                "at": event.at.isoformat(),
                "kind": event.kind,
                "actor": event.actor,
                "version": event.version,
                "details": event.details,
            }
            for event in timeline
        ],
    }


def _dispatch_status(
    dispatch: Dispatch, agreement: str | None, cases: HandOffStatus, now: datetime
) -> dict[str, Any]:
    return {
        "platform_id": dispatch.ref.platform_id,
        "version": dispatch.ref.version,
        "state": dispatch.state.value,
        "webhook_attempts": dispatch.webhook_attempts,
        # "regulator:platform" ("*": every regulator), "defaults", or None (no deadlines).
        "agreement": agreement,
        "deadlines": {
            kind.value: {
                "due": due.isoformat() if (due := dispatch.deadline(kind)) else None,
                "state": dispatch.deadline_state(kind, now),
            }
            for kind in WaitKind
        },
        # The cases the hand-off opened (None: not handed off).
        "notification": cases.notification,
        "verification": cases.verification,
    }
