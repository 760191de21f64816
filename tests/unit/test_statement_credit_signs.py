"""A negative amount in a spreadsheet's credit column: refused (`invalid_amount`, the line named), never
read as a debit. A signed single amount column carries its side in its sign; split debit and credit
columns carry it in the column, and no bank writes money going out as a negative credit."""
import pytest

from tests.unit.test_parse_fix_tabular import HEADER, csv_text, read, refused, summary, workbook


@pytest.mark.parametrize("written", ["-30.000", "(30.000)", "- 30.000", "-30000"])
def test_a_negative_credit_in_a_csv_is_refused_naming_its_line(written):
    error = refused(csv_text(HEADER, ["24/11/2026", "C1", "", "50.000", "x"], ["24/11/2026", "C2", "", written, "y"]))
    assert (error.code, error.details["line_no"]) == ("invalid_amount", 2)
    assert "credit" in str(error)


def test_a_negative_credit_in_a_workbook_is_refused():
    error = refused(workbook([HEADER, ["24/11/2026", "C1", None, -30000, "x"]]))
    assert (error.code, error.details["line_no"]) == ("invalid_amount", 1)


def test_a_negative_credit_in_a_table_of_credits_only_is_refused():
    error = refused(csv_text(["Ngày giao dịch", "Ghi có", "Nội dung"], ["24/11/2026", "-30.000", "x"]))
    assert (error.code, error.details["line_no"]) == ("invalid_amount", 1)


def test_a_negative_credit_on_a_row_dated_by_the_row_above_is_refused_not_dropped():
    error = refused(csv_text(HEADER, ["24/11/2026", "C1", "", "50.000", "x"], ["", "C2", "", "-30.000", "y"]))
    assert (error.code, error.details["line_no"]) == ("invalid_amount", 2)


def test_a_debit_written_with_a_minus_in_the_debit_column_is_still_a_debit():
    _, lines = read(csv_text(HEADER, ["24/11/2026", "C1", "-11.000", "", "phi"], ["24/11/2026", "C2", "(5.000)", "", "vat"]))
    assert summary(lines) == [("2026-11-24", 11000, "debit", "C1"), ("2026-11-24", 5000, "debit", "C2")]


def test_a_signed_single_amount_column_still_reads_its_sign_as_the_side():
    _, lines = read(csv_text(["Ngày giao dịch", "Số tiền", "Nội dung"], ["24/11/2026", "-30.000", "x"],
                             ["24/11/2026", "50.000", "y"]))
    assert [(l.amount_vnd, l.direction) for l in lines] == [(30000, "debit"), (50000, "credit")]
