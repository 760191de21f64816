"""Round 10, over real HTTP: a callback answered 2xx is a payment, whether or not the workers (here the
served app's applier thread) have applied it yet when staff act on its request."""
import requests

from kernel.clock import now_utc
from sandbox.bank import callback_request
from tests.factories import assert_ledger_ok
from tests.integration.test_served_callbacks import new_code


def test_a_cancel_right_after_a_payment_was_answered_is_refused_and_the_payment_pays(served, tokens, db):
    code = new_code(served.url, tokens)
    path, headers, body = callback_request("sepay", settings=served.settings, payment_code=code, amount_vnd=100_000,
                                           txn_id="710001", at=now_utc())
    r = requests.post(served.url + path, data=body, headers=headers, timeout=10)
    assert (r.status_code, r.json()) == (200, {"success": True})
    r = requests.post(f"{served.url}/api/v1/payment-requests/{code}/cancel", json={"reason": "nhập nhầm"},
                      headers={"Authorization": f"Bearer {tokens['intake']}"}, timeout=10)
    assert r.status_code == 409 and r.json()["code"] == "cannot_cancel", r.text  # applied or waiting: paid into
    served.settle()
    paid = requests.get(f"{served.url}/api/v1/payment-requests/{code}", timeout=10).json()
    assert (paid["status"], paid["paid_vnd"]) == ("paid", 100_000)
    assert_ledger_ok(db)


def test_cash_right_after_a_transfer_paid_the_request_is_refused_and_the_money_counted_once(served, tokens, db):
    code = new_code(served.url, tokens)
    path, headers, body = callback_request("bank", settings=served.settings, payment_code=code, amount_vnd=100_000,
                                           txn_id="R10-HTTP-CASH", at=now_utc())
    assert requests.post(served.url + path, data=body, headers=headers, timeout=10).status_code == 200
    r = requests.post(f"{served.url}/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": 100_000},
                      headers={"Authorization": f"Bearer {tokens['cashier']}"}, timeout=10)
    assert r.status_code == 409 and r.json()["code"] == "request_not_payable", r.text
    served.settle()
    paid = requests.get(f"{served.url}/api/v1/payment-requests/{code}", timeout=10).json()
    assert (paid["status"], paid["paid_vnd"]) == ("paid", 100_000)
    assert_ledger_ok(db)
