"""The day that counts a payment: its own, unless that day had closed when it was recorded."""
from datetime import date, datetime, timezone

from reconciliation.counting import day_counting

FRI, SAT, MON, TUE = date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 23), date(2026, 11, 24)


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=timezone.utc)


def test_a_payment_of_an_open_day_counts_in_it():
    assert day_counting(FRI, at(27, 1), {}, ()) == FRI


def test_a_payment_recorded_before_its_day_closed_counts_in_it():
    assert day_counting(FRI, at(23, 1), {FRI: at(23, 2)}, ()) == FRI


def test_a_payment_recorded_after_its_day_closed_counts_in_the_next_working_day_still_open_then():
    assert day_counting(FRI, at(23, 3), {FRI: at(23, 2)}, ()) == MON  # the weekend is skipped
    closed = {FRI: at(23, 2), MON: at(25, 2)}
    assert day_counting(FRI, at(24, 3), closed, ()) == MON  # Monday closed later than it was recorded
    assert day_counting(FRI, at(25, 3), closed, ()) == TUE


def test_holidays_are_skipped_like_weekends():
    assert day_counting(FRI, at(23, 3), {FRI: at(23, 2)}, (MON,)) == TUE
    assert day_counting(SAT, at(23, 3), {SAT: at(22, 2)}, ()) == MON
