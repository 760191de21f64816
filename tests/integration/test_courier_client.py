"""The courier client against the sandbox over HTTP: typed errors, timeouts, idempotent bookings."""
import pytest
import requests

from kernel.outbox import PermanentError
from postal.clients import CourierClient, CourierRefused, CourierUnavailable
from sandbox.courier import create_courier
from sandbox.server import serve_in_thread

ORDER = {"reference": "HCC-1", "direction": "delivery",
         "citizen": {"name": "Nguyễn Văn An", "phone": "0912345678", "ward_code": "06685"}}


@pytest.fixture
def courier():
    server = serve_in_thread(create_courier("key", "secret"))
    yield server
    server.stop()


def control(courier, **state):
    requests.post(f"{courier.url}/_control", json=state, timeout=5).raise_for_status()


def test_the_same_idempotency_key_books_one_order(courier):
    client = CourierClient(courier.url, "key")
    first = client.create_order(ORDER, idempotency_key="hccpay-1")
    second = client.create_order(ORDER, idempotency_key="hccpay-1")
    assert first == second and len(requests.get(f"{courier.url}/_orders", timeout=5).json()["orders"]) == 1
    assert [e["status_code"] for e in client.track(first["tracking_number"])["events"]] == [0]
    assert client.cancel_order(first["tracking_number"], idempotency_key="c-1")["status_code"] == 18


@pytest.mark.parametrize("mode", ["down", "error"])
def test_an_outage_is_a_retryable_error(courier, mode):
    control(courier, mode=mode)
    with pytest.raises(CourierUnavailable):
        CourierClient(courier.url, "key").create_order(ORDER, idempotency_key="k")


def test_a_slow_courier_times_out_as_retryable(courier):
    control(courier, mode="slow", delay=0.5)
    with pytest.raises(CourierUnavailable, match="unreachable"):
        CourierClient(courier.url, "key", timeout=(1.0, 0.05)).track("EB000000000VN")


def test_a_refusal_is_permanent_but_a_wrong_key_is_retried(courier):
    """An order the courier refuses is refused for good; our key refused (rotated at the courier) is a
    setting to fix: it stays retryable on the schedule instead of failing every order at once."""
    with pytest.raises(CourierRefused) as refused:
        CourierClient(courier.url, "key").create_order({"reference": "x"}, idempotency_key="k")
    assert isinstance(refused.value, PermanentError)
    with pytest.raises(CourierUnavailable):
        CourierClient(courier.url, "wrong").track("EB000000000VN")
