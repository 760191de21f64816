"""A verified callback whose processing fails (a fault) is not lost: finance sees it, and once the
fault is mended an admin queues it again and the workers apply it once."""
import pytest

from payments import inbox_apply
from tests.factories import make_request, send_callback


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def failed(client, auth):
    return client.get("/api/v1/finance/failed-callbacks", headers=auth("finance")).json["callbacks"]


def test_a_callback_that_failed_is_listed_and_applied_once_when_queued_again(client, auth, test_settings,
                                                                             monkeypatch):
    code = make_request(client, auth)
    real = inbox_apply._apply_rows

    def broken(*args, **kwargs):
        raise RuntimeError("a defect")

    monkeypatch.setattr(inbox_apply, "_apply_rows", broken)
    assert send_callback(client, test_settings, "bank", code=code, amount=100_000).status_code == 200
    [stuck] = failed(client, auth)
    assert stuck["status"] == "received" and "RuntimeError" in stuck["reason"]
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 0

    monkeypatch.setattr(inbox_apply, "_apply_rows", real)  # the fault is mended
    assert client.post(f"/api/v1/finance/failed-callbacks/{stuck['id']}/retry",
                       headers=auth("admin")).status_code == 200
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 100_000
    assert failed(client, auth) == []
    again = client.post(f"/api/v1/finance/failed-callbacks/{stuck['id']}/retry", headers=auth("admin"))
    assert again.status_code == 409 and again.json["code"] == "callback_not_requeueable"
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 100_000


def test_only_a_failed_callback_can_be_queued_again(client, auth):
    missing = client.post("/api/v1/finance/failed-callbacks/424242/retry", headers=auth("admin"))
    assert missing.status_code == 404 and missing.json["code"] == "callback_not_found"
