"""Statement files as banks really write them: two-row headers, direction markers, several sheets,
footers, header wording, date and time forms, encodings, MT940 and camt variants. Each case is a
small file seen in the wild (QA pass); the rule is: read it right or refuse it, never misread it."""
import io
import unicodedata
from datetime import date, datetime, time, timezone

import pytest

from kernel.money import MAX_MONEY_VND
from reconciliation.statements import StatementError, parse_statement

ACCOUNT = "0071001234567"


def read(data: bytes | str, fmt=None):
    raw = data.encode() if isinstance(data, str) else data
    info, lines = parse_statement(io.BytesIO(raw), fmt)
    return info, list(lines)


def money(lines):
    return [(l.amount_vnd, l.direction) for l in lines]


def refused(data: bytes | str, fmt=None) -> StatementError:
    with pytest.raises(StatementError) as caught:
        read(data, fmt)
    return caught.value


def workbook(*sheets: tuple[str, list[list]], active: int = 0) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.active = active
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- 1. two-row headers ---------------------------------------------------------------

def test_a_two_row_header_reads_debit_and_credit_under_a_merged_amount_cell():
    text = ("Ngày GD,Số CT,Số tiền,,Số dư,Nội dung\n,,Nợ,Có,,\n"
            "24/11/2026,FT001,,1500000,126500000,HS40881023160\n24/11/2026,FT002,11000,,126489000,PHI SMS\n")
    _, lines = read(text)
    assert money(lines) == [(1_500_000, "credit"), (11_000, "debit")]
    assert [l.memo for l in lines] == ["HS40881023160", "PHI SMS"]


def test_a_two_row_header_in_a_spreadsheet_reads_debit_and_credit():
    data = workbook(("Sheet", [["Ngày GD", "Số CT", "Số tiền", None, "Số dư", "Nội dung"],
                               [None, None, "Nợ", "Có", None, None],
                               ["24/11/2026", "FT001", None, 1500000, 126500000, "HS40881023160"],
                               ["24/11/2026", "FT002", 11000, None, 126489000, "PHI SMS"]]))
    _, lines = read(data)
    assert money(lines) == [(1_500_000, "credit"), (11_000, "debit")]


def test_a_two_row_header_with_english_sub_columns_reads_debit_and_credit():
    text = ("Date,Ref,Amount,,Description\n,,Dr,Cr,\n24/11/2026,A1,,30000,a\n24/11/2026,A2,500,,b\n")
    assert money(read(text)[1]) == [(30_000, "credit"), (500, "debit")]


def test_a_header_row_followed_by_a_data_row_is_not_combined_with_it():
    text = "Ngày,Số CT,Ghi nợ,Ghi có,Nội dung\n24/11/2026,A1,,30000,Nợ phí\n"
    assert money(read(text)[1]) == [(30_000, "credit")]


# --- 2. direction markers -------------------------------------------------------------

@pytest.mark.parametrize("marker,direction", [
    ("C", "credit"), ("D", "debit"), ("Dr", "debit"), ("Cr", "credit"), ("D/Debit", "debit"),
    ("C/Credit", "credit"), ("Chi", "debit"), ("Thu", "credit"), ("Ghi nợ", "debit"), ("Ghi có", "credit"),
    ("DEBIT", "debit"), ("Nợ", "debit"), ("Có", "credit"), ("OUT", "debit"), ("IN", "credit"), ("-", "debit"),
    ("+", "credit")])
def test_a_direction_column_reads_the_common_vietnamese_and_english_markers(marker, direction):
    text = f"Ngày GD,Số tiền,Nợ/Có,Nội dung\n24/11/2026,11000,{marker},x\n"
    assert money(read(text)[1]) == [(11_000, direction)]


def test_a_transaction_type_column_gives_the_direction():
    text = ("Ngày giao dịch,Mã giao dịch,Loại giao dịch,Số tiền,Số dư,Nội dung\n"
            "24/11/2026,FT001,Ghi có,1500000,126500000,HS40881023160\n24/11/2026,FT002,Ghi nợ,11000,126489000,PHI\n")
    assert money(read(text)[1]) == [(1_500_000, "credit"), (11_000, "debit")]


def test_an_unknown_direction_marker_is_refused_not_read_as_a_credit():
    error = refused("Ngày GD,Số tiền,Nợ/Có,Nội dung\n24/11/2026,80000,XYZ,fee\n")
    assert error.code == "unknown_direction" and error.status == 400


def test_a_marker_that_contradicts_the_sign_of_the_amount_is_refused():
    assert refused("Ngày GD,Số tiền,Nợ/Có,Nội dung\n24/11/2026,-80000,C,fee\n").code == "unknown_direction"


def test_a_blank_marker_falls_back_to_the_sign_of_the_amount():
    text = "Ngày GD,Số tiền,Nợ/Có,Nội dung\n24/11/2026,-11000,,fee\n24/11/2026,30000,,HS1\n"
    assert money(read(text)[1]) == [(11_000, "debit"), (30_000, "credit")]


# --- 3. workbooks with several sheets --------------------------------------------------

HEADER = ["Ngày GD", "Số CT", "Ghi nợ", "Ghi có", "Nội dung"]


def test_every_sheet_with_a_transaction_header_is_read_in_order():
    data = workbook(("24-11", [HEADER, ["24/11/2026", "FT001", None, 1500000, "HS40881023160"]]),
                    ("25-11", [HEADER, ["25/11/2026", "FT002", None, 30000, "HS21890246178"]]))
    _, lines = read(data)
    assert [(l.line_no, l.booking_date, l.amount_vnd) for l in lines] == [
        (1, date(2026, 11, 24), 1_500_000), (2, date(2026, 11, 25), 30_000)]


def test_a_summary_sheet_first_is_skipped_and_its_total_is_not_a_transaction():
    data = workbook(("Tong hop", [["Ngày", "Tổng ghi có", "Số giao dịch"], ["24/11/2026", 1530000, 2]]),
                    ("Chi tiet", [HEADER, ["24/11/2026", "FT001", None, 1500000, "HS40881023160"],
                                  ["24/11/2026", "FT002", None, 30000, "HS21890246178"]]))
    _, lines = read(data)
    assert [(l.bank_ref, l.amount_vnd) for l in lines] == [("FT001", 1_500_000), ("FT002", 30_000)]


def test_an_empty_active_sheet_does_not_hide_the_sheet_with_the_lines():
    data = workbook(("Sheet", [HEADER]), ("Data", [HEADER, ["24/11/2026", "FT001", None, 1500000, "HS1"]]))
    assert money(read(data)[1]) == [(1_500_000, "credit")]


def test_a_sheet_repeating_the_lines_of_another_is_refused():
    row = ["24/11/2026", "FT001", None, 1500000, "HS1"]
    data = workbook(("All", [HEADER, row]), ("24-11", [HEADER, row]))
    assert refused(data).code == "overlapping_sheets"


def test_a_workbook_without_any_transaction_header_is_refused():
    assert refused(workbook(("A", [["x", "y"]]), ("B", [["z"]]))).code == "missing_columns"


# --- 5. MT940 intermediate balances ----------------------------------------------------

def test_intermediate_mt940_balances_are_not_the_days_opening_or_closing():
    part1 = (":20:A\n:25:0071001234567\n:28C:1/1\n:60F:C261124VND1000,\n"
             ":61:2611241124C500,NTRFR1//R1\n:86:HS1\n:62M:C261124VND1500,\n-\n")
    part2 = (":20:A\n:25:0071001234567\n:28C:1/2\n:60M:C261124VND1500,\n"
             ":61:2611241124C250,NTRFR2//R2\n:86:HS2\n:62F:C261124VND1750,\n-\n")
    info, _ = read(part1)
    assert (info.balances[date(2026, 11, 24)].opening_vnd, info.balances[date(2026, 11, 24)].closing_vnd) == \
        (1000, None)
    info, _ = read(part2)
    assert (info.balances[date(2026, 11, 24)].opening_vnd, info.balances[date(2026, 11, 24)].closing_vnd) == \
        (None, 1750)
    info, _ = read(part1 + part2)
    assert (info.balances[date(2026, 11, 24)].opening_vnd, info.balances[date(2026, 11, 24)].closing_vnd) == \
        (1000, 1750)


# --- 6. absurd amounts ----------------------------------------------------------------

def test_a_line_above_the_cap_is_refused_with_a_stable_code():
    error = refused("Ngày,Số CT,Ghi nợ,Ghi có,Nội dung\n24/11/2026,A1,,9000000000000,HS40881023160 big\n")
    assert error.code == "amount_out_of_range" and error.status == 400
    assert money(read(f"Ngày,Ghi nợ,Ghi có,Nội dung\n24/11/2026,,{MAX_MONEY_VND},x\n")[1]) == [(MAX_MONEY_VND, "credit")]


def test_a_large_balance_is_still_read():
    text = "Ngày,Ghi nợ,Ghi có,Số dư,Nội dung\n24/11/2026,,30000,2.500.000.000.000,x\n"
    assert read(text)[1][0].balance_after_vnd == 2_500_000_000_000


# --- 7. dates out of range, Excel times ------------------------------------------------

@pytest.mark.parametrize("day", ["31/12/9999", "01/01/0001", "24/11/1970", "01/01/2101"])
def test_a_date_outside_2000_2100_is_refused(day):
    error = refused(f"Ngày,Số CT,Ghi nợ,Ghi có,Nội dung\n{day},A1,,30000,x\n")
    assert error.code == "invalid_date" and error.status == 400


def test_two_digit_years_are_this_century():
    assert read("Ngày,Ghi nợ,Ghi có,Nội dung\n24/11/26,,30000,x\n")[1][0].booking_date == date(2026, 11, 24)


def test_an_excel_time_cell_is_read_as_a_number_or_a_time():
    data = workbook(("Sheet", [["Ngày GD", "Giờ GD", "Số CT", "Ghi nợ", "Ghi có", "Nội dung"],
                               [datetime(2026, 11, 24), time(10, 15, 22), "FT001", None, 1500000, "HS1"],
                               [datetime(2026, 11, 24), 0.5, "FT002", None, 30000, "HS2"]]))
    _, lines = read(data)
    assert [l.booked_at for l in lines] == [datetime(2026, 11, 24, 3, 15, 22, tzinfo=timezone.utc),
                                            datetime(2026, 11, 24, 5, 0, tzinfo=timezone.utc)]


def test_a_camt053_or_mt940_date_outside_the_range_is_refused():
    camt = _camt("<Ntry><Amt Ccy=\"VND\">30000</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
                 "<BookgDt><Dt>1970-11-24</Dt></BookgDt><AcctSvcrRef>R1</AcctSvcrRef></Ntry>")
    assert refused(camt).code == "invalid_date"


# --- 8. footers, page marks, repeated headers -------------------------------------------

def test_footer_rows_with_a_print_date_a_place_and_a_signature_are_not_transactions():
    text = ("Ngày GD/ TNX Date,Số CT/ Doc No,Số tiền ghi nợ/ Debit,Số tiền ghi có/ Credit,Số dư/ Balance,"
            "Nội dung chi tiết/ Transactions in detail\n"
            '24/11/2026,5000.96828,"","30.000","","HS40881023160"\n'
            '24/11/2026,5001.63317,"","350.000","","HS21890246178"\n'
            '"Tổng cộng/ Total",,"0","380.000",,\n"Ngày in/ Print date: 25/11/2026 08:00:00",,,,,\n'
            '"Hà Nội, ngày 25/11/2026",,,,,\n"Người lập biểu",,,,,\n')
    assert money(read(text)[1]) == [(30_000, "credit"), (350_000, "credit")]


def test_a_page_mark_and_a_repeated_header_mid_file_are_skipped():
    text = ("Ngày,Số CT,Ghi nợ,Ghi có,Số dư,Nội dung\n24/11/2026,A1,,1500000,,a\nTrang 1/2,,,,,\n"
            "Ngày,Số CT,Ghi nợ,Ghi có,Số dư,Nội dung\n24/11/2026,A2,,30000,,b\n")
    assert [(l.line_no, l.bank_ref) for l in read(text)[1]] == [(1, "A1"), (2, "A2")]


def test_a_day_subtotal_is_not_a_transaction():
    text = ("Ngày,Số CT,Ghi nợ,Ghi có,Nội dung\n24/11/2026,A1,,1500000,a\nCộng ngày 24/11/2026,,,1500000,\n"
            "25/11/2026,A2,,30000,b\n")
    assert [l.bank_ref for l in read(text)[1]] == ["A1", "A2"]


def test_a_subtotal_labelled_in_another_column_is_not_a_transaction_even_with_a_date():
    text = ("STT,Ngày,Số CT,Ghi nợ,Ghi có,Nội dung\n1,24/11/2026,A1,,1500000,a\n"
            "Cộng ngày,24/11/2026,,,1500000,\n2,25/11/2026,A2,,30000,b\n")
    assert [l.bank_ref for l in read(text)[1]] == ["A1", "A2"]


def test_a_closing_balance_row_in_the_number_column_gives_the_closing_balance():
    text = ("Số dư đầu kỳ;125.000.000,00;;;;;\n"
            "STT;Ngày hiệu lực;Số tham chiếu;Số tiền ghi nợ;Số tiền ghi có;Số dư;Mô tả\n"
            "1;24/11/2026;FT1;;1.500.000,00;126.500.000,00;HS40881023160 nop le phi\n"
            "2;24/11/2026;FT2;11.000,00;;126.489.000,00;THU PHI SMS\n"
            ";;;;;;nop le phi ho so\nTổng cộng;;;11.000,00;1.500.000,00;;\nSố dư cuối kỳ;126.489.000,00;;;;;\n")
    info, lines = read(text)
    assert money(lines) == [(1_500_000, "credit"), (11_000, "debit")]
    assert info.balances[date(2026, 11, 24)].closing_vnd == 126_489_000


def test_names_that_look_like_labels_are_still_transactions():
    text = ("Ngày,Đơn vị,Ghi nợ,Ghi có,Nội dung\n24/11/2026,Công ty ABC,,30000,Tổng cục nộp HS1\n"
            "24/11/2026,TRANG NGUYEN,,20000,Trang nop HS2\n24/11/2026,Tống Văn A,,10000,HS3\n")
    assert money(read(text)[1]) == [(30_000, "credit"), (20_000, "credit"), (10_000, "credit")]


# --- 9. header wording ---------------------------------------------------------------

@pytest.mark.parametrize("header", ["Ngày giờ giao dịch", "Date/Time", "Ngày giờ"])
def test_a_date_time_column_gives_the_day_and_the_time(header):
    _, [line] = read(f"{header},Số tham chiếu,Ghi nợ,Ghi có,Nội dung\n24/11/2026 10:15:22,FT001,,1500000,HS1\n")
    assert line.booking_date == date(2026, 11, 24)
    assert line.booked_at == datetime(2026, 11, 24, 3, 15, 22, tzinfo=timezone.utc)


def test_a_value_date_column_is_the_value_date_not_the_amount():
    text = "Ngày giao dịch,Ngày giá trị,Số tiền,Nội dung\n24/11/2026,25/11/2026,1500000,HS1\n24/11/2026,,-11000,PHI\n"
    _, lines = read(text)
    assert money(lines) == [(1_500_000, "credit"), (11_000, "debit")]
    assert lines[0].value_date == date(2026, 11, 25)


@pytest.mark.parametrize("debit,credit", [("PS Nợ", "PS Có"), ("Chi", "Thu"), ("Phát sinh nợ", "Phát sinh có")])
def test_other_debit_and_credit_column_names(debit, credit):
    text = f"Ngày GD,Mã GD,Nội dung,{debit},{credit},Số dư\n24/11/2026,G1,HS1,,1500000,1\n24/11/2026,G2,PHI,11000,,2\n"
    assert money(read(text)[1]) == [(1_500_000, "credit"), (11_000, "debit")]


def test_a_thu_chi_cash_book_layout_is_read():
    text = ("Ngày,Số chứng từ,Thu,Chi,Tồn,Diễn giải\n24/11/2026,PT01,1500000,,126500000,HS40881023160\n"
            "24/11/2026,PC01,,11000,126489000,PHI SMS\n")
    _, lines = read(text)
    assert money(lines) == [(1_500_000, "credit"), (11_000, "debit")]
    assert [l.balance_after_vnd for l in lines] == [126_500_000, 126_489_000]


def test_an_english_row_number_column_is_not_the_debit():
    text = ("No.,Transaction Date,Reference No,Debit,Credit,Balance,Description\n"
            "1,24/11/2026,FT001,,1500000,126500000,HS40881023160\n2,24/11/2026,FT002,11000,,126489000,SMS\n")
    assert money(read(text)[1]) == [(1_500_000, "credit"), (11_000, "debit")]


def test_a_no_diacritics_header_still_reads_no_and_co():
    text = "Ngay,So CT,No,Co,Noi dung\n24/11/2026,A1,,30000,HS1\n24/11/2026,A2,500,,fee\n"
    assert money(read(text)[1]) == [(30_000, "credit"), (500, "debit")]


def test_a_ghi_chu_column_is_the_memo():
    assert read("Ngày,Số CT,Ghi nợ,Ghi có,Ghi chú\n24/11/2026,FT001,,1500000,HS40881023160 nop\n")[1][0].memo == \
        "HS40881023160 nop"


def test_a_counterparty_account_column_is_the_payer_account_not_the_name():
    text = ("Ngày giao dịch,Tài khoản đối tác,Đối tác,NH Đối tác,Diễn giải,Nợ/Debit,Có/Credit,Số dư\n"
            "24/11/2026,9704361234,NGUYEN VAN AN,VIETCOMBANK,HS40881023160,,1500000,126500000\n")
    [line] = read(text)[1]
    assert (line.payer_account, line.payer_name, line.memo) == ("9704361234", "NGUYEN VAN AN", "HS40881023160")


def test_a_counterparty_account_name_column_is_the_payer_name():
    text = "Ngày,Tên tài khoản đối ứng,Số tài khoản đối ứng,Ghi có,Nội dung\n24/11/2026,LE B,123,30000,HS1\n"
    [line] = read(text)[1]
    assert (line.payer_name, line.payer_account) == ("LE B", "123")


# --- 10. date forms -----------------------------------------------------------------

def test_twelve_hour_times_and_year_first_dates_are_read():
    text = ("Ngày,Số CT,Ghi nợ,Ghi có,Nội dung\n24/11/2026 10:15:22 AM,A1,,1,a\n24/11/2026 02:15:22 PM,A2,,1,b\n"
            "24/11/2026 12:05:00 AM,A3,,1,c\n24/11/2026 12:05:00 PM,A4,,1,d\n2026/11/24,A5,,1,e\n")
    _, lines = read(text)
    assert [l.booked_at.astimezone(timezone.utc).hour if l.booked_at else None for l in lines] == [3, 7, 17, 5, None]
    assert lines[4].booking_date == date(2026, 11, 24) and lines[2].booking_date == date(2026, 11, 24)


def test_an_excel_serial_date_stored_as_a_number_is_read():
    data = workbook(("Sheet", [HEADER, [46350, "FT001", None, 1500000, "HS1"]]))
    assert read(data)[1][0].booking_date == date(2026, 11, 24)


# --- 11. encodings and format detection ------------------------------------------------

def cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese exports write it: precomposed vowels, tones as combining marks."""
    out = []
    for ch in text:
        try:
            out.append(ch.encode("cp1258"))
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", ch)
            tones = [m for m in marks if m in "\u0300\u0301\u0303\u0309\u0323"]
            vowel = unicodedata.normalize("NFC", base + "".join(m for m in marks if m not in tones))
            out.append((vowel + "".join(tones)).encode("cp1258"))
    return b"".join(out)


def test_windows_1258_bytes_after_a_long_ascii_start_are_read():
    head = "Date,Reference,Debit,Credit,Description\n"
    rows = "".join(f"24/11/2026,FT{i:06d},,10000,HS40881023160 nop le phi {'x' * 40}\n" for i in range(1500))
    late = "24/11/2026,FT999999,,20000,Nguyễn Văn An nộp lệ phí\n"
    data = head.encode() + rows.encode() + cp1258(late)
    assert len(head) + len(rows) > 64 * 1024
    _, lines = read(data)
    assert len(lines) == 1501 and unicodedata.normalize("NFC", lines[-1].memo) == "Nguyễn Văn An nộp lệ phí"


def test_utf8_text_with_a_broken_byte_later_is_refused():
    head = "Ngày,Số CT,Ghi nợ,Ghi có,Nội dung\n"
    rows = "".join(f"24/11/2026,FT{i:06d},,10000,nộp lệ phí {'x' * 40}\n" for i in range(1500))
    data = head.encode() + rows.encode() + cp1258("24/11/2026,FT9,,1,Nguyễn\n")
    assert refused(data).code == "invalid_encoding"


def test_a_utf16_camt053_is_read_as_xml():
    data = _camt(_entry("R1", 30000)).replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    info, lines = read(data)
    assert info.format == "camt053" and money(lines) == [(30_000, "credit")]


def test_an_mt940_with_a_byte_order_mark_and_no_lines_is_an_mt940():
    data = b"\xef\xbb\xbf:20:X\n:25:0071001234567\n:28C:1/1\n:60F:C261124VND1000000,\n:62F:C261124VND1000000,\n-\n"
    info, lines = read(data)
    assert info.format == "mt940" and lines == [] and info.balances[date(2026, 11, 24)].closing_vnd == 1_000_000


# --- 12. account numbers --------------------------------------------------------------

def test_an_mt940_account_with_a_currency_suffix_is_the_account():
    info, _ = read(":20:X\n:25:0071001234567VND\n:60F:C261124VND0,\n:61:2611241124C30000,NTRFR1//R1\n:86:HS1\n:62F:C261124VND30000,\n-\n")
    assert info.account == ACCOUNT and info.currency == "VND"


def test_an_mt940_account_with_a_foreign_currency_suffix_is_refused():
    assert refused(":20:X\n:25:0071001234567USD\n:61:2611241124C30000,NTRFR1//R1\n-\n").code == \
        "unsupported_currency"


def test_a_tax_number_in_the_preamble_is_not_the_account():
    text = ("Chủ tài khoản: TRUNG TÂM PHỤC VỤ HCC - MST 5701234567,,,,\nSố tài khoản: 0071001234567,,,,\n"
            "Ngày,Số CT,Ghi nợ,Ghi có,Nội dung\n24/11/2026,A1,,1500000,a\n")
    assert read(text)[0].account == ACCOUNT


def test_a_foreign_currency_in_the_preamble_is_refused():
    text = ("Số tài khoản:,0071001234567,,,\nLoại tiền/Currency:,USD,,,\n"
            "Ngày,Số CT,Ghi nợ,Ghi có,Nội dung\n24/11/2026,A1,,1500,a\n")
    assert refused(text).code == "unsupported_currency"
    ok = text.replace("USD", "VND")
    assert read(ok)[0].currency == "VND"


# --- 13. other ISO 20022 messages --------------------------------------------------------

@pytest.mark.parametrize("message,root", [("camt.052.001.08", "BkToCstmrAcctRpt"),
                                          ("camt.054.001.08", "BkToCstmrDbtCdtNtfctn"),
                                          ("pain.001.001.09", "CstmrCdtTrfInitn")])
def test_other_iso20022_messages_are_refused(message, root):
    data = (f'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:{message}"><{root}>'
            f"<Stmt><Acct><Id><Othr><Id>{ACCOUNT}</Id></Othr></Id></Acct>{_entry('R1', 30000)}</Stmt>"
            f"</{root}></Document>")
    error = refused(data)
    assert error.code == "not_camt053" and error.status == 400


def test_a_camt053_without_a_namespace_is_still_read():
    data = _camt(_entry("R1", 30000)).replace(' xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"', "")
    assert money(read(data)[1]) == [(30_000, "credit")]


# --- 14. MT940 details ---------------------------------------------------------------

def test_an_ns_tag_is_not_part_of_the_memo_or_the_statement_line():
    text = (":20:X\n:25:0071001234567\n:60F:C261124VND0,\n:61:2611241124C30000,NTRFREF1//REF1\nSUPPLEMENTARY\n"
            ":NS:22NGUYEN VAN AN\n:86:HS40881023160\n:61:2611241124C100000,NTRFNONREF//5004\n:86:HS55335258649 nop\n"
            ":NS:01NGUYEN VAN AN\n:62F:C261124VND130000,\n-\n")
    _, lines = read(text)
    assert money(lines) == [(30_000, "credit"), (100_000, "credit")]
    assert ":NS:" not in lines[0].memo + lines[1].memo and lines[1].memo == "HS55335258649 nop"


def test_structured_86_continuation_subfields_are_joined_without_a_space():
    # A full sub-field (27 characters) goes on in the next without a space (round 13: a shorter one ends a word).
    text = (":20:X\n:25:0071001234567\n:60F:C261124VND0,\n:61:2611241124C30000,NTRFREF1//REF1\n"
            ":86:166?00GUTSCHRIFT?20NGUYEN VAN AN NOP PHI HS408\n?2181023160 HO SO DAT DAI?32NGUYEN VAN AN\n"
            ":62F:C261124VND30000,\n-\n")
    [line] = read(text)[1]
    assert line.memo == "NGUYEN VAN AN NOP PHI HS40881023160 HO SO DAT DAI" and line.payer_name == "NGUYEN VAN AN"


def test_a_download_header_before_the_first_tag_is_skipped():
    text = "VCBVVNVX\n940\nVCBVVNVX\n:20:X\n:25:0071001234567\n:61:2611241124C30000,NTRFREF1//REF1\n:86:HS1\n:62F:C261124VND30000,\n-\n"
    assert money(read(text)[1]) == [(30_000, "credit")]


@pytest.mark.parametrize("field", ["2611241124C1.500.000,NTRFREF1//FT001", "2611241124C30.00,", "2611241124C1500000,"])
def test_an_mt940_line_with_a_dot_grouped_amount_or_no_transaction_type_is_refused_not_misread(field):
    text = f":20:X\n:25:0071001234567\n:60F:C261124VND0,\n:61:{field}\n:86:HS40881023160\n-\n"
    with pytest.raises(StatementError) as refused:
        read(text)
    assert refused.value.code == "malformed_mt940" and refused.value.details["line_no"] == 1


def test_an_mt940_nonref_is_no_bank_reference():
    text = ":20:X\n:25:0071001234567\n:61:2611241124C1000,NTRFNONREF\n:86:HS1\n:62F:C261124VND1000,\n-\n"
    [line] = read(text)[1]
    assert line.bank_ref is None and line.amount_vnd == 1000


# --- 15. zero amounts, currencies ------------------------------------------------------

def test_a_camt053_entry_of_zero_is_skipped_like_a_zero_csv_row():
    _, lines = read(_camt(_entry("R0", 0) + _entry("R1", 30000)))
    assert [(l.line_no, l.bank_ref, l.amount_vnd) for l in lines] == [(1, "R1", 30_000)]


def _entry(ref: str, amount: int) -> str:
    return (f'<Ntry><Amt Ccy="VND">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
            f"<BookgDt><Dt>2026-11-24</Dt></BookgDt><AcctSvcrRef>{ref}</AcctSvcrRef></Ntry>")


def _camt(entries: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Id>T</Id>'
            f"<Acct><Id><Othr><Id>{ACCOUNT}</Id></Othr></Id><Ccy>VND</Ccy></Acct>{entries}</Stmt></BkToCstmrStmt>"
            "</Document>")


@pytest.mark.parametrize("data", [b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n", b"\xff\xfe", b"\xff\xfe\r\x00\n\x00"])
@pytest.mark.parametrize("fmt", [None, "csv"])
def test_a_file_of_a_byte_order_mark_alone_is_an_empty_file(data, fmt):
    assert refused(data, fmt).code == "empty_file"
