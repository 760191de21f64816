"""Statement import, QA round 8: bank exports as staff upload them, end to end."""
from datetime import date

import pytest

from kernel.db import unit_of_work
from reconciliation.exceptions import balance_checks
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
