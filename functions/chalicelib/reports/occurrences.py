"""What the reports keep of a timeline event: an occurrence, a few details of one event
about one dispatch (notice version and platform), small enough that a year of them is
read in seconds. Recorded with the event itself (``stores/report_log.py``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

from chalicelib.notices.timeline import EventKind, version_of_key
from chalicelib.reports import contract

# The details each counted kind keeps; every other kind is not counted.
_KEPT: dict[str, tuple[str, ...]] = {
    EventKind.DISPATCHED: (
        "regulator_id",
        "jurisdiction",
        "title",
        "acknowledgement_deadline",
        "action_deadline",
    ),
    EventKind.ACKNOWLEDGEMENT_RECEIVED: ("late_working_days",),
    EventKind.ACTION_REPORT_RECEIVED: ("late_working_days",),
    EventKind.DEADLINE_MISSED: ("waiting_for",),
    EventKind.CLOSED: (),
    contract.NOTIFICATION_COMPLETED: ("mode", "counts"),
    contract.FINDING_RECORDED: ("finding_id", "finding_kind", "regulator_id", "jurisdiction"),
    contract.FINDING_RESOLVED: ("finding_id", "finding_kind", "resolution"),
}


class Occurrence(NamedTuple):  # a tuple: a year's are built in a fraction of a second
    notice_id: str
    event_key: str  # names the event: two events never encode alike
    platform_id: str
    kind: str
    at: datetime
    details: dict[str, Any]

    @property
    def version(self) -> int:
        return version_of_key(self.event_key)

    @property
    def dispatch(self) -> tuple[str, int, str]:
        return (self.notice_id, self.version, self.platform_id)


def found_elsewhere(occurrence: Occurrence) -> bool:
    """About a finding on a platform the notice was never sent to: counted on its own, by
    the time it was found, not with a dispatch (``facts.py``)."""
    return (
        occurrence.kind in _FINDING_EVENTS
        and occurrence.details.get("finding_kind") == contract.FOUND_ELSEWHERE
    )


_FINDING_EVENTS = frozenset((contract.FINDING_RECORDED, contract.FINDING_RESOLVED))


def occurrence_of(
    notice_id: str, event_key: str, kind: str, at: datetime, details: Mapping[str, Any]
) -> Occurrence | None:
    """The occurrence a timeline event leaves; None for an event no figure counts."""
    names = _KEPT.get(str(kind))
    platform_id = details.get("platform_id")
    if names is None or not isinstance(platform_id, str):
        return None
    kept = {name: details.get(name) for name in names}
    if kind == EventKind.ACTION_REPORT_RECEIVED:
        # Only what the Pledge KPI and time to action read: each listing's action and time.
        listings = (details.get("report") or {}).get("listings") or []
        kept["listings"] = [[listing["action"], listing["acted_at"]] for listing in listings]
    version_of_key(event_key)  # every event names its version
    return Occurrence(notice_id, event_key, platform_id, str(kind), at, kept)


def encode(occurrence: Occurrence) -> str:
    return json.dumps(
        [
            occurrence.notice_id,
            occurrence.event_key,
            occurrence.platform_id,
            occurrence.kind,
            occurrence.at.isoformat(),
            occurrence.details,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )


def decode_all(entries: Iterable[str]) -> list[Occurrence]:
    # One JSON document for a whole log item: parsed in C, not entry by entry.
    rows = json.loads("[" + ",".join(entries) + "]")
    return [
        Occurrence(notice_id, event_key, platform_id, kind, datetime.fromisoformat(at), details)
        for notice_id, event_key, platform_id, kind, at, details in rows
    ]
