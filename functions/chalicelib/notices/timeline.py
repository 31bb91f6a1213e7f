"""A notice's timeline: its events, their kinds and keys, and their order.

The order is by time, and by cause where times are equal.

Every event is stamped no earlier than its cause (a wait opened after the answer it
waits for is stamped with the answer's time, a closure with the time of the version
that closed it). Equal times are then ordered by the lifecycle's causal sequence below,
never by the alphabet of event keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    """Every kind of timeline event the exchange records. The values are stored and
    shown to regulators as they are (docs/api.md): never rename one."""

    SUBMISSION_REQUESTED = "submission_requested"
    AMENDMENT_REQUESTED = "amendment_requested"
    WITHDRAWAL_REQUESTED = "withdrawal_requested"
    SOURCE_FILE_KEPT = "source_file_kept"
    RECEIVED = "received"
    EXTENDED = "extended"
    UNKNOWN_PLATFORMS = "unknown_platforms"
    NO_PLATFORMS = "no_platforms"
    CLOSED = "closed"
    NO_DEADLINE_CALENDAR = "no_deadline_calendar"
    DISPATCHED = "dispatched"
    WITHDRAWAL_DISPATCHED = "withdrawal_dispatched"
    INBOX_ONLY = "inbox_only"
    WEBHOOK_FAILED = "webhook_failed"
    WEBHOOK_DELIVERED = "webhook_delivered"
    WEBHOOK_GAVE_UP = "webhook_gave_up"
    AWAITING_ACKNOWLEDGEMENT = "awaiting_acknowledgement"
    AWAITING_ACTION_REPORT = "awaiting_action_report"
    DEADLINE_MISSED = "deadline_missed"
    ACKNOWLEDGEMENT_RECEIVED = "acknowledgement_received"
    ACTION_REPORT_RECEIVED = "action_report_received"
    AFFECTED_PARTIES_RECEIVED = "affected_parties_received"
    AWAITING_NOTIFICATION = "awaiting_notification"
    AWAITING_VERIFICATION = "awaiting_verification"
    FINDING_RECORDED = "finding_recorded"
    FINDING_RESOLVED = "finding_resolved"
    NOTIFICATION_STARTED = "notification_started"
    NOTIFICATION_DEADLINE_MISSED = "notification_deadline_missed"
    NOTIFICATION_COMPLETED = "notification_completed"


# The lifecycle of one version, cause before effect; steps on one line share a rank.
# A step is the event's kind, told apart where one kind happens at several points.
_CAUSAL_SEQUENCE: tuple[tuple[str, ...], ...] = (
    ("submission_requested", "amendment_requested", "withdrawal_requested"),
    ("source_file_kept",),  # the uploaded file, kept as evidence before its rows are stored
    ("received",),
    ("unknown_platforms", "no_platforms"),
    ("closed",),  # an older version's dispatch, closed before the new one is dispatched
    ("extended",),  # the version extended to a platform, before it is dispatched there
    ("no_deadline_calendar",),
    ("dispatched", "withdrawal_dispatched"),
    ("inbox_only", "webhook_failed", "webhook_delivered"),
    ("webhook_gave_up",),
    ("awaiting_acknowledgement",),
    ("missed_acknowledgement",),
    ("awaiting_acknowledgement_late",),
    ("acknowledgement_received",),
    ("awaiting_action_report",),
    ("missed_action_report",),
    ("awaiting_action_report_late",),
    ("action_report_received",),
    ("affected_parties_received",),
    ("awaiting_notification",),
    ("awaiting_verification",),
    ("notification_started",),
    ("notification_deadline_missed",),
    ("notification_started_late",),
    ("notification_completed",),
    ("finding_recorded",),  # a compliance audit found the product in a catalogue
    ("finding_resolved",),  # the platform answered the finding
)
_RANKS = {step: rank for rank, steps in enumerate(_CAUSAL_SEQUENCE) for step in steps}
_UNRANKED = len(_CAUSAL_SEQUENCE)

# Every event belongs to one version of the notice: its key starts with ``v<version>#``.
_VERSIONED_KEY = re.compile(r"v([0-9]{6})#")


def event_key_for(version: int, *parts: str) -> str:
    """The key of an event about ``version``: ``v<version>#<part>#…``. The parts name the
    event within the version, so recording it again (a retry) finds the same key."""
    return "#".join((f"v{version:06d}", *parts))


def version_of_key(event_key: str) -> int:
    """The notice version an event key names; ValueError for a key without one."""
    match = _VERSIONED_KEY.match(event_key)
    if match is None:
        raise ValueError(f"timeline event key {event_key!r} does not start with v<version>#")
    return int(match.group(1))


@dataclass(frozen=True)
class TimelineEvent:
    notice_id: str
    event_key: str  # ``v<version>#…``: unique per event, so a retried append is a no-op
    kind: EventKind
    at: datetime
    actor: str
    details: dict[str, Any]

    def __post_init__(self) -> None:
        version_of_key(self.event_key)  # every event names the version it is about

    @property
    def version(self) -> int:
        return version_of_key(self.event_key)


def timeline_order(
    at: datetime, kind: str, details: dict[str, Any], event_key: str
) -> tuple[datetime, int, int, str]:
    """Sort key of an event: time, then cause before effect, then version, then key."""
    return (at, _RANKS.get(_step(kind, details), _UNRANKED), version_of_key(event_key), event_key)


def _step(kind: str, details: dict[str, Any]) -> str:
    if kind == "deadline_missed":
        return f"missed_{details.get('waiting_for')}"
    late_able = kind.startswith("awaiting_") or kind == "notification_started"
    if late_able and details.get("late") is True:
        return f"{kind}_late"
    return kind


def not_before(moment: datetime, *causes: datetime | None) -> datetime:
    """``moment``, moved forward to the latest known cause (clocks differ between
    handlers; a handler's clock read at its start may precede what it then finds)."""
    return max([moment, *(cause for cause in causes if cause is not None)])
