"""Working-day deadlines: holidays, weekends, local time, DST and the counting rule."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.deadlines import (
    UnknownJurisdiction,
    add_working_days,
    is_working_day,
    working_day_calendar,
    working_days,
    working_days_late,
)
from chalicelib.deadlines.working_days import WorkingDayCalendar, working_time

SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")
PARIS = ZoneInfo("Europe/Paris")
BERLIN = ZoneInfo("Europe/Berlin")
BRUSSELS = ZoneInfo("Europe/Brussels")

EU_MEMBER_STATES = (
    *("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"),
    *("IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"),
)


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- Korea -------------------------------------------------------------------------------


def test_chuseok_2026_holidays_and_the_weekend_are_skipped() -> None:
    # Chuseok 2026: Thu 24 - Sat 26 Sep; Chuseok on a Saturday gets no substitute day.
    received = datetime(2026, 9, 23, 10, 0, tzinfo=SEOUL)  # Wednesday
    assert add_working_days(received, 1, "KR") == utc(2026, 9, 28, 1, 0)  # Mon 28, 10:00 KST
    assert add_working_days(received, 2, "KR") == utc(2026, 9, 29, 1, 0)  # Tue 29, 10:00 KST


def test_substitute_holiday_for_national_foundation_day_on_a_saturday() -> None:
    # 3 Oct 2026 is a Saturday: Monday 5 Oct is the alternative holiday.
    received = datetime(2026, 10, 2, 15, 0, tzinfo=SEOUL)  # Friday
    assert add_working_days(received, 1, "KR") == utc(2026, 10, 6, 6, 0)  # Tue 6, 15:00 KST


def test_seollal_2027_with_its_alternative_holiday() -> None:
    # Seollal 2027: Sat 6 - Mon 8 Feb; 7 Feb is a Sunday, so Tue 9 Feb is the alternative day.
    received = datetime(2027, 2, 5, 10, 0, tzinfo=SEOUL)  # Friday
    assert add_working_days(received, 1, "KR") == utc(2027, 2, 10, 1, 0)  # Wed 10, 10:00 KST


def test_late_friday_receipt_keeps_the_local_clock_time() -> None:
    received = utc(2026, 11, 6, 14, 30)  # Friday 23:30 KST
    assert add_working_days(received, 2, "KR") == utc(2026, 11, 10, 14, 30)  # Tue 23:30 KST


def test_the_local_date_decides_not_the_utc_date() -> None:
    # Friday 15:30 UTC is already Saturday 00:30 in Seoul: counting starts Monday 00:00 KST.
    received = utc(2026, 11, 6, 15, 30)
    assert add_working_days(received, 2, "KR") == utc(2026, 11, 10, 15, 0)  # Wed 00:00 KST


def test_saturday_receipt_is_due_at_the_end_of_the_nth_working_day() -> None:
    received = datetime(2026, 11, 7, 10, 0, tzinfo=SEOUL)  # Saturday
    # Monday is the 1st working day, Tuesday the 2nd: due at the end of Tuesday.
    assert add_working_days(received, 2, "KR") == utc(2026, 11, 10, 15, 0)  # Wed 00:00 KST


def test_receipt_at_midnight_of_a_working_day_counts_that_whole_day() -> None:
    received = datetime(2026, 11, 9, 0, 0, tzinfo=SEOUL)  # Monday 00:00
    assert add_working_days(received, 2, "KR") == utc(2026, 11, 10, 15, 0)  # Wed 00:00 KST


def test_end_of_the_last_working_day_is_not_pushed_past_the_following_holiday() -> None:
    received = datetime(2026, 9, 20, 10, 0, tzinfo=SEOUL)  # Sunday before Chuseok
    # Mon 21 (1), Tue 22 (2), Wed 23 (3): due at the end of Wednesday, not after Chuseok.
    assert add_working_days(received, 3, "KR") == utc(2026, 9, 23, 15, 0)  # Thu 00:00 KST


def test_year_end_loads_the_next_years_holidays() -> None:
    received = datetime(2026, 12, 30, 14, 0, tzinfo=SEOUL)  # Wednesday
    # Thu 31 Dec (1), Fri 1 Jan 2027 holiday, weekend, Mon 4 Jan (2), Tue 5 Jan (3).
    assert add_working_days(received, 3, "KR") == utc(2027, 1, 5, 5, 0)  # Tue 14:00 KST


# --- EU member states, the Union, the US -------------------------------------------------


def test_french_national_day() -> None:
    received = datetime(2026, 7, 13, 16, 0, tzinfo=PARIS)  # Monday; Tue 14 July is a holiday
    assert add_working_days(received, 2, "FR") == utc(2026, 7, 16, 14, 0)  # Thu 16:00 CEST


def test_german_labour_day_on_a_friday() -> None:
    received = datetime(2026, 4, 30, 9, 0, tzinfo=BERLIN)  # Thursday
    assert add_working_days(received, 1, "DE") == utc(2026, 5, 4, 7, 0)  # Mon 09:00 CEST


def test_dst_change_keeps_the_local_clock_time() -> None:
    # Summer time ends Sunday 25 Oct 2026: 17:00 is 15:00 UTC before and 16:00 UTC after.
    received = datetime(2026, 10, 23, 17, 0, tzinfo=BERLIN)  # Friday
    assert received == utc(2026, 10, 23, 15, 0)
    assert add_working_days(received, 2, "DE") == utc(2026, 10, 27, 16, 0)  # Tue 17:00 CET


def test_union_wide_notice_uses_the_ecb_closing_days() -> None:
    # Easter 2026: the ECB closes Good Friday 3 Apr and Easter Monday 6 Apr.
    received = datetime(2026, 4, 2, 11, 0, tzinfo=BRUSSELS)  # Thursday
    assert add_working_days(received, 2, "EU") == utc(2026, 4, 8, 9, 0)  # Wed 11:00 CEST
    # Belgium works on Good Friday, so the same notice to the Belgian authority is due sooner.
    assert add_working_days(received, 2, "BE") == utc(2026, 4, 7, 9, 0)  # Tue 11:00 CEST
    assert working_day_calendar("EU").timezone == BRUSSELS


def test_us_thanksgiving() -> None:
    received = datetime(2026, 11, 25, 12, 0, tzinfo=NEW_YORK)  # Wednesday
    assert add_working_days(received, 1, "US") == utc(2026, 11, 27, 17, 0)  # Fri 12:00 EST
    assert add_working_days(received, 2, "US") == utc(2026, 11, 30, 17, 0)  # Mon 12:00 EST


def test_us_observed_independence_day() -> None:
    # 4 July 2026 is a Saturday; the federal holiday is observed on Friday 3 July.
    assert not is_working_day(date(2026, 7, 3), "US")
    assert is_working_day(date(2026, 7, 2), "US")


def test_make_up_working_day_on_a_weekend() -> None:
    # China works on Sunday 4 Jan 2026 to make up for the New Year break.
    assert is_working_day(date(2026, 1, 4), "CN")
    assert not is_working_day(date(2026, 1, 2), "CN")  # Friday, New Year holiday


# --- days = 0 and errors -----------------------------------------------------------------


def test_zero_days_on_a_working_day_is_the_receipt_itself_in_utc() -> None:
    received = datetime(2026, 11, 9, 13, 45, tzinfo=SEOUL)  # Monday
    result = add_working_days(received, 0, "KR")
    assert result == utc(2026, 11, 9, 4, 45)
    assert result.tzinfo is UTC


def test_zero_days_on_a_non_working_day_is_the_start_of_the_next_working_day() -> None:
    received = datetime(2026, 11, 7, 10, 0, tzinfo=SEOUL)  # Saturday
    assert add_working_days(received, 0, "KR") == utc(2026, 11, 8, 15, 0)  # Mon 00:00 KST


def test_negative_days_are_rejected() -> None:
    with pytest.raises(ValueError, match="days must be >= 0"):
        add_working_days(utc(2026, 11, 9, 0, 0), -1, "KR")


def test_naive_datetime_is_rejected() -> None:
    with pytest.raises(ValueError, match="received_at must be timezone-aware"):
        add_working_days(datetime(2026, 11, 9, 10, 0), 1, "KR")


@pytest.mark.parametrize("jurisdiction", ["XX", "ZW", "KOR", ""])
def test_unknown_jurisdiction_is_named(jurisdiction: str) -> None:
    with pytest.raises(UnknownJurisdiction, match=f"unknown jurisdiction '{jurisdiction}'"):
        add_working_days(utc(2026, 11, 9, 0, 0), 1, jurisdiction)
    assert issubclass(UnknownJurisdiction, ValueError)


def test_is_working_day_wants_a_local_date() -> None:
    with pytest.raises(TypeError, match="local date"):
        is_working_day(utc(2026, 11, 9, 0, 0), "KR")


# --- calendars ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"), [("el", "GR"), (" kr ", "KR"), ("UK", "GB"), ("EU", "EU")]
)
def test_codes_are_normalised(written: str, expected: str) -> None:
    assert working_day_calendar(written).jurisdiction == expected


def test_calendars_are_cached() -> None:
    assert working_day_calendar("kr") is working_day_calendar("KR")


def test_every_member_state_has_a_calendar_in_its_capitals_zone() -> None:
    zones = {code: working_day_calendar(code).timezone.key for code in EU_MEMBER_STATES}
    assert zones["FR"] == "Europe/Paris"
    assert zones["CY"] == "Asia/Nicosia"
    assert zones["PT"] == "Europe/Lisbon"
    assert len(zones) == 27
    assert working_day_calendar("KR").timezone == SEOUL
    assert working_day_calendar("US").timezone == NEW_YORK


def test_weekend_days_are_not_working_days() -> None:
    assert is_working_day(date(2026, 11, 9), "KR")  # Monday
    assert not is_working_day(date(2026, 11, 7), "KR")  # Saturday
    assert not is_working_day(date(2026, 11, 8), "DE")  # Sunday


# --- lateness ----------------------------------------------------------------------------


def test_on_time_is_zero_late() -> None:
    deadline = utc(2026, 11, 10, 8, 0)  # Tue 17:00 KST
    assert working_days_late(deadline, deadline, "KR") == 0
    assert working_days_late(deadline, utc(2026, 11, 9, 0, 0), "KR") == 0


def test_late_by_part_of_a_day_and_by_whole_days() -> None:
    deadline = datetime(2026, 11, 10, 17, 0, tzinfo=SEOUL)  # Tuesday
    assert working_days_late(deadline, datetime(2026, 11, 10, 18, 0, tzinfo=SEOUL), "KR") == 1
    assert working_days_late(deadline, datetime(2026, 11, 11, 17, 0, tzinfo=SEOUL), "KR") == 1
    assert working_days_late(deadline, datetime(2026, 11, 11, 17, 1, tzinfo=SEOUL), "KR") == 2


def test_lateness_skips_holidays_and_weekends() -> None:
    deadline = datetime(2026, 9, 23, 17, 0, tzinfo=SEOUL)  # Wednesday before Chuseok
    responded = datetime(2026, 9, 28, 12, 0, tzinfo=SEOUL)  # Monday after it
    assert working_days_late(deadline, responded, "KR") == 1


def test_late_over_a_weekend_counts_at_least_one_day() -> None:
    deadline = datetime(2026, 11, 7, 0, 0, tzinfo=SEOUL)  # end of Friday
    responded = datetime(2026, 11, 8, 12, 0, tzinfo=SEOUL)  # Sunday
    assert working_days_late(deadline, responded, "KR") == 1


def test_lateness_inverts_add_working_days() -> None:
    deadline = datetime(2026, 12, 29, 9, 30, tzinfo=SEOUL)
    for days in range(1, 6):
        due = add_working_days(deadline, days, "KR")
        assert working_days_late(deadline, due, "KR") == days


# --- Working time (the reports' time to action) ------------------------------------------


def _working_time_day_by_day(start: datetime, end: datetime, jurisdiction: str) -> timedelta:
    """The definition, slowly: the local clock time of every working day, day by day."""
    calendar = working_day_calendar(jurisdiction)
    start_clock = start.astimezone(calendar.timezone).replace(tzinfo=None)
    end_clock = end.astimezone(calendar.timezone).replace(tzinfo=None)
    total, day = timedelta(0), start_clock.date()
    while day <= end_clock.date():
        if calendar.is_working_day(day):
            day_start = datetime(day.year, day.month, day.day)
            overlap = min(end_clock, day_start + timedelta(days=1)) - max(start_clock, day_start)
            total += max(overlap, timedelta(0))
        day += timedelta(days=1)
    return total


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
    minutes=st.integers(min_value=0, max_value=20 * 24 * 60),
    jurisdiction=st.sampled_from(["KR", "DE", "US", "EU"]),
)
def test_working_time_is_the_working_days_clock_time(
    start: datetime, minutes: int, jurisdiction: str
) -> None:
    begin = start.replace(tzinfo=UTC)
    end = begin + timedelta(minutes=minutes)
    assert working_time(begin, end, jurisdiction) == _working_time_day_by_day(
        begin, end, jurisdiction
    )


def test_working_time_over_a_weekend_counts_friday_and_monday_only() -> None:
    start = datetime(2026, 11, 6, 18, 0, tzinfo=SEOUL)  # Friday
    end = datetime(2026, 11, 9, 6, 0, tzinfo=SEOUL)  # Monday
    assert working_time(start, end, "KR") == timedelta(hours=12)


def test_concurrent_first_calls_build_a_calendar_once(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    build = working_days._built_calendar

    def slow_build(code: str) -> WorkingDayCalendar:
        built.append(code)
        time.sleep(0.05)  # every other first call arrives while this one builds
        return build(code)

    monkeypatch.setattr(working_days, "_calendars", {})
    monkeypatch.setattr(working_days, "_built_calendar", slow_build)
    with ThreadPoolExecutor(max_workers=6) as pool:
        calendars = list(pool.map(working_day_calendar, ["KR"] * 6))

    assert built == ["KR"]
    assert all(calendar is calendars[0] for calendar in calendars)
