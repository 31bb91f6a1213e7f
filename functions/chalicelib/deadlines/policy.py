"""Deadline defaults (EU GPSR / Product Safety Pledge) and per-agreement overrides.

Agreements are configured as JSON keyed by ``regulator:platform``, ``*`` standing for any
regulator or any platform (the Korean KFTC agreements publish no numbers, so each is set
per agreement)::

    {"kftc:temu": {"acknowledge_working_days": 1, "order_action_working_days": 1,
                   "notice_action_working_days": 1},
     "*:aliexpress": {"notice_action_working_days": 2}}

Keys left out of an entry keep the defaults.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from chalicelib.deadlines.working_days import add_working_days

ANY = "*"
NOTICE_KINDS = ("order", "notice")

Agreements = dict[tuple[str, str], "DeadlinePolicy"]


class DeadlineKind(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"
    ACTION_REPORT = "action_report"


@dataclass(frozen=True)
class DeadlinePolicy:
    """Working days a platform has to acknowledge a notice and to report the action taken."""

    acknowledge_working_days: int = 1
    # GPSR Art. 22: act on an authority order within 2 working days of receipt.
    order_action_working_days: int = 2
    # GPSR: process a notice within 3 working days; Pledge+: identify listings within 3.
    notice_action_working_days: int = 3

    def __post_init__(self) -> None:
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


_POLICY_KEYS = tuple(f.name for f in fields(DeadlinePolicy))


def load_agreements(raw_json: str) -> Agreements:
    """Parse the agreements JSON; any mistake is a ValueError naming the offending key."""
    try:
        entries = json.loads(raw_json, object_pairs_hook=_reject_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise ValueError(f"deadline agreements are not valid JSON: {exc}") from exc
    if not isinstance(entries, dict):
        raise ValueError("deadline agreements must be a JSON object keyed by regulator:platform")
    return {_agreement_key(key): _policy(key, entry) for key, entry in entries.items()}


def policy_for(agreements: Agreements, regulator_id: str, platform_id: str) -> DeadlinePolicy:
    """The most specific agreement: exact, any regulator, any platform, ``*:*``, defaults."""
    for key in (
        (regulator_id, platform_id),
        (ANY, platform_id),
        (regulator_id, ANY),
        (ANY, ANY),
    ):
        if key in agreements:
            return agreements[key]
    return DeadlinePolicy()


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


def _agreement_key(key: str) -> tuple[str, str]:
    regulator_id, separator, platform_id = key.partition(":")
    if not separator or not regulator_id or not platform_id or ":" in platform_id:
        raise ValueError(f"agreement key {key!r} must be 'regulator:platform' ('*' for any)")
    return regulator_id, platform_id


def _policy(key: str, entry: Any) -> DeadlinePolicy:
    if not isinstance(entry, dict):
        raise ValueError(f"agreement {key!r} must be a JSON object")
    unknown = sorted(set(entry) - set(_POLICY_KEYS))
    if unknown:
        raise ValueError(f"agreement {key!r}: unknown keys {unknown}; allowed: {_POLICY_KEYS}")
    try:
        return DeadlinePolicy(**entry)
    except ValueError as exc:
        raise ValueError(f"agreement {key!r}: {exc}") from exc


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads silently keeps the last duplicate; a repeated agreement is a config mistake.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r} in deadline agreements")
        result[key] = value
    return result
