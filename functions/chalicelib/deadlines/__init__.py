"""Response deadlines in working days of the regulator's jurisdiction."""

from chalicelib.deadlines.policy import (
    AppliedPolicy,
    DeadlineKind,
    DeadlinePolicy,
    deadline_for,
    policy_for,
)
from chalicelib.deadlines.working_days import (
    UnknownJurisdiction,
    WorkingDayCalendar,
    add_working_days,
    is_working_day,
    working_day_calendar,
    working_days_late,
)

__all__ = [
    "AppliedPolicy",
    "DeadlineKind",
    "DeadlinePolicy",
    "UnknownJurisdiction",
    "WorkingDayCalendar",
    "add_working_days",
    "deadline_for",
    "is_working_day",
    "policy_for",
    "working_day_calendar",
    "working_days_late",
]
