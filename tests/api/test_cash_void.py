"""A cashier voids cash taken by mistake, while the drawer that took it is open: the money leaves its
request through the one reversal path (as a card void), the drawer expects that much less, the receipt
is cancelled, the void is audited, and a second void gives the same answer without moving money twice."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kernel.audit import AuditEntry
from kernel.clock import now_utc
from kernel.db import unit_of_work
from kernel.errors import Conflict
from payments import cash_voids
from payments.ledger import LedgerEntry
from payments.models import PaymentRequestEvent
from payments.receipts import PAYMENT_REVERSED, Receipt
from tests.api.test_money_round5_refunds import other_cashier  # noqa: F401 (fixture)
from tests.factories import make_request, send_callback

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test

REASON = "Thu nhầm hồ sơ: gõ sai mã thanh toán"


def take(client, auth, amount=100_000, headers=None):
    """A new request of 100.000 ₫ and `amount` taken in cash for it; (code, payment)."""
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    r = client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": amount},
                    headers=headers or auth("cashier"))
    assert r.status_code == 201, r.json
    return code, r.json


def void(client, payment_id, headers, reason=REASON):
    return client.post(f"/api/v1/payments/cash/{payment_id}/void", json={"reason": reason}, headers=headers)


def drawer(client, auth) -> dict:
    [only] = client.get("/api/v1/cash/drawers", headers=auth("finance")).json["drawers"]
    return only


def request_(client, code) -> dict:
    return client.get(f"/api/v1/payment-requests/{code}").json


def reversals(db, payment_id) -> int:
    with db() as s:
        return s.execute(select(func.count()).select_from(LedgerEntry).where(
            LedgerEntry.kind == "reversal", LedgerEntry.payment_id == payment_id)).scalar_one()


def test_the_cashier_voids_cash_taken_by_mistake(client, auth, db):
    code, payment = take(client, auth)
    assert request_(client, code)["status"] == "paid" and drawer(client, auth)["balance_vnd"] == 100_000
    with db() as s:
        assert s.execute(select(Receipt.cancelled_at)).scalar_one() is None  # the paid request's receipt
    r = void(client, payment["id"], auth("cashier"))
    assert r.status_code == 200, r.json
    assert r.json["status"] == "reversed" and r.json["reversed_at"] is not None
    assert r.json["void"]["reason"] == REASON and r.json["void"]["voided_by"].endswith(":test cashier")
    after = request_(client, code)
    assert (after["status"], after["paid_vnd"], after["outstanding_vnd"]) == ("pending", 0, 100_000)
    assert drawer(client, auth)["balance_vnd"] == 0  # the drawer expects that much less
    with db() as s:
        receipt = s.execute(select(Receipt)).scalar_one()
        assert receipt.cancelled_at is not None and receipt.cancel_reason == PAYMENT_REVERSED
        events = s.execute(select(PaymentRequestEvent.event)).scalars().all()
        assert "payment_reversed" in events  # the request's history, as a card void's
        [entry] = s.execute(select(AuditEntry).where(AuditEntry.action == "cash_payment.void")).scalars().all()
        assert (entry.subject_id, entry.reason) == (str(payment["id"]), REASON)
    assert reversals(db, payment["id"]) == 1
    pdf = client.get(f"/api/v1/payment-requests/{code}/receipt.pdf")
    assert pdf.status_code == 200 and "da-huy" in pdf.headers["Content-Disposition"]


def test_voiding_twice_gives_the_same_answer_and_moves_the_money_once(client, auth, db):
    code, payment = take(client, auth, amount=60_000)
    first = void(client, payment["id"], auth("cashier"))
    second = void(client, payment["id"], auth("cashier"), reason="bấm lại")
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json == second.json
    assert reversals(db, payment["id"]) == 1
    assert drawer(client, auth)["balance_vnd"] == 0 and request_(client, code)["paid_vnd"] == 0


def test_a_void_needs_a_reason(client, auth):
    _, payment = take(client, auth)
    r = client.post(f"/api/v1/payments/cash/{payment['id']}/void", json={}, headers=auth("cashier"))
    assert r.status_code == 400 and r.json["code"] == "missing_field"
    assert void(client, payment["id"], auth("cashier"), reason="   ").status_code == 400
    assert drawer(client, auth)["balance_vnd"] == 100_000


def test_another_cashier_may_not_void_but_finance_may(client, auth, other_cashier):
    _, payment = take(client, auth)
    r = void(client, payment["id"], other_cashier)
    assert r.status_code == 403 and r.json["code"] == "not_your_payment"
    for role in ("intake", "approver", "auditor", "postal"):
        assert void(client, payment["id"], auth(role)).status_code == 403
    assert drawer(client, auth)["balance_vnd"] == 100_000
    r = void(client, payment["id"], auth("finance"))
    assert r.status_code == 200 and r.json["void"]["voided_by"].endswith(":test finance")


def test_no_void_once_the_drawer_is_closed(client, auth):
    code, payment = take(client, auth)
    closing = client.post(f"/api/v1/cash/drawers/{drawer(client, auth)['id']}/close", json={"counted_vnd": 100_000},
                          headers=auth("cashier"))
    assert closing.status_code == 200
    r = void(client, payment["id"], auth("cashier"))
    assert r.status_code == 409 and r.json["code"] == "drawer_closed"
    assert request_(client, code)["status"] == "paid"


def test_no_void_on_another_business_day(client, auth, db, test_settings):
    code, payment = take(client, auth)
    with unit_of_work(db) as s, pytest.raises(Conflict) as refused:
        cash_voids.void_cash(s, payment_id=payment["id"], reason=REASON, actor="test", any_cashier=True,
                             settings=test_settings, now=now_utc() + timedelta(days=1))
    assert refused.value.code == "drawer_of_another_day"
    assert request_(client, code)["status"] == "paid"


def test_only_cash_is_voided_here(client, auth, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    assert send_callback(client, test_settings, "bank", code=code, amount=100_000).status_code == 200
    [payment] = client.get(f"/api/v1/payment-requests/{code}/payments", headers=auth("finance")).json["payments"]
    r = void(client, payment["id"], auth("finance"))
    assert r.status_code == 409 and r.json["code"] == "payment_not_cash"
    assert void(client, 987_654, auth("finance")).json["code"] == "payment_not_found"


def test_no_void_of_cash_a_refund_claims(client, auth):
    code, payment = take(client, auth)
    refund = client.post(f"/api/v1/payments/{payment['id']}/refunds", headers=auth("finance"), json={
        "amount_vnd": 30_000, "expected_refundable_vnd": 100_000, "reason": "Thu thừa"})
    assert refund.status_code == 201, refund.json
    r = void(client, payment["id"], auth("cashier"))
    assert r.status_code == 409 and r.json["code"] == "payment_refunded"
    assert r.json["details"]["refund_id"] == refund.json["id"]
    assert client.get(f"/api/v1/refunds/{refund.json['id']}", headers=auth("finance")).json["status"] \
        == refund.json["status"]  # left alone


def test_no_void_of_cash_finance_moved(client, auth):
    _, payment = take(client, auth)
    [allocation] = payment["allocations"]
    released = client.post(f"/api/v1/finance/allocations/{allocation['id']}/release", headers=auth("finance"),
                           json={"reason": "Nhầm hồ sơ"})
    assert released.status_code == 200, released.json
    r = void(client, payment["id"], auth("cashier"))
    assert r.status_code == 409 and r.json["code"] == "payment_moved"


def test_the_counter_receipt_of_voided_cash_says_so(client, auth):
    _, payment = take(client, auth)
    before = client.get(f"/api/v1/payments/{payment['id']}/receipt.txt", headers=auth("cashier")).text
    assert "ĐÃ HỦY" not in before
    assert void(client, payment["id"], auth("cashier")).status_code == 200
    after = client.get(f"/api/v1/payments/{payment['id']}/receipt.txt", headers=auth("cashier")).text
    assert "PHIẾU THU ĐÃ HỦY" in after and "Hủy lúc:" in after


def test_the_cancelled_counter_receipt_still_says_what_the_cash_was_for(client, auth, db):
    """A voided phiếu thu is kept (the payer may bring it back): it must still name the request, the
    dossier and the procedure it was taken for, and no longer promise an e-receipt."""
    code, payment = take(client, auth)
    with db() as s:
        from payments.models import PaymentRequest
        dossier = s.execute(select(PaymentRequest).where(PaymentRequest.payment_code == code)).scalar_one().dossier
        dossier_code = dossier.code
    assert void(client, payment["id"], auth("cashier")).status_code == 200
    after = client.get(f"/api/v1/payments/{payment['id']}/receipt.txt", headers=auth("cashier")).text
    assert "PHIẾU THU ĐÃ HỦY" in after
    assert f"Mã thanh toán: {code}" in after and f"Hồ sơ: {dossier_code}" in after
    assert "Biên lai điện tử được gửi" not in after and "Đã trả lại tiền cho người nộp." in after


def test_a_void_of_cash_whose_request_became_overpaid_gives_back_all_of_it(client, auth, db, test_settings):
    """Cash paid a request in full; a fee item was then withdrawn (its postage), so the request holds an
    over-payment for finance to refund. The void hands all of the cash back: the over-payment leaves with
    it (nothing is left for finance to refund twice), the drawer expects nothing, the books balance."""
    from payments import service
    from payments.ledger import Accounts, balance
    from payments.models import PaymentRequest

    code = make_request(client, auth, ("Lệ phí", "charge", 70_000), ("Cước", "postage", 30_000))
    r = client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": 100_000},
                    headers=auth("cashier"))
    assert r.status_code == 201, r.json
    with unit_of_work(db) as s:
        request = s.execute(select(PaymentRequest).where(PaymentRequest.payment_code == code)).scalar_one()
        postage = frozenset(item.id for item in request.dossier.fee_items if item.amount_vnd == 30_000)
        assert service.withdraw_fee_items(s, dossier_code=request.dossier.code, fee_item_ids=postage,
                                          reason="Hủy gửi bưu điện", settings=test_settings, actor="test",
                                          now=now_utc()).overpaid_vnd == 30_000
    assert request_(client, code)["status"] == "overpaid"
    with db() as s:
        assert balance(s, Accounts.OVERPAYMENTS) != 0
    voided = void(client, r.json["id"], auth("cashier"))
    assert voided.status_code == 200, voided.json
    after = request_(client, code)
    assert (after["status"], after["paid_vnd"]) == ("pending", 0)
    assert drawer(client, auth)["balance_vnd"] == 0
    with db() as s:
        assert balance(s, Accounts.OVERPAYMENTS) == 0


def test_a_void_after_a_refund_that_failed_moves_the_whole_amount_once(client, auth, db, test_settings):
    """A refund that failed gave its money back to the request: nothing claims the cash any more, so the
    void may take all of it back, and the books balance (the failed refund is not undone again)."""
    from payments import refunds

    code, payment = take(client, auth)
    refund = client.post(f"/api/v1/payments/{payment['id']}/refunds", headers=auth("finance"), json={
        "amount_vnd": 30_000, "expected_refundable_vnd": 100_000, "reason": "Thu thừa"})
    assert refund.status_code == 201 and refund.json["status"] == "cash_due", refund.json
    with unit_of_work(db) as s:
        refunds.mark_failed(s, refund_id=refund.json["id"], reason="Người nộp không đến nhận",
                            settings=test_settings, actor="user:2:Kế toán Lan", now=now_utc())
    assert request_(client, code)["paid_vnd"] == 100_000
    r = void(client, payment["id"], auth("cashier"))
    assert r.status_code == 200, r.json
    assert (request_(client, code)["paid_vnd"], drawer(client, auth)["balance_vnd"]) == (0, 0)
    assert reversals(db, payment["id"]) == 1
