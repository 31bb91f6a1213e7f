"""The timeline's order: time first, cause before effect at equal times; every event
names its version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.notices.timeline import not_before, timeline_order
from chalicelib.stores.notices_table import TimelineEvent

AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _event(key: str, kind: str, at: datetime = AT, **details: object) -> TimelineEvent:
    return TimelineEvent("ntc-1", key, kind, at, "psx", dict(details))


def _ordered(*events: TimelineEvent) -> list[str]:
    ordered = sorted(events, key=lambda e: timeline_order(e.at, e.kind, e.details, e.event_key))
    return [e.event_key for e in ordered]


def test_every_event_names_its_version() -> None:
    assert _event("v000012#temu#closed", "closed").version == 12
    with pytest.raises(ValueError, match="v<version>#"):
        _event("temu#closed", "closed")


def test_at_equal_times_a_cause_comes_before_its_effect() -> None:
    # Keys chosen so that their alphabetical order is the wrong one.
    assert _ordered(
        _event("v000001#p#action_report", "action_report_received"),
        _event("v000001#p#awaiting_action_report", "awaiting_action_report"),
        _event("v000001#p#acknowledgement", "acknowledgement_received"),
        _event("v000001#p#awaiting_acknowledgement_late", "awaiting_acknowledgement", late=True),
        _event("v000001#p#awaiting_acknowledgement", "awaiting_acknowledgement", late=False),
        _event(
            "v000001#p#missed_acknowledgement", "deadline_missed", waiting_for="acknowledgement"
        ),
    ) == [
        "v000001#p#awaiting_acknowledgement",
        "v000001#p#missed_acknowledgement",
        "v000001#p#awaiting_acknowledgement_late",
        "v000001#p#acknowledgement",
        "v000001#p#awaiting_action_report",
        "v000001#p#action_report",
    ]
    assert _ordered(
        _event("v000001#p#closed", "closed"),
        _event("v000002#withdrawal_requested", "withdrawal_requested"),
    ) == ["v000002#withdrawal_requested", "v000001#p#closed"]


def test_time_comes_first() -> None:
    assert _ordered(
        _event("v000001#p#awaiting_action_report", "awaiting_action_report", AT),
        _event("v000001#p#action_report", "action_report_received", AT - timedelta(1)),
    ) == ["v000001#p#action_report", "v000001#p#awaiting_action_report"]


def test_not_before_moves_a_moment_forward_to_its_latest_cause() -> None:
    later = AT + timedelta(seconds=1)
    assert not_before(AT, None, later) == later
    assert not_before(later, AT, None) == later
    assert not_before(AT) == AT
