"""DNS rebinding, closed: a webhook's host is checked before each delivery, and requests resolves it once more
to connect. A name that answers a public address to the check and 127.0.0.1 to the connection must still
reach nothing inside: the address the socket is connected to is checked before a byte is sent."""
import socket
import threading

import pytest

from kernel.destinations import InternalDestination, public_only_session


@pytest.fixture
def listener():
    """A TCP socket on 127.0.0.1 that records every byte a client sends it."""
    server = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    data = conn.recv(4096)
                except OSError:
                    data = b""
                received.append(data)
                if data.startswith(b"POST"):
                    conn.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1], received
    server.close()


def _rebinding(monkeypatch, port):
    """motcua.example.gov.vn resolves to a public address the first time, to 127.0.0.1 afterwards."""
    real = socket.getaddrinfo
    asked = []

    def resolve(host, p, *args, **kwargs):
        if host != "motcua.example.gov.vn":
            return real(host, p, *args, **kwargs)
        asked.append(host)
        address = "203.113.131.5" if len(asked) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return asked


def test_a_name_rebound_to_loopback_between_the_check_and_the_connection_receives_nothing(db, monkeypatch,
                                                                                            listener):
    from kernel.db import unit_of_work
    from kernel.events import Subscription, webhook_topic
    from kernel.outbox import Delivery, PermanentError
    from tests.conftest import T0

    port, received = listener
    with unit_of_work(db) as s:
        subscription = Subscription(name="a", url=f"https://motcua.example.gov.vn:{port}/hooks",
                                    event_types=["payment_request.*"], active=True, created_at=T0)
        s.add(subscription)
    asked = _rebinding(monkeypatch, port)
    topic = webhook_topic(db, ("secret",), clock=lambda: T0)
    delivery = Delivery(id=1, topic="webhook", key="k", attempt=1, idempotency_key="hccpay-1",
                        payload={"subscription_id": subscription.id,
                                 "event": {"id": "e1", "type": "payment_request.paid"}})
    with pytest.raises(PermanentError, match="internal_url.*127.0.0.1"):
        topic.send(delivery)
    assert len(asked) >= 2  # the check passed on the public answer; the connection got the rebound one
    assert all(data == b"" for data in received)  # not even a TLS hello reached it


def test_the_checked_session_sends_to_public_or_listed_networks_and_refuses_internal_ones(listener):
    from ipaddress import ip_network

    port, received = listener
    with pytest.raises(InternalDestination, match="127.0.0.1"):
        public_only_session().post(f"http://127.0.0.1:{port}/hooks", data=b"{}", timeout=2)
    assert all(data == b"" for data in received)
    answer = public_only_session([ip_network("127.0.0.0/8")]).post(f"http://127.0.0.1:{port}/hooks", data=b"{}",
                                                                     timeout=2)
    assert answer.status_code == 204 and received[-1].startswith(b"POST /hooks")


def test_through_a_proxy_the_proxy_resolves_and_the_connection_to_it_is_not_refused(listener):
    """An outbound proxy on the centre's network is internal by nature; the socket is the proxy's."""
    port, received = listener
    answer = public_only_session().post("http://motcua.example.gov.vn/hooks", data=b"{}", timeout=2,
                                        proxies={"http": f"http://127.0.0.1:{port}"})
    assert answer.status_code == 204
    assert received[-1].startswith(b"POST http://motcua.example.gov.vn/hooks")
