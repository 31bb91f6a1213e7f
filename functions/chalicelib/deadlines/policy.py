"""Deadline defaults (EU GPSR / Product Safety Pledge) and per-agreement overrides.

An agreement is stored with the platform it binds (``Platform.agreements``, set with
``psx agreements set``), keyed by regulator id, ``*`` standing for every regulator (a
pledge the platform signed). The Korean KFTC agreements publish no numbers, so each is
set per agreement. Fields left out of an agreement keep the defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum

from pydantic import StrictInt

from chalicelib.deadlines.working_days import add_working_days

ANY_REGULATOR = "*"
DEFAULTS = "defaults"
NOTICE_KINDS = ("order", "notice")


class DeadlineKind(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"
    ACTION_REPORT = "action_report"


class NotificationMode(StrEnum):
    """Who tells the affected sellers and buyers under an agreement."""

    EXCHANGE = "exchange"  # the exchange sends on the platform's behalf
    PLATFORM = "platform"  # the platform sends itself and reports counts


@dataclass(frozen=True)
class DeadlinePolicy:
    """Working days a platform has to acknowledge a notice and to report the action taken."""

    # StrictInt: when pydantic reads an agreement, `true` or "2" is a mistake, not a number.
    acknowledge_working_days: StrictInt = 1
    # GPSR Art. 22: act on an authority order within 2 working days of receipt.
    order_action_working_days: StrictInt = 2
    # GPSR: process a notice within 3 working days; Pledge+: identify listings within 3.
    notice_action_working_days: StrictInt = 3
    # After the hand-off: working days to tell every affected seller and buyer.
    notification_working_days: StrictInt = 3
    # DSA Art. 32: buyers who bought in the 6 months before the platform got the notice.
    lookback_months: StrictInt = 6
    notification_mode: NotificationMode = NotificationMode.PLATFORM

    def __post_init__(self) -> None:
        NotificationMode(self.notification_mode)  # a stored agreement is read as text
        for name in _POLICY_KEYS:
            value = getattr(self, name)
            # bool is an int subclass; `true` in JSON is a mistake, not 1 day.
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")

    def working_days_for(self, kind: DeadlineKind, notice_kind: str) -> int:
        if notice_kind not in NOTICE_KINDS:
            raise ValueError(f"notice_kind must be one of {NOTICE_KINDS}, got {notice_kind!r}")
        if kind is DeadlineKind.ACKNOWLEDGEMENT:
            return self.acknowledge_working_days
        if notice_kind == "order":
            return self.order_action_working_days
        return self.notice_action_working_days


_POLICY_KEYS = tuple(f.name for f in fields(DeadlinePolicy) if f.name != "notification_mode")


@dataclass(frozen=True)
class AppliedPolicy:
    """A deadline policy and the agreement it comes from (``regulator:platform``, or
    ``defaults`` when no agreement applies)."""

    policy: DeadlinePolicy
    agreement: str


def policy_for(
    agreements: Mapping[str, DeadlinePolicy], regulator_id: str, platform_id: str
) -> AppliedPolicy:
    """The platform's agreement with the regulator, else with every regulator, else the
    defaults. ``agreements`` are the platform's, keyed by regulator id or ``*``."""
    for key in (regulator_id, ANY_REGULATOR):
        if key in agreements:
            return AppliedPolicy(agreements[key], f"{key}:{platform_id}")
    return AppliedPolicy(DeadlinePolicy(), DEFAULTS)


def deadline_for(
    received_at: datetime,
    kind: DeadlineKind,
    notice_kind: str,
    jurisdiction: str,
    policy: DeadlinePolicy,
) -> datetime:
    """When a response of ``kind`` to a notice received at ``received_at`` is due (UTC)."""
    days = policy.working_days_for(kind, notice_kind)
    return add_working_days(received_at, days, jurisdiction)
