"""The courier's booking reply is held to the columns that keep it: a tracking number or order id
too long to store is a refusal (an admin alert), not a 500 in the outbox's success handler."""
import pytest

from postal.clients import CourierClient, CourierRefused

ORDER = {"reference": "HCC-1", "direction": "delivery"}


@pytest.mark.parametrize("answer", [{"order_id": "1", "tracking_number": "E" * 41},
                                    {"order_id": "9" * 65, "tracking_number": "EB1VN"}])
def test_a_booking_reply_too_long_for_its_column_is_refused(monkeypatch, answer):
    client = CourierClient("http://courier.invalid", "key")
    monkeypatch.setattr(client, "_call", lambda *a, **k: answer)
    with pytest.raises(CourierRefused):
        client.create_order(ORDER, idempotency_key="k")


def test_a_booking_reply_of_the_column_size_is_taken(monkeypatch):
    client = CourierClient("http://courier.invalid", "key")
    monkeypatch.setattr(client, "_call", lambda *a, **k: {"order_id": "9" * 64, "tracking_number": "E" * 40})
    assert client.create_order(ORDER, idempotency_key="k") == {"order_id": "9" * 64, "tracking_number": "E" * 40}
