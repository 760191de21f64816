"""Statement parsing, round 16: a numbered weekday after the date (`24/11/2026 - Thứ 3`), as some exports print it."""
import pytest

from tests.unit.test_parse_fix_tabular import csv_text, read, refused

CODE = "HS40881023160"


@pytest.mark.parametrize("cell", ["24/11/2026 - Thứ 3", "24/11/2026 Thứ 3", "24/11/2026, T3", "24/11/2026 - T.3",
                                  "24/11/2026 - thu 3", "24/11/2026 (Thứ 3)", "24/11/2026 - Thứ Ba"])
def test_a_numbered_weekday_after_the_date_is_read(cell):
    _, [line] = read(csv_text(["Ngày giao dịch", "Số tiền", "Nội dung"], [cell, "30.000", CODE]))
    assert str(line.booking_date) == "2026-11-24"


@pytest.mark.parametrize("cell", ["24/11/2026 - Thứ 4", "24/11/2026 T2", "24/11/2026 - Thứ 8", "24/11/2026 - Thứ 33"])
def test_a_numbered_weekday_that_is_not_the_dates_own_is_refused(cell):
    error = refused(csv_text(["Ngày giao dịch", "Số tiền", "Nội dung"], [cell, "30.000", CODE]))
    assert (error.code, error.details["line_no"]) == ("invalid_date", 1)


def test_a_time_after_the_date_is_still_a_time_not_a_weekday():
    _, [line] = read(csv_text(["Ngày giao dịch", "Số tiền", "Nội dung"], ["24/11/2026 - 10:15", "30.000", CODE]))
    assert line.booked_at.isoformat() == "2026-11-24T03:15:00+00:00"
