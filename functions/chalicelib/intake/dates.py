"""Issue dates as regulators write them, without guessing between day and month orders."""

from __future__ import annotations

import re
from datetime import date, datetime

# (pattern, order of the captured groups). Year-first forms are unambiguous; the only
# day-first forms accepted are the European dd/MM/yyyy and dd.MM.yyyy (never US MM/dd).
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # ISO date, optionally followed by a time we ignore: the date is what was published.
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}.*)?$"), "ymd"),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), "ymd"),  # SafetyKorea publishDate
    # yyyy.MM.dd, yyyy/MM/dd and the Korean "2024. 5. 3." with spaces and final dot.
    (re.compile(r"^(\d{4})\s*[./]\s*(\d{1,2})\s*[./]\s*(\d{1,2})\.?$"), "ymd"),
    (re.compile(r"^(\d{4})년\s*(\d{1,2})월\s*(\d{1,2})일$"), "ymd"),
    (re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$"), "dmy"),
)


def parse_date(value: str | date) -> date | None:
    """The calendar date in ``value``, or None when it is not a date we can read."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = value.strip()
    for pattern, order in _PATTERNS:
        match = pattern.match(text)
        if match:
            return _build(match.groups(), order)
    return None


def _build(groups: tuple[str, ...], order: str) -> date | None:
    first, second, third = (int(group) for group in groups)
    year, month, day = (first, second, third) if order == "ymd" else (third, second, first)
    try:
        return date(year, month, day)
    except ValueError:  # 2024-02-30 and the like
        return None
