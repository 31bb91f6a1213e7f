"""Deadline defaults, per-agreement overrides and their precedence, config errors."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.deadlines import DeadlineKind, DeadlinePolicy, deadline_for, policy_for
from chalicelib.deadlines.policy import AppliedPolicy

SEOUL = ZoneInfo("Asia/Seoul")
BERLIN = ZoneInfo("Europe/Berlin")

# One platform's agreements, as stored with it (Platform.agreements).
AGREEMENTS = {
    "kftc": DeadlinePolicy(1, 1, 1),
    "*": DeadlinePolicy(notice_action_working_days=2),
}


def test_defaults_follow_gpsr_and_the_pledge() -> None:
    policy = DeadlinePolicy()
    assert policy.working_days_for(DeadlineKind.ACKNOWLEDGEMENT, "order") == 1
    assert policy.working_days_for(DeadlineKind.ACKNOWLEDGEMENT, "notice") == 1
    assert policy.working_days_for(DeadlineKind.ACTION_REPORT, "order") == 2
    assert policy.working_days_for(DeadlineKind.ACTION_REPORT, "notice") == 3


def test_unknown_notice_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="notice_kind must be one of"):
        DeadlinePolicy().working_days_for(DeadlineKind.ACTION_REPORT, "recall")


@pytest.mark.parametrize(
    ("regulator", "expected"),
    [
        ("kftc", AppliedPolicy(DeadlinePolicy(1, 1, 1), "kftc:temu")),  # this regulator's
        ("kca", AppliedPolicy(DeadlinePolicy(notice_action_working_days=2), "*:temu")),
    ],
)
def test_policy_precedence(regulator: str, expected: AppliedPolicy) -> None:
    assert policy_for(AGREEMENTS, regulator, "temu") == expected


def test_no_matching_agreement_gives_the_defaults() -> None:
    kftc_only = {"kftc": DeadlinePolicy(order_action_working_days=1)}
    assert policy_for(kftc_only, "baua", "temu") == AppliedPolicy(DeadlinePolicy(), "defaults")
    assert policy_for({}, "kftc", "temu") == AppliedPolicy(DeadlinePolicy(), "defaults")


@pytest.mark.parametrize("days", [0, -2, 1.5, True])
def test_a_policy_of_no_working_days_is_refused(days: object) -> None:
    with pytest.raises(ValueError, match="acknowledge_working_days must be a positive integer"):
        DeadlinePolicy(acknowledge_working_days=days)  # type: ignore[arg-type]


def test_order_action_report_is_due_in_two_working_days() -> None:
    received = datetime(2026, 4, 30, 9, 0, tzinfo=BERLIN)  # Thursday; Fri 1 May is a holiday
    due = deadline_for(received, DeadlineKind.ACTION_REPORT, "order", "DE", DeadlinePolicy())
    assert due == datetime(2026, 5, 5, 7, 0, tzinfo=UTC)  # Tue 09:00 CEST


def test_notice_deadlines_use_the_agreement() -> None:
    received = datetime(2026, 9, 23, 10, 0, tzinfo=SEOUL)  # Wednesday before Chuseok
    policy = policy_for(AGREEMENTS, "kca", "aliexpress").policy
    action = deadline_for(received, DeadlineKind.ACTION_REPORT, "notice", "KR", policy)
    ack = deadline_for(received, DeadlineKind.ACKNOWLEDGEMENT, "notice", "KR", policy)
    assert action == datetime(2026, 9, 29, 1, 0, tzinfo=UTC)  # Tue 29 Sep 10:00 KST
    assert ack == datetime(2026, 9, 28, 1, 0, tzinfo=UTC)  # Mon 28 Sep 10:00 KST
