"""Round 18: a cash refund of money taken on an earlier day. Each day's drawer starts empty in the books, so
the refund is paid from today's drawer when it holds enough; otherwise finance switches it to a bank transfer
to the citizen's account (audited, with a reason) and marks that transfer executed like any other."""
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from kernel.audit import AuditEntry
from kernel.clock import now_utc
from payments import cash
from tests.api.test_cash_void_page import logged_in
from tests.api.test_counter_refunds_round17 import post, staff  # noqa: F401 (fixture)
from tests.api.test_refunds import paid, refund
from tests.factories import make_request

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test

FINANCE_REFUNDS = "/staff/finance/refunds"
PAYEE = {"bank_bin": "970436", "account_number": "0071000123456", "account_name": "NGUYEN VAN AN",
         "reason": "Người nộp không quay lại quầy, đề nghị chuyển khoản"}


def cash_of_yesterday(client, auth, db, test_settings, amount=100_000) -> int:
    """Cash a desk took yesterday (its drawer of that day): today's drawers hold none of it."""
    code = make_request(client, auth, ("Lệ phí", "charge", amount))
    with db() as s, s.begin():
        result = cash.take_cash(s, code=code, amount_vnd=amount, cashier="token:999:quầy 9", idempotency_key=None,
                                settings=test_settings, now=now_utc() - timedelta(days=1))
        return result.payment_id


def cash_refund(client, auth, payment_id, amount=100_000, expected=100_000) -> int:
    r = client.post(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance"), json={
        "amount_vnd": amount, "expected_refundable_vnd": expected, "reason": "Hồ sơ bị từ chối"})
    assert r.status_code == 201 and r.json["status"] == "cash_due", r.json
    return r.json["id"]


def to_transfer(client, auth, refund_id, role="finance", **body):
    return client.post(f"/api/v1/refunds/{refund_id}/to-transfer", headers=auth(role), json={**PAYEE, **body})


def test_yesterdays_cash_refund_is_switched_to_a_transfer_finance_then_executes(client, auth, db, test_settings):
    refund_id = cash_refund(client, auth, cash_of_yesterday(client, auth, db, test_settings))
    switched = to_transfer(client, auth, refund_id)
    assert switched.status_code == 200, switched.json
    body = switched.json
    assert (body["method"], body["status"]) == ("transfer", "transfer_ordered")
    assert body["payee"] == {"bank_bin": "970436", "bank_name": body["payee"]["bank_name"],
                             "account_number": "0071000123456", "account_name": "NGUYEN VAN AN"}
    assert body["payee"]["bank_name"]
    with db() as s:
        [row] = s.execute(select(AuditEntry).where(AuditEntry.action == "refund.to_transfer")).scalars().all()
    assert row.reason == PAYEE["reason"] and row.subject_id == str(refund_id)
    data = json.loads(row.data)
    assert (data["account_number"], data["bank_bin"], data["amount_vnd"]) == ("0071000123456", "970436", 100_000)
    again = to_transfer(client, auth, refund_id)  # the same switch sent twice: answered as the first time
    assert again.status_code == 200 and again.json == body
    other = to_transfer(client, auth, refund_id, account_number="0071000999999")
    assert other.status_code == 409 and other.json["code"] == "refund_not_cash_due"
    # a cashier can no longer hand it over; finance marks the transfer executed
    cashier_try = client.post(f"/api/v1/refunds/{refund_id}/executed", json={}, headers=auth("cashier"))
    assert cashier_try.status_code == 403 and cashier_try.json["code"] == "wrong_role_for_method"
    done = client.post(f"/api/v1/refunds/{refund_id}/executed", json={"bank_reference": "FT26333123456"},
                       headers=auth("finance"))
    assert done.status_code == 200 and done.json["status"] == "executed"


def test_a_bounced_switched_transfer_gives_the_money_back_to_the_request(client, auth, db, test_settings):
    refund_id = cash_refund(client, auth, cash_of_yesterday(client, auth, db, test_settings), amount=40_000)
    assert to_transfer(client, auth, refund_id).status_code == 200
    failed = client.post(f"/api/v1/refunds/{refund_id}/failed", json={"reason": "Sai số tài khoản"},
                         headers=auth("finance"))
    assert failed.status_code == 200 and failed.json["status"] == "failed"


@pytest.mark.parametrize("change, code", [
    ({"reason": ""}, "missing_field"),
    ({"bank_bin": "123456"}, "unknown_bank"),
    ({"bank_bin": None}, "missing_field"),
    ({"account_number": "12 34"}, "invalid_account_number"),
    ({"account_number": "0" * 20}, "invalid_account_number"),
    ({"account_number": 71000123456}, "invalid_account_number"),
    ({"account_name": ""}, "missing_field"),
])
def test_a_switch_without_a_valid_account_or_reason_is_refused_and_nothing_changes(client, auth, db, test_settings,
                                                                                    change, code):
    refund_id = cash_refund(client, auth, cash_of_yesterday(client, auth, db, test_settings))
    r = to_transfer(client, auth, refund_id, **change)
    assert r.status_code == 400 and r.json["code"] == code, r.json
    view = client.get(f"/api/v1/refunds/{refund_id}", headers=auth("finance")).json
    assert (view["method"], view["status"], view["payee"]) == ("cash", "cash_due", None)


def test_only_finance_switches_and_only_a_cash_refund_still_due(client, auth, db, test_settings):
    refund_id = cash_refund(client, auth, cash_of_yesterday(client, auth, db, test_settings), amount=30_000)
    for role in ("cashier", "approver", "auditor"):
        assert to_transfer(client, auth, refund_id, role=role).status_code == 403
    missing = to_transfer(client, auth, 999_999)
    assert missing.status_code == 404 and missing.json["code"] == "refund_not_found"
    _, bank_payment = paid(client, auth, test_settings)
    transfer = refund(client, auth, bank_payment, 10_000, 100_000).json
    r = to_transfer(client, auth, transfer["id"])
    assert r.status_code == 409 and r.json["code"] == "refund_not_cash_due"
    assert r.json["details"] == {"method": "transfer", "status": "transfer_ordered"}


@pytest.mark.usefixtures("staff")
def test_the_finance_refunds_page_lists_cash_refunds_due_and_switches_one(app, client, auth, db, test_settings):
    refund_id = cash_refund(client, auth, cash_of_yesterday(client, auth, db, test_settings))
    finance = logged_in(app, "ketoan")
    html = finance.get(FINANCE_REFUNDS).get_data(as_text=True)
    row = re.search(rf'<tr id="cash-refund-{refund_id}">.*?</tr>', html, re.S).group(0)
    assert "Chuyển sang chuyển khoản" in row and "100.000" in row
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    url = f"/staff/finance/refunds/{refund_id}/to-transfer"
    refused = finance.post(url, data={"csrf_token": token, "back": FINANCE_REFUNDS, **PAYEE, "account_number": "12 34"})
    page = finance.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Số tài khoản không hợp lệ" in page
    assert 'value="NGUYEN VAN AN"' in page and 'value="970436" selected' in page  # the form kept as typed
    assert f'<tr id="cash-refund-{refund_id}">' in page
    done = finance.post(url, data={"csrf_token": token, "back": FINANCE_REFUNDS, **PAYEE})
    page = finance.get(done.headers["Location"]).get_data(as_text=True)
    assert f"Đã đổi khoản hoàn #{refund_id} sang chuyển khoản" in page
    assert f'<tr id="cash-refund-{refund_id}">' not in page
    order = re.search(rf'<tr id="order-refund-{refund_id}">.*?</tr>', page, re.S).group(0)
    assert "0071000123456" in order and "NGUYEN VAN AN" in order


@pytest.mark.usefixtures("staff")
def test_the_counter_says_a_refund_too_large_for_the_drawer_goes_to_finance(app, client, auth, db, test_settings):
    refund_id = cash_refund(client, auth, cash_of_yesterday(client, auth, db, test_settings))
    cashier = logged_in(app, "thungan")
    html = post(cashier, f"refunds/{refund_id}/paid")
    assert "Ngăn kéo tiền mặt chỉ còn 0 ₫, không đủ để trả lại số tiền này." in html
    # what to do instead: ask finance to switch it to a transfer to the citizen's account
    assert "đề nghị kế toán chuyển sang chuyển khoản" in html


def test_a_cashier_who_checked_a_cash_refund_before_finance_switched_it_records_nothing(client, auth, db,
                                                                                         test_settings):
    # The API checks the caller's role on the refund as read, then locks it: finance's switch may land between.
    from kernel.errors import Conflict
    from payments import refunds
    refund_id = cash_refund(client, auth, cash_of_yesterday(client, auth, db, test_settings))
    assert to_transfer(client, auth, refund_id).status_code == 200
    for mark in (lambda s: refunds.mark_executed(s, refund_id=refund_id, reference=None, settings=test_settings,
                                                 actor="user:7:thu ngân", now=now_utc(), method="cash"),
                 lambda s: refunds.mark_failed(s, refund_id=refund_id, reason="Không đến", settings=test_settings,
                                               actor="user:7:thu ngân", now=now_utc(), method="cash")):
        with db() as s, s.begin(), pytest.raises(Conflict) as err:
            mark(s)
        assert err.value.code == "refund_method_changed" and err.value.details == {"method": "transfer"}
    assert client.get(f"/api/v1/refunds/{refund_id}", headers=auth("finance")).json["status"] == "transfer_ordered"
