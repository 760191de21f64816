"""Statement import, QA round 14: an unsigned amount beside a running balance, through the API."""
import pytest

from tests.recon_factories import count_statement_lines, make_requests_with_codes, paid_vnd, upload

A, B = "HS40881023160", "HS21890246178"

pytestmark = pytest.mark.usefixtures("ledger_checked")

HEADER = "Ngày giao dịch,Số tham chiếu,Số tiền,Số dư,Nội dung\n"


def test_a_fee_whose_balance_goes_down_pays_no_request(client, auth, monkeypatch):
    """The fee's memo names a request (the bank copies the dossier into its fee's text): read as a credit,
    the fee paid it."""
    make_requests_with_codes(client, auth, monkeypatch, [(A, 30_000), (B, 11_000)])
    text = ("Số dư đầu kỳ: 1.000.000\n" + HEADER + f"24/11/2026,FT1,30.000,1.030.000,{A} nop le phi\n"
            f"24/11/2026,FT2,11.000,1.019.000,Thu phi dich vu {B}\n")
    r = upload(client, auth, text)
    assert (r.status_code, r.json["lines_new"]) == (201, 2), r.json
    assert (paid_vnd(client, A), paid_vnd(client, B)) == (30_000, 0)


def test_a_first_row_no_balance_tells_is_refused_whole(client, auth, monkeypatch, db):
    make_requests_with_codes(client, auth, monkeypatch, [(A, 30_000), (B, 11_000)])
    text = HEADER + f"24/11/2026,FT2,11.000,989.000,Thu phi dich vu {B}\n24/11/2026,FT1,30.000,1.019.000,{A}\n"
    r = upload(client, auth, text)
    assert (r.status_code, r.json["code"], r.json["details"]["line_no"]) == (400, "amount_side_unknown", 1), r.json
    assert count_statement_lines(db) == 0
    assert (paid_vnd(client, A), paid_vnd(client, B)) == (0, 0)
