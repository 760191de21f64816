"""Round 18, the outbox: a webhook subscriber's answer is its status line. A subscriber that answers 200 and then
streams its body for ever (a misconfigured URL on a live feed, or one dripping bytes slower than the read timeout)
held the worker's one outbound loop while requests read it all: SMS, courier bookings and card refunds waited
behind it, and after the lease the next worker claimed it and was held too."""
import socket
import threading
import time

import pytest

from kernel.db import unit_of_work
from kernel.events import Subscription, webhook_topic
from kernel.outbox import Delivery
from tests.conftest import T0

STREAM_SECONDS = 20


@pytest.fixture
def endless_subscriber():
    """A subscriber that answers 200 at once, then sends a chunk of its body every half second."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    def answer(conn):
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
            ends = time.monotonic() + STREAM_SECONDS
            try:
                while time.monotonic() < ends and not stop.is_set():
                    conn.sendall(b"5\r\nhello\r\n")
                    time.sleep(0.5)
                conn.sendall(b"0\r\n\r\n")
            except OSError:
                pass  # the worker hung up: what it should do

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(timeout=5)
    listener.close()


def test_a_subscriber_whose_answer_never_ends_is_delivered_on_its_status_line_without_holding_the_worker(
        endless_subscriber, db):
    with unit_of_work(db) as s:
        subscription = Subscription(name="a", url=f"{endless_subscriber}/events", event_types=["payment_request.*"],
                                    active=True, created_at=T0)
        s.add(subscription)
    topic = webhook_topic(db, ("secret-key-of-the-test",), clock=lambda: T0, public_only=False)
    delivery = Delivery(id=1, topic="webhook", key="k", attempt=1, idempotency_key="hccpay-1",
                        payload={"subscription_id": subscription.id,
                                 "event": {"id": "e1", "type": "payment_request.paid"}})
    started = time.monotonic()
    assert topic.send(delivery) == {"status": 200}
    assert time.monotonic() - started < 5  # not the STREAM_SECONDS the body takes
