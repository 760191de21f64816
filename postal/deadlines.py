"""Postal deadlines in working days from J (DESIGN §8). Pure; working days from kernel.clock.

J is the day of pickup (a pickup) or the day the agency hands the result to the post (a
delivery). Within the province: J+1 to a ward (phường, urban), J+2 to a commune; another
province: J+3 / J+4. Special-geography wards add a configurable number of working days.
A failed delivery is tried again at least two working days later.
"""
from __future__ import annotations

from collections.abc import Collection
from datetime import date

from kernel.clock import add_working_days, nth_working_day_after

RETRY_GAP_WORKING_DAYS = 2


def transit_days(*, local: bool, urban: bool, special: bool, special_extra_days: int) -> int:
    """How many working days after J a shipment must arrive."""
    days = (1 if urban else 2) if local else (3 if urban else 4)
    return days + (special_extra_days if special else 0)


def due_date(j: date, *, local: bool, urban: bool, special: bool, special_extra_days: int,
             holidays: Collection[date]) -> date:
    """J + n working days (J itself rolls forward to a working day first)."""
    n = transit_days(local=local, urban=urban, special=special, special_extra_days=special_extra_days)
    return add_working_days(j, n, holidays)


def next_attempt_date(failed_on: date, holidays: Collection[date]) -> date:
    """The earliest day for another attempt after a failed one: the second working day after it,
    whatever day it failed on. Not J+n, where a day off rolls to the next working day first: a failure
    on a Saturday (the post works then) or a holiday was retried a working day later than one on the
    Friday before."""
    return nth_working_day_after(failed_on, RETRY_GAP_WORKING_DAYS, holidays)
