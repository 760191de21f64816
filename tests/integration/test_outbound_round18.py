"""Round 18, outbound calls: every exchange has one total deadline and a size limit. The SMS, courier and
acquirer clients read their answers whole with requests, whose read timeout restarts on each chunk: a peer
dripping its answer a byte at a time held the worker's one outbound loop (and after the lease the next
worker's) for as long as it liked, and one answering megabytes had them all read into memory."""
import socket
import threading
import time

import pytest

from kernel.db import unit_of_work
from kernel.events import SubscriberUnavailable, Subscription, webhook_topic
from kernel.notify import GatewayUnavailable, SmsGatewayClient
from kernel.outbound import MAX_ANSWER_BYTES
from kernel.outbox import Delivery
from payments.clients import AcquirerUnavailable, PosGatewayClient
from postal.clients import CourierClient, CourierUnavailable
from tests.conftest import T0

DEADLINE = 1.0
DRIP_SECONDS = 30


def _peer(answer):
    """A one-line HTTP peer on 127.0.0.1: `answer(conn, stop)` is called with each connection after its request."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    stop = threading.Event()

    def handle(conn):
        with conn:
            conn.recv(65536)
            try:
                answer(conn, stop)
            except OSError:
                pass  # we hung up: what should happen

    def serve():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}", stop, listener


def _drip(prefix: bytes):
    def answer(conn, stop):
        conn.sendall(prefix)
        ends = time.monotonic() + DRIP_SECONDS
        while time.monotonic() < ends and not stop.is_set():
            conn.sendall(b" ")  # well inside the read timeout: requests would wait for the next one
            time.sleep(0.2)
    return answer


def _huge(conn, stop):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b'{"message_id": "' + b"x" * 65536 + b'"}'
    sent = 0
    while sent <= MAX_ANSWER_BYTES * 4 and not stop.is_set():
        conn.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        sent += len(chunk)
    conn.sendall(b"0\r\n\r\n")
    stop.wait(5)  # closing now, with the request's body unread, could reset the connection under its reader


@pytest.fixture
def peer():
    started = []

    def start(answer):
        url, stop, listener = _peer(answer)
        started.append((stop, listener))
        return url
    yield start
    for stop, listener in started:
        stop.set()
        listener.close()


DRIPPING_BODY = _drip(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
DRIPPING_HEADERS = _drip(b"HTTP/1.1 200 OK\r\nX-Slow: ")

CALLS = {
    "sms": (lambda url: SmsGatewayClient(url, "key", deadline=DEADLINE).send(to="0901234567", text="x",
                                                                             idempotency_key="k"),
            GatewayUnavailable),
    "courier": (lambda url: CourierClient(url, "key", deadline=DEADLINE).track("EB1VN"), CourierUnavailable),
    "acquirer": (lambda url: PosGatewayClient(url, ("secret",), clock=lambda: T0, deadline=DEADLINE).refund(
        body={"refund_id": 1}, idempotency_key="k"), AcquirerUnavailable),
}


@pytest.mark.parametrize("answer", [DRIPPING_BODY, DRIPPING_HEADERS], ids=["body", "headers"])
@pytest.mark.parametrize("client", sorted(CALLS))
def test_a_peer_dripping_its_answer_is_given_up_at_the_deadline(peer, client, answer):
    call, unavailable = CALLS[client]
    url = peer(answer)
    started = time.monotonic()
    with pytest.raises(unavailable, match="too slowly"):
        call(url)
    # three quick tries of DEADLINE each and their waits (0.2 s, 0.4 s), not DRIP_SECONDS
    assert time.monotonic() - started < 3 * DEADLINE + 3


@pytest.mark.parametrize("client", sorted(CALLS))
def test_an_answer_over_the_size_read_is_refused(peer, client):
    call, unavailable = CALLS[client]
    with pytest.raises(unavailable, match="too much"):
        call(peer(_huge))


def test_a_declared_length_over_the_size_read_is_refused_unread(peer):
    def declared(conn, stop):
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {MAX_ANSWER_BYTES + 1}\r\n\r\n".encode())
        stop.wait(DRIP_SECONDS)  # never sends the body: reading it would wait
    started = time.monotonic()
    with pytest.raises(GatewayUnavailable, match="over the"):
        SmsGatewayClient(peer(declared), "key").send(to="0901234567", text="x", idempotency_key="k")
    assert time.monotonic() - started < 3


def test_a_normal_answer_is_read_and_the_connection_used_again(peer):
    def ok(conn, stop):
        body = b'{"message_id": "m1"}'
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\n\r\n" + body)
    client = SmsGatewayClient(peer(ok), "key", deadline=DEADLINE)
    for _ in range(2):
        assert client.send(to="0901234567", text="x", idempotency_key="k") == {"message_id": "m1"}


def test_a_webhook_subscriber_dripping_its_status_line_is_given_up_at_the_deadline(peer, db):
    url = peer(DRIPPING_HEADERS)
    with unit_of_work(db) as s:
        subscription = Subscription(name="a", url=f"{url}/events", event_types=["payment_request.*"], active=True,
                                    created_at=T0)
        s.add(subscription)
    topic = webhook_topic(db, ("secret-key-of-the-test",), clock=lambda: T0, public_only=False, deadline=DEADLINE)
    delivery = Delivery(id=1, topic="webhook", key="k", attempt=1, idempotency_key="hccpay-1",
                        payload={"subscription_id": subscription.id,
                                 "event": {"id": "e1", "type": "payment_request.paid"}})
    started = time.monotonic()
    with pytest.raises(SubscriberUnavailable, match="too slowly"):
        topic.send(delivery)
    assert time.monotonic() - started < DEADLINE + 2


def test_a_redirect_to_an_internal_address_is_not_followed_through_the_public_only_session(peer):
    """Probe: a subscriber (allowed here as 127.0.0.1) answering 307 to the cloud's metadata address."""
    import ipaddress

    from kernel.destinations import public_only_session
    from kernel.outbound import exchange

    def moved(conn, stop):
        conn.sendall(b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://169.254.169.254/latest/meta-data/\r\n"
                     b"Content-Length: 0\r\n\r\n")
    http = public_only_session([ipaddress.ip_network("127.0.0.1/32")])
    response = exchange(http, "POST", f"{peer(moved)}/events", timeout=(1, 1), data=b"{}", read=False)
    assert response.status_code == 307  # answered as such (SubscriberUnavailable), nothing sent on


def test_the_public_only_session_still_refuses_an_internal_socket_through_the_exchange(peer):
    from kernel.destinations import InternalDestination, public_only_session
    from kernel.outbound import exchange

    with pytest.raises(InternalDestination):
        exchange(public_only_session(), "POST", f"{peer(DRIPPING_BODY)}/events", timeout=(1, 1), data=b"{}")
