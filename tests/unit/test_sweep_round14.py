"""The sweep's rule read as the issue says it: callbacks that never appeared on a statement after N working
days, days that have ended (today, not over, is not one of them)."""
from datetime import date

from config.holidays import DEFAULT_HOLIDAYS
from reconciliation.sweep import elapsed_working_days, is_overdue, last_overdue_day

MONDAY, TUESDAY, WEDNESDAY, THURSDAY = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26)


def test_a_monday_callback_is_overdue_once_tuesday_and_wednesday_have_ended():
    assert not is_overdue(MONDAY, WEDNESDAY, n=2, holidays=DEFAULT_HOLIDAYS)  # Wednesday's statement may show it
    assert is_overdue(MONDAY, THURSDAY, n=2, holidays=DEFAULT_HOLIDAYS)


def test_with_one_working_day_yesterdays_callback_waits_for_todays_end_not_this_morning():
    assert not is_overdue(MONDAY, TUESDAY, n=1, holidays=DEFAULT_HOLIDAYS)
    assert is_overdue(MONDAY, WEDNESDAY, n=1, holidays=DEFAULT_HOLIDAYS)
    assert not is_overdue(TUESDAY, TUESDAY, n=1, holidays=DEFAULT_HOLIDAYS)  # this morning's


def test_a_weekend_callback_counts_from_monday_and_today_is_never_counted():
    assert elapsed_working_days(date(2026, 11, 21), TUESDAY, DEFAULT_HOLIDAYS) == 1  # Monday only
    assert last_overdue_day(WEDNESDAY, n=2, holidays=DEFAULT_HOLIDAYS) == date(2026, 11, 22)  # Fri, Sat, Sun
