"""Statement parsing, QA round 10: a currency column, MT940 sub-fields without their code, wrapped payer names."""
import pytest

from tests.unit.test_parse_fix_tabular import csv_text, read, refused, workbook

HEADER = ["Ngày giao dịch", "Số tham chiếu", "Nội dung", "Số tiền", "Loại tiền", "Số dư"]


def sides(lines):
    return [(str(l.booking_date), l.amount_vnd, l.direction, l.bank_ref) for l in lines]


# --- 1. a currency column beside the amount ---------------------------------------------------------
# Multi-currency exports (`Loại tiền`, `Currency`, `CCY` per row) were read past: 30,000 USD was 30,000 VND.

@pytest.mark.parametrize("header, cell", [("Loại tiền", "USD"), ("Currency", "USD"), ("CCY", "usd"),
                                          ("Tiền tệ", "USD (Đô la Mỹ)"), ("Loại tiền tệ", " USD ")])
def test_a_row_in_another_currency_is_refused_with_its_line(header, cell):
    error = refused(csv_text(["Ngày giao dịch", "Số tham chiếu", "Nội dung", "Số tiền", header],
                             ["24/11/2026", "FT1", "HS40881023160", "30.000", "VND"],
                             ["24/11/2026", "FT2", "HS40881023161", "30.000", cell]))
    assert (error.code, error.details["line_no"], error.details["currency"]) == ("unsupported_currency", 2, "USD")


def test_a_workbook_row_in_another_currency_is_refused():
    error = refused(workbook([HEADER, ["24/11/2026", "FT1", "x", 30000, "usd", 1030000]]))
    assert (error.code, error.details["line_no"]) == ("unsupported_currency", 1)


@pytest.mark.parametrize("cell", ["VND", "VNĐ", "vnd", "đ", " VND ", "Đồng Việt Nam", "VND (Việt Nam Đồng)"])
def test_a_currency_column_of_dong_reads_every_row(cell):
    info, lines = read(csv_text(HEADER, ["24/11/2026", "FT1", "HS40881023160", "30.000", cell, "1.030.000"],
                                ["24/11/2026", "FT2", "Phi", "-11.000", cell, "1.019.000"]))
    assert sides(lines) == [("2026-11-24", 30_000, "credit", "FT1"), ("2026-11-24", 11_000, "debit", "FT2")]
    assert info.currency in (None, "VND")


def test_an_amount_in_currency_header_is_still_the_amount():
    _, lines = read(csv_text(["Ngày giao dịch", "Số tham chiếu", "Amount in account currency", "Nội dung"],
                             ["24/11/2026", "FT1", "30.000", "HS40881023160"]))
    assert sides(lines) == [("2026-11-24", 30_000, "credit", "FT1")]


# --- 2. an MT940 :86: of `?NN` sub-fields without the transaction code before them ---------------------
# Only `NNN?20…` was read as sub-fields: `?20…?32…` alone stayed the memo as written, markers and all, and the
# payer's name and account were lost.

MT940 = """:20:STMT1
:25:0071001234567
:28C:1/1
:60F:C261123VND1000000,00
:61:2611241124C30000,00NTRFNONREF//FT26328000001
:86:%s
:62F:C261124VND1030000,00
"""


@pytest.mark.parametrize("details", ["?20HS40881023160 nop?21 le phi?31 0071009999999?32NGUYEN VAN A",
                                     "166?20HS40881023160 nop?21 le phi?31 0071009999999?32NGUYEN VAN A",
                                     "?20HS40881023160 nop\n?21 le phi?31 0071009999999\n?32NGUYEN VAN A"])
def test_mt940_sub_fields_are_read_with_or_without_their_code(details):
    _, [line] = read(MT940 % details)
    assert (line.memo, line.payer_name, line.payer_account) == ("HS40881023160 nop le phi", "NGUYEN VAN A",
                                                                "0071009999999")


def test_an_mt940_free_text_with_a_question_mark_stays_as_written():
    _, [line] = read(MT940 % "HS40881023160 nop phi? ?20 lan")
    assert line.memo == "HS40881023160 nop phi? ?20 lan"


# --- 3. a payer's name wrapped over the rows below, as the memo is ------------------------------------------
# Only the memo column was joined: the rest of a long payer name (a company's) was dropped, and a row of it
# alone was read past.

PAYER_HEADER = ["STT", "Ngày giao dịch", "Số tham chiếu", "Tên đối ứng", "Nội dung", "Ghi nợ", "Ghi có", "Số dư"]


def test_a_payer_name_wrapped_over_rows_is_joined_as_the_memo_is():
    _, lines = read(csv_text(PAYER_HEADER,
                             ["1", "24/11/2026", "FT1", "CONG TY TNHH", "HS40881023160 nop", "", "30.000", "1.030.000"],
                             ["", "", "", "DICH VU ABC", "le phi", "", "", ""],
                             ["2", "24/11/2026", "FT2", "NGUYEN VAN", "Phi", "11.000", "", "1.019.000"],
                             ["", "", "", "BINH", "", "", "", ""]))
    assert [(l.payer_name, l.memo) for l in lines] == [("CONG TY TNHH DICH VU ABC", "HS40881023160 nop le phi"),
                                                       ("NGUYEN VAN BINH", "Phi")]


def test_a_sign_off_in_the_payer_column_is_no_part_of_the_name():
    _, lines = read(csv_text(PAYER_HEADER,
                             ["1", "24/11/2026", "FT1", "NGUYEN VAN A", "HS40881023160", "", "30.000", "1.030.000"],
                             ["", "", "", "Người lập biểu", "", "", "", ""]))
    assert [(l.payer_name, l.memo) for l in lines] == [("NGUYEN VAN A", "HS40881023160")]


# --- 4. the value date as English and abbreviated Vietnamese exports head it ------------------------------
# `Effective Date` (BIDV's English export) was read as the booking date, before `Transaction Date`: a Saturday
# evening transfer was booked on the Monday, without its time. `Ngày HL` (ngày hiệu lực) was read past.

@pytest.mark.parametrize("header", [["No.", "Effective Date", "Transaction Date", "Reference No.", "Debit", "Credit",
                                     "Description"],
                                    ["STT", "Ngày HL", "Ngày GD", "Số CT", "Ghi nợ", "Ghi có", "Nội dung"],
                                    ["STT", "Ngày GD", "Ngày HL", "Số CT", "Ghi nợ", "Ghi có", "Nội dung"]])
def test_the_value_date_column_is_no_booking_date(header):
    when = {"Effective Date": "23/11/2026", "Ngày HL": "23/11/2026"}
    row = ["1", *(when.get(name, "21/11/2026 20:15:00") for name in header[1:3]), "FT1", "", "30.000", "HS40881023160"]
    _, [line] = read(csv_text(header, row))
    assert (str(line.booking_date), str(line.value_date), line.booked_at.isoformat()) == (
        "2026-11-21", "2026-11-23", "2026-11-21T13:15:00+00:00")


# --- 5. a PDF or a web page saved as .xls is named for what it is -------------------------------------------
# A PDF of text only was `missing_columns` (no header row…), a web page saved as .xls `not_camt053`: staff
# were told their statement lacked columns or was a wrong ISO 20022 message.

@pytest.mark.parametrize("data", [b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n",
                                  b"<html><head><meta charset='utf-8'></head><body><table><tr><td>Ngay</td></tr>",
                                  b"\xef\xbb\xbf<!DOCTYPE html>\n<html lang='vi'><body></body></html>",
                                  b"  <table border=1><tr><th>Ng\xc3\xa0y giao d\xe1\xbb\x8bch</th></tr></table>",
                                  '<HTML><BODY><TABLE><TR><TD>Số tiền</TD></TR></TABLE></BODY></HTML>'.encode("utf-16")])
def test_a_pdf_or_a_web_page_is_an_unsupported_format(data):
    error = refused(data)
    assert (error.code, error.status) == ("unsupported_format", 415)


def test_a_camt053_is_still_read_after_its_xml_declaration_and_comments():
    xml = ('<?xml version="1.0"?>\n<!-- html export -->\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">'
           '<BkToCstmrStmt><Stmt><Acct><Id><Othr><Id>0071001234567</Id></Othr></Id></Acct><Ntry><Amt Ccy="VND">30000'
           '</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-24</Dt></BookgDt>'
           '<AcctSvcrRef>FT1</AcctSvcrRef></Ntry></Stmt></BkToCstmrStmt></Document>')
    info, [line] = read(xml)
    assert (info.format, line.amount_vnd, line.bank_ref) == ("camt053", 30_000, "FT1")


# --- 6. a table whose only date column is headed as a time --------------------------------------------------
# `Transaction Time`, `Booking time`, `Thời điểm giao dịch` (the moment of the transaction) head a date and time:
# the table had no date column and the file was refused (missing_columns).

@pytest.mark.parametrize("header", ["Transaction Time", "Booking time", "Thời điểm giao dịch", "Thời điểm", "Time"])
def test_a_time_column_is_the_date_when_the_table_has_no_other(header):
    _, [line] = read(csv_text([header, "Reference", "Amount", "Description"],
                              ["24/11/2026 10:15:30", "FT1", "30,000", "HS40881023160"]))
    assert (str(line.booking_date), line.booked_at.isoformat(), line.amount_vnd) == (
        "2026-11-24", "2026-11-24T03:15:30+00:00", 30_000)


def test_a_time_column_beside_a_date_column_stays_the_time():
    _, [line] = read(csv_text(["Ngày giao dịch", "Transaction Time", "Reference", "Amount", "Description"],
                              ["24/11/2026", "10:15:30", "FT1", "30,000", "HS40881023160"]))
    assert (str(line.booking_date), line.booked_at.isoformat()) == ("2026-11-24", "2026-11-24T03:15:30+00:00")


def test_a_time_column_of_times_only_has_no_day_to_read():
    error = refused(csv_text(["Transaction Time", "Reference", "Amount", "Description"],
                             ["10:15:30", "FT1", "30,000", "HS40881023160"]))
    assert (error.code, error.details["line_no"]) == ("invalid_date", 1)


def test_a_time_column_beside_the_value_date_only_stays_the_time():
    _, [line] = read(csv_text(["Ngày hiệu lực", "Giờ", "Reference", "Amount", "Description"],
                              ["24/11/2026", "10:15:30", "FT1", "30,000", "HS40881023160"]))
    assert (str(line.booking_date), line.booked_at.isoformat()) == ("2026-11-24", "2026-11-24T03:15:30+00:00")


# --- 7. a status column: rows of transfers that failed or are still pending are no transactions ------------
# Transaction-history exports list every attempt with its `Trạng thái`/`Status`: a failed or pending credit
# was read as money in (camt.053 keeps only booked entries, `Sts` BOOK).

STATUS_HEADER = ["Ngày giao dịch", "Số tham chiếu", "Nội dung", "Số tiền", "Trạng thái", "Số dư"]


@pytest.mark.parametrize("status", ["Thất bại", "Không thành công", "Failed", "Pending", "Đang xử lý", "Chờ xử lý",
                                    "Đã hủy", "Cancelled", "Rejected", "Từ chối", "LỖI", "Chờ hạch toán",
                                    "Chưa hạch toán"])
def test_a_row_that_did_not_go_through_is_no_line(status):
    _, lines = read(csv_text(STATUS_HEADER, ["24/11/2026", "FT1", "HS40881023160 lan 1", "30.000", status, ""],
                             ["", "", "tiep", "", "", ""],
                             ["24/11/2026", "FT2", "HS40881023160 lan 2", "30.000", "Thành công", "1.030.000"],
                             ["24/11/2026", "FT3", "Phi", "-11.000", "Success", "1.019.000"]))
    assert [(l.line_no, l.bank_ref, l.memo, l.amount_vnd) for l in lines] == [
        (1, "FT2", "HS40881023160 lan 2", 30_000), (2, "FT3", "Phi", 11_000)]


@pytest.mark.parametrize("status", ["Thành công", "Success", "Completed", "Đã hạch toán", "Booked", "OK", "Hoàn tất",
                                    "Chưa đối soát"])
def test_a_row_booked_or_of_a_status_we_do_not_know_is_a_line(status):
    # (The opening balance tells the unsigned amount a credit: `balance_sides`.)
    _, [line] = read("Số dư đầu kỳ: 1.000.000\n" + csv_text(STATUS_HEADER, ["24/11/2026", "FT1", "HS40881023160", "30.000", status, "1.030.000"]))
    assert (line.line_no, line.amount_vnd) == (1, 30_000)


# --- 8. a currency named in words in the letterhead -----------------------------------------------------------
# `LOẠI TIỀN: VIỆT NAM ĐỒNG` (letterheads are often in capitals) was refused: the three capitals `NAM` were read as
# the currency code.

@pytest.mark.parametrize("preamble", ["LOẠI TIỀN: VIỆT NAM ĐỒNG", "Loại tiền: Việt Nam Đồng", "LOẠI TIỀN:,ĐỒNG VIỆT NAM",
                                      "Loại tiền: VNĐ", "Currency: VND"])
def test_a_letterhead_naming_dong_in_words_is_a_vnd_statement(preamble):
    info, [line] = read(f"{preamble}\n" + csv_text(["Ngày giao dịch", "Số tham chiếu", "Nội dung", "Ghi nợ", "Ghi có"],
                                                  ["24/11/2026", "FT1", "HS40881023160", "", "30.000"]))
    assert (info.currency, line.amount_vnd) == ("VND", 30_000)


def test_a_letterhead_naming_dollars_is_still_refused():
    error = refused("LOẠI TIỀN: USD - ĐÔ LA MỸ\n" + csv_text(["Ngày giao dịch", "Nội dung", "Ghi nợ", "Ghi có"],
                                                             ["24/11/2026", "x", "", "30.000"]))
    assert (error.code, error.details["currency"]) == ("unsupported_currency", "USD")
