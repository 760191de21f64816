"""Bank CSV/XLSX rows as exports really hold them (QA parse pass): a money row is read or the file is
refused, never dropped; a reference Excel turned into a number is no reference; accounting zeros; memo
headers; which bank's layout it is."""
import io

import pytest

from reconciliation.statements import StatementError, parse_statement

HEADER = ["Ngày giao dịch", "Số tham chiếu", "Ghi nợ", "Ghi có", "Nội dung"]


def read(data: bytes | str, fmt=None):
    raw = data.encode() if isinstance(data, str) else data
    info, lines = parse_statement(io.BytesIO(raw), fmt)
    return info, list(lines)


def refused(data: bytes | str, fmt=None) -> StatementError:
    with pytest.raises(StatementError) as caught:
        read(data, fmt)
    return caught.value


def csv_text(*rows: list[str]) -> str:
    import csv

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def workbook(rows: list[list], merge: str | None = None) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    if merge:
        book.active.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def summary(lines):
    return [(str(l.booking_date), l.amount_vnd, l.direction, l.bank_ref) for l in lines]


# --- 1. a row with money and no date --------------------------------------------------

def test_a_date_merged_down_over_a_days_rows_is_the_date_of_each_of_them():
    data = workbook([["SAO KÊ TÀI KHOẢN"], ["Số tài khoản:", "0071001234567"], HEADER,
                     ["24/11/2026", "R1", None, 30000, "HS40881023160 nop phi"],
                     [None, "R2", None, 50000, "HS21890246178 nop phi"],
                     [None, "R3", None, 70000, "ung ho"],
                     ["25/11/2026", "R4", 11000, None, "phi"]], merge="A4:A6")
    info, lines = read(data)
    assert summary(lines) == [("2026-11-24", 30000, "credit", "R1"), ("2026-11-24", 50000, "credit", "R2"),
                              ("2026-11-24", 70000, "credit", "R3"), ("2026-11-25", 11000, "debit", "R4")]
    assert [l.line_no for l in lines] == [1, 2, 3, 4] and info.lines == 4


def test_a_csv_printing_the_date_on_a_days_first_row_only_keeps_every_row():
    _, lines = read(csv_text(HEADER, ["24/11/2026", "C1", "", "30.000", "x"], ["", "C2", "", "50.000", "y"],
                             ["", "C3", "11.000", "", "z"]))
    assert summary(lines) == [("2026-11-24", 30000, "credit", "C1"), ("2026-11-24", 50000, "credit", "C2"),
                              ("2026-11-24", 11000, "debit", "C3")]


def test_a_money_row_without_a_date_and_no_transaction_above_is_refused_naming_the_row():
    error = refused(csv_text(["Số tài khoản: 0071001234567"], ["Ngày in: 25/11/2026"], HEADER,
                             ["", "C1", "", "30.000", "x"]))
    assert error.code == "missing_date" and error.details["line_no"] == 1


def test_a_money_row_whose_date_is_not_a_date_is_refused_not_dropped():
    for text in ("N/A", "#N/A", "không rõ"):
        error = refused(csv_text(HEADER, ["24/11/2026", "C1", "", "30.000", "x"], [text, "C2", "", "50.000", "y"]))
        assert error.code == "invalid_date" and error.details["line_no"] == 2, text


def test_a_label_word_in_an_unmapped_column_does_not_make_a_transaction_a_total():
    _, lines = read(csv_text(["Ngày giao dịch", "Kênh", "Ghi nợ", "Ghi có", "Nội dung"],
                             ["24/11/2026", "Tổng đài", "", "30.000", "HS1 phi"]))
    assert summary(lines) == [("2026-11-24", 30000, "credit", None)]


def test_a_dateless_money_row_that_says_nothing_or_says_total_in_a_read_column_is_a_total():
    """A `=SUM` row (money and no text), or a total labelled in the memo or the document number, is
    read past as before; a dateless row with a memo is a transaction of the day above."""
    for total in (["", "", "", "80.000", ""], ["", "", "", "80.000", "Tổng phát sinh"],
                  ["", "Cộng phát sinh", "", "80.000", ""], ["", "", "", "", ""]):
        _, lines = read(csv_text(HEADER, ["24/11/2026", "C1", "", "30.000", "x"], ["", "C2", "", "50.000", "y"],
                                 total))
        assert summary(lines) == [("2026-11-24", 30000, "credit", "C1"), ("2026-11-24", 50000, "credit", "C2")], total


def test_a_label_word_in_an_unread_column_of_a_dateless_row_proves_nothing():
    _, lines = read(csv_text(["Ngày giao dịch", "Kênh", "Ghi nợ", "Ghi có", "Nội dung"],
                             ["24/11/2026", "Quầy", "", "30.000", "HS1 phi"], ["", "Tổng đài", "", "50.000", "HS2 phi"]))
    assert summary(lines) == [("2026-11-24", 30000, "credit", None), ("2026-11-24", 50000, "credit", None)]


def test_totals_in_the_date_or_row_number_column_are_still_read_past():
    _, lines = read(csv_text(["STT", *HEADER], ["1", "24/11/2026", "C1", "", "30.000", "x"],
                             ["Tổng cộng", "", "", "", "30.000", ""], ["", "Cộng phát sinh", "", "", "30.000", ""]))
    assert summary(lines) == [("2026-11-24", 30000, "credit", "C1")]


def test_a_repeated_header_row_and_a_wrapped_memo_are_not_money_rows():
    _, lines = read(csv_text(HEADER, ["24/11/2026", "C1", "", "30.000", "HS1"], ["", "", "", "", "nop phi"],
                             HEADER, ["", "C2", "", "20.000", "HS2"]))
    assert summary(lines) == [("2026-11-24", 30000, "credit", "C1"), ("2026-11-24", 20000, "credit", "C2")]
    assert lines[0].memo == "HS1 nop phi"


def test_a_dateless_row_takes_no_date_from_across_a_total():
    error = refused(csv_text(["STT", *HEADER], ["1", "24/11/2026", "C1", "", "30.000", "x"],
                             ["Cộng ngày", "", "", "", "30.000", ""], ["2", "", "C2", "", "50.000", "y"]))
    assert error.code == "missing_date" and error.details["line_no"] == 2


# --- 2. a reference cell Excel made a number ------------------------------------------

def test_a_reference_excel_turned_into_a_fractional_number_is_no_reference():
    # "5007.50790" saved through Excel is the number 5007.5079: its text is lost, so no key can rest on it.
    data = workbook([["Ngày GD/ TNX Date", "Số CT/ Doc No", "Số tiền ghi nợ/ Debit", "Số tiền ghi có/ Credit",
                      "Nội dung chi tiết/ Transactions in detail"],
                     ["24/11/2026", 5007.5079, None, 55000, "HS97484477365"],
                     ["24/11/2026", 123456789, None, 30000, "HS1"],
                     ["24/11/2026", 123456789.0, None, 30000, "HS2"],
                     ["24/11/2026", 2.0**60, None, 30000, "HS3"],
                     ["24/11/2026", "5000.96828", None, 30000, "HS4"]])
    _, lines = read(data)
    assert [l.bank_ref for l in lines] == [None, "123456789", "123456789", None, "5000.96828"]


# --- 6. Excel's accounting zero -------------------------------------------------------

@pytest.mark.parametrize("dash", ["-", " - ", "–", "—", " -  "])
def test_the_accounting_zero_dash_in_the_other_money_column_is_empty(dash):
    _, lines = read(csv_text(HEADER, ["24/11/2026", "C1", dash, "30.000", "x"], ["24/11/2026", "C2", "11.000", dash, "y"]))
    assert summary(lines) == [("2026-11-24", 30000, "credit", "C1"), ("2026-11-24", 11000, "debit", "C2")]


def test_a_dash_is_no_amount_but_a_negative_amount_still_is():
    from reconciliation.statements import parse_amount

    assert parse_amount("-") is None and parse_amount("-30.000") == -30000 and parse_amount("(11.000)") == -11000
    with pytest.raises(StatementError):
        parse_amount("--")


# --- 7. memo headers --------------------------------------------------------------------

@pytest.mark.parametrize("memo_header", ["Thông tin giao dịch", "Thông tin", "Nội dung thanh toán",
                                         "Diễn giải giao dịch", "THONG TIN GIAO DICH", "Thông tin thanh toán"])
def test_the_common_memo_headers_are_the_memo(memo_header):
    _, lines = read(csv_text(["Ngày giao dịch", "Ghi có", memo_header], ["24/11/2026", "30.000", "HS40881023160"]))
    assert [l.memo for l in lines] == ["HS40881023160"]


def test_a_thong_tin_column_does_not_take_the_memo_from_the_content_column_nor_the_payer():
    from reconciliation.profiles import map_header

    assert map_header(["Ngày", "Ghi có", "Thông tin người chuyển", "Nội dung"]) == {
        "date": 0, "credit": 1, "payer_name": 2, "memo": 3}
    assert map_header(["Ngày", "Ghi có", "Thông tin", "Nội dung"])["memo"] == 3


# --- 8. which bank's layout -------------------------------------------------------------

VCB_HEADER = ["Ngày GD/ TNX Date", "Số tham chiếu/ Ref No", "Số tiền ghi nợ/ Debit", "Số tiền ghi có/ Credit",
              "Nội dung chi tiết/ Transactions in detail"]


def profile_of(*rows: list[str]) -> str:
    info, _ = read(csv_text(*rows, ["24/11/2026", "R1", "", "30.000", "x"]))
    return info.profile


def test_a_vcb_header_with_a_reference_column_is_vcb_not_bidv():
    assert profile_of(VCB_HEADER) == "vcb"


@pytest.mark.parametrize("bank, profile", [("NGÂN HÀNG TMCP NGOẠI THƯƠNG VIỆT NAM", "vcb"),
                                           ("Ngân hàng TMCP Á Châu (ACB)", "acb"),
                                           ("Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam", "agribank"),
                                           ("TPBank - Ngân hàng TMCP Tiên Phong", "tpbank"),
                                           ("Techcombank", "techcombank")])
def test_the_bank_named_above_the_table_decides(bank, profile):
    assert profile_of([bank], ["Số tài khoản: 0071001234567"], HEADER) == profile


def test_a_header_marking_two_banks_equally_is_generic_and_one_without_markers_too():
    assert profile_of(["Ngày giao dịch", "Số tham chiếu", "Ghi nợ", "Ghi có", "Tên đối ứng"]) == "generic"
    assert profile_of(["Ngày", "Mã GD", "Ghi nợ", "Ghi có", "Diễn giải"]) == "generic"
    assert profile_of(["Vietcombank", "BIDV"], HEADER) == "bidv"  # two banks named: the header decides


# --- a UTF-8 file with a broken byte --------------------------------------------------

def test_utf8_text_with_a_byte_that_is_not_utf8_is_an_encoding_error_not_a_missing_header():
    data = csv_text(HEADER, ["24/11/2026", "C1", "", "30.000", "Nộp phí"]).encode() + b"\xff\n"
    assert refused(data).code == "invalid_encoding"


def test_a_windows_1258_file_is_still_read_as_windows_1258():
    text = csv_text(HEADER, ["24/11/2026", "C1", "", "30.000", "Nop phi HS1"])
    _, lines = read(text.encode("cp1258", errors="replace"))
    assert [l.amount_vnd for l in lines] == [30000]


# --- 9. a spreadsheet's shared strings stay on disk -------------------------------------

SHARED_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def excel_like_workbook(rows: list[list], strings: list[str] | None = None) -> bytes:
    """An .xlsx as Excel writes it: every text cell a shared string (openpyxl writes inline ones).
    `strings` may give the table's raw `<si>` bodies (rich-text runs); cells then name them by index."""
    from xml.sax.saxutils import escape

    table: dict[str, int] = {}
    cells = []
    for r, row in enumerate(rows, start=1):
        out = []
        for c, value in enumerate(row):
            ref = f"{chr(65 + c)}{r}"
            if isinstance(value, str):
                out.append(f'<c r="{ref}" t="s"><v>{table.setdefault(value, len(table))}</v></c>')
            elif isinstance(value, tuple):  # ("si", index): a given <si> of `strings`
                out.append(f'<c r="{ref}" t="s"><v>{value[1]}</v></c>')
            elif value is not None:
                out.append(f'<c r="{ref}"><v>{value}</v></c>')
        cells.append(f'<row r="{r}">{"".join(out)}</row>')
    items = strings if strings is not None else [f"<t xml:space=\"preserve\">{escape(t)}</t>" for t in table]
    files = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{SHARED_NS}" xmlns:r="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        '</Relationships>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{SHARED_NS}"><sheetData>{"".join(cells)}</sheetData></worksheet>',
        "xl/sharedStrings.xml": f'<sst xmlns="{SHARED_NS}" count="{len(items)}" uniqueCount="{len(items)}">'
        + "".join(f"<si>{i}</si>" for i in items) + "</sst>",
    }
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return out.getvalue()


def test_a_workbook_as_excel_writes_it_reads_its_shared_strings_from_disk_as_openpyxl_would():
    import zipfile

    from openpyxl.reader.strings import read_string_table

    from reconciliation.workbook import SharedStrings

    strings = [f"<t>{h}</t>" for h in HEADER] + [
        "<t>24/11/2026</t>", "<t>R1</t>",
        '<r><t>HS4088</t></r><r><rPr><b/></rPr><t xml:space="preserve">1023160 nộp phí</t></r>',  # rich text runs
        "<t/>", "<t>Nộp lệ phí _x005F_x000D_ hồ sơ 😀</t>"]
    rows = [[("si", i) for i in range(5)], [("si", 5), ("si", 6), None, 30000, ("si", 7)],
            [("si", 5), ("si", 6), None, 11000, ("si", 8)], [("si", 5), ("si", 6), None, 12000, ("si", 9)]]
    data = excel_like_workbook(rows, strings)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        expected = read_string_table(archive.open("xl/sharedStrings.xml"))
        table = SharedStrings(archive.open("xl/sharedStrings.xml"))
    try:
        assert [table[i] for i in range(len(table))] == expected and "HS40881023160 nộp phí" in expected
        with pytest.raises(IndexError):
            table[len(table)]
    finally:
        table.close()
    _, lines = read(data)
    assert [l.memo for l in lines] == ["HS40881023160 nộp phí", "", expected[9]]


def test_a_cell_naming_a_shared_string_the_table_lacks_is_a_damaged_spreadsheet():
    data = excel_like_workbook([HEADER, ["24/11/2026", "R1", None, 30000, ("si", 99)]])
    assert refused(data).code == "malformed_xlsx"
