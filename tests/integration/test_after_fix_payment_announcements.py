"""Every payment that adds to what a request received is announced: a citizen who pays twice is told the
second amount arrived, how much is in excess and that it will be refunded; subscribers get an event."""
import re

from sqlalchemy import select

from kernel.outbox import OutboxMessage
from tests.factories import make_request, send_callback


def _outbox(db, topic):
    with db() as s:
        return s.execute(select(OutboxMessage).where(OutboxMessage.topic == topic)
                         .order_by(OutboxMessage.id)).scalars().all()


def _subscribe(client, auth):
    r = client.post("/api/v1/admin/subscriptions", headers=auth("admin"), json={
        "name": "Hệ thống một cửa", "url": "http://127.0.0.1:9/hook", "event_types": ["payment_request.*"]})
    assert r.status_code == 201, r.json


def test_a_second_and_a_third_payment_of_a_paid_request_are_each_told_to_the_citizen(client, auth, test_settings,
                                                                                      db):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    send_callback(client, test_settings, "bank", code=code, amount=100_000)
    send_callback(client, test_settings, "sepay", code=code, amount=100_000)
    send_callback(client, test_settings, "bank", code=code, amount=30_000)
    first, second, third = [m.payload["text"] for m in _outbox(db, "sms")]
    assert "đã nộp đủ 100.000 ₫" in first and "thừa" not in first
    dossier = re.search(r"Hồ sơ (\S+) đã nộp đủ", first).group(1)
    assert second == (f"TT Phục vụ HCC: Hồ sơ {dossier} đã nộp đủ 100.000 ₫, nay nhận thêm 100.000 ₫. Tiền thừa "
                      "100.000 ₫ sẽ được hoàn trả.")
    assert "nay nhận thêm 30.000 ₫" in third and "Tiền thừa 130.000 ₫" in third


def test_subscribers_get_an_overpaid_event_for_each_payment_after_the_request_was_paid(client, auth,
                                                                                       test_settings, db):
    _subscribe(client, auth)
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    send_callback(client, test_settings, "bank", code=code, amount=100_000)
    send_callback(client, test_settings, "sepay", code=code, amount=100_000)
    send_callback(client, test_settings, "bank", code=code, amount=30_000)
    events = [m.payload["event"] for m in _outbox(db, "webhook")]
    assert [e["type"] for e in events] == ["payment_request.paid", "payment_request.overpaid",
                                           "payment_request.overpaid"]
    assert [(e["data"]["previous_status"], e["data"]["status"], e["data"]["received_vnd"], e["data"]["paid_vnd"])
            for e in events] == [("pending", "paid", 100_000, 100_000), ("paid", "overpaid", 100_000, 200_000),
                                 ("overpaid", "overpaid", 30_000, 230_000)]
    sequences = [e["data"]["sequence"] for e in events]
    assert sequences == sorted(set(sequences))


def test_partial_payments_carry_what_was_received_each_time(client, auth, test_settings, db):
    _subscribe(client, auth)
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    send_callback(client, test_settings, "bank", code=code, amount=30_000)
    send_callback(client, test_settings, "bank", code=code, amount=20_000)
    events = [m.payload["event"] for m in _outbox(db, "webhook")]
    assert [(e["type"], e["data"]["received_vnd"]) for e in events] == [
        ("payment_request.partially_paid", 30_000), ("payment_request.partially_paid", 20_000)]
    assert len(_outbox(db, "sms")) == 2
