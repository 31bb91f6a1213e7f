"""One fact record per dispatch (notice version x platform), folded from its
occurrences in any order: each kind sets its own fields, so arrival order is irrelevant."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from chalicelib.notices.timeline import EventKind
from chalicelib.reports import contract
from chalicelib.reports.occurrences import Occurrence, found_elsewhere

T = TypeVar("T")


class ListingActed(NamedTuple):
    action: str  # removed, access_disabled, warning_shown, no_match
    acted_at: datetime


@dataclass
class Finding:
    kind: str | None = None
    recorded_at: datetime | None = None
    resolved_at: datetime | None = None


@dataclass
class DispatchFact:
    notice_id: str
    version: int
    platform_id: str
    regulator_id: str = ""
    jurisdiction: str = ""
    title: str | None = None
    dispatched_at: datetime | None = None
    acknowledgement_deadline: datetime | None = None
    action_deadline: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledgement_late_days: int = 0
    action_reported_at: datetime | None = None
    action_late_days: int = 0
    listings: tuple[ListingActed, ...] = ()
    missed: set[str] = field(default_factory=set)  # what it waited for: acknowledgement, …
    closed_at: datetime | None = None
    notification: dict[str, int] | None = None  # None: no notification_completed event
    findings: dict[str, Finding] = field(default_factory=dict)
    # A found_elsewhere finding, no dispatch: counted by when it was found (its only one).
    found_at: datetime | None = None

    @property
    def answered_at(self) -> datetime | None:
        """When the platform first answered: an action report also acknowledges."""
        answers = [at for at in (self.acknowledged_at, self.action_reported_at) if at]
        return min(answers) if answers else None


def facts_from(occurrences: Iterable[Occurrence]) -> list[DispatchFact]:
    """Every dispatch that was sent (a ``dispatched`` event), with what happened to it;
    and every ``found_elsewhere`` finding recorded, alone (``found_at``)."""
    by_dispatch: dict[tuple[str, int, str], DispatchFact] = {}
    elsewhere: list[Occurrence] = []
    for occurrence in occurrences:
        if found_elsewhere(occurrence):
            elsewhere.append(occurrence)
            continue
        key = occurrence.dispatch
        fact = by_dispatch.get(key)
        if fact is None:
            fact = by_dispatch[key] = DispatchFact(*key)
        _APPLY[occurrence.kind](fact, occurrence.at, occurrence.details)
    sent = [fact for fact in by_dispatch.values() if fact.dispatched_at is not None]
    return sent + elsewhere_facts(elsewhere)


def elsewhere_facts(occurrences: Iterable[Occurrence]) -> list[DispatchFact]:
    """One fact per ``found_elsewhere`` finding recorded (with its notice's regulator and
    jurisdiction, which its ``finding_recorded`` event carries); a finding recorded before
    events carried its regulator is not counted."""
    by_finding: dict[tuple[str, int, str, str], DispatchFact] = {}
    for occurrence in occurrences:
        key = (*occurrence.dispatch, str(occurrence.details["finding_id"]))
        fact = by_finding.get(key)
        if fact is None:
            fact = by_finding[key] = DispatchFact(*occurrence.dispatch)
        _APPLY[occurrence.kind](fact, occurrence.at, occurrence.details)
        if occurrence.kind == contract.FINDING_RECORDED:
            fact.found_at = occurrence.at
            fact.regulator_id = str(occurrence.details.get("regulator_id") or "")
            fact.jurisdiction = str(occurrence.details.get("jurisdiction") or "")
    return [fact for fact in by_finding.values() if fact.found_at and fact.regulator_id]


def _time(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) else None


def _dispatched(fact: DispatchFact, at: datetime, details: dict[str, Any]) -> None:
    fact.dispatched_at = at
    fact.regulator_id = str(details.get("regulator_id") or "")
    fact.jurisdiction = str(details.get("jurisdiction") or "")
    fact.title = details.get("title")
    fact.acknowledgement_deadline = _time(details.get("acknowledgement_deadline"))
    fact.action_deadline = _time(details.get("action_deadline"))


def _acknowledged(fact: DispatchFact, at: datetime, details: dict[str, Any]) -> None:
    fact.acknowledged_at = at
    fact.acknowledgement_late_days = int(details.get("late_working_days") or 0)


def _action_reported(fact: DispatchFact, at: datetime, details: dict[str, Any]) -> None:
    fact.action_reported_at = at
    fact.action_late_days = int(details.get("late_working_days") or 0)
    fact.listings = tuple(
        ListingActed(action, datetime.fromisoformat(acted_at))
        for action, acted_at in details.get("listings") or []
    )


def _missed(fact: DispatchFact, at: datetime, details: dict[str, Any]) -> None:
    fact.missed.add(str(details.get("waiting_for")))


def _closed(fact: DispatchFact, at: datetime, details: dict[str, Any]) -> None:
    fact.closed_at = at


def _notified(fact: DispatchFact, at: datetime, details: dict[str, Any]) -> None:
    counts = details.get("counts") or {}
    fact.notification = {name: int(counts.get(name) or 0) for name in contract.NOTIFICATION_COUNTS}


def _finding_recorded(fact: DispatchFact, at: datetime, details: dict[str, Any]) -> None:
    finding = fact.findings.setdefault(str(details["finding_id"]), Finding())
    finding.kind = details.get("finding_kind")
    finding.recorded_at = at


def _finding_resolved(fact: DispatchFact, at: datetime, details: dict[str, Any]) -> None:
    finding = fact.findings.setdefault(str(details["finding_id"]), Finding())
    finding.kind = finding.kind or details.get("finding_kind")
    finding.resolved_at = at


_APPLY = {
    EventKind.DISPATCHED: _dispatched,
    EventKind.ACKNOWLEDGEMENT_RECEIVED: _acknowledged,
    EventKind.ACTION_REPORT_RECEIVED: _action_reported,
    EventKind.DEADLINE_MISSED: _missed,
    EventKind.CLOSED: _closed,
    contract.NOTIFICATION_COMPLETED: _notified,
    contract.FINDING_RECORDED: _finding_recorded,
    contract.FINDING_RESOLVED: _finding_resolved,
}


def group_by(items: Iterable[T], key: Callable[[T], Any]) -> dict[Any, list[T]]:
    groups: dict[Any, list[T]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return groups
