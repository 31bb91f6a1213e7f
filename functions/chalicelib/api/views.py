"""Domain objects as the API shows them."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.api.models import (
    Deadlines,
    DispatchView,
    NoticeDispatchView,
    NoticeView,
    TimelineEntry,
)
from chalicelib.dispatch.cases import HandOffStatus
from chalicelib.dispatch.model import Dispatch, DispatchRef
from chalicelib.notices.model import Notice
from chalicelib.notices.timeline import TimelineEvent


def dispatch_view(dispatch: Dispatch) -> DispatchView:
    return DispatchView(
        platform_id=dispatch.ref.platform_id,
        version=dispatch.ref.version,
        status=dispatch.state,
        withdrawal=dispatch.withdrawal,
        dispatched_at=dispatch.created_at,
        deadlines=Deadlines(
            acknowledgement=dispatch.acknowledgement_deadline,
            action_report=dispatch.action_deadline,
        ),
        acknowledged_at=dispatch.acknowledged_at,
        action_reported_at=dispatch.action_reported_at,
    )


def notice_view(
    notice: Notice, dispatches: list[Dispatch], handed_off: Mapping[DispatchRef, HandOffStatus]
) -> NoticeView:
    ordered = sorted(dispatches, key=lambda d: (d.ref.version, d.ref.platform_id))
    return NoticeView(
        notice_id=notice.notice_id,
        version=notice.version,
        status=notice.status,
        regulator_id=notice.regulator_id,
        received_at=notice.received_at,
        content=notice.content,
        dispatches=[_notice_dispatch_view(dispatch, handed_off) for dispatch in ordered],
    )


def _notice_dispatch_view(
    dispatch: Dispatch, handed_off: Mapping[DispatchRef, HandOffStatus]
) -> NoticeDispatchView:
    cases = handed_off.get(dispatch.ref, HandOffStatus())
    return NoticeDispatchView(
        **dispatch_view(dispatch).model_dump(),
        notification=cases.notification,
        verification=cases.verification,
    )


def timeline_entry(event: TimelineEvent) -> TimelineEntry:
    platform_id = event.details.get("platform_id")
    return TimelineEntry(
        at=event.at,
        kind=event.kind,
        actor=event.actor,
        version=event.version,
        platform_id=platform_id if isinstance(platform_id, str) else None,
        details=event.details,
    )
