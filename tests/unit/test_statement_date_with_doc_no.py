"""Vietcombank's CashUp export writes the document number under the date in one cell (`24/11/2026` and
`5001.12345` on two lines, or on one line after a space) and has no document number column: the date is
read and the document number is the line's bank reference, so the line is the same transfer as in the
bank's MT940 (`500112345`)."""
import pytest

from tests.unit.test_parse_fix_tabular import csv_text, read, refused, summary, workbook

CASHUP = ["Ngày GD/ TNX Date", "Số tiền ghi nợ/ Debit", "Số tiền ghi có/ Credit", "Số dư/ Balance",
          "Nội dung chi tiết/ Transactions in detail"]


@pytest.mark.parametrize("cell", ["24/11/2026\n5001.12345", "24/11/2026 5001.12345", " 24/11/2026\r\n5001.12345 "])
def test_the_date_and_document_number_in_one_cell_are_the_lines_date_and_reference(cell):
    info, lines = read(csv_text(CASHUP, [cell, "", "30.000", "", "HS40881023160 nop phi"],
                                ["25/11/2026\n5002.54321", "11.000", "", "", "phi"]))
    assert info.profile == "vcb"
    assert summary(lines) == [("2026-11-24", 30000, "credit", "5001.12345"), ("2026-11-25", 11000, "debit", "5002.54321")]


def test_a_workbook_cell_holding_both_reads_alike():
    _, lines = read(workbook([CASHUP, ["24/11/2026\n5001.12345", None, 30000, None, "HS40881023160"]]))
    assert summary(lines) == [("2026-11-24", 30000, "credit", "5001.12345")]


def test_a_time_before_the_document_number_is_the_lines_time():
    _, [line] = read(csv_text(CASHUP, ["24/11/2026 10:15:00\n5001.12345", "", "30.000", "", "x"]))
    assert (line.bank_ref, line.booked_at.isoformat()) == ("5001.12345", "2026-11-24T03:15:00+00:00")


def test_a_reference_column_keeps_its_own_reference_and_the_date_is_read():
    header = CASHUP[:1] + ["Số CT/ Doc No"] + CASHUP[1:]
    _, lines = read(csv_text(header, ["24/11/2026\n5001.12345", "5001.99999", "", "30.000", "", "x"],
                             ["24/11/2026\n5001.12346", "", "", "20.000", "", "y"]))
    assert summary(lines) == [("2026-11-24", 30000, "credit", "5001.99999"), ("2026-11-24", 20000, "credit", "5001.12346")]


def test_anything_else_after_the_date_is_still_no_date():
    error = refused(csv_text(CASHUP, ["24/11/2026 HS40881023160", "", "30.000", "", "x"]))
    assert (error.code, error.details["line_no"]) == ("invalid_date", 1)


def test_another_banks_layout_does_not_read_a_number_after_its_date():
    error = refused(csv_text(["Ngày giao dịch", "Ghi có", "Nội dung"], ["24/11/2026 5001.12345", "30.000", "x"]))
    assert (error.code, error.details["line_no"]) == ("invalid_date", 1)


@pytest.mark.parametrize("memo", ["Cộng phát sinh trong ngày", "Tổng cộng", "Total"])
def test_a_dated_total_without_a_document_number_is_no_transaction(memo):
    """In this layout the date cell is where every transfer names its reference, as the `Số CT` column is
    in VCB's other export: a dated row without one whose memo names a total is the day's total."""
    _, lines = read(csv_text(CASHUP, ["24/11/2026\n5001.12345", "", "30.000", "", "HS40881023160 nop phi"],
                             ["24/11/2026\n5001.12346", "", "30.000", "", "HS21890246178 nop phi"],
                             ["24/11/2026", "", "60.000", "", memo]))
    assert summary(lines) == [("2026-11-24", 30000, "credit", "5001.12345"), ("2026-11-24", 30000, "credit", "5001.12346")]


def test_a_transfer_whose_memo_begins_like_a_total_keeps_its_document_number_and_its_money():
    _, lines = read(csv_text(CASHUP, ["24/11/2026\n5001.12345", "", "50.000", "", "Tong cong le phi 2 ho so HS40881023160"]))
    assert summary(lines) == [("2026-11-24", 50000, "credit", "5001.12345")]
