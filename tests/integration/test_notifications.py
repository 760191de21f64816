"""Citizen SMS and outbound events: written with the change, sent after commit, retried, never doubled."""
import json
import threading
from datetime import timedelta

import pytest
import requests
from flask import Flask, jsonify, request
from sqlalchemy import select

from api import build_worker
from kernel.clock import now_utc
from kernel.events import WEBHOOK_SCHEDULE
from kernel.outbox import DONE, FAILED, PENDING, OutboxMessage
from kernel.signing import HEADER, verify
from payments.credits import IncomingCredit, record_credit
from payments.ledger import Accounts
from sandbox.server import serve_in_thread
from sandbox.sms import create_sms_gateway
from tests.factories import make_request, send_callback


class Clock:
    def __init__(self):
        self.at = now_utc()

    def __call__(self):
        return self.at


def create_subscriber():
    """A one-stop system stand-in: records signed events, can be told to fail."""
    app = Flask("subscriber")
    state = {"fail": False, "received": []}
    lock = threading.Lock()

    @app.post("/events")
    def receive():
        with lock:
            if state["fail"]:
                return jsonify(error="down"), 503
            state["received"].append({"body": request.get_data(), "signature": request.headers.get(HEADER)})
            return jsonify(ok=True)

    return app, state


@pytest.fixture
def subscriber():
    app, state = create_subscriber()
    server = serve_in_thread(app)
    yield server.url, state
    server.stop()


def drain_webhooks(settings, db):
    """Deliver the queued webhook events only (no SMS, no courier), as the worker would."""
    outbox = build_worker(settings, db).outbox
    outbox.topics = {"webhook": outbox.topics["webhook"]}
    return outbox.drain()


def subscribe(client, auth, url, types=("payment_request.*",)):
    r = client.post("/api/v1/admin/subscriptions", json={"name": "Hệ thống một cửa", "url": f"{url}/events",
                                                         "event_types": list(types)}, headers=auth("admin"))
    assert r.status_code == 201, r.json
    return r.json


def outbox(db, topic=None):
    with db() as s:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if topic:
            query = query.where(OutboxMessage.topic == topic)
        return s.execute(query).scalars().all()


def worker(settings, db, clock):
    w = build_worker(settings, db)
    w.outbox.clock = clock
    return w.outbox


def test_payments_queue_the_citizens_sms_in_vietnamese(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 60_000), ("Phí", "fee", 40_000))
    send_callback(client, test_settings, "bank", code=code, amount=30_000)
    send_callback(client, test_settings, "bank", code=code, amount=70_000)
    texts = [m.payload["text"] for m in outbox(db, "sms")]
    assert len(texts) == 2 and all(m.payload["to"] == "0912345678" for m in outbox(db, "sms"))
    assert "Đã nhận 30.000 ₫/100.000 ₫" in texts[0] and "Còn thiếu 70.000 ₫" in texts[0]
    assert "đã nộp đủ 100.000 ₫" in texts[1] and "biên lai điện tử" in texts[1] and "thừa" not in texts[1]


@pytest.mark.parametrize("fees", [
    (("Lệ phí", "charge", 60_000), ("Phí", "fee", 40_000)),
    (("Cước bưu chính: trả kết quả", "postage", 100_000),),
    (("Lệ phí", "charge", 60_000), ("Cước bưu chính: trả kết quả", "postage", 40_000)),
])
def test_the_paid_sms_names_the_amount_and_calls_no_postage_a_fee(client, auth, test_settings, db, fees):
    """The text names what was paid by its amount only (three segments: tests/unit/test_payment_sms_worst_case),
    so postage (cước bưu chính, the post's price) is never called a fee."""
    code = make_request(client, auth, *fees)
    send_callback(client, test_settings, "bank", code=code, amount=100_000)
    [text] = [m.payload["text"] for m in outbox(db, "sms")]
    assert "đã nộp đủ 100.000 ₫, có biên lai điện tử." in text and "phí" not in text


def test_the_paid_sms_of_an_overpayment_says_how_much_was_paid_in_excess(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    send_callback(client, test_settings, "bank", code=code, amount=150_000)
    [text] = [m.payload["text"] for m in outbox(db, "sms")]
    assert "đã nộp đủ 100.000 ₫" in text and "Tiền thừa 50.000 ₫ sẽ được hoàn trả." in text


def test_nothing_is_queued_for_a_rolled_back_payment(client, auth, test_settings, db, subscriber):
    subscribe(client, auth, subscriber[0])
    code = make_request(client, auth)
    with pytest.raises(RuntimeError):
        with db() as s, s.begin():
            record_credit(s, IncomingCredit("bank", "RB-1", "vietqr_transfer", 100_000, now_utc(),
                                            Accounts.bank("970436", "0071001234567"), payment_code=code),
                          settings=test_settings, actor="t", now=now_utc())
            raise RuntimeError("rolled back after the payment")
    assert outbox(db) == []


def test_events_reach_a_subscriber_that_was_down_exactly_once_and_signed(client, auth, test_settings, db, subscriber):
    url, state = subscriber
    created = subscribe(client, auth, url)
    state["fail"] = True
    code = make_request(client, auth)
    send_callback(client, test_settings, "bank", code=code, amount=100_000)
    [message] = outbox(db, "webhook")
    assert message.payload["event"]["type"] == "payment_request.paid"
    clock = Clock()
    sender = worker(test_settings, db, clock)
    sender.drain()
    [message] = outbox(db, "webhook")
    assert message.status == PENDING and message.next_attempt_at == clock.at + WEBHOOK_SCHEDULE[0]
    state["fail"] = False
    clock.at += WEBHOOK_SCHEDULE[0]
    sender.drain()
    sender.drain()
    assert outbox(db, "webhook")[0].status == DONE
    [delivered] = state["received"]
    event = json.loads(delivered["body"])
    assert event["type"] == "payment_request.paid" and event["data"]["payment_code"] == code
    assert event["data"]["paid_vnd"] == 100_000
    verify(delivered["signature"], delivered["body"], [created["secret"]], now=clock.at)
    deliveries = client.get(f"/api/v1/admin/subscriptions/{created['id']}/deliveries",
                            headers=auth("admin")).json["deliveries"]
    assert [a["ok"] for a in deliveries[0]["log"]] == [False, True]


def test_a_subscriber_down_for_days_raises_an_alert_and_a_replay_delivers(client, auth, test_settings, db,
                                                                          subscriber):
    url, state = subscriber
    created = subscribe(client, auth, url)
    state["fail"] = True
    code = make_request(client, auth)
    send_callback(client, test_settings, "bank", code=code, amount=100_000)
    clock = Clock()
    sender = worker(test_settings, db, clock)
    for delay in (timedelta(0), *WEBHOOK_SCHEDULE):
        clock.at += delay
        sender.drain()
    [message] = outbox(db, "webhook")
    assert message.status == FAILED and message.attempts == len(WEBHOOK_SCHEDULE) + 1
    listed = client.get("/api/v1/admin/subscriptions", headers=auth("admin")).json["subscriptions"]
    assert listed[0]["alert"] is True
    state["fail"] = False
    assert client.post(f"/api/v1/admin/outbox/{message.id}/replay", headers=auth("admin")).status_code == 200
    clock.at = now_utc()
    sender.drain()
    assert outbox(db, "webhook")[0].status == DONE and len(state["received"]) == 1
    cleared = client.patch(f"/api/v1/admin/subscriptions/{created['id']}", json={"active": True},
                           headers=auth("admin"))
    assert cleared.json["alert"] is False


def test_sms_wait_for_the_gateway_and_go_out_once(client, auth, test_settings, db):
    gateway = serve_in_thread(create_sms_gateway("key"))
    try:
        settings = test_settings.with_overrides(sms_gateway_url=gateway.url, sms_api_key="key")
        requests.post(f"{gateway.url}/_control", json={"mode": "down"}, timeout=5)
        code = make_request(client, auth)
        send_callback(client, test_settings, "bank", code=code, amount=100_000)
        clock = Clock()
        sender = worker(settings, db, clock)
        sender.drain()
        assert outbox(db, "sms")[0].status == PENDING
        requests.post(f"{gateway.url}/_control", json={"mode": "ok"}, timeout=5)
        clock.at += timedelta(minutes=1)
        sender.drain()
        assert outbox(db, "sms")[0].status == DONE
        assert len(requests.get(f"{gateway.url}/sms", timeout=5).json()["messages"]) == 1
    finally:
        gateway.stop()


def test_only_matching_event_types_are_delivered_and_expiry_is_announced(client, auth, test_settings, db,
                                                                         subscriber):
    subscribe(client, auth, subscriber[0], types=("payment_request.expired",))
    code = make_request(client, auth)
    send_callback(client, test_settings, "bank", code=make_request(client, auth), amount=100_000)
    assert outbox(db, "webhook") == []
    from payments.service import expire_due_requests

    with db() as s, s.begin():
        expire_due_requests(s, settings=test_settings, now=now_utc() + test_settings.request_ttl)
    [message] = outbox(db, "webhook")
    assert message.payload["event"]["type"] == "payment_request.expired"
    assert message.payload["event"]["data"]["payment_code"] == code


def test_rotating_a_secret_signs_with_both_for_a_while(client, auth, test_settings, db, subscriber):
    url, state = subscriber
    first = subscribe(client, auth, url)
    second = client.post(f"/api/v1/admin/subscriptions/{first['id']}/rotate-secret", headers=auth("admin")).json
    assert second["secret"] != first["secret"]
    send_callback(client, test_settings, "bank", code=make_request(client, auth), amount=100_000)
    clock = Clock()
    worker(test_settings, db, clock).drain()
    [delivered] = state["received"]
    for secret in (first["secret"], second["secret"]):
        verify(delivered["signature"], delivered["body"], [secret], now=clock.at)


def test_subscriptions_are_validated(client, auth):
    bad = client.post("/api/v1/admin/subscriptions", json={"name": "x", "url": "ftp://x", "event_types": ["*"]},
                      headers=auth("admin"))
    assert bad.status_code == 400 and bad.json["code"] == "invalid_url"
    assert client.post("/api/v1/admin/subscriptions", json={}, headers=auth("finance")).status_code == 403


def test_shipment_changes_are_announced_to_subscribers_of_shipment_events(client, auth, test_settings, db,
                                                                          subscriber):
    from tests.postal_factories import make_dossier, shipment_body

    subscribe(client, auth, subscriber[0], types=("shipment.*",))
    make_dossier(db, test_settings, code="HS-SHIP-EVENT-1")
    r = client.post("/api/v1/postal/shipments", json=shipment_body(dossier_code="HS-SHIP-EVENT-1"),
                    headers=auth("intake"))
    assert r.status_code == 201, r.json
    types = [m.payload["event"]["type"] for m in outbox(db, "webhook")]
    assert types and all(t.startswith("shipment.") for t in types)


def test_sms_refused_for_our_key_wait_for_the_key_to_be_fixed_not_fail_for_good(client, auth, test_settings, db):
    """A gateway answering 401 (our key rotated at the provider) says nothing about the message: it stays
    pending with the reason and goes out once the setting is fixed (it was failed after one attempt, every
    citizen's SMS of that window with it)."""
    gateway = serve_in_thread(create_sms_gateway("the-key-the-provider-expects"))
    try:
        code = make_request(client, auth)
        send_callback(client, test_settings, "bank", code=code, amount=100_000)
        clock = Clock()
        worker(test_settings.with_overrides(sms_gateway_url=gateway.url, sms_api_key="old-key"), db, clock).drain()
        waiting = outbox(db, "sms")[0]
        assert waiting.status == PENDING and "401" in waiting.last_error
        clock.at += timedelta(minutes=1)
        fixed = test_settings.with_overrides(sms_gateway_url=gateway.url, sms_api_key="the-key-the-provider-expects")
        worker(fixed, db, clock).drain()
        assert outbox(db, "sms")[0].status == DONE
        assert len(requests.get(f"{gateway.url}/sms", timeout=5).json()["messages"]) == 1
    finally:
        gateway.stop()
