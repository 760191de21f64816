"""Expiry is judged at a callback's arrival: a transfer that arrived while its request was open
pays it even when the workers apply it after the request's time has passed. So neither the
expiry job nor an on-the-spot expiry (a page, a renewal) expires a request while a callback
that arrived before that time waits in the queue; once the queue has moved past, they do."""
from datetime import timedelta

from sqlalchemy import update

from kernel.clock import now_utc
from kernel.db import unit_of_work
from kernel.inbox import InboundCallback
from payments.inbox_apply import drain
from payments.models import PaymentRequest
from payments.service import expire_due_requests
from sandbox.bank import callback_request
from tests.factories import assert_ledger_ok, make_request


def expires_in(db, code, delta):
    with unit_of_work(db) as s:
        s.execute(update(PaymentRequest).where(PaymentRequest.payment_code == code)
                  .values(expires_at=now_utc() + delta))


def status(client, code):
    return client.get(f"/api/v1/payment-requests/{code}").json


def test_a_transfer_that_arrived_in_time_pays_its_request_though_applied_after_it_lapsed(
        client, auth, test_settings, db):
    code, other = make_request(client, auth), make_request(client, auth)
    path, headers, body = callback_request("bank", settings=test_settings, payment_code=code, amount_vnd=100_000,
                                           txn_id="FT-INTIME", at=now_utc())
    assert client.queued_only().post(path, data=body, headers=headers).status_code == 200  # queued, not applied
    with unit_of_work(db) as s:  # it arrived two minutes ago, while the request was open ...
        s.execute(update(InboundCallback).values(received_at=now_utc() - timedelta(minutes=2)))
    expires_in(db, code, -timedelta(minutes=1))  # ... which lapsed a minute ago, while the callback waited
    expires_in(db, other, -timedelta(minutes=1))  # due too, but no callback of it arrived in time
    with unit_of_work(db) as s:
        assert expire_due_requests(s, settings=test_settings, now=now_utc()) == 0  # the queue is older
    plain = client.queued_only()
    assert plain.get(f"/api/v1/payment-requests/{code}").json["status"] == "pending"  # not expired on the spot
    runtime = client.application.extensions["hccpay"]
    drain(runtime.sessions, runtime.settings)
    assert (status(client, code)["status"], status(client, code)["paid_vnd"]) == ("paid", 100_000)
    with unit_of_work(db) as s:
        assert expire_due_requests(s, settings=test_settings, now=now_utc()) == 1  # the queue is empty: it may
    assert status(client, other)["status"] == "expired"
    assert_ledger_ok(db)
