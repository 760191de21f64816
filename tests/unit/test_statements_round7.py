"""Statement parsing, QA round 7: bank exports written as real Vietnamese banks write them."""
import pytest

from reconciliation.statements import StatementError, parse_amount
from tests.unit.test_parse_fix_tabular import csv_text, read, refused


def sides(lines):
    return [(l.amount_vnd, l.direction, l.bank_ref) for l in lines]


# --- a side mark abbreviated with a dot (`1,000,000 Cr.`, `Dr. 15.000`) ----------------------------

@pytest.mark.parametrize("text, value", [("1,000,000 Cr.", 1_000_000), ("1.000.000Cr.", 1_000_000),
                                         ("Cr. 30.000", 30_000), ("CR.30,000", 30_000), ("Dr. 15.000", -15_000),
                                         ("15,000 DR.", -15_000), ("dr.15.000", -15_000),
                                         ("1.000.000 VND Cr.", 1_000_000)])
def test_a_mark_abbreviated_with_a_dot_reads_as_the_mark(text, value):
    assert parse_amount(text) == value


@pytest.mark.parametrize("bad", ["1.000 D.", "Cr.", "Dr.", "-1.000 Cr.", "1.000 Cr..", "Cr.. 1.000"])
def test_a_dotted_mark_without_an_amount_or_with_a_sign_is_still_no_amount(bad):
    with pytest.raises(StatementError) as caught:
        parse_amount(bad)
    assert caught.value.code == "invalid_amount", bad


def test_a_single_amount_column_with_dotted_marks_gives_each_row_its_side():
    _, lines = read(csv_text(["Ngày giao dịch", "Số tham chiếu", "Số tiền", "Nội dung"],
                             ["24/11/2026", "FT1", "1,000,000 Cr.", "HS40881023160 nop le phi"],
                             ["24/11/2026", "FT2", "Dr. 15.000", "phi SMS"]))
    assert sides(lines) == [(1_000_000, "credit", "FT1"), (15_000, "debit", "FT2")]


def test_a_dotted_mark_against_its_column_is_refused():
    error = refused(csv_text(["Ngày giao dịch", "Số tham chiếu", "Ghi nợ", "Ghi có", "Nội dung"],
                             ["24/11/2026", "FT1", "", "15.000 Dr.", "x"]))
    assert (error.code, error.details["line_no"]) == ("unknown_direction", 1)
