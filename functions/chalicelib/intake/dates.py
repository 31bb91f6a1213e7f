"""Issue dates as regulators write them, without guessing between day and month orders."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

# Like every other date and time the exchange accepts (api.models EARLIEST_TIME and
# LATEST_TIME): a year outside is a typo or an Excel zero date, not a notice's date.
EARLIEST_YEAR = 1970
LATEST_YEAR = 2099

# (pattern, order of the captured groups), matched against the whole text. Digits are
# ASCII only: int() would also read Arabic-Indic or fullwidth digits. Year-first forms
# are unambiguous; the only day-first forms accepted are the European dd/MM/yyyy and
# dd.MM.yyyy (never US MM/dd).
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # ISO date, optionally followed by a time we ignore: the date is what was published.
    (re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[T ][0-9]{1,2}:[0-9]{2}.*)?"), "ymd"),
    (re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})"), "ymd"),  # SafetyKorea publishDate
    # yyyy.MM.dd, yyyy/MM/dd and the Korean "2024. 5. 3." with spaces and final dot.
    (re.compile(r"([0-9]{4})\s*[./]\s*([0-9]{1,2})\s*[./]\s*([0-9]{1,2})\.?"), "ymd"),
    (re.compile(r"([0-9]{4})년\s*([0-9]{1,2})월\s*([0-9]{1,2})일"), "ymd"),
    (re.compile(r"([0-9]{1,2})[./]([0-9]{1,2})[./]([0-9]{4})"), "dmy"),
)


def parse_date(value: str | date) -> date | None:
    """The calendar date in ``value``, or None when it is not a date we can read or
    its year is outside ``EARLIEST_YEAR``..``LATEST_YEAR``."""
    if isinstance(value, datetime):
        return _within_years(value.date())
    if isinstance(value, date):
        return _within_years(value)
    if len(value) > _REMEMBERED_CHARS:
        return _date_in_text(value)
    return _remembered_date_in_text(value)


# A file's rows share a handful of issue dates: each distinct text is matched once (the
# patterns took 3 % of a CSV's parse), remembering only texts as short as a date
# with a time, so the cache cannot grow past a few dozen KiB.
_REMEMBERED_CHARS = 32


def _date_in_text(value: str) -> date | None:
    text = value.strip()
    for pattern, order in _PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            return _build(match.groups(), order)
    return None


_remembered_date_in_text = lru_cache(maxsize=1024)(_date_in_text)


def _build(groups: tuple[str, ...], order: str) -> date | None:
    first, second, third = int(groups[0]), int(groups[1]), int(groups[2])
    year, month, day = (first, second, third) if order == "ymd" else (third, second, first)
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:  # 2024-02-30 and the like
        return None


def _within_years(value: date) -> date | None:
    return value if EARLIEST_YEAR <= value.year <= LATEST_YEAR else None
