"""Statement import, QA round 9: core-banking exports and spreadsheets as staff upload them, end to end."""
from datetime import date

import pytest
from sqlalchemy import func, select

from kernel.db import unit_of_work
from reconciliation.models import StatementLine
from tests.recon_factories import all_lines, make_requests_with_codes, paid_vnd, upload

CODE = "HS40881023160"
DAY = date(2026, 11, 24)

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def test_a_core_banking_csv_with_yyyymmdd_and_weekday_dates_pays_the_dossier(client, auth, monkeypatch):
    # `20261124` and `T3, 24/11/2026` were invalid_date: the whole export refused.
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    text = ("Ngày giao dịch,Số tham chiếu,Ghi nợ,Ghi có,Nội dung\n"
            f"20261124,26112400001,,30000,{CODE} nop le phi\n"
            "\"T3, 24/11/2026\",26112400002,11000,,phi SMS\n")
    r = upload(client, auth, text)
    assert r.status_code == 201, r.json
    lines = all_lines(client, auth, r.json["import_id"])
    assert sorted((l["booking_date"], l["amount_vnd"], l["direction"]) for l in lines) == [
        ("2026-11-24", 11_000, "debit"), ("2026-11-24", 30_000, "credit")]
    assert paid_vnd(client, CODE) == 30_000


def test_a_weekday_that_is_not_the_dates_weekday_is_refused_and_nothing_written(client, auth, db):
    text = ("Ngày giao dịch,Số tham chiếu,Ghi nợ,Ghi có,Nội dung\n"
            "20261124,R1,,30000,a\n\"T5, 24/11/2026\",R2,,40000,b\n")
    r = upload(client, auth, text)
    assert (r.status_code, r.json["code"], r.json["details"]["line_no"]) == (400, "invalid_date", 2)
    with unit_of_work(db) as s:
        assert s.execute(select(func.count()).select_from(StatementLine)).scalar_one() == 0


def test_a_transaction_type_column_beside_a_signed_amount_imports_and_pays_once(client, auth, monkeypatch):
    # "Loại giao dịch" was a side mark column by its header: "Chuyển khoản" in it refused the file.
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    text = ("Ngày giao dịch,Số tham chiếu,Loại giao dịch,Số tiền,Nội dung\n"
            f"24/11/2026,FT26328001,Chuyển khoản,30.000,{CODE} nop le phi\n"
            "24/11/2026,FT26328002,Chuyển khoản,-30.000,chuyen tien di\n")
    r = upload(client, auth, text)
    assert r.status_code == 201, r.json
    lines = all_lines(client, auth, r.json["import_id"])
    assert sorted((l["amount_vnd"], l["direction"]) for l in lines) == [(30_000, "credit"), (30_000, "debit")]
    assert paid_vnd(client, CODE) == 30_000


def test_unsigned_amounts_beside_transaction_types_are_refused_and_pay_nothing(client, auth, db, monkeypatch):
    # Read as credits, the transfer out (the second row) would pay the dossier.
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    text = ("Ngày giao dịch,Số tham chiếu,Transaction type,Số tiền,Nội dung\n"
            "24/11/2026,FT26328001,Chuyển khoản,10.000,ung ho\n"
            f"24/11/2026,FT26328002,Chuyển khoản,30.000,{CODE} hoan tien\n")
    r = upload(client, auth, text)
    assert (r.status_code, r.json["code"], r.json["details"]["line_no"]) == (400, "unknown_direction", 1)
    assert paid_vnd(client, CODE) == 0
    with unit_of_work(db) as s:
        assert s.execute(select(func.count()).select_from(StatementLine)).scalar_one() == 0
