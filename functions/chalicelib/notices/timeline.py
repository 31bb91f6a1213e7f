"""The order of a notice's timeline: by time, and by cause where times are equal.

Every event is stamped no earlier than its cause (a wait opened after the answer it
waits for is stamped with the answer's time, a closure with the time of the version
that closed it). Equal times are then ordered by the lifecycle's causal sequence below,
never by the alphabet of event keys.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

# The lifecycle of one version, cause before effect; steps on one line share a rank.
# A step is the event's kind, told apart where one kind happens at several points.
_CAUSAL_SEQUENCE: tuple[tuple[str, ...], ...] = (
    ("amendment_requested", "withdrawal_requested"),
    ("source_file_kept",),  # the uploaded file, kept as evidence before its rows are stored
    ("received",),
    ("unknown_platforms", "no_platforms"),
    ("closed",),  # an older version's dispatch, closed before the new one is dispatched
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
)
_RANKS = {step: rank for rank, steps in enumerate(_CAUSAL_SEQUENCE) for step in steps}
_UNRANKED = len(_CAUSAL_SEQUENCE)

# Every event belongs to one version of the notice: its key starts with ``v<version>#``.
_VERSIONED_KEY = re.compile(r"v([0-9]{6})#")


def version_of_key(event_key: str) -> int:
    """The notice version an event key names; ValueError for a key without one."""
    match = _VERSIONED_KEY.match(event_key)
    if match is None:
        raise ValueError(f"timeline event key {event_key!r} does not start with v<version>#")
    return int(match.group(1))


def timeline_order(
    at: datetime, kind: str, details: dict[str, Any], event_key: str
) -> tuple[datetime, int, int, str]:
    """Sort key of an event: time, then cause before effect, then version, then key."""
    return (at, _RANKS.get(_step(kind, details), _UNRANKED), version_of_key(event_key), event_key)


def _step(kind: str, details: dict[str, Any]) -> str:
    if kind == "deadline_missed":
        return f"missed_{details.get('waiting_for')}"
    if kind.startswith("awaiting_") and details.get("late") is True:
        return f"{kind}_late"
    return kind


def not_before(moment: datetime, *causes: datetime | None) -> datetime:
    """``moment``, moved forward to the latest known cause (clocks differ between
    handlers; a handler's clock read at its start may precede what it then finds)."""
    return max([moment, *(cause for cause in causes if cause is not None)])
