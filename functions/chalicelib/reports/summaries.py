"""A month of the report log, summarised once: what each dispatch sent that month counts
from that month's occurrences and the next month's (an answer to a dispatch sent at the
end of a month comes in the next), added up per cell; and the month's occurrences about
dispatches sent in other months, as they are.

A dispatch's figures depend on every occurrence about it (a finding half a year later
too), but a month's summary depends on two months of the log alone, so it stays exact for
as long as those two are unchanged, whatever happens in other months. A report uses a
dispatch's ``counted`` as it is when no month after the next holds an occurrence about it
(and it has no open escalation to list); otherwise it folds the dispatch again from its
occurrences, the ones ``held_in`` and ``held_after`` name and the later months' ones.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, NamedTuple

from chalicelib.notices.timeline import EventKind
from chalicelib.reports import contract
from chalicelib.reports.facts import facts_from
from chalicelib.reports.figures import Counted, Sum, count_of
from chalicelib.reports.occurrences import Occurrence, decode_all, encode, found_elsewhere

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
    held_after: tuple[str, ...]  # and those of the next month

    @property
    def dispatch(self) -> Dispatch:
        return (self.notice_id, self.version, self.platform_id)


class Cell(NamedTuple):
    """The dispatches of one platform and regulator sent on one day (on the clock the
    sending instant is written in, so one week and one month), added up."""

    platform_id: str
    regulator_id: str
    day: date
    first: datetime  # the earliest and latest sending instants
    last: datetime
    total: Sum


class MonthSummary:
    """The month's dispatches added up per cell, each one's own count at hand (decoded
    when asked for), and the occurrences about dispatches sent in other months."""

    def __init__(
        self,
        cells: list[Cell],
        sent: dict[str, list[Any]],
        others: list[Occurrence],
        places: list[dict[str, int]],
    ) -> None:
        self.cells = cells
        self.records = sent  # dispatch -> [its cell's index or ALONE, its encoded Sent]
        self.others = others
        # Where the log keeps the month's occurrences and the next month's: how many each.
        self.places = places

    def find(self, dispatch: Dispatch) -> tuple[int, Sent] | None:
        """The dispatch's cell (``ALONE``: in none) and count, if it was sent in the month."""
        found = self.records.get(_name(dispatch))
        return None if found is None else (found[0], _sent_of(json.loads(found[1])))

    def members(self, cell: int) -> list[Sent]:
        return [_sent_of(json.loads(text)) for at, text in self.records.values() if at == cell]


# A dispatch with an open escalation is in no cell: the report lists it, from its fact.
ALONE = -1


def summarise(
    occurrences: Iterable[Occurrence],
    next_month: Iterable[Occurrence],
    held_in: Callable[[Occurrence], str],
) -> MonthSummary:
    """The summary of a month's ``occurrences``, its dispatches counted with the occurrences
    of ``next_month`` about them too; ``held_in`` names where the log keeps each."""
    own, then = list(occurrences), list(next_month)
    sent_here = {o.dispatch for o in own if o.kind == EventKind.DISPATCHED}
    places, sizes = _places(own, sent_here, held_in)
    places_after, sizes_after = _places(then, sent_here, held_in)
    cells: dict[tuple[str, str, date], list[Sent]] = defaultdict(list)
    sent: dict[str, list[Any]] = {}
    for fact in facts_from(o for o in own + then if o.dispatch in sent_here):
        if fact.dispatched_at is None:
            continue  # a found_elsewhere finding: among the others, counted by the report
        dispatch = (fact.notice_id, fact.version, fact.platform_id)
        one = Sent(
            *dispatch,
            fact.regulator_id,
            fact.dispatched_at,
            count_of(fact),
            tuple(sorted(places[dispatch])),
            tuple(sorted(places_after.get(dispatch, ()))),
        )
        text = json.dumps(_sent_row(one), separators=(",", ":"))
        sent[_name(dispatch)] = [ALONE, text]
        if not one.counted.escalations:
            cells[(one.platform_id, one.regulator_id, one.dispatched_at.date())].append(one)
    added_up: list[Cell] = []
    for (platform_id, regulator_id, day), inside in sorted(cells.items()):
        total = Sum()
        for one in inside:
            total.add(one.counted)
            sent[_name(one.dispatch)][0] = len(added_up)
        moments = [one.dispatched_at for one in inside]
        added_up.append(Cell(platform_id, regulator_id, day, min(moments), max(moments), total))
    others = [o for o in own if o.dispatch not in sent_here or found_elsewhere(o)]
    return MonthSummary(added_up, sent, others, [sizes, sizes_after])


def _places(
    occurrences: list[Occurrence], sent: set[Dispatch], held_in: Callable[[Occurrence], str]
) -> tuple[dict[Dispatch, set[str]], dict[str, int]]:
    """Where each of the ``sent`` dispatches' occurrences is kept, and how many each place
    keeps (of every dispatch)."""
    places: dict[Dispatch, set[str]] = defaultdict(set)
    sizes: dict[str, int] = defaultdict(int)
    for occurrence in occurrences:
        place = held_in(occurrence)
        sizes[place] += 1
        if occurrence.dispatch in sent:
            places[occurrence.dispatch].add(place)
    return places, dict(sizes)


def month_after(month: str) -> str:
    """``2026-12`` -> ``2027-01``."""
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + 1:04d}-01" if number == 12 else f"{year:04d}-{number + 1:02d}"


def _name(dispatch: Dispatch) -> str:
    notice_id, version, platform_id = dispatch
    return f"{notice_id}\t{version}\t{platform_id}"


_SUM_FIELDS = tuple(Sum.__dataclass_fields__)


def encode_summary(summary: MonthSummary) -> str:
    """JSON text, the same for the same occurrences (so equal summaries encode alike)."""
    return json.dumps(
        {
            "cells": [
                [
                    cell.platform_id,
                    cell.regulator_id,
                    cell.day.isoformat(),
                    cell.first.isoformat(),
                    cell.last.isoformat(),
                    [getattr(cell.total, name) for name in _SUM_FIELDS],
                ]
                for cell in summary.cells
            ],
            "sent": summary.records,
            "others": sorted(encode(o) for o in summary.others),
            "places": summary.places,
        },
        separators=(",", ":"),
        ensure_ascii=False,
        sort_keys=True,
    )


def decode_summary(text: str) -> MonthSummary:
    document = json.loads(text)
    cells = [
        Cell(
            platform_id,
            regulator_id,
            date.fromisoformat(day),
            datetime.fromisoformat(first),
            datetime.fromisoformat(last),
            Sum(*total),
        )
        for platform_id, regulator_id, day, first, last, total in document["cells"]
    ]
    return MonthSummary(cells, document["sent"], decode_all(document["others"]), document["places"])


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
        list(sent.held_after),
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
        held_after,
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
        tuple(held_after),
    )
