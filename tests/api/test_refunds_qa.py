"""Refunds after the audit: who decides a card refund, replays, the four-eyes total, when the
citizen and subscribers are told, and a partly paid request that got money back."""
import pytest

from api import build_worker
from tests.api.test_refunds import paid, refund
from tests.factories import make_request, send_callback


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def refund_json(client, auth, refund_id):
    return client.get(f"/api/v1/refunds/{refund_id}", headers=auth("finance")).json


def refundable(client, auth, payment_id):
    return client.get(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance")).json["refundable_vnd"]


def card_worker(settings, db):
    worker = build_worker(settings, db)
    worker.outbox.topics = {"pos.refund": worker.outbox.topics["pos.refund"]}
    return worker


# --- 1. only the acquirer's answer decides a card refund ------------------------------------

def test_finance_cannot_mark_a_card_refund_failed_while_its_acquirer_call_is_queued(client, auth, test_settings,
                                                                                      acquirer, db):
    code, payment_id = paid(client, auth, test_settings, via="pos")
    r = refund(client, auth, payment_id, 100_000, 100_000)
    assert r.json["status"] == "sending"
    failed = client.post(f"/api/v1/refunds/{r.json['id']}/failed", json={"reason": "nhầm"}, headers=auth("finance"))
    assert failed.status_code == 403 and failed.json["code"] == "wrong_role_for_method"
    assert refund_json(client, auth, r.json["id"])["status"] == "sending" and refundable(client, auth, payment_id) == 0
    card_worker(acquirer.settings, db).outbox.drain()
    assert refund_json(client, auth, r.json["id"])["status"] == "executed"
    assert len(acquirer.refunds()) == 1
    again = refund(client, auth, payment_id, 100_000, 100_000)  # the same money cannot be refunded twice
    assert again.status_code == 412 and again.json["details"]["refundable_vnd"] == 0


def test_a_card_refund_cannot_be_marked_executed_by_hand_either(client, auth, test_settings):
    _, payment_id = paid(client, auth, test_settings, via="pos")
    r = refund(client, auth, payment_id, 100_000, 100_000)
    done = client.post(f"/api/v1/refunds/{r.json['id']}/executed", json={"bank_reference": "FT1"},
                       headers=auth("finance"))
    assert done.status_code == 403 and done.json["code"] == "wrong_role_for_method"


def test_a_bounced_transfer_can_still_be_marked_failed_by_finance(client, auth, test_settings):
    _, payment_id = paid(client, auth, test_settings)
    r = refund(client, auth, payment_id, 100_000, 100_000)
    failed = client.post(f"/api/v1/refunds/{r.json['id']}/failed", json={"reason": "Sai số tài khoản"},
                         headers=auth("finance"))
    assert failed.status_code == 200 and failed.json["status"] == "failed"
    assert refundable(client, auth, payment_id) == 100_000


# --- 2. a card refund's acquirer call is replayed only while the refund waits for it ---------

def _failed_pos_message(client, auth):
    [message] = [m for m in client.get("/api/v1/admin/outbox?status=failed", headers=auth("admin")).json["messages"]
                 if m["topic"] == "pos.refund"]
    return message


def test_replaying_the_call_of_a_card_refund_that_failed_is_refused_and_the_card_is_not_refunded(
        client, auth, test_settings, acquirer, db):
    code, payment_id = paid(client, auth, test_settings, via="pos")
    acquirer.mode("refuse")
    r = refund(client, auth, payment_id, 100_000, 100_000)
    card_worker(acquirer.settings, db).outbox.drain()
    assert refund_json(client, auth, r.json["id"])["status"] == "failed"
    acquirer.mode("ok")
    message = _failed_pos_message(client, auth)
    again = client.post(f"/api/v1/admin/outbox/{message['id']}/replay", headers=auth("admin"))
    assert again.status_code == 409 and again.json["code"] == "replay_not_allowed"
    assert "failed" in again.json["message"] and again.json["details"]["topic"] == "pos.refund"
    card_worker(acquirer.settings, db).outbox.drain()
    assert acquirer.refunds() == [] and refund_json(client, auth, r.json["id"])["status"] == "failed"
    assert client.get(f"/api/v1/payment-requests/{code}").json["status"] == "paid"


def test_a_queued_call_for_a_refund_no_longer_sending_is_not_sent(client, auth, test_settings, acquirer, db):
    """Belt and braces: even a message put back by other means does not reach the acquirer."""
    from sqlalchemy import update

    from kernel.outbox import OutboxMessage

    _, payment_id = paid(client, auth, test_settings, via="pos")
    acquirer.mode("refuse")
    r = refund(client, auth, payment_id, 100_000, 100_000)
    card_worker(acquirer.settings, db).outbox.drain()
    acquirer.mode("ok")
    with db() as s, s.begin():
        s.execute(update(OutboxMessage).where(OutboxMessage.topic == "pos.refund").values(status="pending"))
    card_worker(acquirer.settings, db).outbox.drain()
    assert acquirer.refunds() == [] and refund_json(client, auth, r.json["id"])["status"] == "failed"
    message = _failed_pos_message(client, auth)
    assert "no longer sending" in message["last_error"]


def test_a_card_refund_still_sending_may_be_replayed(client, auth, test_settings, acquirer, db):
    _, payment_id = paid(client, auth, test_settings, via="pos")
    r = refund(client, auth, payment_id, 100_000, 100_000)
    [message] = [m for m in client.get("/api/v1/admin/outbox", headers=auth("admin")).json["messages"]
                 if m["topic"] == "pos.refund"]
    assert client.post(f"/api/v1/admin/outbox/{message['id']}/replay", headers=auth("admin")).status_code == 200
    card_worker(acquirer.settings, db).outbox.drain()
    assert refund_json(client, auth, r.json["id"])["status"] == "executed" and len(acquirer.refunds()) == 1


# --- 3. the four-eyes threshold applies to what is refunded for a request in total ------------

def test_splitting_a_refund_above_the_threshold_still_needs_an_approver(client, auth, test_settings):
    code, payment_id = paid(client, auth, test_settings, amount=3_000_000)
    first = refund(client, auth, payment_id, 1_500_000, 3_000_000)
    second = refund(client, auth, payment_id, 1_500_000, 1_500_000)
    assert first.json["status"] == "transfer_ordered"  # 1,500,000 in all: under 2,000,000
    assert second.status_code == 201 and second.json["status"] == "awaiting_approval"  # 3,000,000 in all
    assert client.get(f"/api/v1/payment-requests/{code}").json["refunded_vnd"] == 1_500_000
    assert client.post(f"/api/v1/refunds/{second.json['id']}/approve", headers=auth("approver")).json["status"] == \
        "transfer_ordered"


def test_refunding_each_payment_of_one_request_counts_towards_the_same_threshold(client, auth, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 3_000_000))
    send_callback(client, test_settings, "bank", code=code, amount=1_500_000)
    send_callback(client, test_settings, "bank", code=code, amount=1_500_000)
    payments = client.get(f"/api/v1/payment-requests/{code}/payments", headers=auth("finance")).json["payments"]
    assert len(payments) == 2
    statuses = [refund(client, auth, p["id"], 1_500_000, 1_500_000).json["status"] for p in payments]
    assert statuses == ["transfer_ordered", "awaiting_approval"]


def test_a_rejected_or_failed_refund_no_longer_counts_towards_the_threshold(client, auth, test_settings):
    _, payment_id = paid(client, auth, test_settings, amount=3_000_000)
    big = refund(client, auth, payment_id, 2_500_000, 3_000_000)
    assert big.json["status"] == "awaiting_approval"
    client.post(f"/api/v1/refunds/{big.json['id']}/reject", json={"reason": "Chưa đủ căn cứ"}, headers=auth("approver"))
    small = refund(client, auth, payment_id, 1_500_000, 3_000_000)
    assert small.json["status"] == "transfer_ordered"
    client.post(f"/api/v1/refunds/{small.json['id']}/failed", json={"reason": "Sai số tài khoản"},
                headers=auth("finance"))
    assert refund(client, auth, payment_id, 2_000_000, 3_000_000).json["status"] == "transfer_ordered"


# --- 4. the citizen hears of a card refund when the acquirer has made it ----------------------

def test_a_card_refund_is_announced_once_the_acquirer_made_it(client, auth, test_settings, acquirer, db):
    from sqlalchemy import select

    from kernel.outbox import OutboxMessage

    def refund_texts():
        with db() as s:
            return [m.payload["text"] for m in s.execute(select(OutboxMessage).where(OutboxMessage.topic == "sms"))
                    .scalars() if "hoàn trả" in m.payload["text"]]

    _, payment_id = paid(client, auth, test_settings, via="pos")
    refund(client, auth, payment_id, 100_000, 100_000)
    assert refund_texts() == []
    card_worker(acquirer.settings, db).outbox.drain()
    assert [t.split(" cho ")[0] for t in refund_texts()] == ["TT Phục vụ HCC: Đã hoàn trả 100.000 ₫"]


# --- 7, 8. a request that gave part of its money back owes it again, one figure everywhere ----

def test_a_partly_paid_request_with_a_partial_refund_stays_payable_for_what_it_still_owes(client, auth,
                                                                                           test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 150_000))
    send_callback(client, test_settings, "bank", code=code, amount=50_000)
    [payment] = client.get(f"/api/v1/payment-requests/{code}/payments", headers=auth("finance")).json["payments"]
    assert refund(client, auth, payment["id"], 20_000, 50_000).status_code == 201
    view = client.get(f"/api/v1/payment-requests/{code}").json
    assert (view["status"], view["outstanding_vnd"]) == ("partially_refunded", 120_000)
    page = client.get(f"/pay/{code}").get_data(as_text=True)
    assert 'id="qr"' in page and "120.000" in page
    checkout = client.post(f"/api/v1/payment-requests/{code}/checkout")
    assert checkout.status_code == 201 and checkout.json["amount_vnd"] == 120_000
    send_callback(client, test_settings, "bank", code=code, amount=120_000)
    view = client.get(f"/api/v1/payment-requests/{code}").json
    assert (view["status"], view["outstanding_vnd"]) == ("paid", 0)
    assert client.get("/api/v1/finance/suspense", headers=auth("finance")).json["total_vnd"] == 0
    assert client.get(f"/api/v1/payment-requests/{code}/receipt.pdf").status_code == 200


def test_cash_is_taken_up_to_the_net_outstanding_after_a_refund(client, auth, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 150_000))
    send_callback(client, test_settings, "bank", code=code, amount=50_000)
    [payment] = client.get(f"/api/v1/payment-requests/{code}/payments", headers=auth("finance")).json["payments"]
    refund(client, auth, payment["id"], 20_000, 50_000)
    too_much = client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": 120_001},
                           headers=auth("cashier"))
    assert too_much.status_code == 400 and too_much.json["details"]["outstanding_vnd"] == 120_000
    ok = client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": 120_000},
                     headers=auth("cashier"))
    assert ok.status_code == 201
    assert client.get(f"/api/v1/payment-requests/{code}").json["status"] == "paid"


def test_a_request_refunded_in_full_is_closed_and_its_money_goes_to_suspense(client, auth, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 150_000))
    send_callback(client, test_settings, "bank", code=code, amount=50_000)
    [payment] = client.get(f"/api/v1/payment-requests/{code}/payments", headers=auth("finance")).json["payments"]
    refund(client, auth, payment["id"], 50_000, 50_000)
    assert client.get(f"/api/v1/payment-requests/{code}").json["status"] == "refunded"
    assert client.post(f"/api/v1/payment-requests/{code}/checkout").status_code == 409
    send_callback(client, test_settings, "bank", code=code, amount=150_000)
    assert client.get("/api/v1/finance/suspense", headers=auth("finance")).json["total_vnd"] == 150_000


def test_the_event_and_the_api_give_the_same_outstanding_after_a_refund(client, auth, test_settings, db):
    from sqlalchemy import select

    from kernel.outbox import OutboxMessage

    client.post("/api/v1/admin/subscriptions", headers=auth("admin"), json={
        "name": "Hệ thống một cửa", "url": "http://127.0.0.1:9/events", "event_types": ["payment_request.*"]})
    code, payment_id = paid(client, auth, test_settings)
    refund(client, auth, payment_id, 40_000, 100_000)
    with db() as s:
        last = s.execute(select(OutboxMessage).where(OutboxMessage.topic == "webhook")
                         .order_by(OutboxMessage.id.desc())).scalars().first()
    api = client.get(f"/api/v1/payment-requests/{code}").json
    assert last.payload["event"]["data"]["outstanding_vnd"] == api["outstanding_vnd"] == 40_000
