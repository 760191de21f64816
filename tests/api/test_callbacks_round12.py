"""Round 12 of the callback probes: what becomes of a callback whose processing failed once its sender
has sent it again, and what the callback answers say."""
import pytest

from payments import callback_routes
from sandbox.bank import ipn_params
from tests.api.test_pos_vnpay_cash import checkout, ipn, status
from tests.factories import make_request

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def failed(client, auth):
    return client.get("/api/v1/finance/failed-callbacks", headers=auth("finance")).json["callbacks"]


def test_a_vnpay_ipn_that_failed_and_was_sent_again_can_be_set_aside_from_the_failed_list(
        client, auth, test_settings, monkeypatch):
    """VNPay's IPN is applied before it is answered: one whose processing failed is answered 99 and VNPay
    sends it again. The failed row has nothing for a worker to apply (no event), so it cannot be queued;
    once VNPay's retry paid the request an admin must still be able to clear it from finance's list."""
    code = make_request(client, auth)
    params = ipn_params(test_settings, checkout(client, code)["redirect_url"])
    real = callback_routes.confirm_ipn

    def broken(*args, **kwargs):
        raise RuntimeError("a defect")

    monkeypatch.setattr(callback_routes, "confirm_ipn", broken)
    assert ipn(client, params)["RspCode"] == "99"
    [stuck] = failed(client, auth)
    assert stuck["provider"] == "vnpay" and "RuntimeError" in stuck["reason"]

    monkeypatch.setattr(callback_routes, "confirm_ipn", real)
    assert ipn(client, params)["RspCode"] == "00"  # VNPay's retry
    assert status(client, code)["status"] == "paid"

    retry = client.post(f"/api/v1/finance/failed-callbacks/{stuck['id']}/retry", headers=auth("admin"))
    assert retry.status_code == 409 and retry.json["code"] == "callback_not_requeueable"
    assert "set it aside" in retry.json["message"]  # VNPay sends it again: nothing here to queue
    aside = client.post(f"/api/v1/finance/failed-callbacks/{stuck['id']}/set-aside", headers=auth("admin"),
                        json={"reason": "VNPay đã gửi lại và được ghi nhận"})
    assert aside.status_code == 200, aside.json
    assert aside.json["status"] == "conflict"
    assert failed(client, auth) == []
    assert status(client, code)["paid_vnd"] == 100_000  # nothing credited twice


def test_a_callback_whose_reading_crashed_can_be_set_aside_once_its_sender_sent_it_again(
        client, auth, test_settings, monkeypatch):
    from payments.channels import bankpush
    from tests.factories import send_callback

    code = make_request(client, auth)
    real = bankpush.parse

    def broken(*args, **kwargs):
        raise RuntimeError("a defect")

    monkeypatch.setattr(bankpush, "parse", broken)
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    first = send_callback(client, test_settings, "bank", code=code, amount=100_000, txn_id="R12-CRASH")
    assert first.status_code == 500 and first.json["code"] == "internal_error"
    [stuck] = failed(client, auth)
    monkeypatch.setattr(bankpush, "parse", real)
    assert send_callback(client, test_settings, "bank", code=code, amount=100_000,
                         txn_id="R12-CRASH").status_code == 200
    aside = client.post(f"/api/v1/finance/failed-callbacks/{stuck['id']}/set-aside", headers=auth("admin"),
                        json={"reason": "ngân hàng đã gửi lại"})
    assert aside.status_code == 200, aside.json
    assert failed(client, auth) == []


# --- the VNPay IPN answers in VNPay's shape whatever fails ---------------------------------------------

@pytest.mark.parametrize("fails", ["store", "mark"])
def test_a_vnpay_ipn_that_cannot_be_stored_is_answered_99_in_vnpays_shape_not_a_503(
        client, auth, test_settings, monkeypatch, fails):
    """VNPay reads the RspCode of a 200 (and sends the IPN again unless 00 or 02): with the database away
    the IPN is answered 99, Unknown error, as when its processing fails, not the API's 503 error body."""
    from sqlalchemy.exc import OperationalError

    from kernel import inbox

    code = make_request(client, auth)
    params = ipn_params(test_settings, checkout(client, code)["redirect_url"])

    def away(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    if fails == "store":
        monkeypatch.setattr(inbox, "store_raw", away)
    else:  # a refused IPN whose verdict cannot be written
        monkeypatch.setattr(inbox, "mark_alone", away)
        params = dict(params, vnp_Amount="1")
    r = client.get("/api/v1/callbacks/vnpay/ipn", query_string=params)
    assert r.status_code == 200 and r.json == {"RspCode": "99", "Message": "Unknown error"}
    assert r.headers["X-Request-Id"]
    assert status(client, code)["paid_vnd"] == 0


@pytest.mark.parametrize("via", ["sepay", "payos"])
def test_a_sepay_or_payos_callback_that_cannot_be_stored_is_refused_in_their_shape(
        client, auth, test_settings, monkeypatch, via):
    """SePay and payOS are answered `success: false` with every refusal, the database away included."""
    from sqlalchemy.exc import OperationalError

    from kernel import inbox
    from tests.factories import send_callback

    code = make_request(client, auth)

    def away(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr(inbox, "store_raw", away)
    r = send_callback(client, test_settings, via, code=code, amount=100_000, txn_id="R12-AWAY")
    assert r.status_code == 503, r.json
    assert r.json["code"] == "database_unavailable" and r.json["success"] is False
    assert r.json["details"]["request_id"] == r.headers["X-Request-Id"]
