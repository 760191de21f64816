"""A statement saved through Excel (its references now numbers) is the same statement: imported after
the bank's own file it adds no line and credits nothing again (QA parse pass, finding 2)."""
import csv
import io

from openpyxl import Workbook

from tests.factories import assert_ledger_ok
from tests.recon_factories import DATA, all_lines, count_payments, open_truth_requests, upload, upload_sample


def excel_saved(csv_name: str) -> bytes:
    """The bank's CSV opened and saved by Excel: `5007.50790` becomes the number 5007.5079."""
    rows = list(csv.reader((DATA / csv_name).read_text(encoding="utf-8-sig").splitlines()))
    book = Workbook()
    book.active.append(rows[0])
    for row in rows[1:]:
        book.active.append([float(c) if i == 1 else int(c.replace(".", "")) if i in (2, 3, 4) and c else c or None
                            for i, c in enumerate(row)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_vcb_export_saved_through_excel_after_the_mt940_adds_no_line(client, auth, db, monkeypatch):
    open_truth_requests(client, auth, monkeypatch)
    first = upload_sample(client, auth, "statement_sample.mt940")
    assert first.status_code == 201, first.json
    payments = count_payments(db)
    again = upload(client, auth, excel_saved("statement_vcb_sample.csv"), "s.xlsx")
    assert again.status_code == 201, again.json
    assert (again.json["lines_total"], again.json["lines_new"], again.json["lines_duplicate"]) == (42, 0, 42)
    assert count_payments(db) == payments
    listed = all_lines(client, auth, again.json["import_id"])  # its lines are the MT940's
    assert {l["import_id"] for l in listed} == {first.json["import_id"]} and len(listed) == 42
    day = client.get("/api/v1/reconciliation/days/2026-11-24", headers=auth("finance")).json
    assert [b["difference_vnd"] for b in day["balances"]] == [0]
    assert_ledger_ok(db)


def test_the_excel_saved_statement_imported_twice_adds_its_lines_once(client, auth, db, monkeypatch):
    open_truth_requests(client, auth, monkeypatch)
    data = excel_saved("statement_vcb_sample.csv")
    assert upload(client, auth, data, "s.xlsx").json["lines_new"] == 42
    payments = count_payments(db)
    again = upload(client, auth, data, "s2.xlsx")
    assert (again.json["lines_new"], again.json["lines_duplicate"]) == (0, 42)
    assert count_payments(db) == payments


def test_the_excel_saved_statement_first_and_the_mt940_after_add_each_line_once(client, auth, db, monkeypatch):
    """The other order: the bank's referenced lines find the stored lines that lost their reference."""
    open_truth_requests(client, auth, monkeypatch)
    assert upload(client, auth, excel_saved("statement_vcb_sample.csv"), "s.xlsx").json["lines_new"] == 42
    payments = count_payments(db)
    again = upload_sample(client, auth, "statement_sample.mt940")
    assert (again.json["lines_new"], again.json["lines_duplicate"]) == (0, again.json["lines_total"])
    assert count_payments(db) == payments
    assert_ledger_ok(db)


MT940_TWO_PAYERS = """:20:X
:25:0071001234567
:28C:00001/001
:60F:C261124VND1000000,
:61:2611241124C50000,NTRF900000001//900000001
:86:{first}
:61:2611241124C50000,NTRF900000002//900000002
:86:{second}
:62F:C261124VND1100000,
"""


def _vcb_xlsx(rows) -> bytes:
    book = Workbook()
    book.active.append(["Ngày GD/ TNX Date", "Số CT/ Doc No", "Số tiền ghi nợ/ Debit", "Số tiền ghi có/ Credit",
                        "Số dư/ Balance", "Nội dung chi tiết/ Transactions in detail"])
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_two_transfers_whose_memos_hold_one_another_each_find_their_own_line(client, auth, db, monkeypatch):
    """Memo A and memo "A + name": each reference-less line takes the line with its very memo first,
    never one already taken (the second was credited again: 150,000 paid of 100,000 received)."""
    from tests.recon_factories import make_requests_with_codes, paid_vnd

    make_requests_with_codes(client, auth, monkeypatch, [("HS40881023160", 100_000)])
    first, second = "HS40881023160", "HS40881023160 NGUYEN VAN B nop ho"
    assert upload(client, auth, MT940_TWO_PAYERS.format(first=first, second=second), "a.mt940").status_code == 201
    payments = count_payments(db)
    saved = _vcb_xlsx([["24/11/2026", 9000.00001, None, 50_000, None, first],
                       ["24/11/2026", 9000.00002, None, 50_000, None, second]])
    again = upload(client, auth, saved, "b.xlsx").json
    assert (again["lines_new"], again["lines_duplicate"]) == (0, 2)
    assert count_payments(db) == payments and paid_vnd(client, "HS40881023160") == 100_000


def test_one_file_with_a_referenced_and_an_unreferenced_equal_transfer_lists_two(client, auth, db, monkeypatch):
    """Lines the same import stored are never its duplicates: the file says there were two transfers."""
    from tests.recon_factories import make_requests_with_codes

    make_requests_with_codes(client, auth, monkeypatch, [("HS40881023160", 100_000)])
    rows = [["24/11/2026", "FT26328000001", None, 50_000, None, "HS40881023160"],
            ["24/11/2026", None, None, 50_000, None, "HS40881023160"]]
    body = upload(client, auth, _vcb_xlsx(rows), "c.xlsx").json
    assert (body["lines_new"], body["lines_duplicate"]) == (2, 0)
