"""Statement parsing, QA round 8: side marks, SWIFT message envelopes, partial dates and fee columns."""
import pytest

from reconciliation.statements import StatementError, parse_amount
from tests.unit.test_parse_fix_tabular import csv_text, read, refused


def sides(lines):
    return [(l.amount_vnd, l.direction, l.bank_ref) for l in lines]


# --- a side mark in parentheses (`1.000.000 (CR)`, `15.000 (DR)`) -----------------------------------

@pytest.mark.parametrize("text, value", [("1.000.000 (CR)", 1_000_000), ("1.000.000 (DR)", -1_000_000),
                                         ("(CR) 30.000", 30_000), ("1,000,000(Cr)", 1_000_000),
                                         ("15.000 (Dr.)", -15_000), ("(dr)15,000", -15_000)])
def test_a_side_mark_in_parentheses_reads_as_the_mark(text, value):
    assert parse_amount(text) == value


@pytest.mark.parametrize("bad", ["(1.000) CR", "(CR) (1.000)", "1.000 (CR", "1.000 CR)", "(CR)", "-1.000 (CR)",
                                 "1.000 (CR) (DR)"])
def test_a_parenthesised_mark_with_a_half_parenthesis_or_a_second_sign_is_no_amount(bad):
    with pytest.raises(StatementError) as caught:
        parse_amount(bad)
    assert caught.value.code == "invalid_amount", bad


def test_a_single_amount_column_with_parenthesised_marks_gives_each_row_its_side():
    _, lines = read(csv_text(["Ngày giao dịch", "Số tham chiếu", "Số tiền", "Nội dung"],
                             ["24/11/2026", "FT1", "1.000.000 (CR)", "HS40881023160 nop le phi"],
                             ["24/11/2026", "FT2", "15.000 (DR)", "phi SMS"]))
    assert sides(lines) == [(1_000_000, "credit", "FT1"), (15_000, "debit", "FT2")]


def test_a_parenthesised_debit_mark_in_the_credit_column_is_refused():
    error = refused(csv_text(["Ngày giao dịch", "Số tham chiếu", "Ghi nợ", "Ghi có", "Nội dung"],
                             ["24/11/2026", "FT1", "", "15.000 (DR)", "x"]))
    assert (error.code, error.details["line_no"]) == ("unknown_direction", 1)
