"""A Vietcombank CashUp export (the document number under the date, no `Số CT` column) and the bank's
MT940 of the same day are one statement: each line once, whichever comes first."""
from tests.recon_factories import count_payments, make_requests_with_codes, paid_vnd, upload
from tests.unit.test_parse_fix_tabular import csv_text
from tests.unit.test_statement_date_with_doc_no import CASHUP

CODE = "HS40881023160"
MT940 = (":20:HCC261124\r\n:25:0071001234567\r\n:28C:00001/001\r\n:60F:C261124VND1000000,\r\n"
         f":61:2611241124C30000,NTRF500096828//500096828\r\n:86:{CODE} nop phi\r\n:62F:C261124VND1030000,\r\n-\r\n")


def test_the_cashup_export_then_the_mt940_add_the_transfer_once(client, auth, db, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    first = upload(client, auth, csv_text(CASHUP, ["24/11/2026\n5000.96828", "", "30.000", "", f"{CODE} nop phi"]))
    assert (first.status_code, first.json["lines_new"]) == (201, 1), first.json
    payments = count_payments(db)
    again = upload(client, auth, MT940, "s.mt940")
    assert (again.json["lines_new"], again.json["lines_duplicate"]) == (0, 1), again.json
    assert count_payments(db) == payments and paid_vnd(client, CODE) == 30_000
