"""Statement parsing, QA round 14: the side of an unsigned amount, payer columns, dates, MT940 references,
and exports as Vietnamese banks write them."""
import pytest

from tests.unit.test_parse_fix_tabular import csv_text, read, refused, workbook

CODE = "HS40881023160"


def sides(lines):
    return [(line.line_no, line.direction, line.amount_vnd) for line in lines]


# --- 1. one unsigned amount column beside a running balance: the balance tells the side ----------------------
# A bank fee (`11.000`, the balance going down) was read as a credit and credited to a payment request.

HEAD = ["Ngày giao dịch", "Số tham chiếu", "Số tiền", "Số dư", "Nội dung"]


def test_a_fee_whose_balance_goes_down_is_a_debit_after_an_opening_in_the_letterhead():
    _, lines = read("Số dư đầu kỳ: 1.000.000\n" + csv_text(
        HEAD, ["24/11/2026", "FT1", "11.000", "989.000", "Phi SMS Banking"],
        ["24/11/2026", "FT2", "30.000", "1.019.000", CODE]))
    assert sides(lines) == [(1, "debit", 11_000), (2, "credit", 30_000)]


def test_the_first_row_is_told_by_the_opening_row_of_the_table_and_the_next_by_the_row_above():
    """ACB, Agribank open the table with a `Số dư đầu kỳ` row; the rows after take the balance of the row above."""
    _, lines = read(csv_text(
        HEAD, ["Số dư đầu kỳ", "", "", "1.000.000", ""],
        ["23/11/2026", "FT0", "500.000", "1.500.000", "Nop tien"],
        ["24/11/2026", "FT1", "11.000", "1.489.000", "Phi"],
        ["24/11/2026", "FT2", "30.000", "1.519.000", CODE]))
    assert sides(lines) == [(1, "credit", 500_000), (2, "debit", 11_000), (3, "credit", 30_000)]


def test_a_newest_first_export_reads_each_side_from_the_row_below():
    _, lines = read("Số dư đầu kỳ: 1.000.000\n" + csv_text(
        HEAD, ["25/11/2026", "FT3", "30.000", "1.008.000", CODE],
        ["24/11/2026", "FT2", "11.000", "978.000", "Phi quan ly tai khoan"],
        ["24/11/2026", "FT1", "11.000", "989.000", "Phi SMS"]))
    assert sides(lines) == [(1, "credit", 30_000), (2, "debit", 11_000), (3, "debit", 11_000)]


def test_a_day_of_rows_with_the_balance_on_its_last_row_only_is_told_when_the_day_moved_by_their_sum():
    _, lines = read("Số dư đầu kỳ: 1.000.000\n" + csv_text(
        HEAD, ["24/11/2026", "FT1", "30.000", "", CODE],
        ["24/11/2026", "FT2", "50.000", "1.080.000", "HS21890246178"]))
    assert sides(lines) == [(1, "credit", 30_000), (2, "credit", 50_000)]


def test_a_group_of_unsigned_amounts_of_both_sides_is_refused_not_guessed():
    error = refused("Số dư đầu kỳ: 1.000.000\n" + csv_text(
        HEAD, ["24/11/2026", "FT1", "30.000", "", CODE],
        ["24/11/2026", "FT2", "11.000", "1.019.000", "Phi"]))
    assert (error.code, error.details["line_no"]) == ("amount_side_unknown", 1)


def test_a_first_row_with_no_balance_before_it_is_refused_naming_the_line():
    error = refused(csv_text(
        HEAD, ["24/11/2026", "FT1", "11.000", "989.000", "Phi SMS"],
        ["24/11/2026", "FT2", "30.000", "1.019.000", CODE]))
    assert (error.code, error.details["line_no"]) == ("amount_side_unknown", 1)
    assert "balance" in str(error)


def test_a_balance_that_moves_by_neither_side_of_the_amount_is_refused():
    error = refused("Số dư đầu kỳ: 1.000.000\n" + csv_text(
        HEAD, ["24/11/2026", "FT1", "30.000", "1.030.000", CODE],
        ["24/11/2026", "FT2", "11.000", "1.025.000", "Phi"]))
    assert (error.code, error.details["line_no"]) == ("amount_side_unknown", 2)


def test_an_xlsx_with_number_cells_reads_the_fee_as_a_debit():
    _, lines = read(workbook([
        ["NGÂN HÀNG TMCP ĐẦU TƯ VÀ PHÁT TRIỂN VIỆT NAM"], ["Số dư đầu kỳ", 1_000_000], [],
        ["Ngày GD", "Số tiền", "Số dư", "Diễn giải"],
        ["24/11/2026", 30_000, 1_030_000, CODE],
        ["24/11/2026", 11_000, 1_019_000, "Thu phi SMS"],
        ["Tổng cộng", 41_000, None, None]]), "xlsx")
    assert sides(lines) == [(1, "credit", 30_000), (2, "debit", 11_000)]


def test_a_signed_column_is_read_by_its_signs_and_its_unsigned_first_row_stays_a_credit():
    """One rule: a side the amount writes is the side; an unsigned amount the balance cannot tell is a credit
    only where the column writes the debits' minus (the bank's convention), as before."""
    _, lines = read(csv_text(
        HEAD, ["24/11/2026", "FT1", "30.000", "1.030.000", CODE],
        ["24/11/2026", "FT2", "-11.000", "1.019.000", "Phi"]))
    assert sides(lines) == [(1, "credit", 30_000), (2, "debit", 11_000)]


def test_a_transaction_type_column_beside_a_balance_is_told_by_the_balance():
    _, lines = read("Số dư đầu kỳ: 1.000.000\n" + csv_text(
        ["Ngày", "Loại", "Số tiền", "Số dư", "Nội dung"],
        ["24/11/2026", "Chuyển khoản", "30.000", "1.030.000", CODE],
        ["24/11/2026", "Phí dịch vụ", "11.000", "1.019.000", "Phi"]))
    assert sides(lines) == [(1, "credit", 30_000), (2, "debit", 11_000)]


def test_a_fee_column_beside_the_unsigned_amount_is_counted_in_the_balances_move():
    _, lines = read("Số dư đầu kỳ: 1.000.000\n" + csv_text(
        ["Ngày", "Số tiền", "Phí", "Số dư", "Nội dung"],
        ["24/11/2026", "30.000", "1.100", "1.028.900", CODE]))
    assert [(l.direction, l.amount_vnd) for l in lines] == [("credit", 30_000), ("debit", 1_100)]


def test_one_day_without_times_that_fits_both_orders_differently_is_refused():
    error = refused(csv_text(
        HEAD, ["24/11/2026", "FT1", "30.000", "1.030.000", CODE],
        ["24/11/2026", "FT2", "30.000", "1.060.000", CODE]))
    assert error.code == "amount_side_unknown"


# --- 2. payer columns: the payer's name and account as exports head them ---------------------------------------

@pytest.mark.parametrize("header", ["Sender name", "Tên người nộp", "Tên người chuyển", "Counterparty",
                                    "Counterparty name", "Người nộp tiền", "Tên người gửi tiền"])
def test_a_payer_column_is_read_as_the_payers_name(header):
    _, [line] = read(csv_text(["Ngày", "Số tiền", header, "Nội dung"],
                              ["24/11/2026", "30.000", "NGUYEN VAN A", CODE]))
    assert (line.payer_name, line.amount_vnd, line.memo) == ("NGUYEN VAN A", 30_000, CODE)


@pytest.mark.parametrize("header", ["Remitter A/C", "Remitter Acc", "Sender account", "Số TK người nộp",
                                    "Tài khoản người gửi"])
def test_an_account_header_beside_the_payer_is_the_payers_account_not_their_name(header):
    _, [line] = read(csv_text(["Ngày", "Số tiền", "Remitter", header, "Nội dung"],
                              ["24/11/2026", "30.000", "NGUYEN VAN A", "0123456789", CODE]))
    assert (line.payer_name, line.payer_account) == ("NGUYEN VAN A", "0123456789")


@pytest.mark.parametrize("header", ["Ngân hàng đối tác", "Counterparty bank", "Counterparty ref", "Sender's message"])
def test_the_payers_bank_or_reference_is_not_their_name(header):
    _, [line] = read(csv_text(["Ngày", "Số tiền", header, "Nội dung"],
                              ["24/11/2026", "30.000", "VCB", CODE]))
    assert line.payer_name is None


# --- 3. dates: a weekday after the date, `Ngày` before it, a time as HHMMSS, no serial in a CSV's text ---------

@pytest.mark.parametrize("cell", ["24/11/2026 (T3)", "24/11/2026 (Thứ Ba)", "24/11/2026 (Tue)", "24/11/2026 Tue",
                                  "Ngày 24/11/2026", "ngày 24/11/2026"])
def test_a_date_with_its_weekday_after_it_or_the_word_ngay_before_it_is_read(cell):
    _, [line] = read(csv_text(["Ngày giao dịch", "Số tiền", "Nội dung"], [cell, "30.000", CODE]))
    assert str(line.booking_date) == "2026-11-24"


@pytest.mark.parametrize("cell", ["24/11/2026 (T4)", "24/11/2026 (CN)", "24/11/2026 (abc)"])
def test_a_date_with_another_weekday_or_words_after_it_is_refused(cell):
    error = refused(csv_text(["Ngày giao dịch", "Số tiền", "Nội dung"], [cell, "30.000", CODE]))
    assert (error.code, error.details["line_no"]) == ("invalid_date", 1)


@pytest.mark.parametrize("cell, at", [("143005", "2026-11-24T07:30:05+00:00"), ("093005", "2026-11-24T02:30:05+00:00"),
                                      ("93005", "2026-11-24T02:30:05+00:00")])
def test_a_time_column_of_six_digits_is_hhmmss(cell, at):
    _, [line] = read(csv_text(["Ngày", "Giờ", "Số tiền", "Nội dung"], ["24/11/2026", cell, "30.000", CODE]))
    assert line.booked_at.isoformat() == at


def test_a_time_number_cell_of_six_digits_in_a_workbook_is_hhmmss_not_midnight():
    _, [line] = read(workbook([["Ngày", "Giờ", "Số tiền", "Nội dung"], ["24/11/2026", 143005, 30000, CODE]]), "xlsx")
    assert line.booked_at.isoformat() == "2026-11-24T07:30:05+00:00"


@pytest.mark.parametrize("cell", ["253005", "146005", "1430055"])
def test_a_time_of_digits_that_is_no_time_is_refused(cell):
    error = refused(csv_text(["Ngày", "Giờ", "Số tiền", "Nội dung"], ["24/11/2026", cell, "30.000", CODE]))
    assert (error.code, error.details["line_no"]) == ("invalid_date", 1)


@pytest.mark.parametrize("cell", ["46350", "46350.4375", "45000"])
def test_five_digits_in_a_csv_date_column_are_no_excel_serial(cell):
    """Only a workbook's cell can hold a serial; in a CSV's text it is no date a bank prints."""
    error = refused(csv_text(["Ngày", "Số tiền", "Nội dung"], [cell, "30.000", CODE]))
    assert (error.code, error.details["line_no"]) == ("invalid_date", 1)


def test_a_workbook_number_cell_is_still_read_as_its_excel_serial():
    _, [line] = read(workbook([["Ngày", "Số tiền", "Nội dung"], [46350, 30000, CODE]]), "xlsx")
    assert str(line.booking_date) == "2026-11-24"


# --- 4. MT940: a customer reference longer than SWIFT's 16 characters is read whole -----------------------------

def mt940(refs: str, details: str = "NOP PHI") -> str:
    return (":20:S\n:25:0071001234567\n:28C:1/1\n:60F:C261123VND1000000,\n"
            f":61:2611241124C30000,NTRF{refs}\n:86:{details}\n:62F:C261124VND1030000,\n")


@pytest.mark.parametrize("refs", ["TT HS40881023160 NOPLEPHI//FT26328000001",
                                  "TT HS40881023160 NOPLEPHI//FT26328000001\nCT TU NGUYEN VAN A"])
def test_a_long_customer_reference_keeps_the_bank_reference_and_the_whole_code(refs):
    from payments import codes

    _, [line] = read(mt940(refs))
    assert line.bank_ref == "FT26328000001"
    assert line.memo.startswith("TT HS40881023160 NOPLEPHI")
    assert CODE in [found.code for found in codes.scan_memo(line.memo)]


def test_a_long_customer_reference_without_a_bank_reference_is_read_whole():
    # Into the memo since round 17 (the customer's reference is the payer's text, no bank's reference).
    _, [line] = read(mt940("HS40881023160NOPLEPHI"))
    assert (line.bank_ref, line.memo) == (None, "HS40881023160NOPLEPHI NOP PHI")


def test_a_bank_reference_longer_than_the_patterns_23_characters_is_read_whole():
    _, [line] = read(mt940("NONREF//FT263280000010000000000001"))
    assert line.bank_ref == "FT263280000010000000000001"


def test_a_short_customer_reference_with_its_details_reads_as_before():
    _, [line] = read(mt940("HS40881023160//FT26328000001\nCT TU NGUYEN VAN A"))
    assert (line.bank_ref, line.memo) == ("FT26328000001", "HS40881023160 CT TU NGUYEN VAN A NOP PHI")


# --- 5. exports as Vietnamese banks write them ----------------------------------------------------------------

def test_a_dated_total_row_of_an_unsigned_table_is_a_total_while_the_sides_are_untold():
    """One day without times: the sides are told at the table's end, and the total below (credits and debits
    together) was read as a transaction then, no balance telling its side: the file refused."""
    _, lines = read("Số dư đầu kỳ: 1.000.000\n" + csv_text(
        ["Ngày", "Nội dung", "Số tiền", "Số dư"],
        ["24/11/2026", CODE, "30.000", "1.030.000"], ["24/11/2026", "Phi", "11.000", "1.019.000"],
        ["24/11/2026", "Tổng cộng", "41.000", ""]))
    assert sides(lines) == [(1, "credit", 30_000), (2, "debit", 11_000)]


def test_a_dated_total_of_all_the_money_of_a_signed_column_is_a_total():
    _, lines = read(csv_text(["Ngày", "Nội dung", "Số tiền"], ["24/11/2026", CODE, "30.000"],
                             ["24/11/2026", "Phi", "-11.000"], ["24/11/2026", "Tổng cộng", "41.000"]))
    assert sides(lines) == [(1, "credit", 30_000), (2, "debit", 11_000)]


@pytest.mark.parametrize("bank, rows", [
    ("BIDV", [["NGÂN HÀNG TMCP ĐẦU TƯ VÀ PHÁT TRIỂN VIỆT NAM"], ["Số tài khoản/Account No:", "12010000123456"],
              ["Số dư đầu kỳ/Opening balance:", "1,000,000"], [],
              ["STT/No.", "Ngày giao dịch/Txn date", "Số tham chiếu/Ref No", "Số tiền/Amount", "Số dư/Balance",
               "Mô tả/Description"],
              ["1", "24/11/2026 10:15:02", "FT1", "30,000", "1,030,000", CODE],
              ["2", "24/11/2026 11:00:00", "FT2", "11,000", "1,019,000", "Phi SMS"], [],
              ["", "Tổng cộng/Total", "", "41,000", "", ""],
              ["", "Số dư cuối kỳ/Closing balance", "", "", "1,019,000", ""]]),
    ("VietinBank", [["VietinBank"], ["Số tài khoản: 105000123456"], ["Số dư đầu kỳ: 1.000.000"], [],
                    ["STT", "Thời gian giao dịch", "Nội dung giao dịch", "Số tiền giao dịch", "Số dư", "Tên đối ứng"],
                    ["1", "24/11/2026 09:01:02", "Phi dich vu", "11.000", "1.019.000", ""],
                    ["2", "24/11/2026 08:01:02", "CT DEN " + CODE, "30.000", "1.030.000", "NGUYEN VAN A"]]),
    ("Techcombank", [["Techcombank"], ["Số dư đầu kỳ", "1 000 000"],
                     ["Ngày giao dịch/Transaction Date", "Đối tác/Remitter", "Diễn giải/Details", "Số tiền/Amount",
                      "Số dư/Balance"],
                     ["24/11/2026", "NGUYEN VAN A", CODE, "30 000", "1 030 000"],
                     ["25/11/2026", "", "Phi", "11 000", "1 019 000"]]),
    ("MB", [["NGÂN HÀNG TMCP QUÂN ĐỘI"], ["Số dư đầu kỳ", "1.000.000"], ["Số bút toán", "Ngày giao dịch", "Số tiền",
                                                                         "Số dư", "Nội dung"],
            ["FT1", "24/11/2026", "30.000", "1.030.000", CODE], ["FT2", "24/11/2026", "(11.000)", "1.019.000", "Phi"]]),
])
def test_bank_exports_with_one_amount_column_read_the_fee_as_money_out(bank, rows):
    _, lines = read(csv_text(*rows))
    assert sorted((line.direction, line.amount_vnd) for line in lines) == [("credit", 30_000), ("debit", 11_000)]


@pytest.mark.parametrize("newest_first", [False, True])
def test_a_long_unsigned_table_is_told_row_by_row_without_being_kept_whole(newest_first, monkeypatch):
    from reconciliation import balance_sides

    kept = []
    monkeypatch.setattr(balance_sides.BalanceSides, "ready", _spy(balance_sides.BalanceSides.ready, kept))
    rows, balance = [], 1_000_000
    for n in range(10_000):
        amount = 30_000 if n % 3 else 11_000
        balance += amount if n % 3 else -amount
        rows.append([f"{1 + n // 1000:02d}/11/2026", f"FT{n}", f"{amount:,}", f"{balance:,}", CODE])
    body = rows[::-1] if newest_first else rows
    _, lines = read(csv_text(["Số dư đầu kỳ: 1,000,000"], HEAD, *body))
    expected = [("debit" if n % 3 == 0 else "credit") for n in range(10_000)]
    assert [line.direction for line in lines] == (expected[::-1] if newest_first else expected)
    assert max(kept) < 9_000


def _spy(ready, kept):
    def spied(self, keep):
        kept.append(len(self.rows))
        return ready(self, keep)
    return spied


def test_a_workbook_of_a_sheet_a_day_opens_each_sheet_where_the_one_before_closed():
    from openpyxl import Workbook
    import io

    book = Workbook()
    first = book.active
    first.title = "24-11"
    for row in (["Số dư đầu kỳ", 1_000_000], ["Ngày", "Số tiền", "Số dư", "Nội dung"],
                ["24/11/2026", 30_000, 1_030_000, CODE]):
        first.append(row)
    second = book.create_sheet("25-11")
    for row in (["Ngày", "Số tiền", "Số dư", "Nội dung"], ["25/11/2026", 11_000, 1_019_000, "Phi"],
                ["25/11/2026", 50_000, 1_069_000, "HS21890246178"]):
        second.append(row)
    out = io.BytesIO()
    book.save(out)
    _, lines = read(out.getvalue(), "xlsx")
    assert sides(lines) == [(1, "credit", 30_000), (2, "debit", 11_000), (3, "credit", 50_000)]


def test_a_column_that_marks_only_its_credits_leaves_an_untold_unsigned_amount_refused():
    """`+30.000` for money in says nothing of an unsigned `11.000` no balance tells: not read as a credit."""
    error = refused(csv_text(HEAD, ["24/11/2026", "FT1", "11.000", "989.000", "Phi"],
                             ["24/11/2026", "FT2", "+30.000", "1.019.000", CODE]))
    assert (error.code, error.details["line_no"]) == ("amount_side_unknown", 1)


def test_a_newest_first_table_ending_with_the_periods_opening_opens_its_oldest_row():
    _, lines = read(csv_text(
        ["STT", "Thời gian giao dịch", "Nội dung giao dịch", "Số tiền giao dịch", "Số dư"],
        ["1", "24/11/2026 09:01:02", "Phi dich vu", "11.000", "1.019.000"],
        ["2", "24/11/2026 08:01:02", "CT DEN " + CODE, "30.000", "1.030.000"],
        ["", "Số dư đầu kỳ", "", "", "1.000.000"]))
    assert sides(lines) == [(1, "debit", 11_000), (2, "credit", 30_000)]


def test_an_oldest_first_table_ending_with_an_opening_label_still_refuses_its_first_row():
    error = refused(csv_text(
        ["STT", "Thời gian giao dịch", "Nội dung giao dịch", "Số tiền giao dịch", "Số dư"],
        ["1", "24/11/2026 08:01:02", "Phi dich vu", "11.000", "989.000"],
        ["2", "24/11/2026 09:01:02", "CT DEN " + CODE, "30.000", "1.019.000"],
        ["", "Số dư đầu kỳ", "", "", "1.000.000"]))
    assert (error.code, error.details["line_no"]) == ("amount_side_unknown", 1)
