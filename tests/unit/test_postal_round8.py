"""Postal, QA round 8 (pure rules): a failed attempt on a day off is followed by the next attempt the same
number of working days after it as on any other day (not counted from the working day after it); the
planner puts nothing on a round whose postman set off early."""
from datetime import date

import pytest

from config.holidays import DEFAULT_HOLIDAYS as H
from postal import deadlines


@pytest.mark.parametrize("failed_on, friday_before, expected", [
    (date(2026, 11, 28), date(2026, 11, 27), date(2026, 12, 1)),  # Saturday: Mon, Tue (not Wed)
    (date(2026, 11, 29), date(2026, 11, 27), date(2026, 12, 1)),  # Sunday: the same
    (date(2027, 2, 6), date(2027, 2, 4), date(2027, 2, 15)),      # Saturday inside Tết 2027 (5, 8-11/2 off)
    (date(2027, 5, 1), date(2027, 4, 29), date(2027, 5, 5)),      # 1/5/2027 (Sat; 30/4 and 3/5 off)
    (date(2027, 9, 2), date(2027, 9, 1), date(2027, 9, 7)),       # 2/9/2027, a courier at work on the holiday
    (date(2026, 4, 30), date(2026, 4, 29), date(2026, 5, 5)),     # 30/4/2026 (30/4, 1/5 off, then a weekend)
])
def test_a_failure_on_a_day_off_is_retried_as_one_on_the_working_day_before_it(failed_on, friday_before, expected):
    assert deadlines.next_attempt_date(failed_on, H) == expected
    # a failure on the day off is no further from its retry than one on the last working day before it
    assert deadlines.next_attempt_date(friday_before, H) == expected


def test_a_failure_on_a_working_day_keeps_its_two_working_day_gap():
    assert deadlines.next_attempt_date(date(2026, 11, 26), H) == date(2026, 11, 30)  # Thu -> Mon
    assert deadlines.next_attempt_date(date(2026, 11, 30), H) == date(2026, 12, 2)   # Mon -> Wed


def test_a_round_whose_postman_set_off_early_takes_no_more_and_says_so():
    from postal.planner import AFTERNOON, MORNING, SLOT_PASSED, PlanItem, RouteSpec, plan

    day = date(2026, 11, 30)
    route = RouteSpec("HL1", ("06685",), {MORNING: 2, AFTERNOON: 1})
    items = [PlanItem(1, "06685", day), PlanItem(2, "06685", day, MORNING), PlanItem(3, "06685", day)]
    result = plan(items, [route], departed={("HL1", MORNING)})
    assert [(a.id, a.slot) for a in result.assigned] == [(1, AFTERNOON)]
    assert result.unplanned[0] == (2, SLOT_PASSED)  # the round asked for has left, not "full"
