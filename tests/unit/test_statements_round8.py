"""Statement parsing, QA round 8: side marks, SWIFT message envelopes, partial dates and fee columns."""
from datetime import date

import pytest

from reconciliation.statements import StatementError, parse_amount
from tests.unit.test_parse_fix_tabular import csv_text, read, refused, workbook


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


# --- MT940: a space after the tag; several messages parted the SWIFT RJE way --------------------------

def mt940_message(number: int, day: str, opening: int, amount: int) -> str:
    return (f":20:STMT{number}\n:25:0071001234567\n:28C:{number}/1\n:60F:C{day}VND{opening},\n"
            f":61:{day}{day[2:]}C{amount},NTRFFT{number}//B{number}\n:86:HS{number} nop le phi\n"
            f":62F:C{day}VND{opening + amount},\n")


def envelope(body: str, day: str) -> str:
    return (f"{{1:F01BFTVVNVXAXXX0000000000}}{{2:O9401200{day}BFTVVNVXAXXX0000000000{day}1200N}}{{4:\n"
            f"{body}-}}")


def test_a_statement_line_with_a_space_after_its_tag_is_read():
    info, [line] = read(mt940_message(1, "261124", 1_000_000, 30_000).replace(":61:", ":61: "))
    assert (line.amount_vnd, line.direction, line.bank_ref, line.memo) == (30_000, "credit", "B1", "HS1 nop le phi")
    assert info.balances[line.booking_date].closing_vnd == 1_030_000


@pytest.mark.parametrize("separator", ["\n$\n", "$\n", "\n$", "{5:{CHK:0123456789AB}}\n$", "{5:{CHK:0123456789AB}}$"])
def test_messages_parted_by_an_rje_dollar_are_each_read(separator):
    first = envelope(mt940_message(1, "261124", 1_000_000, 30_000), "261124")
    second = envelope(mt940_message(2, "261125", 1_030_000, 40_000), "261125")
    info, lines = read(first + separator + second + "\n$\n")
    assert sides(lines) == [(30_000, "credit", "B1"), (40_000, "credit", "B2")]
    assert [l.memo for l in lines] == ["HS1 nop le phi", "HS2 nop le phi"]
    assert [(b.opening_vnd, b.closing_vnd) for b in info.balances.values()] == [(1_000_000, 1_030_000),
                                                                                  (1_030_000, 1_070_000)]


def test_a_dollar_inside_a_memo_stays_in_it():
    info, [line] = read(mt940_message(1, "261124", 1_000_000, 30_000).replace("nop le phi", "USD$ 5 quy doi $"))
    assert line.memo == "HS1 USD$ 5 quy doi $"


def test_text_with_a_dollar_after_a_message_that_is_no_separator_is_still_refused():
    error = refused(mt940_message(1, "261124", 1_000_000, 30_000) + "-\nUSD$\n")
    assert error.code == "malformed_mt940"


# --- a value date printed without its year (`24/11`) -------------------------------------------------

@pytest.mark.parametrize("booked, value, expected", [
    ("24/11/2026", "24/11", date(2026, 11, 24)), ("31/12/2026", "02/01", date(2027, 1, 2)),
    ("02/01/2027", "31/12", date(2026, 12, 31)), ("24/11/2026", "25-11", date(2026, 11, 25)),
    ("29/02/2028", "29.02", date(2028, 2, 29))])
def test_a_value_date_without_its_year_takes_the_year_nearest_the_booking_day(booked, value, expected):
    _, [line] = read(csv_text(["Ngày giao dịch", "Ngày hiệu lực", "Số tham chiếu", "Số tiền ghi có", "Nội dung"],
                              [booked, value, "FT1", "1.000.000", "HS40881023160 nop le phi"]))
    assert (line.value_date, line.amount_vnd) == (expected, 1_000_000)


@pytest.mark.parametrize("value", ["31/02", "00/11", "24/13"])
def test_a_value_date_without_its_year_that_is_no_day_is_still_refused_with_its_line(value):
    error = refused(csv_text(["Ngày giao dịch", "Ngày hiệu lực", "Số tham chiếu", "Số tiền ghi có", "Nội dung"],
                             ["24/11/2026", "24/11/2026", "FT1", "30.000", "x"],
                             ["24/11/2026", value, "FT2", "30.000", "y"]))
    assert (error.code, error.details["line_no"]) == ("invalid_date", 2)


def test_a_booking_date_without_its_year_is_still_refused():
    error = refused(csv_text(["Ngày giao dịch", "Số tham chiếu", "Số tiền ghi có", "Nội dung"],
                             ["24/11", "FT1", "30.000", "x"]))
    assert (error.code, error.details["line_no"]) == ("invalid_date", 1)


# --- a side column headed only `Loại` ----------------------------------------------------------------
# The word heads side mark columns (`Ghi có`/`Ghi nợ`) and transaction type columns (`Chuyển khoản`) alike:
# unread, every unsigned amount beside it was a credit, the bank's fee money in.

@pytest.mark.parametrize("credit, debit", [("Ghi có", "Ghi nợ"), ("C", "D"), ("Có", "Nợ"), ("CR", "DR"),
                                           ("GHI CO", "GHI NO")])
def test_a_loai_column_of_side_marks_gives_each_row_its_side(credit, debit):
    _, lines = read(csv_text(["Ngày giao dịch", "Số tham chiếu", "Số tiền", "Loại", "Nội dung"],
                             ["24/11/2026", "FT1", "1.000.000", credit, "HS40881023160 nop le phi"],
                             ["24/11/2026", "FT2", "15.000", debit, "phi SMS"]))
    assert sides(lines) == [(1_000_000, "credit", "FT1"), (15_000, "debit", "FT2")]


def test_a_loai_column_of_transaction_types_is_no_side_and_the_sign_is():
    _, lines = read(csv_text(["Ngày giao dịch", "Số tham chiếu", "Số tiền", "Loại", "Nội dung"],
                             ["24/11/2026", "FT1", "1.000.000", "Chuyển khoản", "HS40881023160 nop le phi"],
                             ["24/11/2026", "FT2", "-15.000", "Phí dịch vụ", "phi SMS"]))
    assert sides(lines) == [(1_000_000, "credit", "FT1"), (15_000, "debit", "FT2")]


@pytest.mark.parametrize("first, second", [("Ghi có", "Chuyển khoản"), ("Chuyển khoản", "D")])
def test_a_loai_column_mixing_side_marks_and_types_is_refused_at_the_row(first, second):
    error = refused(csv_text(["Ngày giao dịch", "Số tham chiếu", "Số tiền", "Loại", "Nội dung"],
                             ["24/11/2026", "FT1", "30.000", first, "x"],
                             ["24/11/2026", "FT2", "15.000", second, "y"]))
    assert (error.code, error.details["line_no"]) == ("unknown_direction", 2)


def test_a_loai_debit_mark_beside_the_credit_column_is_refused():
    error = refused(csv_text(["Ngày giao dịch", "Số tham chiếu", "Ghi nợ", "Ghi có", "Loại", "Nội dung"],
                             ["24/11/2026", "FT1", "", "30.000", "Ghi nợ", "x"]))
    assert (error.code, error.details["line_no"]) == ("unknown_direction", 1)


def test_a_loai_column_of_side_marks_in_a_workbook_gives_each_row_its_side():
    data = workbook([["Ngày giao dịch", "Số tham chiếu", "Số tiền", "Loại", "Nội dung"],
                     ["24/11/2026", "FT1", 1_000_000, "Có", "HS40881023160 nop le phi"],
                     ["24/11/2026", "FT2", 15_000, "Nợ", "phi SMS"]])
    _, lines = read(data)
    assert sides(lines) == [(1_000_000, "credit", "FT1"), (15_000, "debit", "FT2")]
