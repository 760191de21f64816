"""Default Vietnamese public holidays (weekdays off), overridable with HCCPAY_HOLIDAYS.

Labour Code 2019 Art. 112: 1 Jan; Tết (5 days); Hùng Kings (10/3 lunar); 30 Apr; 1 May;
2 Sep plus an adjacent day. The Ministry of Home Affairs announces the exact days (and
compensatory days when a holiday falls on a weekend) each year: operators must check this
list yearly and set HCCPAY_HOLIDAYS when it differs. 2027 lunar dates follow the rule and
are provisional until announced. Only weekdays are listed (weekends are never working
days); a holiday that falls on a weekend gives a compensatory weekday after it (Art. 111), so
a span keeps its number of days off. A weekday the Government swaps with a Saturday to join
two breaks (public sector: a service centre follows it) is listed; the Saturday worked in its
place stays a weekend here.

A year the list (this one or HCCPAY_HOLIDAYS) names no day of is not unknown: the holidays the
law fixes by date (1/1, 30/4, 1/5, 2/9), with their compensatory weekdays, are days off in it
(`is_law_holiday`, applied by kernel.clock). Tết, the Hùng Kings' day and the day next to 2/9
follow the lunar calendar or a yearly decision: only the list knows them, so days people choose
(postal windows) stop at the end of its last year (`last_listed_day`). A year the list names any
day of is taken as listed.
"""
from collections.abc import Collection
from datetime import date, timedelta

_DAYS = [
    # 2025
    "2025-01-01",
    "2025-01-27", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31",  # Tết Ất Tỵ
    "2025-04-07",  # Hùng Kings
    "2025-04-30", "2025-05-01", "2025-05-02",  # 2 May swapped with Sat 26 Apr
    "2025-09-01", "2025-09-02",
    # 2026
    "2026-01-01", "2026-01-02",  # 2 Jan swapped with Sat 10 Jan (public sector)
    "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",  # Tết Bính Ngọ
    "2026-04-27",  # Hùng Kings falls on Sun 26 Apr: compensatory Monday
    "2026-04-30", "2026-05-01",
    "2026-08-31", "2026-09-01", "2026-09-02",  # 31 Aug swapped with Sat 22 Aug (public sector)
    # 2027 (provisional)
    "2027-01-01",
    # Tết Đinh Mùi: 5-9 Feb, of which Sat 6 and Sun 7 are made up on 10 and 11 Feb
    "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11",
    "2027-04-16",  # Hùng Kings
    "2027-04-30", "2027-05-03",  # 1 May is a Saturday: compensatory Monday
    "2027-09-02", "2027-09-03",
]

DEFAULT_HOLIDAYS = frozenset(date.fromisoformat(d) for d in _DAYS)

# Labour Code 2019 Art. 112(1): the same day every year (month, day).
FIXED_DATES = ((1, 1), (4, 30), (5, 1), (9, 2))


def fixed_date_holidays(year: int) -> frozenset[date]:
    """The year's fixed-date holidays as weekdays off: one on a weekend moves to the next weekday
    not already off (Art. 111(3)), so Sun 30/4 + Mon 1/5 are Mon 1/5 + Tue 2/5."""
    days: set[date] = set()
    for month, day_of_month in FIXED_DATES:
        day = date(year, month, day_of_month)
        while day.weekday() >= 5 or day in days:
            day += timedelta(days=1)
        days.add(day)
    return frozenset(days)


# Every year's, computed once: working-day arithmetic asks about the same days millions of times
# (statement imports), so the common answer ("not one of them") is one set lookup.
FIXED_DATE_DAYS = frozenset(day for year in range(1900, 2201) for day in fixed_date_holidays(year))


def is_law_holiday(day: date, listed: Collection[date]) -> bool:
    """True for a fixed-date holiday (or its compensatory day) of a year `listed` names no day of."""
    return day in FIXED_DATE_DAYS and all(d.year != day.year for d in listed)


def last_listed_day(listed: Collection[date]) -> date | None:
    """31 December of the last year `listed` names a day of (None for an empty list)."""
    return date(max(d.year for d in listed), 12, 31) if listed else None
