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
    assert (line.amount_vnd, line.direction, line.bank_ref, line.memo) == (30_000, "credit", "B1", "FT1 HS1 nop le phi")
    assert info.balances[line.booking_date].closing_vnd == 1_030_000


@pytest.mark.parametrize("separator", ["\n$\n", "$\n", "\n$", "{5:{CHK:0123456789AB}}\n$", "{5:{CHK:0123456789AB}}$"])
def test_messages_parted_by_an_rje_dollar_are_each_read(separator):
    first = envelope(mt940_message(1, "261124", 1_000_000, 30_000), "261124")
    second = envelope(mt940_message(2, "261125", 1_030_000, 40_000), "261125")
    info, lines = read(first + separator + second + "\n$\n")
    assert sides(lines) == [(30_000, "credit", "B1"), (40_000, "credit", "B2")]
    assert [l.memo for l in lines] == ["FT1 HS1 nop le phi", "FT2 HS2 nop le phi"]
    assert [(b.opening_vnd, b.closing_vnd) for b in info.balances.values()] == [(1_000_000, 1_030_000),
                                                                                  (1_030_000, 1_070_000)]


@pytest.mark.parametrize("joint", ["-}", "-}$", "-}{5:{CHK:0123456789AB}}", "-}{5:{MAC:00000000}{CHK:0123456789AB}}$"])
def test_the_next_messages_envelope_on_the_line_of_the_last_ones_end_starts_a_message(joint):
    # `-}{1:…}{2:…}{4::20:STMT2`: the second message's :20: was read past, the two messages taken for one,
    # and the second day's opening balance lost.
    first = envelope(mt940_message(1, "261124", 1_000_000, 30_000), "261124")[:-2]
    second = envelope(mt940_message(2, "261125", 1_030_000, 40_000), "261125").replace("{4:\n", "{4:")
    info, lines = read(f"{first}{joint}{second}\n")
    assert sides(lines) == [(30_000, "credit", "B1"), (40_000, "credit", "B2")]
    assert [(b.opening_vnd, b.closing_vnd) for b in info.balances.values()] == [(1_000_000, 1_030_000),
                                                                                  (1_030_000, 1_070_000)]


def test_a_dollar_inside_a_memo_stays_in_it():
    info, [line] = read(mt940_message(1, "261124", 1_000_000, 30_000).replace("nop le phi", "USD$ 5 quy doi $"))
    assert line.memo == "FT1 HS1 USD$ 5 quy doi $"


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


# --- a fee column beside the row's amount ------------------------------------------------------------
# `Số tiền phí` held "số tiền" and was read as the row's amount (a 1,000,000 credit read as 11,000);
# `Phí`, `VAT` were read past, the money the bank took lost from the statement.

def fee_lines(lines):
    return [(l.line_no, l.amount_vnd, l.direction, l.bank_ref, l.memo) for l in lines]


@pytest.mark.parametrize("fee_header", ["Số tiền phí", "Phí", "Phí giao dịch", "Fee", "Charges"])
def test_a_fee_beside_a_credit_is_a_debit_line_of_its_own_and_the_credit_stays_whole(fee_header):
    _, lines = read(csv_text(["Ngày giao dịch", "Số tham chiếu", "Số tiền ghi có", fee_header, "Nội dung"],
                             ["24/11/2026", "FT1", "1.000.000", "11.000", "HS40881023160 nop le phi"],
                             ["24/11/2026", "FT2", "30.000", "", "HS40881023161"]))
    assert fee_lines(lines) == [(1, 1_000_000, "credit", "FT1", "HS40881023160 nop le phi"),
                                (2, 11_000, "debit", "FT1", "Phí: HS40881023160 nop le phi"),
                                (3, 30_000, "credit", "FT2", "HS40881023161")]


def test_a_fee_and_its_vat_beside_debit_and_credit_columns_are_each_a_debit_line():
    _, lines = read(csv_text(["Ngày giao dịch", "Số tham chiếu", "Ghi nợ", "Ghi có", "Phí", "VAT", "Nội dung"],
                             ["24/11/2026", "FT1", "500.000", "", "10.000", "1.000", "Hoan tien"],
                             ["24/11/2026", "FT2", "", "30.000", "-", "0", "HS40881023161"]))
    assert fee_lines(lines) == [(1, 500_000, "debit", "FT1", "Hoan tien"),
                                (2, 10_000, "debit", "FT1", "Phí: Hoan tien"),
                                (3, 1_000, "debit", "FT1", "Thuế VAT phí: Hoan tien"),
                                (4, 30_000, "credit", "FT2", "HS40881023161")]


@pytest.mark.parametrize("no_fee", ["Miễn phí", "Không", "-", "0", "0 VND", ""])
def test_a_fee_cell_saying_there_is_none_adds_no_line(no_fee):
    _, lines = read(csv_text(["Ngày giao dịch", "Số tham chiếu", "Số tiền ghi có", "Phí", "Nội dung"],
                             ["24/11/2026", "FT1", "30.000", no_fee, "HS40881023160"]))
    assert sides(lines) == [(30_000, "credit", "FT1")]


def test_a_fee_cell_that_is_no_amount_is_refused_at_its_line():
    error = refused(csv_text(["Ngày giao dịch", "Số tham chiếu", "Số tiền ghi có", "Phí", "Nội dung"],
                             ["24/11/2026", "FT1", "30.000", "11.000", "a"],
                             ["24/11/2026", "FT2", "30.000", "11,5", "b"]))
    assert (error.code, error.details["line_no"]) == ("invalid_amount", 3)


def test_a_row_with_only_a_fee_is_that_fee():
    _, lines = read(csv_text(["Ngày giao dịch", "Số tham chiếu", "Số tiền", "Phí", "Nội dung"],
                             ["24/11/2026", "FT1", "0", "22.000", "Phi duy tri tai khoan"]))
    assert fee_lines(lines) == [(1, 22_000, "debit", "FT1", "Phí: Phi duy tri tai khoan")]


@pytest.mark.parametrize("newest_first", [False, True])
def test_the_rows_balance_is_after_its_fee(newest_first):
    rows = [["24/11/2026 08:00:00", "FT1", "1.000.000", "11.000", "5.989.000", "HS40881023160"],
            ["24/11/2026 09:00:00", "FT2", "500.000", "", "6.489.000", "HS40881023161"]]
    info, lines = read(csv_text(["Ngày giao dịch", "Số tham chiếu", "Số tiền ghi có", "Phí", "Số dư", "Nội dung"],
                                *(rows[::-1] if newest_first else rows)))
    balance = info.balances[lines[0].booking_date]
    assert (balance.opening_vnd, balance.closing_vnd) == (5_000_000, 6_489_000)


def test_a_fee_marked_as_a_credit_is_refused():
    error = refused(csv_text(["Ngày giao dịch", "Số tham chiếu", "Số tiền ghi có", "Phí", "Nội dung"],
                             ["24/11/2026", "FT1", "1.000.000", "11.000 CR", "x"]))
    assert (error.code, error.details["line_no"]) == ("unknown_direction", 1)


@pytest.mark.parametrize("header", ["Mã phí", "Loại phí", "Biểu phí", "Tài khoản thu phí", "Người chịu phí",
                                    "Mô tả phí", "Charge bearer", "Phí/Lãi", "Fee/Interest"])
def test_a_fee_code_or_account_column_is_no_fee(header):
    _, lines = read(csv_text(["Ngày giao dịch", "Số tham chiếu", "Số tiền ghi có", header, "Nội dung"],
                             ["24/11/2026", "FT1", "1.000.000", "PHI01 / 0071001234567", "x"]))
    assert sides(lines) == [(1_000_000, "credit", "FT1")]


def test_a_wrapped_memo_continues_the_row_and_its_fee():
    _, lines = read(csv_text(["Ngày giao dịch", "Số tham chiếu", "Số tiền ghi có", "Phí", "Nội dung"],
                             ["24/11/2026", "FT1", "1.000.000", "11.000", "HS40881023160"],
                             ["", "", "", "", "nop le phi"]))
    assert [l.memo for l in lines] == ["HS40881023160 nop le phi", "Phí: HS40881023160 nop le phi"]


def test_a_fee_on_a_row_of_its_own_under_the_transaction_is_a_fee_of_that_day():
    # A fee and its wording on the row under the transfer, the date merged down: read as more of the memo above.
    _, lines = read(csv_text(["Ngày giao dịch", "Số tham chiếu", "Ghi nợ", "Ghi có", "Phí", "Nội dung"],
                             ["24/11/2026", "FT1", "500.000", "", "", "Hoan tien"],
                             ["", "", "", "", "11.000", "Phi chuyen tien"],
                             ["24/11/2026", "FT2", "", "30.000", "", "HS40881023161"]))
    assert fee_lines(lines) == [(1, 500_000, "debit", "FT1", "Hoan tien"),
                                (2, 11_000, "debit", None, "Phí: Phi chuyen tien"),
                                (3, 30_000, "credit", "FT2", "HS40881023161")]


def test_a_fee_column_in_a_workbook_is_a_debit_line():
    _, lines = read(workbook([["Ngày giao dịch", "Số tham chiếu", "Số tiền ghi có", "Số tiền phí", "Nội dung"],
                              ["24/11/2026", "FT1", 1_000_000, 11_000, "HS40881023160"]]))
    assert fee_lines(lines) == [(1, 1_000_000, "credit", "FT1", "HS40881023160"),
                                (2, 11_000, "debit", "FT1", "Phí: HS40881023160")]


# --- camt.053: the remittance information over several RmtInf, and a Strd's additional text ------------

def camt_entry(details: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">'
            '<BkToCstmrStmt><Stmt><Acct><Id><Othr><Id>0071001234567</Id></Othr></Id></Acct><Ntry>'
            '<Amt Ccy="VND">30000</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
            '<BookgDt><Dt>2026-11-24</Dt></BookgDt><AcctSvcrRef>R1</AcctSvcrRef>'
            f'<NtryDtls><TxDtls>{details}</TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>')


def test_every_rmtinf_of_a_transaction_is_its_memo():
    _, [line] = read(camt_entry("<RmtInf><Ustrd>nop le phi</Ustrd></RmtInf>"
                                "<RmtInf><Ustrd>HS40881023160</Ustrd><Ustrd>ho so</Ustrd></RmtInf>"))
    assert line.memo == "nop le phi HS40881023160 ho so"


def test_a_structured_remittances_additional_text_is_in_the_memo():
    _, [line] = read(camt_entry("<RmtInf><Strd><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf>"
                                "<AddtlRmtInf>HS40881023160</AddtlRmtInf><AddtlRmtInf>nop le phi</AddtlRmtInf>"
                                "</Strd></RmtInf>"))
    assert line.memo == "RF18539007547034 HS40881023160 nop le phi"


# --- UTF-16 text without its byte-order mark ---------------------------------------------------------
# Refused as "binary data" (415): its ASCII characters each carry a zero byte.

VCB_ROWS = (["Ngày giao dịch", "Số tham chiếu", "Số tiền ghi nợ", "Số tiền ghi có", "Nội dung"],
            ["24/11/2026", "FT1", "", "1.000.000", "HS40881023160 nộp lệ phí Nguyễn Văn Ánh"],
            ["24/11/2026", "FT2", "15.000", "", "Phí SMS"])


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_a_csv_in_utf16_without_its_bom_is_read(codec):
    _, lines = read(csv_text(*VCB_ROWS).encode(codec))
    assert sides(lines) == [(1_000_000, "credit", "FT1"), (15_000, "debit", "FT2")]
    assert lines[0].memo == "HS40881023160 nộp lệ phí Nguyễn Văn Ánh"


def test_an_mt940_in_utf16_without_its_bom_is_read():
    info, [line] = read(mt940_message(1, "261124", 1_000_000, 30_000).encode("utf-16-le"))
    assert (info.format, line.amount_vnd, line.memo) == ("mt940", 30_000, "FT1 HS1 nop le phi")


@pytest.mark.parametrize("data", [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00\x00\x01\x02",
                                  csv_text(*VCB_ROWS).encode().replace(b"FT1", b"F\x00T1")])
def test_binary_data_is_still_refused(data):
    error = refused(data)
    assert (error.code, error.status) == ("unsupported_format", 415)
