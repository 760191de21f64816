"""Default Vietnamese public holidays (weekdays off), overridable with HCCPAY_HOLIDAYS.

Labour Code 2019 Art. 112: 1 Jan; Tết (5 days); Hùng Kings (10/3 lunar); 30 Apr; 1 May;
2 Sep plus an adjacent day. The Ministry of Home Affairs announces the exact days (and
compensatory days when a holiday falls on a weekend) each year: operators must check this
list yearly and set HCCPAY_HOLIDAYS when it differs. 2027 lunar dates follow the rule and
are provisional until announced. Only weekdays are listed (weekends are never working
days); a holiday that falls on a weekend gives a compensatory weekday after it (Art. 111), so
a span keeps its number of days off.
"""
from datetime import date

_DAYS = [
    # 2025
    "2025-01-01",
    "2025-01-27", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31",  # Tết Ất Tỵ
    "2025-04-07",  # Hùng Kings
    "2025-04-30", "2025-05-01", "2025-05-02",  # 2 May swapped with Sat 26 Apr
    "2025-09-01", "2025-09-02",
    # 2026
    "2026-01-01",
    "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",  # Tết Bính Ngọ
    "2026-04-27",  # Hùng Kings falls on Sun 26 Apr: compensatory Monday
    "2026-04-30", "2026-05-01",
    "2026-09-01", "2026-09-02",
    # 2027 (provisional)
    "2027-01-01",
    # Tết Đinh Mùi: 5-9 Feb, of which Sat 6 and Sun 7 are made up on 10 and 11 Feb
    "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11",
    "2027-04-16",  # Hùng Kings
    "2027-04-30", "2027-05-03",  # 1 May is a Saturday: compensatory Monday
    "2027-09-02", "2027-09-03",
]

DEFAULT_HOLIDAYS = frozenset(date.fromisoformat(d) for d in _DAYS)
