"""Round 10 of the callback probes: orderings an acceptance tester builds from the contract. A callback
answered 2xx is durably recorded and applied by the workers moments later; what staff do in that moment
must treat it as the payment it already is, as they would had the workers been quicker."""
import json

import pytest
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.inbox import InboundCallback
from kernel.signing import HEADER, sign
from payments.inbox_apply import drain
from sandbox.bank import callback_request
from tests.factories import make_request

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def apply_queue(client):
    runtime = client.application.extensions["hccpay"]
    drain(runtime.sessions, runtime.settings)


def stored(db):
    with db() as s:
        return [(row.provider, row.status) for row in
                s.execute(select(InboundCallback).order_by(InboundCallback.id)).scalars()]


def queue_payment(client, settings, via, code, amount, txn_id):
    """A payment callback answered 2xx and left queued (the workers have not applied it yet); returns
    the plain client that leaves it so."""
    plain = client.queued_only()
    path, headers, body = callback_request(via, settings=settings, payment_code=code, amount_vnd=amount,
                                           txn_id=txn_id, at=now_utc())
    assert plain.post(path, data=body, headers=headers).status_code == 200
    return plain


def cancel(client, auth, code):
    return client.post(f"/api/v1/payment-requests/{code}/cancel", json={"reason": "nhập nhầm hồ sơ"},
                       headers=auth("intake"))


# --- a cancel in the moment between a callback's 2xx and its application ------------------------------

@pytest.mark.parametrize("via", ["sepay", "payos", "bank", "pos"])
def test_a_request_whose_payment_was_answered_and_waits_to_be_applied_is_not_cancelled(
        client, auth, test_settings, db, via):
    code = make_request(client, auth)
    plain = queue_payment(client, test_settings, via, code, 100_000, "R10-1")
    r = cancel(plain, auth, code)
    assert r.status_code == 409, r.json
    assert r.json["code"] == "cannot_cancel" and r.json["details"]["payment_waiting"] is True
    apply_queue(client)
    paid = client.get(f"/api/v1/payment-requests/{code}").json
    assert (paid["status"], paid["paid_vnd"]) == ("paid", 100_000)  # paid, as had the worker been quicker
    assert stored(db) == [(via, "applied")]


def test_a_waiting_payment_for_another_request_does_not_hold_a_cancellation(client, auth, test_settings, db):
    code, other = make_request(client, auth), make_request(client, auth)
    plain = queue_payment(client, test_settings, "bank", other, 100_000, "R10-2")
    r = cancel(plain, auth, code)
    assert r.status_code == 200 and r.json["status"] == "cancelled"
    apply_queue(client)
    assert client.get(f"/api/v1/payment-requests/{other}").json["status"] == "paid"


def test_a_debit_whose_memo_names_a_request_does_not_hold_its_cancellation(client, auth, test_settings, db):
    code = make_request(client, auth)
    plain = client.queued_only()
    path, headers, body = callback_request("bank", settings=test_settings, payment_code=code, amount_vnd=100_000,
                                           txn_id="R10-3", at=now_utc())
    body = body.replace(b'"direction": "credit"', b'"direction": "debit"')
    headers[HEADER] = sign([test_settings.secret("HCCPAY_BANK_WEBHOOK_SECRET")], body, int(now_utc().timestamp()))
    assert plain.post(path, data=body, headers=headers).status_code == 200  # recorded, ignored: no payment
    assert cancel(plain, auth, code).status_code == 200



# --- cash at the counter in the moment between a transfer's 2xx and its application ---------------------

def take_cash(client, auth, code, amount):
    return client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": amount},
                       headers=auth("cashier"))


def test_cash_for_a_request_a_waiting_transfer_paid_in_full_is_refused_as_for_a_paid_one(
        client, auth, test_settings, db):
    code = make_request(client, auth)
    plain = queue_payment(client, test_settings, "bank", code, 100_000, "R10-C1")
    r = take_cash(plain, auth, code, 100_000)
    assert (r.status_code, r.json["code"], r.json["details"]) == (409, "request_not_payable", {"status": "paid"})
    paid = plain.get(f"/api/v1/payment-requests/{code}").json
    assert (paid["status"], paid["paid_vnd"]) == ("paid", 100_000)  # by the transfer alone, counted once
    assert stored(db) == [("bank", "applied")]


def test_cash_for_the_rest_of_a_waiting_partial_transfer_is_taken_and_pays_the_request(
        client, auth, test_settings, db):
    code = make_request(client, auth)
    plain = queue_payment(client, test_settings, "sepay", code, 40_000, "710002")
    assert take_cash(plain, auth, code, 70_000).json["details"] == {"outstanding_vnd": 60_000}
    assert take_cash(plain, auth, code, 60_000).status_code == 201
    paid = plain.get(f"/api/v1/payment-requests/{code}").json
    assert (paid["status"], paid["paid_vnd"]) == ("paid", 100_000)


# --- transaction ids written as JSON numbers (a terminal's STAN, a bank's sequence number) ---------------

def signed_push(settings, secret_name, data):
    body = json.dumps(data).encode()
    return {"Content-Type": "application/json",
            HEADER: sign([settings.secret(secret_name)], body, int(now_utc().timestamp()))}, body


def test_a_bank_push_whose_transaction_id_is_a_number_is_credited_once(client, auth, test_settings, db):
    code = make_request(client, auth)
    data = {"transaction_id": 9_100_123, "account_number": test_settings.collection_account("*").account_number,
            "amount_vnd": 100_000, "content": f"{code} nop phi", "booked_at": now_utc().isoformat(),
            "direction": "credit"}
    for _ in range(2):
        headers, body = signed_push(test_settings, "HCCPAY_BANK_WEBHOOK_SECRET", data)
        r = client.post("/api/v1/callbacks/bank", data=body, headers=headers)
        assert (r.status_code, r.json) == (200, {"received": True})
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 100_000
    assert stored(db) == [("bank", "applied"), ("bank", "duplicate")]


def test_a_card_sale_and_its_void_numbered_as_json_numbers_pay_then_undo(client, auth, test_settings, db):
    code = make_request(client, auth)
    sale = {"transaction_id": 123, "terminal_id": 40001, "type": "sale", "amount_vnd": 100_000,
            "payment_code": code, "approval_code": "A1B2C3", "card_masked": "970436******1234",
            "card_scheme": "NAPAS", "occurred_at": now_utc().isoformat()}
    headers, body = signed_push(test_settings, "HCCPAY_POS_WEBHOOK_SECRET", sale)
    assert client.post("/api/v1/callbacks/pos", data=body, headers=headers).status_code == 200
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 100_000
    void = {**sale, "transaction_id": 124, "type": "void", "original_transaction_id": 123}
    headers, body = signed_push(test_settings, "HCCPAY_POS_WEBHOOK_SECRET", void)
    assert client.post("/api/v1/callbacks/pos", data=body, headers=headers).status_code == 200
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 0
    assert stored(db) == [("pos", "applied"), ("pos", "applied")]


@pytest.mark.parametrize("value", [True, 1.5, ["1"], {"id": 1}])
def test_a_transaction_id_that_is_no_number_or_text_is_still_refused(client, test_settings, db, value):
    data = {"transaction_id": value, "account_number": test_settings.collection_account("*").account_number,
            "amount_vnd": 100_000, "content": "HS", "booked_at": now_utc().isoformat(), "direction": "credit"}
    headers, body = signed_push(test_settings, "HCCPAY_BANK_WEBHOOK_SECRET", data)
    r = client.post("/api/v1/callbacks/bank", data=body, headers=headers)
    assert r.status_code == 400 and r.json["code"] == "invalid_field" and r.json["details"] == {"field": "transaction_id"}
    assert stored(db) == [("bank", "rejected")]
