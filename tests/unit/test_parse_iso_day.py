"""kernel.clock.parse_iso_day: the one strict reading of a YYYY-MM-DD day from a URL or a body."""
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.clock import parse_iso_day
from kernel.errors import ValidationError


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_every_day_from_2000_to_2100_round_trips(day):
    assert parse_iso_day(day.isoformat()) == day


@pytest.mark.parametrize("text", [
    "20261127", "2026-W48-2", "2026-W48", "2026-331", "2026-11-27T00:00", "2026-11-27 ", " 2026-11-27",
    "2026-11-27\n", "2026-1-7", "26-11-27", "27/11/2026", "2026-02-30", "２０２６-11-27", "",
    "0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31", None, 20261127, ["2026-11-27"]])
def test_anything_but_a_yyyy_mm_dd_day_from_2000_to_2100_is_invalid_date(text):
    with pytest.raises(ValidationError) as refused:
        parse_iso_day(text)
    assert refused.value.code == "invalid_date" and refused.value.status == 400
