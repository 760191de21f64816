"""What the citizen (SMS) and subscribers (events) are told, and when: refunds when the money is
out, every change of status, and a sequence so a late retry can be recognised as stale."""
import pytest
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.outbox import OutboxMessage
from tests.factories import make_request, send_callback, signed


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


@pytest.fixture
def subscribed(client, auth):
    r = client.post("/api/v1/admin/subscriptions", headers=auth("admin"), json={
        "name": "Hệ thống một cửa", "url": "http://127.0.0.1:9/events", "event_types": ["payment_request.*"]})
    assert r.status_code == 201, r.json


def _queued(db, topic):
    with db() as s:
        return [m.payload for m in s.execute(select(OutboxMessage).where(OutboxMessage.topic == topic)
                                              .order_by(OutboxMessage.id)).scalars()]


def events(db, code=None):
    """(type, data) of every event queued for subscribers, oldest first."""
    found = [(p["event"]["type"], p["event"]["data"]) for p in _queued(db, "webhook")]
    return [e for e in found if code is None or e[1]["payment_code"] == code]


def texts(db):
    return [p["text"] for p in _queued(db, "sms")]


def paid(client, auth, settings, amount=100_000, via="bank"):
    code = make_request(client, auth, ("Lệ phí", "charge", amount))
    send_callback(client, settings, via, code=code, amount=amount)
    [payment] = client.get(f"/api/v1/payment-requests/{code}/payments", headers=auth("finance")).json["payments"]
    return code, payment


def refund(client, auth, payment_id, amount, expected):
    r = client.post(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance"),
                    json={"amount_vnd": amount, "expected_refundable_vnd": expected, "reason": "Hồ sơ bị từ chối"})
    assert r.status_code == 201, r.json
    return r.json


def pos(client, settings, code, **data):
    headers, body = signed(settings, "HCCPAY_POS_WEBHOOK_SECRET", {
        "terminal_id": "T1", "amount_vnd": 100_000, "payment_code": code, "card_masked": "970436******1234",
        "occurred_at": now_utc().isoformat(), "approval_code": "A1", "card_scheme": "napas", **data})
    assert client.post("/api/v1/callbacks/pos", data=body, headers=headers).status_code == 200


# --- 4. a refund is announced when its money is out -----------------------------------------

def test_a_refund_is_announced_to_the_citizen_and_subscribers_when_executed_not_when_ordered(
        client, auth, test_settings, db, subscribed):
    code, payment = paid(client, auth, test_settings)
    ordered = refund(client, auth, payment["id"], 100_000, 100_000)
    assert ordered["status"] == "transfer_ordered"
    assert not any("hoàn trả" in t for t in texts(db))
    assert [t for t, _ in events(db, code)] == ["payment_request.paid", "payment_request.status_changed"]
    done = client.post(f"/api/v1/refunds/{ordered['id']}/executed", json={"bank_reference": "FT26330009"},
                       headers=auth("finance"))
    assert done.json["status"] == "executed"
    assert texts(db)[-1].startswith("TT Phục vụ HCC: Đã hoàn trả 100.000 ₫ cho hồ sơ")
    kind, data = events(db, code)[-1]
    assert kind == "payment_request.refunded" and data["refund"] == {"id": ordered["id"], "amount_vnd": 100_000}
    assert (data["status"], data["refunded_vnd"]) == ("refunded", 100_000)


def test_a_partial_refund_sms_names_that_refund_not_a_running_total(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    send_callback(client, test_settings, "bank", code=code, amount=130_000)
    [payment] = client.get(f"/api/v1/payment-requests/{code}/payments", headers=auth("finance")).json["payments"]
    for amount, expected in ((10_000, 130_000), (20_000, 120_000)):
        r = refund(client, auth, payment["id"], amount, expected)
        client.post(f"/api/v1/refunds/{r['id']}/executed", json={"bank_reference": f"FT{r['id']}"},
                    headers=auth("finance"))
    assert [t.split(" cho ")[0] for t in texts(db) if "Đã hoàn trả" in t] == [
        "TT Phục vụ HCC: Đã hoàn trả 10.000 ₫", "TT Phục vụ HCC: Đã hoàn trả 20.000 ₫"]


def test_a_refund_that_bounces_is_announced_as_refund_failed_and_the_citizen_gets_no_sms(
        client, auth, test_settings, db, subscribed):
    code, payment = paid(client, auth, test_settings)
    ordered = refund(client, auth, payment["id"], 40_000, 100_000)
    sms_before = texts(db)
    client.post(f"/api/v1/refunds/{ordered['id']}/failed", json={"reason": "Sai số tài khoản"}, headers=auth("finance"))
    kind, data = events(db, code)[-1]
    assert kind == "payment_request.refund_failed" and data["refund"] == {"id": ordered["id"], "amount_vnd": 40_000}
    assert (data["status"], data["previous_status"], data["refunded_vnd"]) == ("paid", "partially_refunded", 0)
    assert texts(db) == sms_before


def test_a_cash_refund_is_announced_when_the_cashier_hands_it_over(client, auth, db, subscribed):
    code = make_request(client, auth)
    cash = client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": 100_000},
                       headers=auth("cashier")).json
    r = refund(client, auth, cash["id"], 100_000, 100_000)
    assert "payment_request.refunded" not in [t for t, _ in events(db, code)]
    client.post(f"/api/v1/refunds/{r['id']}/executed", json={}, headers=auth("cashier"))
    assert events(db, code)[-1][0] == "payment_request.refunded"


def test_a_refund_from_suspense_is_executed_without_announcing_any_request(client, auth, test_settings, db,
                                                                           subscribed):
    send_callback(client, test_settings, "bank", code="-", amount=20_000, memo="chuyen nham")
    [waiting] = client.get("/api/v1/finance/suspense", headers=auth("finance")).json["payments"]
    r = refund(client, auth, waiting["id"], 20_000, 20_000)
    done = client.post(f"/api/v1/refunds/{r['id']}/executed", json={"bank_reference": "FT1"}, headers=auth("finance"))
    assert done.status_code == 200 and events(db) == [] and texts(db) == []


# --- 5. every change of status reaches subscribers ------------------------------------------

def test_a_pos_void_of_a_paid_request_is_announced(client, auth, test_settings, db, subscribed):
    code = make_request(client, auth)
    pos(client, test_settings, code, transaction_id="S1", type="sale")
    pos(client, test_settings, code, transaction_id="V1", type="void", original_transaction_id="S1")
    kind, data = events(db, code)[-1]
    assert kind == "payment_request.status_changed"
    assert (data["previous_status"], data["status"], data["outstanding_vnd"]) == ("paid", "pending", 100_000)


def test_a_match_undone_by_finance_is_announced(client, auth, test_settings, db, subscribed):
    code, payment = paid(client, auth, test_settings)
    allocation = payment["allocations"][0]
    r = client.post(f"/api/v1/finance/allocations/{allocation['id']}/release", headers=auth("finance"),
                    json={"reason": "nhầm mã"})
    assert r.status_code == 200
    kind, data = events(db, code)[-1]
    assert (kind, data["previous_status"], data["status"]) == ("payment_request.status_changed", "paid", "pending")


def test_an_overpayment_after_payment_in_full_is_announced(client, auth, test_settings, db, subscribed):
    code, _ = paid(client, auth, test_settings)
    send_callback(client, test_settings, "bank", code=code, amount=5_000)
    kind, data = events(db, code)[-1]
    # Its own type since money arrived (not only the status changed): it carries what this payment added.
    assert (kind, data["status"], data["paid_vnd"], data["received_vnd"]) == (
        "payment_request.overpaid", "overpaid", 105_000, 5_000)


def test_the_existing_event_types_keep_their_names(client, auth, test_settings, db, subscribed):
    code = make_request(client, auth)
    send_callback(client, test_settings, "bank", code=code, amount=40_000)
    send_callback(client, test_settings, "bank", code=code, amount=60_000)
    assert [t for t, _ in events(db, code)] == ["payment_request.partially_paid", "payment_request.paid"]


# --- 6. a sequence lets a receiver drop a stale retry ---------------------------------------

def test_every_event_of_a_request_carries_a_greater_sequence_than_the_one_before(
        client, auth, test_settings, db, subscribed):
    code = make_request(client, auth)
    send_callback(client, test_settings, "bank", code=code, amount=40_000)
    send_callback(client, test_settings, "bank", code=code, amount=60_000)
    [payment, _] = client.get(f"/api/v1/payment-requests/{code}/payments", headers=auth("finance")).json["payments"]
    r = refund(client, auth, payment["id"], 40_000, 40_000)
    client.post(f"/api/v1/refunds/{r['id']}/executed", json={"bank_reference": "FT1"}, headers=auth("finance"))
    sequences = [data["sequence"] for _, data in events(db, code)]
    assert len(sequences) == 4 and sequences == sorted(set(sequences))
    other = make_request(client, auth)  # numbered per request
    send_callback(client, test_settings, "bank", code=other, amount=100_000)
    assert events(db, other)[0][1]["sequence"] == sequences[0]
