"""The exchange's clock: the system's, in UTC.

Deadlines are counted in working days, so showing one pass means moving time, not
waiting days. The embedded runtime can set this clock ahead (``psx demo`` shows a
marketplace answering days late through the HTTPS API); deployed functions never do,
and the scheduled deadline check takes its time from the schedule's event instead.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_ahead = timedelta(0)


def now() -> datetime:
    return datetime.now(UTC) + _ahead


def set_ahead(delta: timedelta) -> None:
    """How far ahead of the system clock ``now()`` runs (``timedelta(0)``: not at all)."""
    global _ahead  # noqa: PLW0603 -- one clock per process, like the system's
    _ahead = delta
