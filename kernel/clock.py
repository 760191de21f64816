"""Time: aware UTC instants, Asia/Ho_Chi_Minh business days, working-day arithmetic.

Services take `now=` from their caller instead of reading the clock themselves, so tests
pass instants in rather than patching anything. Working days skip Saturdays, Sundays, the
configured public holidays and, in years the configured list names no day of, the holidays the
law fixes by date (config.holidays.is_law_holiday): a list that ends must not make 30/4 a
working day.
"""
from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil import parser as dateparser

from config.holidays import FIXED_DATE_DAYS, is_law_holiday
from kernel.errors import ValidationError

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
UTC = timezone.utc
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# An instant as the API writes it (`datetime.isoformat()` of an aware value, or with `Z`).
_ISO_INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
                          r"(?:Z|[+-][0-9]{2}:[0-9]{2})")
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)  # days a client may name; far ones overflow


def now_utc() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


def ensure_aware_utc(at: datetime) -> datetime:
    """Refuse naive datetimes (a naive value is a bug, not a time) and convert to UTC."""
    if at.tzinfo is None or at.tzinfo.utcoffset(at) is None:
        raise ValueError("naive datetime: every instant must carry a time zone")
    return at.astimezone(UTC)


def parse_iso_day(text: str) -> date:
    """A day a client wrote as exactly YYYY-MM-DD, 2000 to 2100; else ValidationError `invalid_date`."""
    # date.fromisoformat alone also takes 20261124 and 2026-W48-2.
    if isinstance(text, str) and _ISO_DAY.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            day = None
        if day is not None and FIRST_DAY <= day <= LAST_DAY:
            return day
    raise ValidationError(f"the date must be YYYY-MM-DD from {FIRST_DAY} to {LAST_DAY}", code="invalid_date")


def parse_local_instant(text: object) -> datetime:
    """A date and time a gateway wrote, as aware UTC: ISO 8601 with `T` or one space between the
    date and the time (`2026-11-25 10:00:00`, `2026-11-25T10:00:00.250+07:00`, `...Z`). Without
    an offset it is Asia/Ho_Chi_Minh time, the way Vietnamese gateways write it. A date alone is
    refused (its time would be invented). ValueError or OverflowError (years 1 and 9999 with an
    offset) for anything else."""
    written = text.strip().replace(" ", "T", 1) if isinstance(text, str) else ""
    if "T" not in written:
        raise ValueError("a date and time are required")
    parsed = dateparser.isoparse(written)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=VN_TZ)
    return parsed.astimezone(UTC)


def business_date(at: datetime) -> date:
    """The Asia/Ho_Chi_Minh calendar date of an instant."""
    return ensure_aware_utc(at).astimezone(VN_TZ).date()


def local_time(at: datetime) -> datetime:
    """An instant shown in Asia/Ho_Chi_Minh."""
    return ensure_aware_utc(at).astimezone(VN_TZ)


@lru_cache(maxsize=4096)  # a statement asks for the same few days a million times
def start_of_business_day(day: date) -> datetime:
    """00:00 Asia/Ho_Chi_Minh on `day`, as an aware UTC instant."""
    return datetime.combine(day, time.min, tzinfo=VN_TZ).astimezone(UTC)


def business_day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a business day in UTC."""
    return start_of_business_day(day), start_of_business_day(day + timedelta(days=1))


def is_working_day(day: date, holidays: Collection[date]) -> bool:
    """Monday to Friday, not a listed public holiday, nor a fixed-date one of a year the list misses."""
    return day.weekday() < 5 and day not in holidays and (day not in FIXED_DATE_DAYS  # the common case, fast
                                                          or not is_law_holiday(day, holidays))


def add_working_days(day: date, n: int, holidays: Collection[date]) -> date:
    """The date `n` working days after `day` (J+n): a day that is no working day counts from the
    next one (a dossier received on Saturday is received on Monday); n=0 rolls forward to a working day."""
    if n < 0:
        raise ValueError("n must be >= 0")
    current = day
    while not is_working_day(current, holidays):
        current += timedelta(days=1)
    return nth_working_day_after(current, n, holidays) if n else current


def nth_working_day_after(day: date, n: int, holidays: Collection[date]) -> date:
    """The n-th working day after `day`, counted from the day after it whatever `day` is (a
    horizon of five working days seen on a Saturday ends the Friday after, as seen on Friday)."""
    if n < 1:
        raise ValueError("n must be >= 1")
    current = day
    while n:
        current += timedelta(days=1)
        if is_working_day(current, holidays):
            n -= 1
    return current


def working_days_between(start: date, end: date, holidays: Collection[date]) -> int:
    """Working days in (start, end]: how many J+n steps separate two dates."""
    if end <= start:
        return 0
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current, holidays):
            count += 1
    return count


def format_local(at: datetime) -> str:
    """`25/11/2026 14:05` in Asia/Ho_Chi_Minh, the way people read times here."""
    return local_time(at).strftime("%d/%m/%Y %H:%M")


def as_people_read(value: object) -> object:
    """A day or an instant in an error's details, which the API gives in ISO 8601 (`2027-01-24`,
    `2026-11-28T07:24:06.599592+00:00`), as a page shows it (`24/01/2027`, `28/11/2026 14:24` in
    Asia/Ho_Chi_Minh); anything else, an impossible day included, as it is."""
    if not isinstance(value, str):
        return value
    try:
        if _ISO_DAY.fullmatch(value):
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        if _ISO_INSTANT.fullmatch(value):
            return format_local(datetime.fromisoformat(value))
    except ValueError:
        pass
    return value


def format_booked(at: datetime) -> str:
    """When a bank booked money: `format_local`, or only its date when the bank gave none. A statement
    line with a date alone is stored at 00:00:00 of its day (the parsers read a spreadsheet's 00:00:00
    as "no time" too): printing 00:00 would invent a time."""
    local = local_time(at)
    return local.strftime("%d/%m/%Y") if local.time() == time.min else local.strftime("%d/%m/%Y %H:%M")
