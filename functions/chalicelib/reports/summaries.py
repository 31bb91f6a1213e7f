"""A month of the report log, summarised once: what each dispatch sent that month counts
from that month's occurrences, and the month's other occurrences as they are.

A dispatch's figures depend on every occurrence about it (an answer next month, a finding
half a year later), but a month's summary depends on that month's occurrences alone, so it
stays exact for as long as the month's log is unchanged, whatever happens in other months.
A report uses a dispatch's ``counted`` as it is when no other month holds an occurrence
about it (and it has no open escalation to list); otherwise it folds the dispatch again
from its occurrences, the ones ``held_in`` names and the other months' ones.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, NamedTuple

from chalicelib.notices.timeline import EventKind
from chalicelib.reports import contract
from chalicelib.reports.facts import facts_from
from chalicelib.reports.figures import Counted, count_of
from chalicelib.reports.occurrences import Occurrence, decode_all, encode

Dispatch = tuple[str, int, str]  # notice id, version, platform id


class Sent(NamedTuple):
    """A dispatch sent in the month, with what it counts from the month's occurrences."""

    notice_id: str
    version: int
    platform_id: str
    regulator_id: str
    dispatched_at: datetime
    counted: Counted
    held_in: tuple[str, ...]  # where the log keeps its occurrences of the month

    @property
    def dispatch(self) -> Dispatch:
        return (self.notice_id, self.version, self.platform_id)


class MonthSummary(NamedTuple):
    sent: list[Sent]
    others: list[Occurrence]  # about dispatches not sent in the month


def summarise(
    occurrences: Iterable[Occurrence], held_in: Callable[[Occurrence], str]
) -> MonthSummary:
    everything = list(occurrences)
    sent_here = {o.dispatch for o in everything if o.kind == EventKind.DISPATCHED}
    places: dict[Dispatch, set[str]] = defaultdict(set)
    for occurrence in everything:
        if occurrence.dispatch in sent_here:
            places[occurrence.dispatch].add(held_in(occurrence))
    facts = facts_from(o for o in everything if o.dispatch in sent_here)
    sent = [
        Sent(
            fact.notice_id,
            fact.version,
            fact.platform_id,
            fact.regulator_id,
            fact.dispatched_at,
            count_of(fact),
            tuple(sorted(places[(fact.notice_id, fact.version, fact.platform_id)])),
        )
        for fact in facts
        if fact.dispatched_at is not None
    ]
    others = [o for o in everything if o.dispatch not in sent_here]
    return MonthSummary(sorted(sent, key=lambda s: s.dispatch), others)


def encode_summary(summary: MonthSummary) -> str:
    """JSON text, the same for the same occurrences (so equal summaries encode alike)."""
    return json.dumps(
        {
            "sent": [_sent_row(sent) for sent in summary.sent],
            "others": sorted(encode(o) for o in summary.others),
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def decode_summary(text: str) -> MonthSummary:
    document = json.loads(text)
    return MonthSummary([_sent_of(row) for row in document["sent"]], decode_all(document["others"]))


def _sent_row(sent: Sent) -> list[Any]:
    c = sent.counted
    notification = c.notification
    return [
        sent.notice_id,
        sent.version,
        sent.platform_id,
        sent.regulator_id,
        sent.dispatched_at.isoformat(),
        list(sent.held_in),
        c.acknowledgement_due
        | c.acknowledged_on_time << 1
        | c.action_report_due << 2
        | c.action_report_on_time << 3,
        c.missed,
        c.escalations,
        c.late_days,
        c.acted,
        c.timed,
        None
        if notification is None
        else [notification[name] for name in contract.NOTIFICATION_COUNTS],
        c.findings,
        c.findings_by_kind,
        c.findings_resolved,
        c.resolution_seconds,
    ]


_NONE: tuple[Any, ...] = ()


def _sent_of(row: list[Any]) -> Sent:
    (
        notice_id,
        version,
        platform_id,
        regulator_id,
        dispatched_at,
        held_in,
        answers,
        missed,
        escalations,
        late_days,
        acted,
        timed,
        notification,
        findings,
        findings_by_kind,
        findings_resolved,
        resolution_seconds,
    ) = row
    counted = Counted(
        bool(answers & 1),
        bool(answers & 2),
        bool(answers & 4),
        bool(answers & 8),
        missed,
        tuple(escalations) if escalations else _NONE,
        tuple(late_days) if late_days else _NONE,
        acted,
        tuple((action, seconds, within) for action, seconds, within in timed),
        None
        if notification is None
        else dict(zip(contract.NOTIFICATION_COUNTS, notification, strict=True)),
        findings,
        tuple(findings_by_kind),
        findings_resolved,
        tuple(resolution_seconds) if resolution_seconds else _NONE,
    )
    return Sent(
        notice_id,
        version,
        platform_id,
        regulator_id,
        datetime.fromisoformat(dispatched_at),
        counted,
        tuple(held_in),
    )
