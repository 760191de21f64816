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


def test_an_mt940_line_stored_under_its_cut_reference_is_found_when_read_whole(client, auth, monkeypatch):
    """Before, the library's pattern keyed a :61: with a long customer reference by its first 16 characters;
    the same file imported again (or its final version) must not credit the transfer a second time."""
    make_requests_with_codes(client, auth, monkeypatch, [(A, 30_000)])
    cut = "TTHS40881023160N"  # what the pattern kept of `TTHS40881023160NOPLEPHI`
    r = upload(client, auth, f"Ngày giao dịch,Số tham chiếu,Ghi có,Nội dung\n24/11/2026,{cut},30.000,{A} nop\n")
    assert (r.status_code, r.json["lines_new"]) == (201, 1), r.json
    mt = (":20:S\r\n:25:0071001234567\r\n:28C:1/1\r\n:60F:C261123VND1000000,\r\n"
          f":61:2611241124C30000,NTRFTTHS40881023160NOPLEPHI//FT26328900\r\n:86:{A} nop\r\n"
          ":62F:C261124VND1030000,\r\n")
    again = upload(client, auth, mt, filename="s.sta")
    assert again.status_code == 201, again.json
    assert (again.json["lines_new"], again.json["lines_duplicate"]) == (0, 1)
    assert paid_vnd(client, A) == 30_000
