"""Deadline defaults, per-agreement overrides and their precedence, config errors."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.deadlines import (
    DeadlineKind,
    DeadlinePolicy,
    deadline_for,
    load_agreements,
    policy_for,
)

SEOUL = ZoneInfo("Asia/Seoul")
BERLIN = ZoneInfo("Europe/Berlin")

AGREEMENTS_JSON = """{
  "kftc:temu": {"acknowledge_working_days": 1, "order_action_working_days": 1,
                "notice_action_working_days": 1},
  "*:aliexpress": {"notice_action_working_days": 2},
  "kftc:*": {"order_action_working_days": 4},
  "*:*": {"acknowledge_working_days": 2}
}"""


def test_defaults_follow_gpsr_and_the_pledge() -> None:
    policy = DeadlinePolicy()
    assert policy.working_days_for(DeadlineKind.ACKNOWLEDGEMENT, "order") == 1
    assert policy.working_days_for(DeadlineKind.ACKNOWLEDGEMENT, "notice") == 1
    assert policy.working_days_for(DeadlineKind.ACTION_REPORT, "order") == 2
    assert policy.working_days_for(DeadlineKind.ACTION_REPORT, "notice") == 3


def test_unknown_notice_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="notice_kind must be one of"):
        DeadlinePolicy().working_days_for(DeadlineKind.ACTION_REPORT, "recall")


def test_entries_override_only_the_keys_they_name() -> None:
    agreements = load_agreements(AGREEMENTS_JSON)
    assert agreements[("*", "aliexpress")] == DeadlinePolicy(notice_action_working_days=2)
    assert agreements[("kftc", "temu")] == DeadlinePolicy(1, 1, 1)


@pytest.mark.parametrize(
    ("regulator", "platform", "expected"),
    [
        ("kftc", "temu", DeadlinePolicy(1, 1, 1)),  # exact pair
        ("kftc", "aliexpress", DeadlinePolicy(notice_action_working_days=2)),  # *:platform
        ("kca", "aliexpress", DeadlinePolicy(notice_action_working_days=2)),
        ("kftc", "coupang", DeadlinePolicy(order_action_working_days=4)),  # regulator:*
        ("baua", "coupang", DeadlinePolicy(acknowledge_working_days=2)),  # *:*
    ],
)
def test_policy_precedence(regulator: str, platform: str, expected: DeadlinePolicy) -> None:
    assert policy_for(load_agreements(AGREEMENTS_JSON), regulator, platform) == expected


def test_no_matching_agreement_gives_the_defaults() -> None:
    agreements = load_agreements('{"kftc:temu": {"order_action_working_days": 1}}')
    assert policy_for(agreements, "baua", "temu") == DeadlinePolicy()
    assert policy_for({}, "kftc", "temu") == DeadlinePolicy()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "must be a JSON object keyed by regulator:platform"),
        ('{"kftc": {}}', "agreement key 'kftc' must be 'regulator:platform'"),
        ('{"kftc:": {}}', "agreement key 'kftc:' must be"),
        ('{"a:b:c": {}}', "agreement key 'a:b:c' must be"),
        ('{"kftc:temu": 1}', "agreement 'kftc:temu' must be a JSON object"),
        ('{"kftc:temu": {"ack_days": 1}}', r"'kftc:temu': unknown keys \['ack_days'\]"),
        (
            '{"kftc:temu": {"order_action_working_days": 0}}',
            "'kftc:temu': order_action_working_days must be a positive integer, got 0",
        ),
        (
            '{"kftc:temu": {"notice_action_working_days": -2}}',
            "notice_action_working_days must be a positive integer, got -2",
        ),
        (
            '{"kftc:temu": {"acknowledge_working_days": 1.5}}',
            "acknowledge_working_days must be a positive integer, got 1.5",
        ),
        (
            '{"kftc:temu": {"acknowledge_working_days": true}}',
            "acknowledge_working_days must be a positive integer, got True",
        ),
        ('{"kftc:temu": {}, "kftc:temu": {}}', "duplicate key 'kftc:temu'"),
    ],
)
def test_bad_config_names_the_key(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_agreements(raw)


def test_order_action_report_is_due_in_two_working_days() -> None:
    received = datetime(2026, 4, 30, 9, 0, tzinfo=BERLIN)  # Thursday; Fri 1 May is a holiday
    due = deadline_for(received, DeadlineKind.ACTION_REPORT, "order", "DE", DeadlinePolicy())
    assert due == datetime(2026, 5, 5, 7, 0, tzinfo=UTC)  # Tue 09:00 CEST


def test_notice_deadlines_use_the_agreement() -> None:
    received = datetime(2026, 9, 23, 10, 0, tzinfo=SEOUL)  # Wednesday before Chuseok
    policy = policy_for(load_agreements(AGREEMENTS_JSON), "kftc", "aliexpress")
    action = deadline_for(received, DeadlineKind.ACTION_REPORT, "notice", "KR", policy)
    ack = deadline_for(received, DeadlineKind.ACKNOWLEDGEMENT, "notice", "KR", policy)
    assert action == datetime(2026, 9, 29, 1, 0, tzinfo=UTC)  # Tue 29 Sep 10:00 KST
    assert ack == datetime(2026, 9, 28, 1, 0, tzinfo=UTC)  # Mon 28 Sep 10:00 KST
