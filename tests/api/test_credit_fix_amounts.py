"""Callback amounts: a debit of any size is recorded and ignored; real incoming money above the
fee cap (MAX_REQUEST_VND) is credited as usual up to a bound no transfer can pass (MAX_MONEY_VND)."""
import json

import pytest
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.inbox import InboundCallback
from kernel.money import MAX_MONEY_VND, MAX_REQUEST_VND
from payments.models import Payment
from sandbox.bank import callback_request
from tests.factories import make_request, signed

ACCOUNT = "0071001234567"


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def inbox(db):
    with db() as s:
        return [(c.status, c.reason) for c in s.execute(select(InboundCallback).order_by(InboundCallback.id)).scalars()]


def payments(db):
    with db() as s:
        return [(p.amount_vnd, p.unallocated_vnd) for p in s.execute(select(Payment).order_by(Payment.id)).scalars()]


def sepay(client, settings, **fields):
    data = {"id": 7001, "gateway": "Vietcombank", "transactionDate": now_utc().strftime("%Y-%m-%d %H:%M:%S"),
            "accountNumber": ACCOUNT, "code": None, "content": "chuyen tien", "transferType": "in",
            "transferAmount": 100_000, "accumulated": 0, "subAccount": None, "referenceCode": "FT7001",
            "description": ""}
    data.update(fields)
    headers = {"Content-Type": "application/json", "Authorization": f"Apikey {settings.secret('HCCPAY_SEPAY_API_KEY')}"}
    return client.post("/api/v1/callbacks/sepay", data=json.dumps(data), headers=headers)


def bank(client, settings, **fields):
    data = {"transaction_id": "B1", "account_number": ACCOUNT, "amount_vnd": 100_000, "content": "chi tra",
            "booked_at": now_utc().isoformat(), "direction": "credit"}
    data.update(fields)
    headers, body = signed(settings, "HCCPAY_BANK_WEBHOOK_SECRET", data)
    return client.post("/api/v1/callbacks/bank", data=body, headers=headers)


@pytest.mark.parametrize("amount", [750_000_000, MAX_MONEY_VND + 1, 10**18])
def test_a_debit_of_any_size_is_recorded_and_ignored_with_a_2xx(client, test_settings, db, amount):
    r1 = sepay(client, test_settings, transferType="out", transferAmount=amount)
    r2 = bank(client, test_settings, direction="debit", amount_vnd=amount)
    assert (r1.status_code, r1.json) == (200, {"success": True})
    assert (r2.status_code, r2.json) == (200, {"received": True})
    assert [status for status, _ in inbox(db)] == ["ignored", "ignored"]
    assert payments(db) == []


@pytest.mark.parametrize("via", ["sepay", "bank", "payos"])
def test_an_incoming_transfer_above_the_fee_cap_is_credited_as_an_overpayment(client, auth, test_settings, db, via):
    code = make_request(client, auth)  # 100,000 due
    big = MAX_REQUEST_VND + 250_000_000
    path, headers, body = callback_request(via, settings=test_settings, payment_code=code, amount_vnd=big,
                                           txn_id="8001", at=now_utc())
    r = client.post(path, data=body, headers=headers)
    assert r.status_code == 200, r.json
    status = client.get(f"/api/v1/payment-requests/{code}").json
    assert (status["status"], status["paid_vnd"]) == ("overpaid", big)
    assert inbox(db)[0][0] == "applied"


def test_money_above_the_cap_without_a_code_waits_in_suspense(client, auth, test_settings, db):
    r = sepay(client, test_settings, transferAmount=MAX_MONEY_VND)
    assert r.status_code == 200
    assert payments(db) == [(MAX_MONEY_VND, MAX_MONEY_VND)]
    assert client.get("/api/v1/finance/suspense", headers=auth("finance")).json["total_vnd"] == MAX_MONEY_VND


@pytest.mark.parametrize("amount,code", [(MAX_MONEY_VND + 1, "amount_out_of_range"), (0, "amount_out_of_range"),
                                         (-5, "amount_out_of_range"), (True, "invalid_amount"),
                                         (100_000.0, "invalid_amount"), ("100000", "invalid_amount")])
def test_an_impossible_credit_amount_is_still_refused_and_kept(client, test_settings, db, amount, code):
    r1 = sepay(client, test_settings, transferAmount=amount)
    r2 = bank(client, test_settings, amount_vnd=amount)
    assert (r1.status_code, r1.json["code"], r1.json["success"]) == (400, code, False)
    assert (r2.status_code, r2.json["code"]) == (400, code)
    assert [status for status, _ in inbox(db)] == ["rejected", "rejected"]
    assert payments(db) == []


def test_the_bound_is_a_named_constant_above_the_fee_cap_and_inside_bigint():
    assert MAX_REQUEST_VND < MAX_MONEY_VND < 2**63 - 1
