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
    counted = _counted(own, then, sent_here, held_in)
    members: dict[_CellKey, list[Sent]] = defaultdict(list)
    for one in counted.values():
        if not one.counted.escalations:
            members[_key(one)].append(one)
    cells = _added_up([], members)
    index = _cell_index(cells)
    records = {name: _record(one, index) for name, one in counted.items()}
    others = [o for o in own if o.dispatch not in sent_here or found_elsewhere(o)]
    places = [_sizes(own, held_in), _sizes(then, held_in)]
    return MonthSummary(cells, records, others, places)


def updated(
    summary: MonthSummary,
    grown: tuple[dict[str, list[Occurrence]], dict[str, list[Occurrence]]],
    kept: Callable[[int, set[str]], Iterable[Occurrence]],
    places_after: Callable[[str], Iterable[str]],
    held_in: Callable[[Occurrence], str],
) -> MonthSummary:
    """``summary`` brought up to date with the log items that grew since it was made: the
    same summary as ``summarise`` makes of the whole two months, at the cost of the
    dispatches those items hold occurrences about.

    ``grown``: every occurrence of each log item that grew, by place (the month's, the
    next month's); ``kept(0 | 1, places)``: the occurrences of unchanged places of the
    month or the next; ``places_after(notice_id)``: the next month's places that may keep
    a notice's occurrences."""
    own_grown = [o for occurrences in grown[0].values() for o in occurrences]
    then_grown = [o for occurrences in grown[1].values() for o in occurrences]
    changed = (set(grown[0]), set(grown[1]))
    known = {_dispatch(name) for name in summary.records}
    new = {o.dispatch for o in own_grown if o.kind == EventKind.DISPATCHED} - known
    sent_here = known | new
    # (A found_elsewhere occurrence under a sent dispatch's key counts alone, but the
    # dispatch's places name it, as summarise's do.)
    touched = new | {o.dispatch for o in own_grown + then_grown if o.dispatch in sent_here}
    before = {dispatch: found for dispatch in touched - new if (found := summary.find(dispatch))}
    wanted: tuple[set[str], set[str]] = (set(), set())
    for found in before.values():
        wanted[0].update(found[1].held_in)
        wanted[1].update(found[1].held_after)
    for notice_id in {notice_id for notice_id, _, _ in new}:
        wanted[1].update(places_after(notice_id))
    own = [o for o in own_grown if o.dispatch in touched]
    own += [o for o in kept(0, wanted[0] - changed[0]) if o.dispatch in before]
    # A newly sent dispatch's earlier occurrences of the month were others until now.
    own += [o for o in summary.others if o.dispatch in new and held_in(o) not in changed[0]]
    then = [o for o in then_grown if o.dispatch in touched]
    then += [o for o in kept(1, wanted[1] - changed[1]) if o.dispatch in touched]
    counted = _counted(own, then, touched, held_in)
    # The cells the touched dispatches were in and are in now are added up again.
    members: dict[_CellKey, list[Sent]] = {}
    for found in before.values():
        if found[0] != ALONE:
            members[_key(summary.cells[found[0]])] = []
    for one in counted.values():
        if not one.counted.escalations:
            members.setdefault(_key(one), []).append(one)
    again = {n for n, cell in enumerate(summary.cells) if _key(cell) in members}
    for name, (at, text) in summary.records.items():
        if at in again and name not in counted:
            one = _sent_of(json.loads(text))
            members[_key(one)].append(one)
    cells = _added_up([c for n, c in enumerate(summary.cells) if n not in again], members)
    index = _cell_index(cells)
    records = {
        name: [ALONE if at == ALONE else index[_key(summary.cells[at])], text]
        for name, (at, text) in summary.records.items()
        if name not in counted  # (a touched one's old cell may be gone)
    }
    records |= {name: _record(one, index) for name, one in counted.items()}
    others = [
        o
        for o in summary.others
        if held_in(o) not in changed[0] and (o.dispatch not in new or found_elsewhere(o))
    ]
    others += [o for o in own_grown if o.dispatch not in sent_here or found_elsewhere(o)]
    places = [
        summary.places[which] | {at: len(there) for at, there in grown[which].items()}
        for which in (0, 1)
    ]
    return MonthSummary(cells, records, others, places)


_CellKey = tuple[str, str, date]  # platform, regulator, day sent


def _key(one: Sent | Cell) -> _CellKey:
    if isinstance(one, Cell):
        return (one.platform_id, one.regulator_id, one.day)
    return (one.platform_id, one.regulator_id, one.dispatched_at.date())


def _counted(
    own: list[Occurrence],
    then: list[Occurrence],
    sent: set[Dispatch],
    held_in: Callable[[Occurrence], str],
) -> dict[str, Sent]:
    """What each of the ``sent`` dispatches counts from the month's occurrences and the
    next month's, by name."""
    places, places_after = _places(own, sent, held_in), _places(then, sent, held_in)
    counted: dict[str, Sent] = {}
    for fact in facts_from(o for o in own + then if o.dispatch in sent):
        if fact.dispatched_at is None:
            continue  # a found_elsewhere finding: among the others, counted by the report
        dispatch = (fact.notice_id, fact.version, fact.platform_id)
        counted[_name(dispatch)] = Sent(
            *dispatch,
            fact.regulator_id,
            fact.dispatched_at,
            count_of(fact),
            tuple(sorted(places[dispatch])),
            tuple(sorted(places_after.get(dispatch, ()))),
        )
    return counted


def _added_up(kept: list[Cell], members: dict[_CellKey, list[Sent]]) -> list[Cell]:
    """The cells in key order: those ``kept`` as they are, and each of ``members`` added up
    from its dispatches (none: no cell), always in the same order, so that a summary
    encodes alike however it was made."""
    cells = {_key(cell): cell for cell in kept}
    for key, inside in members.items():
        if inside:
            inside.sort(key=lambda one: _name(one.dispatch))
            total = Sum()
            for one in inside:
                total.add(one.counted)
            moments = [one.dispatched_at for one in inside]
            cells[key] = Cell(*key, min(moments), max(moments), total)
    return [cells[key] for key in sorted(cells)]


def _cell_index(cells: list[Cell]) -> dict[_CellKey, int]:
    return {_key(cell): n for n, cell in enumerate(cells)}


def _record(one: Sent, index: dict[_CellKey, int]) -> list[Any]:
    return [ALONE if one.counted.escalations else index[_key(one)], _text(one)]


def _sizes(occurrences: list[Occurrence], held_in: Callable[[Occurrence], str]) -> dict[str, int]:
    """How many occurrences each place keeps."""
    sizes: dict[str, int] = defaultdict(int)
    for occurrence in occurrences:
        sizes[held_in(occurrence)] += 1
    return dict(sizes)


def _places(
    occurrences: list[Occurrence], sent: set[Dispatch], held_in: Callable[[Occurrence], str]
) -> dict[Dispatch, set[str]]:
    """Where each of the ``sent`` dispatches' occurrences is kept."""
    places: dict[Dispatch, set[str]] = defaultdict(set)
    for occurrence in occurrences:
        if occurrence.dispatch in sent:
            places[occurrence.dispatch].add(held_in(occurrence))
    return places


def month_after(month: str) -> str:
    """``2026-12`` -> ``2027-01``."""
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + 1:04d}-01" if number == 12 else f"{year:04d}-{number + 1:02d}"


def _name(dispatch: Dispatch) -> str:
    notice_id, version, platform_id = dispatch
    return f"{notice_id}\t{version}\t{platform_id}"


def _dispatch(name: str) -> Dispatch:
    notice_id, version, platform_id = name.split("\t")
    return (notice_id, int(version), platform_id)


def _text(one: Sent) -> str:
    return json.dumps(_sent_row(one), separators=(",", ":"))


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
