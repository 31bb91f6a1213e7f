"""Deadlines counted in working days of a jurisdiction (weekends and public holidays excluded).

Counting rule ("from the time of receipt", in the jurisdiction's local time):

* The clock starts at receipt if the local date of receipt is a working day, otherwise at
  00:00 of the next working day.
* N working days elapse when N whole working days of local clock time have passed on the
  clock; non-working days do not run the clock. So a notice received on a working day is due
  at the same local clock time N working days later (Friday 17:00 + 2 = Tuesday 17:00), and a
  notice whose clock starts at 00:00 is due at the end of the Nth working day, i.e. 00:00 of
  the following calendar day (Saturday + 2 = end of Tuesday = Wednesday 00:00).

Holidays come from the ``holidays`` package, loaded a year at a time on first use, so a
deadline crossing New Year sees the next year's holidays. A jurisdiction's weekend is the one
``holidays`` knows for that country (not always Saturday and Sunday).

"EU" (a Union-wide notice): ``holidays`` 0.109 has no calendar of the EU institutions, so the
EU uses the ECB/TARGET2 closing days (New Year, Good Friday, Easter Monday, 1 May, 25 and 26
December): the only Union-wide working-day calendar it ships, in Brussels time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from chalicelib.identifiers.jurisdictions import UNION_WIDE

MIDNIGHT = time(0)
ONE_DAY = timedelta(days=1)

# EU usage writes EL for Greece and UK for the United Kingdom.
_ALIASES = {"EL": "GR", "UK": "GB"}

# The time zone deadlines are counted in: the seat of the authority, i.e. the capital's zone.
# A jurisdiction needs an entry here to be usable (guessing a zone for a country spanning
# several would silently move deadlines by hours); adding one is a one-line change.
_TIMEZONES = {
    UNION_WIDE: "Europe/Brussels",
    # EU member states
    "AT": "Europe/Vienna",
    "BE": "Europe/Brussels",
    "BG": "Europe/Sofia",
    "HR": "Europe/Zagreb",
    "CY": "Asia/Nicosia",
    "CZ": "Europe/Prague",
    "DK": "Europe/Copenhagen",
    "EE": "Europe/Tallinn",
    "FI": "Europe/Helsinki",
    "FR": "Europe/Paris",
    "DE": "Europe/Berlin",
    "GR": "Europe/Athens",
    "HU": "Europe/Budapest",
    "IE": "Europe/Dublin",
    "IT": "Europe/Rome",
    "LV": "Europe/Riga",
    "LT": "Europe/Vilnius",
    "LU": "Europe/Luxembourg",
    "MT": "Europe/Malta",
    "NL": "Europe/Amsterdam",
    "PL": "Europe/Warsaw",
    "PT": "Europe/Lisbon",
    "RO": "Europe/Bucharest",
    "SK": "Europe/Bratislava",
    "SI": "Europe/Ljubljana",
    "ES": "Europe/Madrid",
    "SE": "Europe/Stockholm",
    # EEA / EFTA and other European markets
    "IS": "Atlantic/Reykjavik",
    "LI": "Europe/Vaduz",
    "NO": "Europe/Oslo",
    "CH": "Europe/Zurich",
    "GB": "Europe/London",
    "RS": "Europe/Belgrade",
    "TR": "Europe/Istanbul",
    "UA": "Europe/Kyiv",
    # Asia-Pacific
    "KR": "Asia/Seoul",
    "JP": "Asia/Tokyo",
    "CN": "Asia/Shanghai",
    "HK": "Asia/Hong_Kong",
    "TW": "Asia/Taipei",
    "SG": "Asia/Singapore",
    "IN": "Asia/Kolkata",
    "AU": "Australia/Sydney",
    "NZ": "Pacific/Auckland",
    # Americas
    "US": "America/New_York",
    "CA": "America/Toronto",
    "MX": "America/Mexico_City",
    "BR": "America/Sao_Paulo",
}

# A year always holds working days; a longer search means a broken calendar, not a long break.
_MAX_CONSECUTIVE_NON_WORKING_DAYS = 366


class UnknownJurisdiction(ValueError):
    """No working-day calendar is configured for this jurisdiction."""

    def __init__(self, jurisdiction: str, reason: str) -> None:
        super().__init__(f"unknown jurisdiction {jurisdiction!r}: {reason}")
        self.jurisdiction = jurisdiction


@dataclass(frozen=True, eq=False)
class WorkingDayCalendar:
    """Working days and the local time zone of one jurisdiction."""

    jurisdiction: str
    timezone: ZoneInfo
    _holidays: holidays.HolidayBase = field(repr=False)
    # The holidays object fills in a year on first lookup (expand=True), mutating itself, and
    # a cached calendar may be shared between threads.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Each day's answer, once asked: reports ask about the same days hundreds of thousands
    # of times (a dict read is atomic; a race only computes one answer twice).
    _known: dict[date, bool] = field(default_factory=dict, repr=False)

    def is_working_day(self, day: date) -> bool:
        known = self._known.get(day)
        if known is not None:
            return known
        with self._lock:
            # Also honours a country's working weekend days (e.g. China's make-up Sundays).
            answer = bool(self._holidays.is_working_day(day))
        self._known[day] = answer
        return answer

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        candidate = day
        for _ in range(_MAX_CONSECUTIVE_NON_WORKING_DAYS):
            candidate += ONE_DAY
            if self.is_working_day(candidate):
                return candidate
        raise RuntimeError(f"no working day in a year after {day} in {self.jurisdiction}")

    def working_days_after(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day`` (``day`` itself when count is 0)."""
        for _ in range(count):
            day = self.next_working_day(day)
        return day

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.timezone)

    def at(self, day: date, clock: time) -> datetime:
        """``clock`` on ``day`` in local time (a clock time skipped by DST moves forward)."""
        return datetime.combine(day, clock, tzinfo=self.timezone)


def working_day_calendar(jurisdiction: str) -> WorkingDayCalendar:
    """The calendar of an ISO 3166-1 alpha-2 code (EL and UK accepted) or EU."""
    code = jurisdiction.strip().upper()
    return _calendar(_ALIASES.get(code, code))


_calendars: dict[str, WorkingDayCalendar] = {}
_calendars_lock = threading.Lock()


def _calendar(code: str) -> WorkingDayCalendar:
    """Built once per process under a lock: ``functools.cache`` let every concurrent first
    call build its own (a country's holidays take ~0.1 CPU s; a file's plans all start at
    once), and each calendar keeps the days it was asked about."""
    found = _calendars.get(code)
    if found is None:
        with _calendars_lock:
            found = _calendars.get(code)
            if found is None:
                found = _calendars[code] = _built_calendar(code)
    return found


def _built_calendar(code: str) -> WorkingDayCalendar:
    zone = _TIMEZONES.get(code)
    if zone is None:
        raise UnknownJurisdiction(code, "no working-day calendar and time zone configured")
    return WorkingDayCalendar(code, ZoneInfo(zone), _holidays_of(code))


def _holidays_of(code: str) -> holidays.HolidayBase:
    if code == UNION_WIDE:
        return holidays.financial_holidays("ECB")
    try:
        return holidays.country_holidays(code)
    except NotImplementedError as exc:
        raise UnknownJurisdiction(code, "the holidays package has no calendar for it") from exc


def is_working_day(day: date, jurisdiction: str) -> bool:
    """Whether the local calendar date ``day`` is a working day in ``jurisdiction``."""
    if isinstance(day, datetime):
        # A datetime's date depends on its zone; callers must say which local date they mean.
        raise TypeError("is_working_day takes a local date, not a datetime")
    return working_day_calendar(jurisdiction).is_working_day(day)


def add_working_days(received_at: datetime, days: int, jurisdiction: str) -> datetime:
    """The instant (UTC) ``days`` working days after receipt, by the rule in the module doc.

    * Receipt on a working day at local time T: T on the ``days``-th working day after it.
    * Receipt on a non-working day (or at exactly 00:00 of a working day): 00:00 of the
      calendar day after the ``days``-th working day, counting the first working day on or
      after receipt as the 1st (the end of that day).
    * ``days == 0``: the moment the clock starts, i.e. ``received_at`` on a working day, or
      00:00 of the next working day when received on a non-working day.
    """
    _require_aware(received_at, "received_at")
    if days < 0:
        raise ValueError(f"days must be >= 0, got {days}")
    calendar = working_day_calendar(jurisdiction)
    start = _clock_start(calendar, received_at)
    if days == 0:
        return start.astimezone(UTC)
    if start.time() == MIDNIGHT:
        last_day = calendar.working_days_after(start.date(), days - 1)
        return calendar.at(last_day + ONE_DAY, MIDNIGHT).astimezone(UTC)
    due_day = calendar.working_days_after(start.date(), days)
    return calendar.at(due_day, start.time()).astimezone(UTC)


def working_days_late(deadline: datetime, responded_at: datetime, jurisdiction: str) -> int:
    """How many working days after ``deadline`` the response came; 0 if on time.

    On time means ``responded_at <= deadline``. Otherwise it is the working time between the
    two (local clock time on working days only) in whole working days, rounded up, and at
    least 1: late by k means within ``add_working_days(deadline, k)`` but not within k - 1,
    for any response made on a working day. A response on a weekend right after a deadline at
    the end of a Friday counts as 1.
    """
    _require_aware(deadline, "deadline")
    _require_aware(responded_at, "responded_at")
    if responded_at <= deadline:
        return 0
    calendar = working_day_calendar(jurisdiction)
    whole_days, remainder = divmod(_working_time(calendar, deadline, responded_at), ONE_DAY)
    return max(1, whole_days + (remainder > timedelta(0)))


def working_time(start: datetime, end: datetime, jurisdiction: str) -> timedelta:
    """Local clock time between ``start`` and ``end`` on working days (zero when ``end``
    is not after ``start``): how long a platform took, in working time."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end <= start:
        return timedelta(0)
    return _working_time(working_day_calendar(jurisdiction), start, end)


def _working_time(calendar: WorkingDayCalendar, start: datetime, end: datetime) -> timedelta:
    """Local clock time between ``start`` and ``end`` that falls on working days."""
    # Naive local times measure clock time: a working day is 24 hours even across DST.
    start_clock = calendar.local(start).replace(tzinfo=None)
    end_clock = calendar.local(end).replace(tzinfo=None)
    first, last = start_clock.date(), end_clock.date()
    if first >= last:
        # One day (or a DST fall-back turning the clock back): the overlap, never negative.
        if first > last or not calendar.is_working_day(first):
            return timedelta(0)
        return max(end_clock - start_clock, timedelta(0))
    # A year's report asks this once per listing: the whole days in between are counted
    # by date alone, only the first and last are cut at the clock.
    total = timedelta(0)
    if calendar.is_working_day(first):
        total += datetime.combine(first + ONE_DAY, MIDNIGHT) - start_clock
    if calendar.is_working_day(last):
        total += end_clock - datetime.combine(last, MIDNIGHT)
    day = first + ONE_DAY
    while day < last:
        if calendar.is_working_day(day):
            total += ONE_DAY
        day += ONE_DAY
    return total


def _clock_start(calendar: WorkingDayCalendar, received_at: datetime) -> datetime:
    local = calendar.local(received_at)
    if calendar.is_working_day(local.date()):
        return local
    return calendar.at(calendar.next_working_day(local.date()), MIDNIGHT)


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}")
