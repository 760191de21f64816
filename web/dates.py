"""The day a staff page is about, read one way on every page (the finance pages, the postal board): as people
type it (`26/11/2026`) or as links carry it (`2026-11-26`), by the API's rule (2000 to 2100); no day is today in
Hà Nội, and one that is not a day is refused (400 `invalid_date`), never taken as today unsaid."""
from __future__ import annotations

import re
from datetime import date

from kernel.clock import business_date, now_utc, parse_iso_day
from kernel.errors import ValidationError

DMY = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")  # ASCII digits: \d takes ９ and ٣ too


def typed_day(raw: object, field: str = "date") -> date:
    """`26/11/2026` or `2026-11-26` -> a date; anything else a ValidationError `invalid_date` naming `field`."""
    written = raw.strip() if isinstance(raw, str) else raw
    match = DMY.fullmatch(written) if isinstance(written, str) else None
    if match is not None:
        written = f"{match[3]}-{int(match[2]):02d}-{int(match[1]):02d}"
    try:
        return parse_iso_day(written)
    except ValidationError as exc:
        raise ValidationError(f"{field}: {exc.message}", code=exc.code, details={"field": field}) from None


def asked_day(raw: str | None) -> date:
    """The day a page is asked for: `raw` read by `typed_day`, or today in Asia/Ho_Chi_Minh when none is given.
    The page answers an unreadable one with 400, saying so over today's page."""
    return typed_day(raw) if raw else business_date(now_utc())
