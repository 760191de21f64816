"""Statement parsing, QA round 6: files cut short or written loosely, as banks and tools leave them."""
import io
import re
import struct
import zipfile
from datetime import date

import pytest

from reconciliation.statements import StatementError
from tests.unit.test_statement_variants import _camt, money, read, workbook

VCB_HEAD = "Ngày GD/ TNX Date,Số CT/ Doc No,Số tiền ghi nợ/ Debit,Số tiền ghi có/ Credit,Số dư/ Balance," \
           "Nội dung chi tiết/ Transactions in detail\n"
MT940_HEAD = ":20:T1\n:25:0071001234567\n:28C:1/1\n:60F:C261125VND100000,\n"


def refused(data: str | bytes) -> StatementError:
    with pytest.raises(StatementError) as caught:
        read(data)
    return caught.value


# --- files cut short -----------------------------------------------------------------------------

def test_a_csv_cut_inside_a_quoted_cell_is_refused_not_read_as_a_small_amount():
    whole = VCB_HEAD + '26/11/2026,6100.1,"","30.000","","HS40881023160 nop le phi"\n' \
                       '26/11/2026,6100.2,"","1.025.000","","khac"\n'
    assert money(read(whole)[1]) == [(30_000, "credit"), (1_025_000, "credit")]
    error = refused(whole[:whole.index('1.025.000') + len("1.025")])
    assert error.code == "truncated_statement" and error.status == 400


def test_a_stray_quote_inside_a_quoted_memo_is_read_not_refused():
    text = VCB_HEAD + '26/11/2026,6100.1,"","30.000","","HS40881023160 nop phi "ho so" dat dai"\n'
    [line] = read(text)[1]
    assert line.amount_vnd == 30_000 and line.memo.startswith("HS40881023160 nop phi")


def test_an_mt940_cut_before_its_closing_balance_is_refused():
    lines = ":61:2611261126C30000,NTRF1//1\n:86:HS40881023160 nop le phi\n:61:2611261126C1025000,NTRF2//2\n"
    whole = MT940_HEAD + lines + ":86:IBFT BUI QUANG HUY HS82948832492\n:62F:C261126VND1155000,\n-\n"
    assert len(read(whole)[1]) == 2
    error = refused(MT940_HEAD + lines + ":86:IBFT BUI QUANG HUY HS829488\n")
    assert error.code == "truncated_statement" and error.status == 400


def test_each_message_of_an_mt940_needs_its_closing_balance():
    first = MT940_HEAD + ":61:2611261126C30000,NTRF1//1\n:86:a\n"  # the next :20: begins, no :62F:
    second = MT940_HEAD.replace("T1", "T2") + ":61:2611261126C20000,NTRF2//2\n:86:b\n:62F:C261126VND150000,\n"
    assert refused(first + second).code == "truncated_statement"


def test_an_intermediate_closing_balance_closes_a_page_of_the_statement():
    text = MT940_HEAD + ":61:2611261126C30000,NTRF1//1\n:86:a\n:62M:C261126VND130000,\n"
    assert len(read(text)[1]) == 1


# --- informational lines ------------------------------------------------------------------------

def test_a_zero_mt940_line_is_skipped_as_camt_and_spreadsheets_skip_theirs():
    text = (MT940_HEAD + ":61:2611261126C0,00NMSCNONREF\n:86:LAI TIEN GUI 0\n"
            ":61:2611261126C30000,NTRFZZ1//ZZ1\n:86:HS40881023160\n:62F:C261126VND130000,\n")
    [line] = read(text)[1]
    assert (line.line_no, line.bank_ref, line.amount_vnd, line.memo) == (1, "ZZ1", 30_000, "HS40881023160")


# --- camt.053 booleans --------------------------------------------------------------------------

@pytest.mark.parametrize("written", ["true", "1", " TRUE "])
def test_a_reversal_indicator_is_an_xml_boolean(written):
    entry = ('<Ntry><Amt Ccy="VND">150000</Amt><CdtDbtInd>DBIT</CdtDbtInd><RvslInd>{}</RvslInd><Sts><Cd>BOOK</Cd>'
             '</Sts><BookgDt><Dt>2026-11-24</Dt></BookgDt><AcctSvcrRef>R1</AcctSvcrRef></Ntry>')
    [line] = read(_camt(entry.format(written)))[1]
    assert line.is_reversal
    [plain] = read(_camt(entry.format("false")))[1]
    assert not plain.is_reversal


# --- workbooks as other tools write them ---------------------------------------------------------

XLSX_HEAD = ["Ngày giao dịch", "Số tham chiếu", "Số tiền ghi nợ", "Số tiền ghi có", "Nội dung"]


def _rewrite_sheet(book: bytes, change) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = change(data.decode()).encode()
            target.writestr(item, data)
    return out.getvalue()


@pytest.mark.parametrize("dimension", ["A1:E3", "A1"])
def test_a_stale_sheet_dimension_does_not_hide_rows(dimension):
    rows = [[f"24/11/2026 09:{i:02d}", f"R{i}", None, 30000 + i, f"chuyen tien {i}"] for i in range(20)]
    book = workbook(("Sao ke", [XLSX_HEAD, *rows]))
    stale = _rewrite_sheet(book, lambda xml: re.sub(r'<dimension ref="[^"]*" ?/>', f'<dimension ref="{dimension}"/>', xml))
    assert stale != book
    assert [l.amount_vnd for l in read(stale)[1]] == [30000 + i for i in range(20)]


def test_a_workbook_needing_an_unknown_zip_version_is_malformed_not_a_crash():
    book = bytearray(workbook(("Sao ke", [XLSX_HEAD, ["24/11/2026", "R1", None, 30000, "a"]])))
    at = book.find(b"PK\x01\x02")  # the first central directory entry: "version needed to extract" at +6
    struct.pack_into("<H", book, at + 6, 187)
    error = refused(bytes(book))
    assert error.code == "malformed_xlsx" and error.status == 400


# --- dated totals ----------------------------------------------------------------------------------

BIDV_HEAD = "STT,Ngày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Số dư,Nội dung\n"


@pytest.mark.parametrize("memo", ["Cộng phát sinh trong ngày", "Tổng cộng", "Tong phat sinh", "Total"])
def test_a_dated_total_without_a_reference_is_no_transaction(memo):
    text = (BIDV_HEAD + "1,26/11/2026,R1,,30.000,,a\n2,26/11/2026,R2,,30.000,,b\n"
            f",26/11/2026,,,60.000,,{memo}\n")
    assert [(l.bank_ref, l.amount_vnd) for l in read(text)[1]] == [("R1", 30_000), ("R2", 30_000)]


def test_a_fee_beginning_with_tong_and_a_total_memo_with_a_reference_stay_transactions():
    text = (BIDV_HEAD + "1,26/11/2026,R1,,30.000,,a\n2,26/11/2026,,11.000,,,Tổng phí dịch vụ SMS tháng 11\n"
            "3,26/11/2026,R3,,50.000,,Tong cong le phi 2 ho so HS40881023160\n")
    assert money(read(text)[1]) == [(30_000, "credit"), (11_000, "debit"), (50_000, "credit")]


# --- a newest-first day with one balance -----------------------------------------------------------

def test_booking_times_tell_a_newest_first_file_with_one_balance():
    rows = ("24/11/2026 07:20:30,5041.2,,50.000,133.217.000,HS40881023160 nop le phi\n"
            "24/11/2026 07:20:00,5040.2,,200.000,,b\n"
            "24/11/2026 07:18:00,5036.1,11.000,,,THU PHI DICH VU SMS BANKING\n")
    info, _ = read("Số dư đầu kỳ/ Opening balance:,132.978.000,,,,\n" + VCB_HEAD + rows)
    assert _day(info) == (132_978_000, 133_217_000)
    oldest_first = "".join(reversed(rows.splitlines(keepends=True))).replace(",133.217.000,", ",,") \
        .replace("5036.1,11.000,,,", "5036.1,11.000,,132.967.000,")
    info, _ = read("Số dư đầu kỳ/ Opening balance:,132.978.000,,,,\n" + VCB_HEAD + oldest_first)
    assert _day(info) == (132_978_000, 133_217_000)


def _day(info) -> tuple[int | None, int | None]:
    balance = info.balances[date(2026, 11, 24)]
    return balance.opening_vnd, balance.closing_vnd


@pytest.mark.parametrize("memo", ['HS40881023160 nop phi 5" ho so', 'HS40881023160 phi "ho so'])
def test_a_lone_quote_inside_an_unquoted_memo_is_text_not_a_cut(memo):
    [line] = read(VCB_HEAD + f'26/11/2026,6100.1,,30.000,,{memo}\n')[1]
    assert line.amount_vnd == 30_000 and line.memo == memo


def test_a_payer_called_tong_cong_ty_is_a_transfer_not_a_total():
    text = BIDV_HEAD + "1,26/11/2026,R1,,30.000,,a\n,26/11/2026,,,100.000,,Tổng Công ty Điện lực nộp phí HS40881023160\n"
    assert money(read(text)[1]) == [(30_000, "credit"), (100_000, "credit")]


# --- a dated total in a table without a reference column --------------------------------------------

NO_REF_HEAD = "Ngày giao dịch,Ghi nợ,Ghi có,Nội dung\n"


@pytest.mark.parametrize("label", ["Tổng cộng", "Cộng", "Tổng", "Cộng phát sinh", "TONG CONG", "Total", "Sub total",
                                   "Tổng cộng:", "Cộng phát sinh trong ngày"])
def test_a_dated_total_in_a_table_without_references_is_no_transaction(label):
    text = NO_REF_HEAD + f"26/11/2026,,30.000,a\n26/11/2026,,50.000,b\n26/11/2026,,80.000,{label}\n"
    assert money(read(text)[1]) == [(30_000, "credit"), (50_000, "credit")]


@pytest.mark.parametrize("memo", ["Tổng cộng 2 hồ sơ HS40881023160", "Cộng đoàn nộp phí HS40881023160", "Tổng phí SMS",
                                  "Total HS40881023160", "Công", "Tống", "Tổng Công ty Điện lực"])
def test_a_transfer_whose_memo_starts_like_a_total_is_still_a_line_without_references(memo):
    text = NO_REF_HEAD + f"26/11/2026,,30.000,a\n26/11/2026,,80.000,{memo}\n"
    assert money(read(text)[1]) == [(30_000, "credit"), (80_000, "credit")]


# A memo without diacritics that is one word (`TONG`, `CONG`) is as much a name (Tống, Công: banks strip the
# tones from a transfer's memo) as a total's label, and a citizen's transfer dropped as a total would go
# unseen: the balance check misses the day's first or last row, its opening or closing read from the rows kept.

@pytest.mark.parametrize("memo", ["TONG", "Cong", "CONG:"])
def test_a_transfer_whose_plain_memo_is_one_name_like_word_is_a_line_without_references(memo):
    text = NO_REF_HEAD + f"26/11/2026,,500.000,{memo}\n26/11/2026,,30.000,a\n"
    assert money(read(text)[1]) == [(500_000, "credit"), (30_000, "credit")]



# A total's label is no proof on its own where no reference column tells a transfer from a total: the row is
# a total only when its money is what it totals (the credits, the debits, or both, since the table began or
# since the total above); a transfer whose memo is only "Tổng cộng" is kept, never dropped unseen.

@pytest.mark.parametrize("memo", ["Tổng cộng", "Total", "Cộng phát sinh"])
def test_a_total_memo_whose_amount_totals_nothing_above_is_a_transfer(memo):
    text = NO_REF_HEAD + f"26/11/2026,,30.000,a\n26/11/2026,,50.000,{memo}\n26/11/2026,,20.000,b\n"
    assert money(read(text)[1]) == [(30_000, "credit"), (50_000, "credit"), (20_000, "credit")]


def test_a_first_row_whose_memo_is_a_total_label_is_a_transfer():
    text = NO_REF_HEAD + "26/11/2026,,500.000,Tổng cộng\n26/11/2026,,30.000,a\n"
    assert money(read(text)[1]) == [(500_000, "credit"), (30_000, "credit")]


def test_day_subtotals_and_a_grand_total_without_references_are_totals():
    text = NO_REF_HEAD + ("26/11/2026,,30.000,a\n26/11/2026,11.000,,phi\n26/11/2026,11.000,30.000,Cộng phát sinh\n"
                          "27/11/2026,,50.000,b\n27/11/2026,,50.000,Cộng phát sinh\n"
                          "27/11/2026,11.000,80.000,Tổng cộng\n")
    assert money(read(text)[1]) == [(30_000, "credit"), (11_000, "debit"), (50_000, "credit")]


def test_a_total_memo_with_both_sides_that_do_not_both_add_up_is_read_as_a_row():
    text = NO_REF_HEAD + "26/11/2026,,30.000,a\n26/11/2026,11.000,30.000,Tổng cộng\n"
    with pytest.raises(StatementError) as refused:  # not a total (no debit above): a row with both sides
        read(text)
    assert refused.value.code == "invalid_amount"


def test_a_dated_subtotal_after_a_labelled_page_total_adds_up_from_that_total_and_is_no_credit():
    """A page's total labelled in the date column ("Cộng trang") is a total above: a dated subtotal below
    it that sums the rows since then (here across two days) is that subtotal, not a credit of 70.000."""
    text = NO_REF_HEAD + ("26/11/2026,,30.000,a\nCộng trang,,30.000,\n26/11/2026,,50.000,b\n27/11/2026,,20.000,c\n"
                          "27/11/2026,,70.000,Cộng phát sinh\n")
    assert money(read(text)[1]) == [(30_000, "credit"), (50_000, "credit"), (20_000, "credit")]


def test_an_undated_total_with_money_is_a_total_above_for_the_dated_subtotal_below():
    text = NO_REF_HEAD + ("26/11/2026,,30.000,a\n,,30.000,\n26/11/2026,,50.000,b\n27/11/2026,,20.000,c\n"
                          "27/11/2026,,70.000,Tổng cộng\n")
    assert money(read(text)[1]) == [(30_000, "credit"), (50_000, "credit"), (20_000, "credit")]


def test_a_total_whose_date_cell_gives_the_period_is_a_total_when_it_adds_up():
    """Its date cell is no day ("01/11/2026 - 30/11/2026"): the sums since the table began still tell it."""
    text = NO_REF_HEAD + "26/11/2026,,30.000,a\n27/11/2026,,50.000,b\n01/11/2026 - 30/11/2026,,80.000,Tổng cộng\n"
    assert money(read(text)[1]) == [(30_000, "credit"), (50_000, "credit")]


def test_a_grand_total_on_the_last_sheet_of_a_workbook_sums_every_sheet_and_is_no_credit():
    """A sheet per day, each with its day's total, the last also with the workbook's: 80.000 is no credit."""
    from datetime import datetime

    head = ["Ngày giao dịch", "Ghi nợ", "Ghi có", "Nội dung"]
    data = workbook(("26-11", [head, [datetime(2026, 11, 26), None, 30000, "a"],
                               [datetime(2026, 11, 26), None, 30000, "Cộng ngày"]]),
                    ("27-11", [head, [datetime(2026, 11, 27), None, 50000, "b"],
                               [datetime(2026, 11, 27), None, 50000, "Cộng ngày"],
                               [datetime(2026, 11, 27), None, 80000, "Tổng cộng"]]))
    assert money(read(data)[1]) == [(30_000, "credit"), (50_000, "credit")]


@pytest.mark.parametrize("row", ["26/11/2026,,5.030.000,Cộng lũy kế", "26/11/2026,,1.030.000,Số dư cuối kỳ",
                                 "26/11/2026,,1.030.000,Closing balance", "26/11/2026,,1.000.000,Số dư đầu ngày"])
def test_a_balance_or_a_running_total_since_before_the_file_is_no_credit(row):
    """Their money is no sum of the table's lines (a balance; a total since the month began): the label
    whole says what they are, as before sums were asked for, or the balance would be credited."""
    text = NO_REF_HEAD + f"26/11/2026,,30.000,a\n26/11/2026,,30.000,Cộng phát sinh\n{row}\n"
    assert money(read(text)[1]) == [(30_000, "credit")]
