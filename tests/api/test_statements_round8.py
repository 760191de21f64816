"""Statement import, QA round 8: bank exports as staff upload them, end to end."""
from datetime import date

import pytest
from sqlalchemy import func, select

from kernel.db import unit_of_work
from reconciliation.exceptions import balance_checks
from reconciliation.models import StatementLine
from tests.recon_factories import all_lines, make_requests_with_codes, paid_vnd, upload

CODE = "HS40881023160"
DAY = date(2026, 11, 24)

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def test_a_fee_column_beside_the_credit_pays_the_whole_credit_and_the_day_balances(client, auth, db, monkeypatch):
    # "Số tiền phí" was read as the row's amount: the 30,000 payment was read as 1,100, and the day's
    # balance was off by the difference.
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    text = ("Ngày giao dịch,Số tham chiếu,Số tiền ghi có,Số tiền phí,Số dư,Nội dung\n"
            f'24/11/2026 08:00:00,FT26328001,"30.000","1.100","1.028.900",{CODE} nop le phi\n'
            '24/11/2026 09:00:00,FT26328002,"20.000","","1.048.900",ung ho\n')
    r = upload(client, auth, text)
    assert r.status_code == 201, r.json
    lines = all_lines(client, auth, r.json["import_id"])
    assert sorted((l["amount_vnd"], l["direction"]) for l in lines) == [(1_100, "debit"), (20_000, "credit"),
                                                                        (30_000, "credit")]
    assert paid_vnd(client, CODE) == 30_000
    with unit_of_work(db) as s:
        [check] = balance_checks(s, DAY)
    assert (check["opening_vnd"], check["closing_stated_vnd"], check["difference_vnd"]) == (1_000_000, 1_048_900, 0)
    again = upload(client, auth, text).json
    assert (again["lines_new"], again["lines_duplicate"]) == (0, 3)


def test_an_rje_file_of_two_days_imports_both_days_with_their_balances(client, auth, db, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])

    def message(number: int, day: str, opening: int, amount: int, memo: str) -> str:
        return ("{1:F01BFTVVNVXAXXX0000000000}{2:O9401200" + day + "BFTVVNVXAXXX00000000002611241200N}{4:\r\n"
                f":20:STMT{number}\r\n:25:0071001234567\r\n:28C:{number}/1\r\n:60F:C{day}VND{opening},\r\n"
                f":61: {day}{day[2:]}C{amount},NTRFFT{number}//B{number}\r\n:86:{memo}\r\n"
                f":62F:C{day}VND{opening + amount},\r\n-}}")

    text = (message(1, "261124", 1_000_000, 30_000, f"{CODE} nop le phi") + "\r\n$\r\n"
            + message(2, "261125", 1_030_000, 40_000, "ung ho") + "\r\n")
    r = upload(client, auth, text, "statement.sta")
    assert r.status_code == 201, r.json
    assert sorted((l["booking_date"], l["amount_vnd"]) for l in all_lines(client, auth, r.json["import_id"])) == [
        ("2026-11-24", 30_000), ("2026-11-25", 40_000)]
    assert paid_vnd(client, CODE) == 30_000
    with unit_of_work(db) as s:
        checks = balance_checks(s, DAY) + balance_checks(s, date(2026, 11, 25))
    assert [(c["opening_vnd"], c["closing_stated_vnd"], c["difference_vnd"]) for c in checks] == [
        (1_000_000, 1_030_000, 0), (1_030_000, 1_070_000, 0)]


def test_a_loai_column_of_side_marks_keeps_a_refund_from_paying_again(client, auth, db, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 60_000)])
    text = ("Ngày giao dịch,Số tham chiếu,Số tiền,Loại,Ngày hiệu lực,Nội dung\n"
            f'24/11/2026 10:15:30,FT26328001,"30.000 (CR)",Ghi có,24/11,{CODE} nop le phi\n'
            f'24/11/2026 10:20:00,FT26328002,"30.000",Ghi nợ,24/11,Hoan tien {CODE} nop thua\n')
    r = upload(client, auth, text)
    assert r.status_code == 201, r.json
    lines = all_lines(client, auth, r.json["import_id"])
    assert sorted((l["direction"], l["value_date"]) for l in lines) == [("credit", "2026-11-24"),
                                                                        ("debit", "2026-11-24")]
    assert paid_vnd(client, CODE) == 30_000


def test_a_refused_file_writes_nothing_and_names_the_line(client, auth, db):
    text = ("Ngày giao dịch,Số tham chiếu,Số tiền,Loại,Nội dung\n"
            "24/11/2026,FT1,30.000,Ghi có,a\n24/11/2026,FT2,15.000,Chuyển khoản,b\n")
    r = upload(client, auth, text)
    assert (r.status_code, r.json["code"], r.json["details"]["line_no"]) == (400, "unknown_direction", 2)
    with unit_of_work(db) as s:
        assert s.execute(select(func.count()).select_from(StatementLine)).scalar_one() == 0
