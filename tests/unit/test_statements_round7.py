"""Statement parsing, QA round 7: bank exports written as real Vietnamese banks write them."""
from datetime import date, datetime, timezone

import pytest

from reconciliation.statements import StatementError, parse_amount, parse_local_date
from tests.unit.test_parse_fix_tabular import csv_text, read, refused
from tests.unit.test_statement_variants import workbook


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


# --- a side-mark column whose header names both sides, beside the amount --------------------------
# "Ghi nợ/Ghi có" (BIDV, VietinBank), "Có/Nợ", "Thu/Chi" beside "Số tiền": the column says each row's
# side. Its header's first side word made it that side's money column, so every row's amount (in the
# amount column, unsigned) was read as a credit: the bank's fee was money in.

@pytest.mark.parametrize("mark_header", ["Ghi nợ/Ghi có", "Ghi có/Ghi nợ", "GHI NO/GHI CO", "Có/Nợ", "Thu/Chi",
                                         "Nợ/Có", "Debit/Credit"])
def test_a_mark_column_naming_both_sides_beside_the_amount_gives_each_row_its_side(mark_header):
    marks = {"Thu/Chi": ("Thu", "Chi"), "Debit/Credit": ("C", "D")}.get(mark_header, ("C", "D"))
    _, lines = read(csv_text(["Ngày giao dịch", "Số tham chiếu", "Số tiền", mark_header, "Nội dung"],
                             ["24/11/2026 10:15:30", "FT1", "1,000,000", marks[0], "HS40881023160 nop le phi"],
                             ["24/11/2026 10:16:30", "FT2", "15,000", marks[1], "phi SMS"]))
    assert sides(lines) == [(1_000_000, "credit", "FT1"), (15_000, "debit", "FT2")]


@pytest.mark.parametrize("mark", ["Ghi nợ", "Nợ", "D", "Dr"])
def test_the_mark_column_before_the_amount_reads_the_same(mark):
    _, lines = read(csv_text(["Ngày giao dịch", "Số bút toán", "Ghi nợ/Ghi có", "Số tiền", "Nội dung chi tiết"],
                             ["24/11/2026", "1", "Ghi có", "1.000.000", "HS40881023160"],
                             ["24/11/2026", "2", mark, "15.000", "phi"]))
    assert sides(lines) == [(1_000_000, "credit", "1"), (15_000, "debit", "2")]


def test_a_mark_column_naming_both_sides_refuses_a_word_that_names_no_side():
    error = refused(csv_text(["Ngày giao dịch", "Số tham chiếu", "Số tiền", "Ghi nợ/Ghi có", "Nội dung"],
                             ["24/11/2026", "FT1", "15.000", "Chuyển khoản", "x"]))
    assert (error.code, error.details["line_no"]) == ("unknown_direction", 1)


def test_a_column_naming_both_sides_without_an_amount_column_is_still_the_signed_amount():
    _, lines = read(csv_text(["Ngày giao dịch", "Số tham chiếu", "Số tiền Có/Nợ", "Nội dung"],
                             ["24/11/2026", "FT1", "1.000.000", "HS1"], ["24/11/2026", "FT2", "-15.000", "phi"]))
    assert sides(lines) == [(1_000_000, "credit", "FT1"), (15_000, "debit", "FT2")]


# --- a balance's or a total's row in the memo column is no wrapped memo ------------------------------
# ACB and others write "Số dư cuối kỳ" in the memo column with the balance beside it: a row without a
# date or money whose memo is text was taken for the rest of the last transfer's memo ("Phi SMS Số dư cuối
# kỳ") and its closing balance never read.

ACB = ["Ngày giao dịch", "Số GD", "Diễn giải", "Rút ra", "Gửi vào", "Số dư"]


@pytest.mark.parametrize("closing", [["", "", "Số dư cuối kỳ", "", "", "125,989,000"],
                                     ["", "", "Số dư cuối kỳ: 125,989,000", "", "", ""],
                                     ["", "", "SO DU CUOI KY", "", "", "125,989,000"]])
def test_a_closing_balance_row_in_the_memo_column_is_the_closing_not_the_last_memo(closing):
    info, lines = read(csv_text(ACB, ["24/11/2026", "1234", "HS40881023160 nop le phi", "", "1,000,000", "126,000,000"],
                                ["24/11/2026", "1235", "Phi SMS", "11,000", "", "125,989,000"],
                                ["", "", "Cộng phát sinh", "11,000", "1,000,000", ""], closing))
    assert [l.memo for l in lines] == ["HS40881023160 nop le phi", "Phi SMS"]
    assert info.balances[lines[0].booking_date].closing_vnd == 125_989_000


def test_a_wrapped_memo_still_continues_the_line_above():
    _, lines = read(csv_text(ACB, ["24/11/2026", "1234", "HS40881023160 nop le phi", "", "1,000,000", ""],
                             ["", "", "ho so dat dai", "", "", ""], ["", "", "Tổng công ty ABC", "", "", ""]))
    assert [l.memo for l in lines] == ["HS40881023160 nop le phi ho so dat dai Tổng công ty ABC"]


# --- a date and its time on two lines of a cell, or the time first --------------------------------
# "24/11/2026\n10:15:30" (a wrapped "Ngày giờ giao dịch" cell), "10:15:30 24/11/2026", "24/11/2026 - 10:15":
# each was invalid_date, and the whole file was refused.

AT_1015 = (date(2026, 11, 24), datetime(2026, 11, 24, 3, 15, 30, tzinfo=timezone.utc))


@pytest.mark.parametrize("text", ["24/11/2026\n10:15:30", "24/11/2026\r\n10:15:30", "10:15:30 24/11/2026",
                                  "10:15:30\n24/11/2026", "24/11/2026 - 10:15:30", "24/11/2026, 10:15:30",
                                  "10:15:30 AM 24/11/2026", "10:15:30 - 24-11-2026", "2026-11-24\n10:15:30"])
def test_a_time_on_another_line_or_before_the_date_is_read(text):
    assert parse_local_date(text) == AT_1015


@pytest.mark.parametrize("text", ["10:15:30", "10:15:30 24/13/2026", "24/11/2026 10:15:30 10:15:30", "10:15 HS1",
                                  "24/11/2026\n5001.12345", "10:15:30 10:15:30"])
def test_a_time_without_a_valid_date_is_still_no_date(text):
    with pytest.raises(StatementError) as caught:
        parse_local_date(text)
    assert caught.value.code == "invalid_date", text


def test_a_workbook_whose_date_cells_wrap_their_time_onto_a_second_line_is_read():
    _, lines = read(workbook(("Sao ke", [["Ngày giờ giao dịch", "Số tham chiếu", "Ghi nợ", "Ghi có", "Nội dung"],
                                        ["24/11/2026\n10:15:30", "FT1", None, 1_000_000, "HS40881023160"],
                                        ["10:16:00 24/11/2026", "FT2", 11_000, None, "phi"]])))
    assert sides(lines) == [(1_000_000, "credit", "FT1"), (11_000, "debit", "FT2")]
    assert lines[0].instant() == AT_1015[1]


# --- a day's total worded as banks word it ------------------------------------------------------------
# In a table with a reference column, a dated row without a reference whose memo is "Tổng số tiền",
# "Tổng ghi có", "Doanh số phát sinh", "Cộng"… was read as one more credit of the day's whole sum.

REF_TABLE = ["Ngày giao dịch", "Số tham chiếu", "Ghi nợ", "Ghi có", "Số dư", "Nội dung"]
TOTALS = ["Tổng số tiền", "Tổng số", "Tổng ghi có", "Tổng giao dịch", "Tổng doanh số", "Doanh số phát sinh",
          "Cộng số phát sinh", "Tổng số phát sinh", "Cộng", "Tổng số giao dịch: 2", "Phát sinh trong kỳ",
          "TONG SO TIEN", "DOANH SO PHAT SINH", "Cộng luỹ kế", "Lũy kế"]


@pytest.mark.parametrize("memo", TOTALS)
def test_a_dated_total_worded_as_banks_word_it_is_no_credit(memo):
    _, lines = read(csv_text(REF_TABLE, ["24/11/2026", "FT1", "", "1,000,000", "126,000,000", "HS40881023160"],
                             ["24/11/2026", "FT2", "", "30,000", "126,030,000", "HS52817959366"],
                             ["24/11/2026", "", "", "1,030,000", "", memo]))
    assert sides(lines) == [(1_000_000, "credit", "FT1"), (30_000, "credit", "FT2")]


@pytest.mark.parametrize("memo", ["Tổng phí dịch vụ tháng 11", "Tổng công ty Điện lực nop phi HS1", "Công",
                                  "CONG", "Doanh nghiệp ABC nop phi"])
def test_a_transfer_whose_memo_only_looks_like_a_total_is_still_a_line(memo):
    _, lines = read(csv_text(REF_TABLE, ["24/11/2026", "FT1", "", "1,000,000", "", "HS40881023160"],
                             ["24/11/2026", "", "", "1,000,000", "", memo]))
    assert len(lines) == 2


@pytest.mark.parametrize("label", ["Doanh số phát sinh", "Doanh số:", "Lũy kế", "Luỹ kế", "Phát sinh trong kỳ",
                                   "DOANH SO PHAT SINH", "LUY KE"])
def test_a_total_labelled_in_the_date_column_is_skipped_not_refused(label):
    _, lines = read(csv_text(REF_TABLE, ["24/11/2026", "FT1", "", "1,000,000", "126,000,000", "HS40881023160"],
                             [label, "", "", "1,000,000", "", ""]))
    assert sides(lines) == [(1_000_000, "credit", "FT1")]


@pytest.mark.parametrize("memo", ["Tổng số tiền", "Tổng ghi có", "Doanh số phát sinh", "Cộng số phát sinh"])
def test_a_dated_total_in_a_table_without_references_is_skipped_when_its_money_is_the_sum(memo):
    header = ["Ngày giao dịch", "Ghi nợ", "Ghi có", "Nội dung"]
    _, lines = read(csv_text(header, ["24/11/2026", "", "1,000,000", "HS40881023160"],
                             ["24/11/2026", "", "30,000", "HS52817959366"], ["24/11/2026", "", "1,030,000", memo]))
    assert [l.amount_vnd for l in lines] == [1_000_000, 30_000]


# --- a CSV cell written as Excel text: `="5000.96828"`, `'0071001234567` ------------------------------
# Exports write cells so to keep Excel from turning a document number or an account into a number
# (leading zeros lost): `="…"` is a formula for that text, a leading apostrophe Excel's text prefix.
# Either in a date or amount cell refused the file (invalid_date, invalid_amount).

VCB_HEAD = ["Ngày GD/ TNX Date", "Số CT/ Doc No", "Số tiền ghi nợ/ Debit", "Số tiền ghi có/ Credit", "Số dư/ Balance",
            "Nội dung chi tiết/ Transactions in detail"]


def test_cells_written_as_an_excel_text_formula_are_their_text():
    info, lines = read(csv_text(["Số tài khoản:", '="0071001234567"'], VCB_HEAD,
                                ['="24/11/2026"', '="5000.96828"', "", '="30.000"', "", "HS40881023160 nop le phi"],
                                ['="24/11/2026"', '="5018.27791"', '="11.000"', "", '="125.019.000"',
                                 '="THU PHI SMS"']))
    assert sides(lines) == [(30_000, "credit", "5000.96828"), (11_000, "debit", "5018.27791")]
    assert info.account == "0071001234567" and lines[1].memo == "THU PHI SMS"


def test_cells_with_excels_text_apostrophe_are_their_text():
    info, lines = read(csv_text(["Số tài khoản:", "'0071001234567"], VCB_HEAD,
                                ["'24/11/2026", "'5000.96828", "", "'30.000", "", "HS40881023160 nop le phi"]))
    assert sides(lines) == [(30_000, "credit", "5000.96828")]
    assert info.account == "0071001234567"


def test_an_apostrophe_or_equals_sign_inside_a_memo_stays():
    _, lines = read(csv_text(VCB_HEAD, ["24/11/2026", "5000.1", "", "30.000", "", "HS40881023160 nop phi 'ho so' = 2"]))
    assert lines[0].memo == "HS40881023160 nop phi 'ho so' = 2"


def test_a_memo_opening_with_a_quoted_word_keeps_its_apostrophe():
    _, lines = read(csv_text(VCB_HEAD, ["24/11/2026", "5000.1", "", "30.000", "", "'ho so' HS40881023160"]))
    assert lines[0].memo == "'ho so' HS40881023160"


# --- a closing balance's label after the balance it labels ---------------------------------------------
# Vietcombank's layout has the memo last: "Số dư cuối kỳ/ Ending balance" in the memo column, the balance in
# the balance column before it. Only the cells after a label were read, and the day had no closing.

@pytest.mark.parametrize("closing", [["", "", "", "", "125.019.000", "Số dư cuối kỳ/ Ending balance"],
                                     ["24/11/2026", "", "", "", "125.019.000", "Số dư cuối kỳ"]])
def test_a_closing_balance_labelled_in_the_last_column_is_the_days_closing(closing):
    info, lines = read(csv_text(VCB_HEAD, ["24/11/2026", "5000.1", "", "30.000", "", "HS40881023160"],
                                ["24/11/2026", "5000.2", "11.000", "", "", "phi"],
                                ["", "", "11.000", "30.000", "", "Tổng số/ Total"], closing))
    assert len(lines) == 2 and info.balances[lines[0].booking_date].closing_vnd == 125_019_000


# --- the currency written out: `1.000.000 đồng` -----------------------------------------------------------

@pytest.mark.parametrize("text", ["1.000.000 đồng", "1.000.000 Đồng", "1,000,000 dong", "1.000.000 ĐỒNG",
                                  "1.000.000 \u0111o\u0302\u0300ng"])
def test_an_amount_with_the_currency_written_out_is_read(text):
    assert parse_amount(text) == 1_000_000


@pytest.mark.parametrize("bad", ["1.000.000 đồngg", "1.000 dongs", "1.000 ddong"])
def test_the_currency_word_alone_or_misspelt_is_no_amount(bad):
    with pytest.raises(StatementError) as caught:
        parse_amount(bad)
    assert caught.value.code == "invalid_amount", bad


# --- the opening balance on the table's first row -----------------------------------------------------
# ACB, Agribank: the table opens with a "Số dư đầu kỳ" row (balance column filled, dated or not) before the
# first transaction. It was read only above the header; in the table the day had no stated opening.

@pytest.mark.parametrize("opening", [["", "", "", "", "125,000,000", "Số dư đầu kỳ"],
                                     ["24/11/2026", "", "", "", "125,000,000", "Số dư đầu kỳ"],
                                     ["Số dư đầu kỳ", "", "", "", "125,000,000", ""],
                                     ["", "", "", "", "", "Số dư đầu kỳ: 125,000,000"]])
def test_an_opening_balance_row_before_the_first_transaction_is_the_opening(opening):
    info, lines = read(csv_text(REF_TABLE, opening, ["24/11/2026", "FT1", "", "1,000,000", "", "HS40881023160"],
                                ["24/11/2026", "FT2", "", "30,000", "126,030,000", "HS52817959366"]))
    assert sides(lines) == [(1_000_000, "credit", "FT1"), (30_000, "credit", "FT2")]
    assert info.balances[lines[0].booking_date].opening_vnd == 125_000_000


def test_a_days_opening_row_after_transactions_is_not_the_files_opening():
    info, lines = read(csv_text(REF_TABLE, ["23/11/2026", "FT0", "", "1,000,000", "125,000,000", "HS0"],
                                ["24/11/2026", "", "", "", "999,000,000", "Số dư đầu ngày"],
                                ["24/11/2026", "FT1", "", "1,000,000", "126,000,000", "HS1"]))
    assert info.balances[lines[0].booking_date].opening_vnd is None


# --- money columns worded "Rút tiền / Nộp tiền", "Số tiền chuyển đi / Số tiền nhận" ---------------------------
# Unnamed, the first table was refused (no credit column); in the second both headers read as the one
# amount column: the credits (in the unclaimed column) were dropped as zero rows, and the fees read as money in.

@pytest.mark.parametrize("out_header, in_header", [("Rút tiền", "Nộp tiền"), ("Số tiền chuyển đi", "Số tiền nhận"),
                                                   ("Tiền chuyển đi", "Tiền nhận")])
def test_money_columns_worded_as_withdrawal_and_deposit_give_each_row_its_side(out_header, in_header):
    _, lines = read(csv_text(["Ngày giao dịch", "Số chứng từ", out_header, in_header, "Số dư", "Nội dung"],
                             ["24/11/2026", "1", "", "1,000,000", "126,000,000", "HS40881023160"],
                             ["24/11/2026", "2", "11,000", "", "125,989,000", "phi"]))
    assert sides(lines) == [(1_000_000, "credit", "1"), (11_000, "debit", "2")]


# --- the column-number row under the header, and rule rows -----------------------------------------------
# Statements laid out as accounting forms number their columns on the row under the header ("1 2 3 …",
# "(1) (2) …", "A B C 1 2 …"); text exports draw rules ("-----"). Each was read as a transaction with the
# date "2" or "---": invalid_date, the file refused.

STT_HEAD = ["STT", "Ngày giao dịch", "Số tham chiếu", "Ghi nợ", "Ghi có", "Số dư", "Nội dung"]
STT_ROWS = (["1", "24/11/2026", "FT1", "", "1,000,000", "126,000,000", "HS40881023160"],
            ["2", "24/11/2026", "FT2", "11,000", "", "125,989,000", "phi"])


@pytest.mark.parametrize("numbers", [["1", "2", "3", "4", "5", "6", "7"],
                                     ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)"],
                                     ["A", "B", "C", "1", "2", "3", "4"], ["1", "2", "3", "4", "5", "6", ""]])
def test_the_column_number_row_under_the_header_is_skipped(numbers):
    _, lines = read(csv_text(STT_HEAD, numbers, *STT_ROWS))
    assert sides(lines) == [(1_000_000, "credit", "FT1"), (11_000, "debit", "FT2")]


@pytest.mark.parametrize("rule", ["---", "-------", "=====", "_____"])
def test_a_rule_row_is_skipped(rule):
    _, lines = read(csv_text(STT_HEAD, [rule] * 7, STT_ROWS[0], [rule] * 7, STT_ROWS[1], [rule] * 7))
    assert sides(lines) == [(1_000_000, "credit", "FT1"), (11_000, "debit", "FT2")]


def test_a_transaction_row_of_small_numbers_is_still_read_as_one():
    error = refused(csv_text(STT_HEAD, STT_ROWS[0], ["1", "2", "3", "4", "5", "6", "7"]))
    assert error.code == "invalid_date"


def test_a_workbooks_column_numbers_under_its_header_are_skipped():
    _, lines = read(workbook(("Sao ke", [STT_HEAD, [1, 2, 3, 4, 5, 6, 7],
                                        [1, "24/11/2026", "FT1", None, 1_000_000, None, "HS40881023160"]])))
    assert sides(lines) == [(1_000_000, "credit", "FT1")]


# --- header words: a transfer's number, memo and payer as more exports name them ---------------------------

def test_reference_memo_and_payer_headers_as_more_exports_word_them():
    _, lines = read(csv_text(["Ngày giao dịch", "Số hiệu giao dịch", "Người gửi", "Số tiền", "Lời nhắn"],
                             ["24/11/2026", "FT26328001", "NGUYEN VAN A", "1.000.000", "HS40881023160 nop le phi"]))
    [line] = lines
    assert (line.bank_ref, line.payer_name, line.memo) == ("FT26328001", "NGUYEN VAN A", "HS40881023160 nop le phi")


@pytest.mark.parametrize("memo_header", ["Narration", "Lời nhắn", "Loi nhan"])
def test_more_memo_headers(memo_header):
    _, lines = read(csv_text(["Date", "Reference", "Credit", memo_header],
                             ["24/11/2026", "FT1", "1,000,000", "HS1 fee"]))
    assert lines[0].memo == "HS1 fee"


# An account column headed by the side it is on ("Tài khoản ghi có", the account credited) holds account numbers,
# not money: read as the credit column, an account number became the amount of a credit.
def test_an_account_column_named_by_its_side_is_no_money_column():
    _, lines = read(csv_text(["Ngày giao dịch", "Số tham chiếu", "Tài khoản ghi nợ", "Tài khoản ghi có", "Số tiền",
                              "Nội dung"],
                             ["24/11/2026", "FT1", "0123456789", "0071001234567", "1.000.000", "HS40881023160"]))
    assert sides(lines) == [(1_000_000, "credit", "FT1")]


def test_the_senders_message_is_the_memo_not_the_payer():
    _, lines = read(csv_text(["Ngày giao dịch", "Số tham chiếu", "Số tiền", "Lời nhắn người gửi"],
                             ["24/11/2026", "FT1", "1.000.000", "HS40881023160 nop le phi"]))
    assert (lines[0].memo, lines[0].payer_name) == ("HS40881023160 nop le phi", None)


# --- a closing balance stated above the table -----------------------------------------------------------------
# Statements open with a summary (opening, total credit, total debit, closing). The opening was read there, the
# closing not: a file without balances on its lines had no closing, and its day nothing to check.

@pytest.mark.parametrize("summary", [[["Số dư đầu kỳ/ Opening balance:", "125.000.000"],
                                      ["Tổng ghi có/ Total credit:", "30.000"], ["Tổng ghi nợ/ Total debit:", "11.000"],
                                      ["Số dư cuối kỳ/ Closing balance:", "125.019.000"]],
                                     [["Số dư đầu kỳ: 125.000.000", "Số dư cuối kỳ: 125.019.000"]]])
def test_the_summary_above_the_table_gives_the_opening_and_the_closing(summary):
    info, lines = read(csv_text(*summary, [], VCB_HEAD, ["24/11/2026", "5000.1", "", "30.000", "", "HS40881023160"],
                                ["24/11/2026", "5000.2", "11.000", "", "", "phi"]))
    balance = info.balances[lines[0].booking_date]
    assert (balance.opening_vnd, balance.closing_vnd) == (125_000_000, 125_019_000)


# --- the sign-off under the table is no wrapped memo --------------------------------------------------------
# "Ngày in …", "Hà Nội, ngày …", "Người lập biểu", "(Ký, họ tên)" in the memo column (the table's last column,
# where a signature block sits) were appended to the last transfer's memo.

@pytest.mark.parametrize("sign_off", [
    [["Ngày in: 25/11/2026 08:00:00", "", "", "", "", "", ""], ["", "", "", "", "", "", "Người lập biểu"],
     ["", "", "", "", "", "", "(Ký, họ tên)"]],
    [["", "", "", "", "", "", "Người lập biểu"], ["", "", "", "", "", "", "(Ký, họ tên)"]],
    [["", "", "", "", "", "", "Hà Nội, ngày 25 tháng 11 năm 2026"], ["", "", "", "", "", "", "KẾ TOÁN TRƯỞNG"]],
    [["Trang 1/1", "", "", "", "", "", ""], ["", "", "", "", "", "", "Giám đốc"]],
    [["", "", "", "", "", "", "Prepared by"], ["", "", "", "", "", "", "NGUYEN THI B"]],
])
def test_a_sign_off_under_the_table_is_not_the_last_memo(sign_off):
    _, lines = read(csv_text(STT_HEAD, *STT_ROWS, ["", "", "", "", "", "", "ho so dat dai"], *sign_off))
    assert [l.memo for l in lines] == ["HS40881023160", "phi ho so dat dai"]


# --- a total whose reference cell holds a filler ----------------------------------------------------------------
# "-", "N/A", "0" in the reference column say "no reference" (as for a line: `normalise_ref`), but a total row
# holding one was taken for a transfer that names its reference: the day's sum was one more credit.

@pytest.mark.parametrize("filler", ["-", "N/A", "0", "NONREF", "—"])
@pytest.mark.parametrize("day, memo", [("24/11/2026", "Tổng cộng"), ("", "")])
def test_a_total_with_a_filler_for_its_reference_is_no_credit(filler, day, memo):
    _, lines = read(csv_text(REF_TABLE, ["24/11/2026", "FT1", "", "1,000,000", "126,000,000", "HS40881023160"],
                             ["24/11/2026", "FT2", "", "30,000", "", "HS52817959366"],
                             [day, filler, "", "1,030,000", "", memo]))
    assert sides(lines) == [(1_000_000, "credit", "FT1"), (30_000, "credit", "FT2")]


@pytest.mark.parametrize("count", ["2 giao dịch", "2 giao dich", "2 GD", "(2 giao dịch)", "2 transactions",
                                   "Số GD: 2", "2 món", "2 bút toán"])
def test_a_total_whose_reference_cell_counts_the_transfers_is_no_credit(count):
    _, lines = read(csv_text(REF_TABLE, ["24/11/2026", "FT1", "", "1,000,000", "126,000,000", "HS40881023160"],
                             ["24/11/2026", "FT2", "", "30,000", "", "HS52817959366"],
                             ["24/11/2026", count, "", "1,030,000", "", "Tổng cộng"]))
    assert sides(lines) == [(1_000_000, "credit", "FT1"), (30_000, "credit", "FT2")]


def test_a_transfer_with_a_filler_reference_and_a_memo_is_still_a_line():
    _, lines = read(csv_text(REF_TABLE, ["24/11/2026", "FT1", "", "1,000,000", "", "HS40881023160"],
                             ["", "-", "", "30,000", "", "HS52817959366 nop phi"]))
    assert sides(lines) == [(1_000_000, "credit", "FT1"), (30_000, "credit", None)]


@pytest.mark.parametrize("blank", ["-", "...", "—", "*"])
def test_an_undated_sum_whose_text_cells_hold_only_punctuation_is_a_total(blank):
    _, lines = read(csv_text(REF_TABLE, ["24/11/2026", "FT1", "", "1,000,000", "126,000,000", "HS40881023160"],
                             ["24/11/2026", "FT2", "", "30,000", "", "HS52817959366"],
                             ["", blank, "", "1,030,000", blank, blank]))
    assert sides(lines) == [(1_000_000, "credit", "FT1"), (30_000, "credit", "FT2")]


# --- one signed amount column headed debit side first ("Phát sinh Nợ/Có", "Số tiền (Nợ/Có)") ---------------------
# "Phát sinh Có/Nợ" read as the signed amount; written Nợ first, the header was taken for a mark column, the
# table had no money column, and the file was refused (missing_columns).

@pytest.mark.parametrize("header", ["Phát sinh Nợ/Có", "Số tiền (Nợ/Có)", "Debit/Credit amount", "Dr/Cr Amount"])
def test_a_signed_amount_column_named_debit_side_first_is_the_amount(header):
    _, lines = read(csv_text(["Ngày giao dịch", "Số tham chiếu", header, "Nội dung"],
                             ["24/11/2026", "FT1", "1.000.000", "HS40881023160"],
                             ["24/11/2026", "FT2", "-11.000", "phi"]))
    assert sides(lines) == [(1_000_000, "credit", "FT1"), (11_000, "debit", "FT2")]


@pytest.mark.parametrize("out_header, in_header", [("Rút tiền", "Gửi tiền"), ("Phát sinh giảm", "Phát sinh tăng"),
                                                   ("Giảm", "Tăng"), ("PS giảm", "PS tăng")])
def test_money_columns_worded_as_decrease_and_increase_give_each_row_its_side(out_header, in_header):
    _, lines = read(csv_text(["Ngày giao dịch", "Số chứng từ", out_header, in_header, "Nội dung"],
                             ["24/11/2026", "1", "", "1,000,000", "HS40881023160"],
                             ["24/11/2026", "2", "11,000", "", "phi"]))
    assert sides(lines) == [(1_000_000, "credit", "1"), (11_000, "debit", "2")]
