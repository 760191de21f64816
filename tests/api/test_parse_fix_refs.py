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
