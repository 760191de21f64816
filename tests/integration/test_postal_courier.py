"""Postal end to end over real HTTP: the app served on a port, the sandbox courier on another,
the outbox worker driven with an injected clock. No sleeps: the worker's drain() and the
sandbox's held webhooks make every step deterministic."""
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from api import create_app
from kernel.clock import business_date, now_utc, nth_working_day_after
from kernel.db import unit_of_work
from kernel.inbox import DUPLICATE, InboundCallback
from kernel.notify import SMS_TOPIC
from kernel.outbox import DONE, PENDING, OutboxMessage, OutboxWorker
from postal.clients import CourierClient
from postal.deadlines import next_attempt_date
from postal.models import Shipment, ShipmentEvent
from postal.service import dispatch_paid_deliveries
from postal.tracking import courier_topics, poll_now
from sandbox.courier import create_courier, s10_tracking_number
from sandbox.server import serve_in_thread
from tests.postal_factories import (ID_CHECK, make_dossier, pay_everything, route_body, shipment_body,
                                    working_day)

API_KEY = "test-courier-key"


class Clock:
    """The real instant (what the API uses) plus an offset that tests move forward."""

    def __init__(self):
        self.offset = timedelta(0)

    def __call__(self):
        return now_utc() + self.offset

    def advance(self, delta=timedelta(minutes=1)):
        self.offset += delta
        return self()


class World:
    def __init__(self, db, test_settings):
        self.db, self.clock = db, Clock()
        secret = test_settings.secret("HCCPAY_COURIER_WEBHOOK_SECRET")
        self.courier = serve_in_thread(create_courier(API_KEY, secret, clock=self.clock))
        self.app = create_app(test_settings)
        self.server = serve_in_thread(self.app)
        self.settings = test_settings.with_overrides(public_url=self.server.url, courier_url=self.courier.url,
                                                     courier_api_key=API_KEY)
        self.app.extensions["hccpay"].settings = self.settings
        self.client = CourierClient(self.courier.url, API_KEY)
        self.worker = OutboxWorker(sessions=db, topics=courier_topics(self.client, self.settings), clock=self.clock)
        self.http = self.app.test_client()
        self.control(hold_webhooks=True)

    def stop(self):
        self.server.stop()
        self.courier.stop()
        self.app.extensions["hccpay"].engine.dispose()

    def control(self, **state):
        requests.post(f"{self.courier.url}/_control", json={"mode": "ok", **state}, timeout=5).raise_for_status()

    def courier_event(self, tracking, code, **extra):
        """The courier reports `code` one minute later; the webhook is held until `flush`."""
        at = self.clock.advance().isoformat()
        r = requests.post(f"{self.courier.url}/_orders/{tracking}/events", timeout=10,
                          json={"status_code": code, "occurred_at": at, **extra})
        r.raise_for_status()
        return r.json()["event"]

    def attempt(self, tracking):
        at = self.clock.advance().isoformat()
        return requests.post(f"{self.courier.url}/_orders/{tracking}/attempt", json={"occurred_at": at},
                             timeout=10).json()["event"]

    def flush(self, **options):
        return requests.post(f"{self.courier.url}/_webhooks/flush", json=options, timeout=30).json()["webhooks"]

    def orders(self):
        return requests.get(f"{self.courier.url}/_orders", timeout=5).json()["orders"]

    def shipment(self, shipment_id) -> Shipment:
        with self.db() as s:
            return s.get(Shipment, shipment_id)

    def sms(self):
        with self.db() as s:
            return [m.payload["text"] for m in s.execute(select(OutboxMessage).where(
                OutboxMessage.topic == SMS_TOPIC).order_by(OutboxMessage.id)).scalars()]

    def events(self, shipment_id):
        with self.db() as s:
            return s.execute(select(ShipmentEvent).where(ShipmentEvent.shipment_id == shipment_id)
                             .order_by(ShipmentEvent.id)).scalars().all()


@pytest.fixture
def world(db, test_settings):
    w = World(db, test_settings)
    yield w
    w.stop()


def create(world, auth, body):
    r = world.http.post("/api/v1/postal/shipments", json=body, headers=auth("intake"))
    assert r.status_code == 201, r.json
    return r.json


def plan(world, auth, day):
    r = world.http.post(f"/api/v1/postal/plan?date={day.isoformat()}", headers=auth("postal"))
    assert r.status_code == 200, r.json
    return r.json


def booked_delivery(world, auth, db, test_settings) -> dict:
    """A paid delivery, dispatched by the periodic job and booked by the worker."""
    code = make_dossier(db, test_settings)
    shipment = create(world, auth, shipment_body(direction="delivery"))
    pay_everything(db, test_settings, code)
    with unit_of_work(db) as s:
        assert dispatch_paid_deliveries(s, settings=world.settings, now=world.clock()) == 1
    assert world.worker.drain() == 1
    return shipment


def test_s10_tracking_numbers_carry_the_upu_check_digit():
    assert s10_tracking_number(47312482) == "EB473124829VN"  # the UPU S10 worked example


def test_a_full_pickup_through_the_sandbox_courier(world, auth, db, test_settings):
    make_dossier(db, test_settings)
    shipment = create(world, auth, shipment_body())
    assert world.worker.drain() == 1  # the booking, over HTTP, after the commit
    booked = world.shipment(shipment["id"])
    assert booked.status == "booked" and booked.tracking_number.startswith("EB")
    [order] = world.orders()
    assert order["reference"] == f"HCC-{shipment['id']}" and order["citizen"]["ward_code"] == "06685"
    world.http.post("/api/v1/postal/routes", json=route_body(), headers=auth("postal"))
    report = plan(world, auth, working_day(1))
    assert [a["shipment_id"] for a in report["assigned"]] == [shipment["id"]]
    assert world.shipment(shipment["id"]).status == "scheduled"
    world.courier_event(booked.tracking_number, 5)
    world.courier_event(booked.tracking_number, 7)
    world.courier_event(booked.tracking_number, 10)
    assert world.flush() == [200, 200, 200, 200]  # the held "created" event, then three
    done = world.shipment(shipment["id"])
    assert done.status == "delivered"
    assert [e.event for e in world.events(shipment["id"]) if e.applied][-2:] == ["courier:5", "courier:10"]
    texts = world.sms()
    assert any("Bưu điện sẽ đến nhận hồ sơ" in t and booked.tracking_number in t for t in texts)
    assert any("Bưu điện đã nhận hồ sơ" in t for t in texts)
    assert any("Trung tâm đã tiếp nhận hồ sơ" in t for t in texts)


def test_a_full_delivery_is_booked_once_paid_and_handed_over_with_an_id_check(world, auth, db, test_settings):
    code = make_dossier(db, test_settings)
    shipment = create(world, auth, shipment_body(direction="delivery"))
    world.worker.drain()
    assert world.orders() == [] and world.shipment(shipment["id"]).status == "requested"  # prepaid: waits
    pay_everything(db, test_settings, code)
    from api import periodic_jobs
    from kernel.jobs import run_due

    assert "postal.dispatch_paid_deliveries" in run_due(db, periodic_jobs(world.settings), world.clock())
    assert world.worker.drain() == 1
    tracking = world.shipment(shipment["id"]).tracking_number
    world.courier_event(tracking, 2)
    world.courier_event(tracking, 9)
    world.attempt(tracking)
    world.flush()
    delivered = world.shipment(shipment["id"])
    assert delivered.status == "delivered"
    assert delivered.id_check == {"document_type": "cccd", "number_last4": "1234", "holder_name": "Phạm Thu Hà"}
    texts = world.sms()
    assert any("Bưu tá đang giao kết quả hồ sơ" in t and "CCCD" in t for t in texts)
    assert any("Đã giao thành công kết quả hồ sơ" in t for t in texts)


def test_bookings_made_while_the_courier_is_down_go_through_exactly_once_when_it_returns(world, auth, db,
                                                                                         test_settings):
    ids = []
    for n in range(3):
        make_dossier(db, test_settings, code=f"D-DOWN-{n}")
        ids.append(create(world, auth, shipment_body(dossier_code=f"D-DOWN-{n}"))["id"])
    world.control(mode="down", hold_webhooks=True)
    world.worker.drain()
    world.clock.advance(timedelta(seconds=30))
    world.worker.drain()
    with db() as s:
        bookings = s.execute(select(OutboxMessage).where(OutboxMessage.topic == "courier.book")).scalars().all()
    assert {m.status for m in bookings} == {PENDING} and all(m.attempts == 2 for m in bookings)
    assert world.orders() == [] and {world.shipment(i).status for i in ids} == {"requested"}
    world.control(mode="lost_reply", hold_webhooks=True)  # it books, but the answers are lost
    world.clock.advance(timedelta(minutes=1))
    world.worker.drain()
    assert len(world.orders()) == 3
    world.control(mode="ok", hold_webhooks=True)
    world.clock.advance(timedelta(minutes=2))
    world.worker.drain()
    orders = world.orders()
    assert len(orders) == 3 and len({o["reference"] for o in orders}) == 3  # each booked exactly once
    with db() as s:
        assert {m.status for m in s.execute(select(OutboxMessage).where(
            OutboxMessage.topic == "courier.book")).scalars()} == {DONE}
    assert {world.shipment(i).tracking_number for i in ids} == {o["tracking_number"] for o in orders}


def test_duplicate_and_out_of_order_webhooks_never_move_the_state_backwards(world, auth, db, test_settings):
    shipment = booked_delivery(world, auth, db, test_settings)
    tracking = world.shipment(shipment["id"]).tracking_number
    world.courier_event(tracking, 9)
    world.attempt(tracking)  # delivered, with the ID check
    statuses = world.flush(reverse=True, twice=True)  # newest first, each sent twice
    assert statuses == [200] * 6
    final = world.shipment(shipment["id"])
    assert final.status == "delivered"
    events = [e for e in world.events(shipment["id"]) if e.courier_event_id]
    assert len(events) == 3 and len({e.courier_event_id for e in events}) == 3  # stored once each
    late = next(e for e in events if e.courier_status_code == 9)
    assert not late.applied and late.data["not_applied"] == "older than the current state"
    with db() as s:
        duplicates = s.execute(select(InboundCallback).where(InboundCallback.status == DUPLICATE)).scalars().all()
    assert len(duplicates) == 3


def test_polling_applies_what_no_webhook_announced_and_late_webhooks_are_duplicates(world, auth, db,
                                                                                    test_settings):
    shipment = booked_delivery(world, auth, db, test_settings)
    tracking = world.shipment(shipment["id"]).tracking_number
    world.courier_event(tracking, 9)
    world.attempt(tracking)  # webhooks held: we hear nothing
    assert world.shipment(shipment["id"]).status == "booked"
    assert poll_now(db, world.client, world.settings, world.clock) == 1
    assert world.shipment(shipment["id"]).status == "delivered"
    assert world.flush() == [200, 200, 200]
    with db() as s:
        outcomes = s.execute(select(InboundCallback.status)).scalars().all()
    assert outcomes == [DUPLICATE] * 3
    sources = {e.source for e in world.events(shipment["id"]) if e.courier_event_id}
    assert sources == {"courier_poll"}


def test_two_failed_attempts_return_the_result_to_the_agency(world, auth, db, test_settings, monkeypatch):
    # Only the courier's clock travels to the next attempt date; ours stays today, so its events are
    # "in the future" by days: widen the allowance for clock skew for this test alone.
    monkeypatch.setattr("postal.tracking.COURIER_CLOCK_SKEW", timedelta(days=30))
    shipment = booked_delivery(world, auth, db, test_settings)
    tracking = world.shipment(shipment["id"]).tracking_number
    world.control(mode="not_home", hold_webhooks=True)
    world.courier_event(tracking, 9)
    world.attempt(tracking)
    world.flush()
    first = world.shipment(shipment["id"])
    failed_on = business_date(world.clock())
    assert first.status == "failed_attempt" and first.failed_attempts == 1
    assert first.next_attempt_date == next_attempt_date(failed_on, world.settings.holidays)
    world.http.post("/api/v1/postal/routes", json=route_body(), headers=auth("postal"))
    day_before = nth_working_day_after(failed_on, 1, world.settings.holidays)  # failed on a Saturday: Monday
    too_early = world.http.post(f"/api/v1/postal/shipments/{shipment['id']}/assignment", headers=auth("postal"),
                                json={"date": day_before.isoformat(),
                                      "route": "HL1", "slot": "morning", "reason": "thử lại"})
    assert too_early.status_code == 409 and too_early.json["code"] == "too_early_for_retry"
    assert plan(world, auth, day_before)["assigned"] == []
    assert plan(world, auth, first.next_attempt_date)["assigned"][0]["shipment_id"] == shipment["id"]
    world.clock.advance(timedelta(days=(first.next_attempt_date - failed_on).days))
    world.courier_event(tracking, 9)
    world.attempt(tracking)
    world.flush()
    returned = world.shipment(shipment["id"])
    assert returned.status == "returned_to_agency" and returned.failed_attempts == 2
    texts = world.sms()
    assert any("Chưa giao được kết quả hồ sơ" in t and "người nhận vắng nhà" in t for t in texts)
    assert any("chuyển trả về cơ quan" in t for t in texts)


def test_a_refused_booking_is_a_visible_failure_not_a_retry_loop(world, auth, db, test_settings):
    make_dossier(db, test_settings)
    shipment = create(world, auth, shipment_body())
    with db() as s, s.begin():  # a phone the courier cannot use
        s.execute(select(OutboxMessage)).scalar_one().payload = {
            "shipment_id": shipment["id"], "order": {"reference": "HCC-x", "citizen": {"phone": "n/a"}}}
    world.worker.drain()
    with db() as s:
        message = s.execute(select(OutboxMessage)).scalar_one()
    assert message.status == "failed" and "422" in message.last_error
    assert [e.event for e in world.events(shipment["id"])][-1] == "booking_refused"


def test_cancelling_a_booked_shipment_cancels_the_courier_order_after_commit(world, auth, db, test_settings):
    make_dossier(db, test_settings)
    shipment = create(world, auth, shipment_body())
    world.worker.drain()
    r = world.http.post(f"/api/v1/postal/shipments/{shipment['id']}/cancel", json={"reason": "Tự đến nộp"},
                        headers=auth("postal"))
    assert r.status_code == 200 and r.json["status"] == "cancelled"
    assert world.orders()[0]["cancelled"] is False  # nothing sent inside the transaction
    world.worker.drain()
    assert world.orders()[0]["cancelled"] is True
    again = world.http.post(f"/api/v1/postal/shipments/{shipment['id']}/events", headers=auth("postal"),
                            json={"event": "picked_up", "id_check": ID_CHECK})
    assert again.status_code == 409 and again.json["code"] == "illegal_transition"


def test_a_restarted_sandbox_courier_never_hands_out_a_tracking_number_or_event_id_again(world, auth, db,
                                                                                        test_settings):
    make_dossier(db, test_settings)
    first = create(world, auth, shipment_body())
    world.worker.drain()
    world.flush()
    before = world.shipment(first["id"])
    # `make run` again on the same database: a new courier process, its numbering started afresh
    restarted = serve_in_thread(create_courier(API_KEY, test_settings.secret("HCCPAY_COURIER_WEBHOOK_SECRET"),
                                               clock=world.clock))
    try:
        client = CourierClient(restarted.url, API_KEY)
        answer = client.create_order({"reference": "HCC-999", "citizen": {"phone": "0912345678", "ward_code": "06685"}},
                                     idempotency_key="after-restart")
        events = client.track(answer["tracking_number"])["events"]
    finally:
        restarted.stop()
    assert answer["tracking_number"] != before.tracking_number
    recorded = {e.courier_event_id for e in world.events(first["id"]) if e.courier_event_id}
    assert recorded and not recorded & {e["event_id"] for e in events}


def test_a_booking_answer_with_another_shipments_tracking_number_is_an_alert_not_a_stopped_worker(
        world, auth, db, test_settings):
    from dataclasses import replace

    from postal.service import BOOK_TOPIC
    make_dossier(db, test_settings, code="D-TAKEN-1")
    first = create(world, auth, shipment_body(dossier_code="D-TAKEN-1"))
    world.worker.drain()
    taken = world.shipment(first["id"]).tracking_number
    make_dossier(db, test_settings, code="D-TAKEN-2")
    second = create(world, auth, shipment_body(dossier_code="D-TAKEN-2"))
    book = world.worker.topics[BOOK_TOPIC]
    world.worker.topics[BOOK_TOPIC] = replace(book, send=lambda delivery: {"order_id": "X1",
                                                                          "tracking_number": taken})
    assert world.worker.drain() == 1  # recorded, not raised: the worker carries on with the rest
    with db() as s:
        message = s.execute(select(OutboxMessage).where(
            OutboxMessage.key == f"{BOOK_TOPIC}:shipment:{second['id']}")).scalar_one()
    assert message.status == "failed" and "tracking_number_taken" in message.last_error
    assert world.shipment(second["id"]).status == "requested" and world.shipment(second["id"]).tracking_number is None
    assert world.shipment(first["id"]).tracking_number == taken
