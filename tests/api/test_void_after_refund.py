"""A POS void of a sale that is being refunded: the card gets its money back once, never twice."""
import pytest
from sqlalchemy import select

from api import build_worker
from kernel.clock import now_utc
from kernel.outbox import OutboxMessage
from tests.factories import make_request, signed


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def pos(client, settings, code, amount=100_000, **data):
    headers, body = signed(settings, "HCCPAY_POS_WEBHOOK_SECRET", {
        "terminal_id": "T1", "amount_vnd": amount, "payment_code": code, "card_masked": "970436******1234",
        "occurred_at": now_utc().isoformat(), "approval_code": "A1", "card_scheme": "napas", **data})
    r = client.post("/api/v1/callbacks/pos", data=body, headers=headers)
    assert r.status_code == 200, r.json


def card_sale(client, auth, settings, amount=100_000):
    code = make_request(client, auth, ("Lệ phí", "charge", amount))
    pos(client, settings, code, amount, transaction_id="S1", type="sale")
    [payment] = client.get(f"/api/v1/payment-requests/{code}/payments", headers=auth("finance")).json["payments"]
    return code, payment["id"]


def refund(client, auth, payment_id, amount):
    r = client.post(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance"),
                    json={"amount_vnd": amount, "expected_refundable_vnd": amount, "reason": "Hồ sơ bị từ chối"})
    assert r.status_code == 201, r.json
    return r.json


def void(client, settings, code, amount=100_000):
    pos(client, settings, code, amount, transaction_id="V1", type="void", original_transaction_id="S1")


def state(client, auth, code, refund_id):
    request = client.get(f"/api/v1/payment-requests/{code}").json
    [payment] = client.get(f"/api/v1/payment-requests/{code}/payments", headers=auth("finance")).json["payments"]
    refund_ = client.get(f"/api/v1/refunds/{refund_id}", headers=auth("finance")).json
    return request["status"], payment["status"], refund_["status"]


def conflicts(client, auth):
    return client.get("/api/v1/finance/conflicts", headers=auth("finance")).json["callbacks"]


def test_a_void_before_the_card_refund_was_sent_withdraws_the_refund_and_applies(client, auth, test_settings,
                                                                                  acquirer, db):
    code, payment_id = card_sale(client, auth, test_settings)
    r = refund(client, auth, payment_id, 100_000)
    assert r["status"] == "sending"
    void(client, test_settings, code)
    assert state(client, auth, code, r["id"]) == ("pending", "reversed", "failed")
    assert "V1" in client.get(f"/api/v1/refunds/{r['id']}", headers=auth("finance")).json["failure"]
    assert conflicts(client, auth) == []
    with db() as s:
        [message] = s.execute(select(OutboxMessage).where(OutboxMessage.topic == "pos.refund")).scalars().all()
    assert message.status == "done" and message.last_error.startswith("withdrawn unsent")
    build_worker(acquirer.settings, db).outbox.drain()
    assert acquirer.refunds() == []  # the void returned the money; the refund never did


def test_a_void_after_the_refund_call_may_have_reached_the_acquirer_is_a_conflict_for_finance(
        client, auth, test_settings, acquirer, db):
    code, payment_id = card_sale(client, auth, test_settings)
    acquirer.mode("down")
    r = refund(client, auth, payment_id, 100_000)
    worker = build_worker(acquirer.settings, db)
    worker.outbox.topics = {"pos.refund": worker.outbox.topics["pos.refund"]}
    worker.outbox.drain()  # attempted once: it may have reached the acquirer
    void(client, test_settings, code)
    assert state(client, auth, code, r["id"]) == ("refunded", "active", "sending")
    [conflict] = conflicts(client, auth)
    assert conflict["reason"].startswith("void_of_refunded_sale: void T1:V1 arrived while refund")


def test_a_void_after_the_card_refund_was_executed_is_a_conflict_for_finance(client, auth, test_settings, acquirer,
                                                                             db):
    code, payment_id = card_sale(client, auth, test_settings)
    r = refund(client, auth, payment_id, 100_000)
    build_worker(acquirer.settings, db).outbox.drain()
    void(client, test_settings, code)
    assert state(client, auth, code, r["id"]) == ("refunded", "active", "executed")
    assert [c["reason"].split(":")[0] for c in conflicts(client, auth)] == ["void_of_refunded_sale"]


def test_a_void_rejects_a_refund_still_waiting_for_approval(client, auth, test_settings):
    code, payment_id = card_sale(client, auth, test_settings, amount=3_000_000)
    r = refund(client, auth, payment_id, 3_000_000)
    assert r["status"] == "awaiting_approval"
    void(client, test_settings, code, amount=3_000_000)
    assert state(client, auth, code, r["id"]) == ("pending", "reversed", "rejected")
    assert client.post(f"/api/v1/refunds/{r['id']}/approve", headers=auth("approver")).status_code == 409
