"""The holidays the law fixes by date (1/1, 30/4, 1/5, 2/9) are days off in every year the holiday
list does not cover, with the compensatory weekday of one that falls on a weekend; a year the list
covers is taken as listed."""
from datetime import date

import pytest

from config.holidays import DEFAULT_HOLIDAYS, fixed_date_holidays, last_listed_day
from kernel.clock import add_working_days, is_working_day, working_days_between


@pytest.mark.parametrize("day", [date(2028, 5, 1), date(2029, 1, 1), date(2030, 4, 30), date(2030, 5, 1),
                                 date(2099, 9, 2), date(2031, 9, 2)])
def test_a_fixed_date_holiday_after_the_list_is_not_a_working_day(day):
    assert day.weekday() < 5 and not is_working_day(day, DEFAULT_HOLIDAYS)


@pytest.mark.parametrize("year, off", [
    (2028, {date(2028, 1, 3), date(2028, 5, 1), date(2028, 5, 2), date(2028, 9, 4)}),  # Sat 1/1, Sun 30/4, Sat 2/9
    (2029, {date(2029, 1, 1), date(2029, 4, 30), date(2029, 5, 1), date(2029, 9, 3)}),  # Sun 2/9
    (2033, {date(2033, 1, 3), date(2033, 5, 2), date(2033, 5, 3), date(2033, 9, 2)}),  # Sat 30/4 and Sun 1/5
])
def test_a_fixed_date_holiday_on_a_weekend_gives_the_next_weekday_not_already_off(year, off):
    assert fixed_date_holidays(year) == off
    assert all(not is_working_day(day, DEFAULT_HOLIDAYS) for day in off)


def test_a_year_the_list_covers_is_taken_as_listed():
    # 2027's list gives 2 and 3 September (the adjacent day is announced yearly), not the rule's 2 only
    assert not is_working_day(date(2027, 9, 3), DEFAULT_HOLIDAYS)
    # an operator's list for 2028 is the whole truth for 2028 (HCCPAY_HOLIDAYS replaces the default)
    listed = frozenset({date(2028, 2, 7)})
    assert is_working_day(date(2028, 5, 1), listed) and not is_working_day(date(2028, 2, 7), listed)
    assert not is_working_day(date(2029, 5, 1), listed)  # a year it does not cover


def test_deadlines_skip_the_fixed_date_holidays_of_years_the_list_does_not_cover():
    # Monday 29 April 2030: J+1 is Thursday 2 May (30/4 and 1/5 off), not Labour Day
    assert add_working_days(date(2030, 4, 29), 1, DEFAULT_HOLIDAYS) == date(2030, 5, 2)
    assert working_days_between(date(2030, 4, 29), date(2030, 5, 2), DEFAULT_HOLIDAYS) == 1


def test_without_any_listed_day_every_year_gets_the_fixed_dates_and_no_last_day():
    assert not is_working_day(date(2026, 9, 2), frozenset())
    assert is_working_day(date(2026, 11, 26), frozenset())
    assert last_listed_day(frozenset()) is None
    assert last_listed_day(DEFAULT_HOLIDAYS) == date(2027, 12, 31)
