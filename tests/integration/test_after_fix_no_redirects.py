"""Outbound calls never follow a redirect: a 3xx is a failure to retry, not a delivery (requests would turn
the POST into a GET of the new location and count its 200 as delivered)."""
import threading

import pytest
import requests
from flask import Flask, jsonify, redirect

from kernel.db import unit_of_work
from kernel.events import SubscriberUnavailable, Subscription, webhook_topic
from kernel.notify import GatewayUnavailable, SmsGatewayClient
from kernel.outbox import Delivery
from payments.clients import AcquirerUnavailable, PosGatewayClient
from sandbox.server import serve_in_thread
from tests.conftest import T0


@pytest.fixture
def moved():
    """A receiver that moved: every POST is redirected to a page answering 200."""
    app, landed, lock = Flask("moved"), [], threading.Lock()

    @app.post("/<path:path>")
    def post(path):
        return redirect("/landing", code=302)

    @app.route("/landing", methods=["GET", "POST"])
    def landing():
        with lock:
            landed.append("landing")
        return jsonify(message_id="M1", refund_ref="R1", ok=True)

    server = serve_in_thread(app)
    yield server.url, landed
    server.stop()


def test_the_moved_receiver_lands_a_followed_post_on_a_200(moved):
    url, landed = moved
    assert requests.post(f"{url}/sms", json={}, timeout=5).status_code == 200  # what requests does by default
    assert landed == ["landing"]


def test_an_sms_gateway_that_redirects_has_not_sent_the_sms(moved):
    url, landed = moved
    with pytest.raises(GatewayUnavailable, match="302"):
        SmsGatewayClient(url, "key").send(to="0912345678", text="Xin chào", idempotency_key="hccpay-1")
    assert landed == []


def test_a_card_acquirer_that_redirects_has_not_refunded(moved):
    url, landed = moved
    client = PosGatewayClient(url, ("secret",), clock=lambda: T0)
    with pytest.raises(AcquirerUnavailable, match="302"):
        client.refund(body={"amount_vnd": 100_000}, idempotency_key="hccpay-1")
    assert landed == []


def test_a_subscriber_that_redirects_has_not_received_the_event(moved, db):
    url, landed = moved
    with unit_of_work(db) as s:
        subscription = Subscription(name="a", url=f"{url}/events", event_types=["payment_request.*"], active=True,
                                    created_at=T0)
        s.add(subscription)
    topic = webhook_topic(db, ("secret",), clock=lambda: T0, public_only=False)
    delivery = Delivery(id=1, topic="webhook", key="k", attempt=1, idempotency_key="hccpay-1",
                        payload={"subscription_id": subscription.id,
                                 "event": {"id": "e1", "type": "payment_request.paid"}})
    with pytest.raises(SubscriberUnavailable, match="302"):
        topic.send(delivery)
    assert landed == []
