"""Who notifies sellers and buyers, per agreement: the platform unless agreed otherwise."""

from __future__ import annotations

import pytest

from chalicelib.deadlines.policy import DeadlinePolicy, NotificationMode
from chalicelib.platforms.model import Platform


def _platform(**agreements: DeadlinePolicy) -> Platform:
    return Platform(platform_id="temu", name="Temu", jurisdictions=["KR"], agreements=agreements)


def test_the_platform_notifies_unless_an_agreement_says_the_exchange_does() -> None:
    assert _platform().notification_mode("kftc") is NotificationMode.PLATFORM
    delegated = _platform(kftc=DeadlinePolicy(notification_mode=NotificationMode.EXCHANGE))
    assert delegated.notification_mode("kftc") is NotificationMode.EXCHANGE
    assert delegated.notification_mode("bfr") is NotificationMode.PLATFORM


def test_an_every_regulator_agreement_applies_where_none_is_specific() -> None:
    platform = Platform.model_validate(
        {
            "platform_id": "temu",
            "name": "Temu",
            "jurisdictions": ["KR"],
            "agreements": {"*": {"notification_mode": "exchange", "lookback_months": 3}},
        }
    )
    assert platform.notification_mode("anyone") is NotificationMode.EXCHANGE
    assert platform.agreements["*"].lookback_months == 3
    assert platform.agreements["*"].notification_working_days == 3


def test_an_unknown_mode_or_a_non_positive_window_is_refused() -> None:
    with pytest.raises(ValueError, match=r"sometimes"):
        DeadlinePolicy(notification_mode="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lookback_months"):
        DeadlinePolicy(lookback_months=0)
