"""The timeline's order: time first, cause before effect at equal times; every event
names its version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.notices.timeline import (
    EventKind,
    TimelineEvent,
    event_key_for,
    not_before,
    timeline_order,
    version_of_key,
)

AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _event(key: str, kind: str, at: datetime = AT, **details: object) -> TimelineEvent:
    return TimelineEvent("ntc-1", key, EventKind(kind), at, "psx", dict(details))


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


def test_an_event_key_names_its_version_and_its_parts() -> None:
    key = event_key_for(7, "temu", "webhook", "002")
    assert key == "v000007#temu#webhook#002"
    assert version_of_key(key) == 7


@pytest.mark.parametrize("kind", list(EventKind))
def test_every_event_kind_has_its_place_in_the_causal_order(kind: EventKind) -> None:
    # A kind missing from the causal sequence would sort after everything at its time.
    details = {"waiting_for": "acknowledgement"} if kind is EventKind.DEADLINE_MISSED else {}
    unranked = timeline_order(AT, "not-a-kind", {}, "v000001#x")[1]
    assert timeline_order(AT, kind, details, "v000001#x")[1] < unranked


def test_the_lifecycle_doc_names_every_event_kind() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    timeline_section = doc.split("## Timeline", 1)[1]
    assert [kind for kind in EventKind if kind.value not in timeline_section] == []
