"""Expiry is judged at a callback's arrival: a transfer that arrived while its request was open
pays it even when the workers apply it after the request's time has passed (a backlog, or a
failed try waiting for a retry). So neither the expiry job nor an on-the-spot expiry (a page, a
renewal) expires a request that such a callback names; every other request expires on time,
and is no longer offered for payment."""
from datetime import timedelta

import pytest

from sqlalchemy import update

from kernel.clock import now_utc
from kernel.db import unit_of_work
from kernel.inbox import RECEIVED, InboundCallback
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


def queue_transfer(client, settings, db, code, txn_id):
    """A transfer for `code` queued (not applied) as if it had arrived two minutes ago."""
    path, headers, body = callback_request("bank", settings=settings, payment_code=code, amount_vnd=100_000,
                                           txn_id=txn_id, at=now_utc())
    assert client.queued_only().post(path, data=body, headers=headers).status_code == 200
    with unit_of_work(db) as s:
        s.execute(update(InboundCallback).where(InboundCallback.external_id == txn_id)
                  .values(received_at=now_utc() - timedelta(minutes=2)))


def apply_queue(client):
    runtime = client.application.extensions["hccpay"]
    drain(runtime.sessions, runtime.settings)


def test_a_transfer_that_arrived_in_time_pays_its_request_though_applied_after_it_lapsed(
        client, auth, test_settings, db):
    code, other = make_request(client, auth), make_request(client, auth)
    queue_transfer(client, test_settings, db, code, "FT-INTIME")
    expires_in(db, code, -timedelta(minutes=1))  # lapsed a minute ago, while its transfer waited
    expires_in(db, other, -timedelta(minutes=1))  # lapsed too, and nothing of it waits
    with unit_of_work(db) as s:
        assert expire_due_requests(s, settings=test_settings, now=now_utc()) == 1  # the other one, on time
    plain = client.queued_only()
    assert plain.get(f"/api/v1/payment-requests/{code}").json["status"] == "pending"  # not expired on the spot
    lapsed = plain.get(f"/api/v1/payment-requests/{other}").json
    assert lapsed["status"] == "expired" and lapsed["vietqr"] is None  # never offered once lapsed
    apply_queue(client)
    assert (status(client, code)["status"], status(client, code)["paid_vnd"]) == ("paid", 100_000)
    assert_ledger_ok(db)


def test_a_transfer_whose_first_try_failed_still_holds_its_request_until_retried(client, auth, test_settings, db):
    code = make_request(client, auth)
    queue_transfer(client, test_settings, db, code, "FT-RETRY")
    with unit_of_work(db) as s:  # its processing failed: it waits, with its event, for a retry
        s.execute(update(InboundCallback).where(InboundCallback.external_id == "FT-RETRY")
                  .values(status=RECEIVED, reason="processing failed (OperationalError)"))
    expires_in(db, code, -timedelta(minutes=1))
    with unit_of_work(db) as s:
        assert expire_due_requests(s, settings=test_settings, now=now_utc()) == 0
    with unit_of_work(db) as s:
        s.execute(update(InboundCallback).where(InboundCallback.external_id == "FT-RETRY").values(status="queued"))
    apply_queue(client)
    assert status(client, code)["status"] == "paid"
    assert_ledger_ok(db)


def test_a_request_lapsed_before_its_transfer_arrived_expires_and_the_money_waits_in_suspense(
        client, auth, test_settings, db):
    code = make_request(client, auth)
    expires_in(db, code, -timedelta(minutes=3))  # lapsed before the transfer arrived (two minutes ago)
    queue_transfer(client, test_settings, db, code, "FT-LATE")
    with unit_of_work(db) as s:
        assert expire_due_requests(s, settings=test_settings, now=now_utc()) == 1
    apply_queue(client)
    assert (status(client, code)["status"], status(client, code)["paid_vnd"]) == ("expired", 0)
    assert_ledger_ok(db)


def _mistyped(code: str, prefix: str) -> str:
    """The code with two adjacent different digits swapped (a check-digit failure, one neighbour away)."""
    from payments import codes

    digits = code[len(prefix):]
    for i in range(len(digits) - 1):
        typo = prefix + digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:]
        if digits[i] != digits[i + 1] and not codes.is_valid_code(typo, prefix):
            return typo
    raise AssertionError("no swap makes the code fail its check")


@pytest.mark.parametrize("via", ["bank", "pos"])
def test_a_mistyped_code_that_arrived_in_time_holds_the_request_crediting_corrects_it_to(
        client, auth, test_settings, db, via):
    code = make_request(client, auth)
    typo = _mistyped(code, test_settings.payment_code_prefix)  # keyed in at a terminal, or in a memo
    path, headers, body = callback_request(via, settings=test_settings, payment_code=typo, amount_vnd=100_000,
                                           txn_id="FT-TYPO", at=now_utc(), memo=f"{typo} nop le phi")
    assert client.queued_only().post(path, data=body, headers=headers).status_code == 200
    with unit_of_work(db) as s:
        s.execute(update(InboundCallback).values(received_at=now_utc() - timedelta(minutes=2)))
    expires_in(db, code, -timedelta(minutes=1))
    with unit_of_work(db) as s:
        assert expire_due_requests(s, settings=test_settings, now=now_utc()) == 0
    apply_queue(client)
    assert status(client, code)["status"] == "paid"
    assert_ledger_ok(db)


def test_the_sweep_passes_over_held_requests_to_the_lapsed_ones_after_them(client, auth, test_settings, db):
    first, second, third = (make_request(client, auth) for _ in range(3))
    for code, txn in ((first, "FT-H1"), (second, "FT-H2")):
        queue_transfer(client, test_settings, db, code, txn)
    for code in (first, second, third):
        expires_in(db, code, -timedelta(minutes=1))
    with unit_of_work(db) as s:  # a page of two, both held: the third is read on the next page
        assert expire_due_requests(s, settings=test_settings, now=now_utc(), limit=2) == 1
    assert client.queued_only().get(f"/api/v1/payment-requests/{third}").json["status"] == "expired"
