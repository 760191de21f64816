from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.holidays import DEFAULT_HOLIDAYS
from kernel.clock import (add_working_days, business_date, business_day_bounds, ensure_aware_utc,
                          format_local, is_working_day, working_days_between)

NO_HOLIDAYS: frozenset[date] = frozenset()


def test_business_date_is_the_hanoi_calendar_date():
    # 17:30 UTC on the 24th is 00:30 on the 25th in Hà Nội.
    assert business_date(datetime(2026, 11, 24, 17, 30, tzinfo=timezone.utc)) == date(2026, 11, 25)
    assert business_date(datetime(2026, 11, 24, 16, 59, tzinfo=timezone.utc)) == date(2026, 11, 24)


def test_a_business_day_spans_from_17_utc_to_17_utc():
    start, end = business_day_bounds(date(2026, 11, 25))
    assert start == datetime(2026, 11, 24, 17, 0, tzinfo=timezone.utc)
    assert end - start == timedelta(days=1)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        ensure_aware_utc(datetime(2026, 11, 25, 10, 0))


def test_local_display_is_day_month_year_hour_minute():
    assert format_local(datetime(2026, 11, 25, 7, 5, tzinfo=timezone.utc)) == "25/11/2026 14:05"


def test_weekends_and_holidays_are_not_working_days():
    assert is_working_day(date(2026, 11, 25), NO_HOLIDAYS)  # Wednesday
    assert not is_working_day(date(2026, 11, 28), NO_HOLIDAYS)  # Saturday
    assert not is_working_day(date(2026, 11, 29), NO_HOLIDAYS)  # Sunday
    assert not is_working_day(date(2026, 9, 2), DEFAULT_HOLIDAYS)  # National Day


def test_j_plus_one_from_friday_is_monday():
    assert add_working_days(date(2026, 11, 27), 1, NO_HOLIDAYS) == date(2026, 11, 30)


def test_j_plus_two_skips_the_tet_holiday_week():
    # Friday 13 Feb 2026; Tết closes 16-20 Feb; J+2 lands on Tuesday 24 Feb.
    assert add_working_days(date(2026, 2, 13), 2, DEFAULT_HOLIDAYS) == date(2026, 2, 24)


def test_counting_starts_from_the_next_working_day_when_j_is_a_weekend():
    # A dossier received on Saturday counts J from Monday.
    assert add_working_days(date(2026, 11, 28), 0, NO_HOLIDAYS) == date(2026, 11, 30)
    assert add_working_days(date(2026, 11, 28), 1, NO_HOLIDAYS) == date(2026, 12, 1)


def test_a_configured_holiday_moves_the_deadline():
    holidays = frozenset({date(2026, 11, 26)})
    assert add_working_days(date(2026, 11, 25), 1, holidays) == date(2026, 11, 27)


@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)), st.integers(0, 40))
def test_adding_n_working_days_lands_on_a_working_day_n_steps_away(start, n):
    end = add_working_days(start, n, DEFAULT_HOLIDAYS)
    assert is_working_day(end, DEFAULT_HOLIDAYS)
    first = add_working_days(start, 0, DEFAULT_HOLIDAYS)
    assert working_days_between(first, end, DEFAULT_HOLIDAYS) == n


@pytest.mark.parametrize("first,last", [(date(2026, 2, 16), date(2026, 2, 20)), (date(2027, 2, 5), date(2027, 2, 11))])
def test_tet_is_five_working_days_off_weekends_made_up(first, last):
    # Labour Code Art. 111-112: 5 days of Tết; a holiday on a weekend is made up on the next weekday.
    span = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    off = [day for day in span if not is_working_day(day, DEFAULT_HOLIDAYS)]
    assert len([day for day in off if day.weekday() < 5]) == 5


@pytest.mark.parametrize("day", [
    date(2026, 1, 2),  # Friday swapped with Saturday 10 Jan (Government, 25/12/2025): off 1-4 Jan
    date(2026, 8, 31),  # Monday swapped with Saturday 22 Aug (Prime Minister, Oct 2025): off 29/8-2/9
])
def test_the_2026_days_off_the_government_swapped_for_the_public_sector_are_not_working_days(day):
    assert day.weekday() < 5 and not is_working_day(day, DEFAULT_HOLIDAYS)


def test_a_horizon_of_working_days_ends_on_the_same_day_seen_from_friday_or_the_weekend():
    from kernel.clock import nth_working_day_after

    friday, saturday, sunday = date(2026, 12, 11), date(2026, 12, 12), date(2026, 12, 13)
    assert {nth_working_day_after(d, 5, NO_HOLIDAYS) for d in (friday, saturday, sunday)} == {date(2026, 12, 18)}
    assert nth_working_day_after(friday, 1, NO_HOLIDAYS) == date(2026, 12, 14)
    assert add_working_days(saturday, 5, NO_HOLIDAYS) == date(2026, 12, 21)  # J+5: J rolls to Monday


def test_a_booking_without_a_time_prints_its_date_alone():
    from kernel.clock import format_booked, start_of_business_day

    assert format_booked(start_of_business_day(date(2026, 11, 24))) == "24/11/2026"
    assert format_booked(datetime(2026, 11, 24, 2, 15, tzinfo=timezone.utc)) == "24/11/2026 09:15"
    assert format_booked(datetime(2026, 11, 23, 17, 0, 0, 1, tzinfo=timezone.utc)) == "24/11/2026 00:00"


@given(st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2100, 12, 30), timezones=st.sampled_from(
    [timezone.utc, timezone(timedelta(hours=7)), timezone(timedelta(hours=-5, minutes=-30))])),
    st.sampled_from(["T", " "]))
def test_a_gateway_time_reads_back_as_the_same_instant_whichever_way_it_is_written(at, sep):
    from kernel.clock import VN_TZ, parse_local_instant

    assert parse_local_instant(at.isoformat(sep)) == at
    assert parse_local_instant(at.astimezone(VN_TZ).replace(tzinfo=None).isoformat(sep)) == at  # Hà Nội time
