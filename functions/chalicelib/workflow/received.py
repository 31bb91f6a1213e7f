"""The lifecycle's first step: record on the timeline that the notice was received."""

from __future__ import annotations

from datetime import datetime

from chalicelib.notices.timeline import EventKind, TimelineEvent, event_key_for, not_before
from chalicelib.stores.notices_table import NoticeStore


class UnknownNoticeVersion(LookupError):
    """The workflow names a notice version the table does not hold."""


def record_received(
    notices: NoticeStore, notice_id: str, version: int, at: datetime
) -> TimelineEvent:
    notice = notices.get_version(notice_id, version)
    if notice is None:
        raise UnknownNoticeVersion(f"notice {notice_id} has no version {version}")
    event = TimelineEvent(
        notice_id=notice_id,
        event_key=event_key_for(version, "received"),
        kind=EventKind.RECEIVED,
        at=not_before(at, notice.received_at),  # after the request that sent it
        actor=f"regulator:{notice.regulator_id}",
        details={
            "version": version,
            "status": notice.status.value,
            "source_file": notice.source_file,
            "source_format": notice.source_format,
            "received_at": notice.received_at.isoformat(),
        },
    )
    notices.append_event(event)
    notices.mark_lifecycle_started(notice_id, version)
    return event
