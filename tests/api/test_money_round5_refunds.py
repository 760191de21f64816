"""Refunds, round 5: a drawer pays out only cash it holds; the refundable figure is what can be taken."""
import pytest

from kernel.auth import create_token
from kernel.db import unit_of_work
from tests.conftest import T0
from tests.factories import make_request


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


@pytest.fixture
def other_cashier(db) -> dict:
    """Headers of a second cashier, whose drawer has taken no cash."""
    with unit_of_work(db) as s:
        _, raw = create_token(s, role="cashier", name="quầy 2", actor="test", now=T0)
    return {"Authorization": f"Bearer {raw}"}


def cash_refund(client, auth, amount=100_000) -> int:
    """A cash payment taken by the first cashier and a cash refund of it, due at the counter."""
    code = make_request(client, auth)
    cash = client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": amount},
                       headers=auth("cashier")).json
    r = client.post(f"/api/v1/payments/{cash['id']}/refunds", headers=auth("finance"),
                    json={"amount_vnd": amount, "expected_refundable_vnd": amount, "reason": "Hồ sơ bị từ chối"})
    assert r.json["status"] == "cash_due"
    return r.json["id"]


def test_a_drawer_does_not_pay_out_cash_it_does_not_hold(client, auth, other_cashier):
    refund_id = cash_refund(client, auth)
    empty = client.post(f"/api/v1/refunds/{refund_id}/executed", json={}, headers=other_cashier)
    assert empty.status_code == 409 and empty.json["code"] == "insufficient_cash_in_drawer"
    assert empty.json["details"] == {"balance_vnd": 0}
    assert client.get(f"/api/v1/refunds/{refund_id}", headers=auth("finance")).json["status"] == "cash_due"
    drawers = client.get("/api/v1/cash/drawers", headers=auth("finance")).json["drawers"]
    assert [d["balance_vnd"] for d in drawers] == [100_000]  # the refused payout left no drawer negative
    done = client.post(f"/api/v1/refunds/{refund_id}/executed", json={}, headers=auth("cashier"))
    assert done.status_code == 200 and done.json["status"] == "executed"
    assert all(d["balance_vnd"] == 0 for d in client.get("/api/v1/cash/drawers", headers=auth("finance")).json["drawers"])


def test_the_refusal_reads_in_vietnamese_on_the_staff_pages():
    from web.finance_text import error_sentence

    assert error_sentence("insufficient_cash_in_drawer", {"balance_vnd": 20_000}) == \
        "Ngăn kéo tiền mặt chỉ còn 20.000 ₫, không đủ để trả lại số tiền này."


def test_money_written_off_from_suspense_is_not_advertised_as_refundable(client, auth):
    from tests.recon_factories import all_lines, upload, vcb_csv

    csv = vcb_csv(("5001", "", "300,000", "CHUYEN TIEN KHONG RO NOI DUNG"), closing="300,000", day="24/11/2026")
    [line] = all_lines(client, auth, upload(client, auth, csv).json["import_id"])
    off = client.post(f"/api/v1/reconciliation/lines/{line['id']}/write-off", json={"reason": "thu khác"},
                      headers=auth("finance"))
    assert off.status_code == 201, off.json
    payment_id = line.get("payment_id") or client.get(f"/api/v1/reconciliation/lines/{line['id']}",
                                                      headers=auth("finance")).json["payment_id"]
    assert client.get(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance")).json["refundable_vnd"] == 0
    r = client.post(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance"),
                    json={"amount_vnd": 300_000, "expected_refundable_vnd": 300_000, "reason": "Hoàn"})
    assert r.status_code == 412 and r.json["details"] == {"refundable_vnd": 0}
