"""Statement parsing, QA round 9: core-banking dates, spreadsheet cells, transaction type columns."""
from datetime import date

import pytest

from reconciliation.statements import StatementError, parse_amount, parse_local_date
from tests.unit.test_parse_fix_tabular import csv_text, read, refused, workbook

HEADER = ["Ngày giao dịch", "Số tham chiếu", "Ghi nợ", "Ghi có", "Nội dung"]


def sides(lines):
    return [(str(l.booking_date), l.amount_vnd, l.direction, l.bank_ref) for l in lines]


# --- 1. `20261124` (YYYYMMDD) and a weekday before the date ------------------------------------------

@pytest.mark.parametrize("cell, day", [("20261124", date(2026, 11, 24)), ("T3, 24/11/2026", date(2026, 11, 24)),
                                       ("Thứ Ba, 24/11/2026", date(2026, 11, 24)), ("CN 29/11/2026", date(2026, 11, 29)),
                                       ("Thứ 7 28/11/2026", date(2026, 11, 28)), ("Chủ nhật, 29/11/2026", date(2026, 11, 29)),
                                       ("Tue, 24/11/2026", date(2026, 11, 24)), ("Thu 26/11/2026", date(2026, 11, 26)),
                                       ("thu 5, 26/11/2026", date(2026, 11, 26)), (20261124, date(2026, 11, 24))])
def test_a_core_banking_date_or_a_date_after_its_weekday_is_read(cell, day):
    assert parse_local_date(cell)[0] == day


def test_a_weekday_and_a_time_around_the_date_keep_the_time():
    day, at = parse_local_date("T3, 24/11/2026 10:15:30")
    assert (day, at.isoformat()) == (date(2026, 11, 24), "2026-11-24T03:15:30+00:00")


@pytest.mark.parametrize("bad", ["20261324", "20260230", "18991124", "26112024", "2026112", "202611245",
                                 "T4, 24/11/2026", "CN 24/11/2026", "Thứ Hai 24/11/2026", 99999999, "T9, 24/11/2026"])
def test_an_eight_digit_number_that_is_no_date_or_a_weekday_the_date_is_not_is_refused(bad):
    with pytest.raises(StatementError) as caught:
        parse_local_date(bad, line_no=3)
    assert (caught.value.code, caught.value.details["line_no"]) == ("invalid_date", 3), bad


def test_a_core_banking_csv_with_yyyymmdd_dates_keeps_its_eight_digit_references_and_amounts():
    _, lines = read(csv_text(HEADER, ["20261124", "20261124", "", "20261124", "HS40881023160 nop le phi"],
                             ["20261125", "FT2", "11000", "", "phi"]))
    assert sides(lines) == [("2026-11-24", 20_261_124, "credit", "20261124"), ("2026-11-25", 11_000, "debit", "FT2")]


def test_a_workbook_date_column_with_weekdays_and_numbers_reads_each_row():
    _, lines = read(workbook([HEADER, ["T3, 24/11/2026", "R1", None, 30000, "x"], [20261125, "R2", None, 40000, "y"]]))
    assert sides(lines) == [("2026-11-24", 30_000, "credit", "R1"), ("2026-11-25", 40_000, "credit", "R2")]


def test_a_csv_date_that_is_no_date_names_its_line():
    error = refused(csv_text(HEADER, ["20261124", "R1", "", "30000", "x"], ["20261131", "R2", "", "1", "y"]))
    assert (error.code, error.details["line_no"]) == ("invalid_date", 2)


# --- 3. a `Loại giao dịch` / `Loại GD` / `Transaction type` column ------------------------------------
# Read as a side mark column by its header alone: a transaction type in it (`Chuyển khoản`) got the file
# refused. Its values decide, as for `Loại`; an unsigned amount beside types has no side to read.

@pytest.mark.parametrize("header", ["Loại giao dịch", "Loại GD", "Transaction type"])
def test_a_transaction_type_column_beside_a_signed_amount_leaves_the_side_to_the_sign(header):
    _, lines = read(csv_text(["Ngày giao dịch", "Số tham chiếu", header, "Số tiền", "Nội dung"],
                             ["24/11/2026", "FT1", "Chuyển khoản", "1.000.000", "HS40881023160 nop le phi"],
                             ["24/11/2026", "FT2", "Nộp tiền mặt", "+50.000", "nop tien"],
                             ["24/11/2026", "FT3", "Phí dịch vụ", "-15.000", "phi SMS"]))
    assert sides(lines) == [("2026-11-24", 1_000_000, "credit", "FT1"), ("2026-11-24", 50_000, "credit", "FT2"),
                            ("2026-11-24", 15_000, "debit", "FT3")]


@pytest.mark.parametrize("header", ["Loại giao dịch", "Loại GD", "Transaction type", "Loại"])
def test_unsigned_amounts_beside_transaction_types_are_refused_naming_the_first_line(header):
    # "Chuyển khoản" is money in or out alike: read as credits, a transfer out would pay a dossier.
    error = refused(csv_text(["Ngày giao dịch", "Số tham chiếu", header, "Số tiền", "Nội dung"],
                             ["24/11/2026", "FT1", "Chuyển khoản", "1.000.000", "HS40881023160 nop le phi"],
                             ["24/11/2026", "FT2", "Chuyển khoản", "300.000", "chuyen tien di"]))
    assert (error.code, error.details["line_no"]) == ("unknown_direction", 1)


def test_a_transaction_type_column_of_side_marks_gives_each_row_its_side():
    _, lines = read(csv_text(["Ngày giao dịch", "Số tham chiếu", "Loại GD", "Số tiền", "Nội dung"],
                             ["24/11/2026", "FT1", "Ghi có", "1.000.000", "x"], ["24/11/2026", "FT2", "Ghi nợ", "15.000", "y"]))
    assert sides(lines) == [("2026-11-24", 1_000_000, "credit", "FT1"), ("2026-11-24", 15_000, "debit", "FT2")]


def test_a_transaction_type_column_beside_debit_and_credit_columns_still_refuses_a_debit_mark_on_a_credit():
    _, lines = read(csv_text(["Ngày giao dịch", "Số tham chiếu", "Transaction type", "Ghi nợ", "Ghi có", "Nội dung"],
                             ["24/11/2026", "FT1", "Chuyển khoản", "", "30.000", "x"],
                             ["24/11/2026", "FT2", "Nộp tiền mặt", "", "40.000", "y"]))
    assert sides(lines) == [("2026-11-24", 30_000, "credit", "FT1"), ("2026-11-24", 40_000, "credit", "FT2")]
    error = refused(csv_text(["Ngày giao dịch", "Số tham chiếu", "Loại GD", "Ghi nợ", "Ghi có", "Nội dung"],
                             ["24/11/2026", "FT1", "Chuyển khoản", "", "30.000", "x"],
                             ["24/11/2026", "FT2", "Chi", "", "40.000", "y"]))
    assert (error.code, error.details["line_no"]) == ("unknown_direction", 2)


# --- 2. spreadsheet cells -------------------------------------------------------------------------------

def sheet(rows: list[list], text_dates: bool = False, hidden: tuple[int, ...] = (), cover: list[list] | None = None):
    """A workbook of `rows`; `text_dates`: column A formatted as text (`@`), as a date pasted as its serial."""
    import io

    from openpyxl import Workbook

    book = Workbook()
    if cover is not None:
        for row in cover:
            book.active.append(row)
        book.active.title = "Bia"
        ws = book.create_sheet("Chi tiet")
    else:
        ws = book.active
    for row in rows:
        ws.append(row)
    for number in hidden:
        ws.row_dimensions[number].hidden = True
    if text_dates:
        for cell in ws["A"]:
            cell.number_format = "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("cell, at", [("46350", None), ("46350.4375", "2026-11-24T03:30:00+00:00"),
                                      (" 46350 ", None)])
def test_a_date_stored_as_its_excel_serial_in_a_text_cell_is_read(cell, at):
    _, [line] = read(sheet([HEADER, [cell, "R1", None, 30000, "x"]], text_dates=True))
    assert (str(line.booking_date), line.booked_at and line.booked_at.isoformat()) == ("2026-11-24", at)


@pytest.mark.parametrize("cell", ["99999", "12345", "46350.4.3", "4635"])
def test_a_serial_of_no_year_a_statement_can_have_is_refused(cell):
    error = refused(sheet([HEADER, [cell, "R1", None, 30000, "x"]], text_dates=True))
    assert (error.code, error.details["line_no"]) == ("invalid_date", 1)


def test_a_workbook_with_a_cover_sheet_and_hidden_rows_reads_every_transaction_of_the_detail_sheet():
    # A hidden row is still the bank's transaction: dropped, its money would be missing from the day.
    cover = [["NGÂN HÀNG TMCP NGOẠI THƯƠNG"], ["SAO KÊ TÀI KHOẢN"], ["Số tài khoản:", "0071001234567"],
             ["Số dư đầu kỳ", 1_000_000], ["Tổng ghi có", 70_000], ["Số dư cuối kỳ", 1_059_000]]
    info, lines = read(sheet([HEADER, ["24/11/2026", "R1", None, 30000, "x"], ["24/11/2026", "R2", None, 40000.0, "y"],
                              ["24/11/2026", "R3", 11000, None, "phi"]], hidden=(3,), cover=cover))
    assert sides(lines) == [("2026-11-24", 30_000, "credit", "R1"), ("2026-11-24", 40_000, "credit", "R2"),
                            ("2026-11-24", 11_000, "debit", "R3")]
    assert info.account == "0071001234567"


def test_an_amount_cell_with_a_fraction_of_a_dong_is_refused_naming_its_line():
    error = refused(sheet([HEADER, ["24/11/2026", "R1", None, 1000000.0, "x"], ["24/11/2026", "R2", None, 1000000.5, "y"]]))
    assert (error.code, error.details["line_no"]) == ("invalid_amount", 2)


@pytest.mark.parametrize("cell, vnd", [(33000.00000000001, 33000), (1500000.000000001, 1500000)])
def test_an_amount_a_formula_left_with_binary_noise_is_the_whole_amount_excel_shows(cell, vnd):
    # Excel keeps 15 significant digits: `=0.1*3*100000` is stored as 30000.000000000004 and shown as 30,000.
    _, [line] = read(sheet([HEADER, ["24/11/2026", "R1", None, cell, "x"]]))
    assert line.amount_vnd == vnd


@pytest.mark.parametrize("cell, vnd", [(0.1 * 3 * 100000, 30000), (1100.0000000000002, 1100), (-15000.000000000002, -15000)])
def test_a_float_cell_past_fifteen_significant_digits_is_read_as_excel_shows_it(cell, vnd):
    assert parse_amount(cell) == vnd


@pytest.mark.parametrize("cell", [30000.000000001, 1000000.5, 0.5])
def test_an_amount_with_a_fraction_excel_would_show_is_refused(cell):
    error = refused(sheet([HEADER, ["24/11/2026", "R1", None, cell, "x"]]))
    assert (error.code, error.details["line_no"]) == ("invalid_amount", 1)


def test_a_whole_balance_of_sixteen_digits_is_kept_to_the_dong():
    assert parse_amount(1_000_000_000_000_001.0, field_name="balance", maximum=10**16) == 1_000_000_000_000_001


@pytest.mark.parametrize("cell", ["Thứ ba, ngày 24/11/2026", "Thứ Ba ngày 24/11/2026", "CN, ngày 29/11/2026"])
def test_a_weekday_and_the_word_ngay_before_the_date_is_a_transaction_not_a_label(cell):
    # Taken for a label (`Hà Nội, ngày …`), the row and its money were skipped without a word.
    _, lines = read(csv_text(HEADER, [cell, "FT1", "", "30.000", "x"], ["24/11/2026", "FT2", "11.000", "", "phi"]))
    assert [(l.amount_vnd, l.direction, l.bank_ref) for l in lines] == [(30_000, "credit", "FT1"),
                                                                        (11_000, "debit", "FT2")]
    assert lines[0].booking_date.weekday() in (1, 6)


def test_a_place_and_date_under_the_table_is_still_its_sign_off():
    _, lines = read(csv_text(HEADER, ["24/11/2026", "FT1", "", "30.000", "x"], ["Hà Nội, ngày 25/11/2026", "", "", "", ""]))
    assert [l.bank_ref for l in lines] == ["FT1"]


@pytest.mark.parametrize("cell", ["20261124101530", 20261124101530, " 20261124101530 "])
def test_a_core_banking_timestamp_yyyymmddhhmmss_is_the_day_and_its_time(cell):
    day, at = parse_local_date(cell)
    assert (day, at.isoformat()) == (date(2026, 11, 24), "2026-11-24T03:15:30+00:00")


@pytest.mark.parametrize("bad", ["20261124251530", "20261124106030", "2026112410153", 20261124106030])
def test_a_timestamp_with_no_such_time_is_refused(bad):
    with pytest.raises(StatementError) as caught:
        parse_local_date(bad, line_no=2)
    assert (caught.value.code, caught.value.details["line_no"]) == ("invalid_date", 2)


@pytest.mark.parametrize("title", ["Bìa", "Trang bìa", "Cover", "Cover page", "Thông tin chung"])
def test_a_cover_sheets_table_of_day_totals_is_not_read_as_transactions(title):
    # Its "Ngày | Ghi có" row is the day's total of the detail sheet: read, the day's money counted twice.
    import io

    from openpyxl import Workbook

    book = Workbook()
    book.active.title = title
    for row in [["SAO KÊ TÀI KHOẢN"], ["Ngày", "Ghi có"], ["24/11/2026", 70000]]:
        book.active.append(row)
    detail = book.create_sheet("Chi tiet")
    for row in [HEADER, ["24/11/2026", "R1", None, 30000, "x"], ["24/11/2026", "R2", None, 40000, "y"]]:
        detail.append(row)
    out = io.BytesIO()
    book.save(out)
    _, lines = read(out.getvalue())
    assert sides(lines) == [("2026-11-24", 30_000, "credit", "R1"), ("2026-11-24", 40_000, "credit", "R2")]
