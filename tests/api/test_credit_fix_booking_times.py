"""A payment is booked no later than we were told of it: a callback claiming a time after its
arrival (a clock or time zone error at the bank, a forged date) is booked at its arrival, so its
money counts in today's day, not in a day years away that no reconciliation reaches. The time it
claimed is kept in the payment's details. A VNPay pay date that is not a date of these years is
unknown: the IPN is booked at arrival and answered 00, never 99 (VNPay would retry forever)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from kernel.clock import business_date, now_utc
from payments.channels import vnpay
from payments.models import Payment
from sandbox.bank import ipn_params
from sandbox.bank import callback_request
from tests.factories import make_request


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def send(client, settings, via, code, at):
    path, headers, body = callback_request(via, settings=settings, payment_code=code, amount_vnd=100_000,
                                           txn_id="330123456", at=at, signed_at=now_utc())
    return client.post(path, data=body, headers=headers)


def booked(db):
    with db() as s:
        return [(p.booked_at, p.details) for p in s.execute(select(Payment).order_by(Payment.id)).scalars()]


@pytest.mark.parametrize("via", ["bank", "sepay", "payos"])
def test_a_transfer_claiming_a_later_time_than_its_arrival_is_booked_at_its_arrival(client, auth, test_settings,
                                                                                    db, via):
    code = make_request(client, auth)
    claimed = now_utc() + timedelta(days=400)
    before = now_utc()
    assert send(client, test_settings, via, code, claimed).status_code == 200
    [(at, details)] = booked(db)
    assert before <= at <= now_utc()
    assert details["claimed_booked_at"][:10] == claimed.strftime("%Y-%m-%d")
    day = business_date(now_utc()).isoformat()
    assert client.get(f"/api/v1/reconciliation/days/{day}", headers=auth("finance")).json["totals"][
        "received_vnd"] == 100_000


def test_a_transfer_booked_before_its_arrival_keeps_its_time(client, auth, test_settings, db):
    code = make_request(client, auth)
    claimed = (now_utc() - timedelta(hours=3)).replace(microsecond=0)
    assert send(client, test_settings, "bank", code, claimed).status_code == 200
    [(at, details)] = booked(db)
    assert at == claimed and "claimed_booked_at" not in (details or {})


@pytest.mark.parametrize("pay_date", ["99991231235959", "00010101000000", "19700101070000", "20991231235959"])
def test_a_vnpay_pay_date_out_of_reach_is_booked_at_arrival(client, auth, test_settings, db, pay_date):
    code = make_request(client, auth)
    url = client.post(f"/api/v1/payment-requests/{code}/checkout").json["redirect_url"]
    params = ipn_params(test_settings, url)
    params["vnp_PayDate"] = pay_date
    params["vnp_SecureHash"] = vnpay.secure_hash({k: v for k, v in params.items() if k != "vnp_SecureHash"},
                                                 test_settings.secret("HCCPAY_VNPAY_HASH_SECRET"))
    before = now_utc()
    assert client.get("/api/v1/callbacks/vnpay/ipn", query_string=params).json["RspCode"] == "00"
    [(at, _)] = booked(db)
    assert before <= at <= now_utc()
