"""The sweep's cut-off day and the exception queue's `overdue` flag come from one rule."""
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from config.holidays import DEFAULT_HOLIDAYS
from reconciliation.sweep import is_overdue, last_overdue_day


@given(today=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)), n=st.integers(1, 5),
       back=st.integers(0, 20))
def test_a_day_is_swept_exactly_when_it_is_overdue(today, n, back):
    day = today - timedelta(days=back)
    swept = day <= last_overdue_day(today, n=n, holidays=DEFAULT_HOLIDAYS)
    assert swept == is_overdue(day, today, n=n, holidays=DEFAULT_HOLIDAYS)


def test_a_saturday_callback_is_overdue_on_the_wednesday_like_a_friday_one():
    wednesday = date(2026, 11, 25)  # Monday and Tuesday have ended (round 14: today is not counted)
    assert last_overdue_day(wednesday, n=2, holidays=DEFAULT_HOLIDAYS) == date(2026, 11, 22)
    assert last_overdue_day(date(2026, 9, 7), n=2, holidays=DEFAULT_HOLIDAYS) == date(2026, 9, 2)  # 1-2/9 off
