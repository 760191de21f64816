"""A Saturday the Government swaps with a weekday off (public sector: the centre works it) is a working day:
J+n deadlines count it and postal windows may be booked on it. Built in with the list's swapped weekdays;
HCCPAY_WORKED_WEEKENDS replaces them (and a replaced holiday list brings none of its own)."""
from datetime import date

import pytest

from config import ConfigError, load_settings
from config.holidays import DEFAULT_HOLIDAYS
from kernel.clock import add_working_days, is_working_day, working_days_between

SWAPPED = date(2026, 8, 22)  # Saturday worked for Monday 31 August 2026 off


def test_a_swapped_saturday_is_a_working_day_of_the_built_in_calendar():
    assert SWAPPED.weekday() == 5 and is_working_day(SWAPPED, DEFAULT_HOLIDAYS)
    assert is_working_day(date(2025, 4, 26), DEFAULT_HOLIDAYS) and is_working_day(date(2026, 1, 10), DEFAULT_HOLIDAYS)
    assert not is_working_day(date(2026, 8, 29), DEFAULT_HOLIDAYS)  # an ordinary Saturday
    assert not is_working_day(date(2026, 8, 31), DEFAULT_HOLIDAYS)  # the Monday it bought


def test_deadlines_count_the_worked_saturday():
    assert add_working_days(date(2026, 8, 21), 1, DEFAULT_HOLIDAYS) == SWAPPED  # Friday J+1
    assert working_days_between(date(2026, 8, 21), date(2026, 8, 24), DEFAULT_HOLIDAYS) == 2


def test_the_setting_replaces_the_worked_weekend_days():
    settings = load_settings({"HCCPAY_DEMO": "1", "HCCPAY_WORKED_WEEKENDS": "2026-12-26"})
    assert is_working_day(date(2026, 12, 26), settings.holidays)
    assert not is_working_day(SWAPPED, settings.holidays)
    assert not is_working_day(date(2026, 11, 28), settings.holidays)


def test_a_replaced_holiday_list_brings_no_built_in_worked_saturday():
    settings = load_settings({"HCCPAY_DEMO": "1", "HCCPAY_HOLIDAYS": "2026-01-01"})
    assert not is_working_day(SWAPPED, settings.holidays)
    extra = load_settings({"HCCPAY_DEMO": "1", "HCCPAY_HOLIDAYS_EXTRA": "2026-11-24"})
    assert is_working_day(SWAPPED, extra.holidays) and not is_working_day(date(2026, 11, 24), extra.holidays)


@pytest.mark.parametrize("value", ["2026-11-25", "2026-08-22,2026-11-27", "2026-8-22", "soon"])
def test_a_worked_weekend_day_must_be_a_weekend_day_written_yyyy_mm_dd(value):
    with pytest.raises(ConfigError, match="HCCPAY_WORKED_WEEKENDS"):
        load_settings({"HCCPAY_DEMO": "1", "HCCPAY_WORKED_WEEKENDS": value})
