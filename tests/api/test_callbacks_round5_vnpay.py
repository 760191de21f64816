"""A VNPay IPN that contradicts the first one for the same order (failed, then paid; paid, then
failed or paid by another transaction) is still answered 02, as VNPay's contract wants, but it is
kept as a conflict for finance with the reason: VNPay may have taken money nobody credited."""
import pytest
from sqlalchemy import select

from kernel.inbox import InboundCallback
from payments.channels import vnpay
from sandbox.bank import ipn_params
from tests.api.test_pos_vnpay_cash import checkout, ipn
from tests.factories import make_request


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def resigned(settings, params, **changes):
    params = dict(params, **changes)
    params.pop("vnp_SecureHash")
    params["vnp_SecureHash"] = vnpay.secure_hash(params, settings.secret("HCCPAY_VNPAY_HASH_SECRET"))
    return params


def last_inbox(db):
    with db() as s:
        row = s.execute(select(InboundCallback).order_by(InboundCallback.id.desc())).scalars().first()
        return row.status, row.reason


def conflicts(client, auth):
    return client.get("/api/v1/finance/conflicts", headers=auth("finance")).json["callbacks"]


def paid(client, code):
    return client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"]


@pytest.mark.parametrize("first", ["cancelled", "unfinished"])
def test_a_paid_ipn_after_a_failed_one_is_answered_02_and_kept_as_a_conflict(client, auth, test_settings, db, first):
    code = make_request(client, auth)
    url = checkout(client, code)["redirect_url"]
    failed = ipn_params(test_settings, url, paid=first != "cancelled")
    if first == "unfinished":
        failed = resigned(test_settings, failed, vnp_TransactionStatus="01")
    assert ipn(client, failed)["RspCode"] == "00"
    assert last_inbox(db)[0] == "ignored"
    later = ipn_params(test_settings, url)
    assert ipn(client, later) == {"RspCode": "02", "Message": "Order already confirmed"}
    status, reason = last_inbox(db)
    assert status == "conflict"
    assert "not paid" in reason and later["vnp_TransactionNo"] in reason
    [listed] = conflicts(client, auth)
    assert listed["reason"] == reason
    assert paid(client, code) == 0  # not credited by itself: finance decides


def test_the_same_failure_again_is_a_harmless_duplicate(client, auth, test_settings, db):
    code = make_request(client, auth)
    failed = ipn_params(test_settings, checkout(client, code)["redirect_url"], paid=False)
    ipn(client, failed)
    assert ipn(client, failed)["RspCode"] == "02"
    assert last_inbox(db) == ("duplicate", "Order already confirmed")
    assert conflicts(client, auth) == []


def test_the_same_payment_again_is_a_harmless_duplicate(client, auth, test_settings, db):
    code = make_request(client, auth)
    params = ipn_params(test_settings, checkout(client, code)["redirect_url"])
    ipn(client, params)
    assert ipn(client, params)["RspCode"] == "02"
    assert last_inbox(db) == ("duplicate", "Order already confirmed")
    assert conflicts(client, auth) == [] and paid(client, code) == 100_000


def test_a_paid_order_reported_paid_by_another_transaction_or_then_failed_is_a_conflict(
        client, auth, test_settings, db):
    code = make_request(client, auth)
    url = checkout(client, code)["redirect_url"]
    first = ipn_params(test_settings, url)
    ipn(client, first)
    other = resigned(test_settings, first, vnp_TransactionNo="99999999")
    assert ipn(client, other)["RspCode"] == "02"
    status, reason = last_inbox(db)
    assert status == "conflict" and first["vnp_TransactionNo"] in reason and "99999999" in reason
    assert ipn(client, ipn_params(test_settings, url, paid=False))["RspCode"] == "02"
    status, reason = last_inbox(db)
    assert status == "conflict" and "24" in reason
    assert len(conflicts(client, auth)) == 2 and paid(client, code) == 100_000
