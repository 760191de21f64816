"""Switching a subscription off holds its pending deliveries (no attempt, no alert); switching it on again
delivers them. A delivery that gives up raises the alert only of a subscription still active."""
import threading

import pytest
from flask import Flask, jsonify, request
from sqlalchemy import select

from kernel.db import unit_of_work
from kernel.events import Subscription, webhook_topic
from kernel.outbox import DONE, PENDING, Delivery, OutboxAttempt, OutboxMessage
from sandbox.server import serve_in_thread
from tests.conftest import T0
from tests.factories import make_request, send_callback
from tests.integration.test_notifications import drain_webhooks


@pytest.fixture
def subscriber():
    app, received, lock = Flask("subscriber"), [], threading.Lock()

    @app.post("/events")
    def receive():
        with lock:
            received.append(request.get_json()["type"])
        return jsonify(ok=True)

    server = serve_in_thread(app)
    yield server.url, received
    server.stop()


def _webhooks(db):
    with db() as s:
        return s.execute(select(OutboxMessage).where(OutboxMessage.topic == "webhook")).scalars().all()


def _subscription(client, auth, subscription_id):
    [found] = [s for s in client.get("/api/v1/admin/subscriptions", headers=auth("admin")).json["subscriptions"]
               if s["id"] == subscription_id]
    return found


def test_deliveries_of_a_deactivated_subscription_wait_without_an_alert_and_go_out_once_it_is_back(
        client, auth, test_settings, db, subscriber):
    url, received = subscriber
    sub = client.post("/api/v1/admin/subscriptions", headers=auth("admin"), json={
        "name": "Hệ thống một cửa", "url": f"{url}/events", "event_types": ["payment_request.*"]}).json
    send_callback(client, test_settings, "bank", code=make_request(client, auth), amount=100_000)
    off = client.patch(f"/api/v1/admin/subscriptions/{sub['id']}", headers=auth("admin"), json={"active": False})
    assert off.status_code == 200 and off.json["active"] is False

    drain_webhooks(test_settings, db)
    [message] = _webhooks(db)
    assert message.status == PENDING and message.attempts == 0 and message.last_error.startswith("held:")
    with db() as s:
        assert s.execute(select(OutboxAttempt)).scalars().all() == []  # nothing was sent: no attempt
    assert _subscription(client, auth, sub["id"])["alert"] is False and received == []
    assert drain_webhooks(test_settings, db) == 0  # held: not taken again at once

    on = client.patch(f"/api/v1/admin/subscriptions/{sub['id']}", headers=auth("admin"), json={"active": True})
    assert on.status_code == 200
    drain_webhooks(test_settings, db)
    [message] = _webhooks(db)
    assert message.status == DONE and message.attempts == 1
    assert received == ["payment_request.paid"]
    assert _subscription(client, auth, sub["id"])["alert"] is False


def test_a_delivery_that_gives_up_raises_the_alert_of_an_active_subscription_only(test_settings, db):
    with unit_of_work(db) as s:
        active = Subscription(name="a", url="http://127.0.0.1:9/a", event_types=["payment_request.*"], active=True,
                              created_at=T0)
        inactive = Subscription(name="b", url="http://127.0.0.1:9/b", event_types=["payment_request.*"],
                                active=False, created_at=T0)
        s.add_all([active, inactive])
    topic = webhook_topic(db, ("secret",), clock=lambda: T0, public_only=False)
    for subscription in (active, inactive):
        delivery = Delivery(id=1, topic="webhook", key="k", payload={"subscription_id": subscription.id},
                            attempt=5, idempotency_key="hccpay-1")
        with unit_of_work(db) as s:
            topic.on_failure(s, delivery, "subscriber answered 503", T0)
    with db() as s:
        alerts = {sub.name: sub.alert for sub in s.execute(select(Subscription)).scalars()}
    assert alerts == {"a": True, "b": False}
