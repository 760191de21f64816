"""Card terminals, VNPay internet banking and cash at the counter."""
import hashlib
import hmac
import json
from urllib.parse import parse_qsl, quote_plus, urlsplit

import pytest
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.inbox import InboundCallback
from payments.models import Payment
from sandbox.bank import ipn_params
from tests.factories import make_request, signed


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def status(client, code):
    return client.get(f"/api/v1/payment-requests/{code}").json


def pos(client, settings, **fields):
    data = {"transaction_id": "P1", "terminal_id": "POS-01", "type": "sale", "amount_vnd": 100_000,
            "payment_code": "", "approval_code": "123456", "card_masked": "970436******1234",
            "card_scheme": "NAPAS", "occurred_at": now_utc().isoformat()}
    data.update(fields)
    headers, body = signed(settings, "HCCPAY_POS_WEBHOOK_SECRET", data)
    return client.post("/api/v1/callbacks/pos", data=body, headers=headers)


# --- POS ------------------------------------------------------------------------------

def test_a_card_sale_pays_and_its_void_reverses_it_by_a_ledger_reversal(client, auth, test_settings, db):
    code = make_request(client, auth)
    assert pos(client, test_settings, transaction_id="S1", payment_code=code).json == {"received": True}
    assert status(client, code)["status"] == "paid"
    r = pos(client, test_settings, transaction_id="V1", type="void", original_transaction_id="S1")
    assert r.status_code == 200
    assert status(client, code)["status"] == "pending"
    with db() as s:
        [payment] = s.execute(select(Payment)).scalars().all()
    assert payment.status == "reversed" and payment.reversal_ref == "POS-01:V1"  # kept, never deleted; a sale is known by terminal and id
    assert pos(client, test_settings, transaction_id="V1", type="void", original_transaction_id="S1").status_code == 200
    assert status(client, code)["paid_vnd"] == 0


def test_a_reversal_that_arrives_before_its_sale_is_applied_when_the_sale_lands(client, auth, test_settings):
    code = make_request(client, auth)
    pos(client, test_settings, transaction_id="R9", type="reversal", original_transaction_id="S9")
    assert status(client, code)["paid_vnd"] == 0
    pos(client, test_settings, transaction_id="S9", payment_code=code)
    assert status(client, code)["status"] == "pending" and status(client, code)["paid_vnd"] == 0


def test_a_void_and_a_reversal_both_before_their_sale_reverse_it_once(client, auth, test_settings, db):
    code = make_request(client, auth)
    pos(client, test_settings, transaction_id="V8", type="void", original_transaction_id="S8")
    pos(client, test_settings, transaction_id="R8", type="reversal", original_transaction_id="S8")
    assert pos(client, test_settings, transaction_id="S8", payment_code=code).status_code == 200
    assert status(client, code)["status"] == "pending" and status(client, code)["paid_vnd"] == 0
    with db() as s:
        [payment] = s.execute(select(Payment)).scalars().all()
        sale = s.execute(select(InboundCallback).where(InboundCallback.external_id == "POS-01:S8")).scalar_one()
    assert payment.status == "reversed" and payment.reversal_ref == "POS-01:V8"  # the first to arrive undoes it
    assert sale.status == "applied"
    from kernel.outbox import OutboxMessage
    from payments.receipts import Receipt

    with db() as s:  # the money was never the request's: no receipt, no "paid" SMS or event
        assert s.execute(select(Receipt)).scalars().all() == []
        assert s.execute(select(OutboxMessage)).scalars().all() == []
    events = client.get(f"/api/v1/payment-requests/{code}/events", headers=auth("finance")).json["events"]
    assert [e["event"] for e in events] == ["created"]


def test_a_declined_sale_is_recorded_not_credited(client, auth, test_settings, db):
    code = make_request(client, auth)
    r = pos(client, test_settings, transaction_id="D1", payment_code=code, status="declined", response_code="05")
    assert r.status_code == 200
    assert status(client, code)["paid_vnd"] == 0
    with db() as s:
        [row] = s.execute(select(InboundCallback)).scalars().all()
    assert row.status == "ignored" and "declined" in row.reason


def test_a_void_for_another_amount_is_a_conflict(client, auth, test_settings, db):
    code = make_request(client, auth)
    pos(client, test_settings, transaction_id="S2", payment_code=code)
    r = pos(client, test_settings, transaction_id="V2", type="void", original_transaction_id="S2", amount_vnd=5_000)
    assert r.status_code == 200
    assert status(client, code)["status"] == "paid"
    assert len(client.get("/api/v1/finance/conflicts", headers=auth("finance")).json["callbacks"]) == 1


def test_a_full_card_number_is_refused(client, auth, test_settings):
    code = make_request(client, auth)
    r = pos(client, test_settings, transaction_id="S3", payment_code=code, card_masked="9704361234567890")
    assert r.status_code == 400 and r.json["code"] == "invalid_field"


# --- VNPay ----------------------------------------------------------------------------

def checkout(client, code):
    r = client.post(f"/api/v1/payment-requests/{code}/checkout")
    assert r.status_code == 201, r.json
    return r.json


def ipn(client, params):
    r = client.get("/api/v1/callbacks/vnpay/ipn", query_string=params)
    assert r.status_code == 200
    return r.json


def test_a_vnpay_payment_refunded_by_transfer_leaves_our_bank_not_what_the_gateway_owes_us(
        client, auth, test_settings, db):
    from payments.ledger import Accounts, balance

    code = make_request(client, auth)
    assert ipn(client, ipn_params(test_settings, checkout(client, code)["redirect_url"]))["RspCode"] == "00"
    [p] = client.get(f"/api/v1/payment-requests/{code}/payments", headers=auth("finance")).json["payments"]
    r = client.post(f"/api/v1/payments/{p['id']}/refunds", headers=auth("finance"),
                    json={"amount_vnd": 30_000, "expected_refundable_vnd": 100_000, "reason": "Nộp nhầm phí"})
    assert r.json["method"] == "transfer"
    done = client.post(f"/api/v1/refunds/{r.json['id']}/executed", json={"bank_reference": "FT1"}, headers=auth("finance"))
    assert done.status_code == 200
    account = test_settings.collection_account("*")
    with db() as s:
        assert balance(s, Accounts.gateway("vnpay")) == 100_000  # VNPay still settles all it took
        assert balance(s, Accounts.bank(account.bin, account.account_number)) == -30_000  # the transfer we made


def test_the_checkout_url_is_signed_and_asks_for_amount_times_100(client, auth, test_settings):
    code = make_request(client, auth)
    started = checkout(client, code)
    query = dict(parse_qsl(urlsplit(started["redirect_url"]).query))
    assert query["vnp_Amount"] == "10000000" and query["vnp_TxnRef"] == started["txn_ref"]
    assert query["vnp_ReturnUrl"].endswith("/pay/vnpay-return")
    from payments.channels import vnpay

    assert vnpay.verify(query, test_settings.secret_values("HCCPAY_VNPAY_HASH_SECRET"))


def test_the_ipn_confirms_once_and_answers_with_vnpay_codes(client, auth, test_settings):
    code = make_request(client, auth)
    url = checkout(client, code)["redirect_url"]
    params = ipn_params(test_settings, url)
    assert ipn(client, params) == {"RspCode": "00", "Message": "Confirm Success"}
    assert status(client, code)["status"] == "paid"
    assert ipn(client, params)["RspCode"] == "02"
    assert status(client, code)["paid_vnd"] == 100_000
    [p] = client.get(f"/api/v1/payment-requests/{code}/payments", headers=auth("finance")).json["payments"]
    assert p["channel"] == "internet_banking"


def test_an_ipn_hashed_over_an_empty_parameter_as_vnpays_samples_do_is_confirmed(client, auth, test_settings):
    code = make_request(client, auth)
    params = dict(ipn_params(test_settings, checkout(client, code)["redirect_url"]), vnp_BankTranNo="")
    del params["vnp_SecureHash"]
    text = "&".join(f"{k}={quote_plus(v)}" for k, v in sorted(params.items()))  # `vnp_BankTranNo=` included
    secret = test_settings.secret("HCCPAY_VNPAY_HASH_SECRET").encode()
    params["vnp_SecureHash"] = hmac.new(secret, text.encode(), hashlib.sha512).hexdigest()
    assert ipn(client, params) == {"RspCode": "00", "Message": "Confirm Success"}
    assert status(client, code)["status"] == "paid"


def test_the_ipn_refuses_bad_signature_unknown_order_and_wrong_amount(client, auth, test_settings):
    code = make_request(client, auth)
    url = checkout(client, code)["redirect_url"]
    params = ipn_params(test_settings, url)
    assert ipn(client, dict(params, vnp_Amount="1"))["RspCode"] == "97"  # tampered after signing
    assert ipn(client, ipn_params(test_settings, url, amount_vnd=99_000))["RspCode"] == "04"
    unknown = url.replace(params["vnp_TxnRef"], "HS00000000000ZZZ")
    assert ipn(client, ipn_params(test_settings, unknown))["RspCode"] == "01"
    assert status(client, code)["paid_vnd"] == 0


def test_a_refused_ipn_is_listed_for_finance_with_the_query_it_carried(client, auth, test_settings):
    code = make_request(client, auth)
    params = ipn_params(test_settings, checkout(client, code)["redirect_url"], amount_vnd=99_000)
    assert ipn(client, dict(params, vnp_Amount="1"))["RspCode"] == "97"
    assert ipn(client, params)["RspCode"] == "04"
    listed = client.get("/api/v1/finance/rejected-callbacks", headers=auth("finance")).json["callbacks"]
    for callback in listed:  # the IPN is all in its query: finance must see what VNPay said
        said = dict(parse_qsl(callback["query"]))
        assert said["vnp_TxnRef"] == params["vnp_TxnRef"] and said["vnp_Amount"] in ("1", "9900000")
    assert len(listed) == 2


def test_a_failed_online_payment_credits_nothing(client, auth, test_settings):
    code = make_request(client, auth)
    url = checkout(client, code)["redirect_url"]
    assert ipn(client, ipn_params(test_settings, url, paid=False))["RspCode"] == "00"
    assert status(client, code)["paid_vnd"] == 0


def test_the_return_page_shows_the_outcome_but_never_credits(client, auth, test_settings):
    code = make_request(client, auth)
    params = ipn_params(test_settings, checkout(client, code)["redirect_url"])
    page = client.get("/pay/vnpay-return", query_string=params)
    assert page.status_code == 200 and "cổng thanh toán chấp nhận" in page.get_data(as_text=True)
    assert status(client, code)["paid_vnd"] == 0
    forged = client.get("/pay/vnpay-return", query_string=dict(params, vnp_ResponseCode="99"))
    assert forged.status_code == 400


def test_a_paid_request_offers_no_checkout(client, auth, test_settings):
    code = make_request(client, auth)
    ipn(client, ipn_params(test_settings, checkout(client, code)["redirect_url"]))
    r = client.post(f"/api/v1/payment-requests/{code}/checkout")
    assert r.status_code == 409 and r.json["code"] == "request_not_payable"


# --- cash -----------------------------------------------------------------------------

def take_cash(client, auth, code, amount, key=None):
    headers = dict(auth("cashier"))
    if key:
        headers["Idempotency-Key"] = key
    return client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": amount}, headers=headers)


def test_cash_credits_the_request_into_the_cashiers_drawer_with_a_receipt(client, auth):
    code = make_request(client, auth)
    r = take_cash(client, auth, code, 100_000)
    assert r.status_code == 201 and r.json["channel"] == "cash"
    assert status(client, code)["status"] == "paid"
    [drawer] = client.get("/api/v1/cash/drawers", headers=auth("cashier")).json["drawers"]
    assert drawer["balance_vnd"] == 100_000
    receipt = client.get(f"/api/v1/payments/{r.json['id']}/receipt.txt", headers=auth("cashier"))
    text = receipt.get_data(as_text=True)
    assert "PHIẾU THU TIỀN MẶT" in text and "100.000 ₫" in text and "Một trăm nghìn đồng" in text
    closed = client.post(f"/api/v1/cash/drawers/{drawer['id']}/close", json={"counted_vnd": 95_000},
                         headers=auth("cashier"))
    assert closed.json["difference_vnd"] == -5_000
    code2 = make_request(client, auth)
    assert take_cash(client, auth, code2, 1_000).json["code"] == "drawer_closed"


def test_the_cash_slip_says_where_the_money_stands_in_lines_a_thermal_printer_holds(client, auth):
    wrong = make_request(client, auth, ("Lệ phí cấp giấy chứng nhận quyền sử dụng đất và tài sản khác gắn liền "
                                        "với đất", "charge", 150_000))
    right = make_request(client, auth, ("Lệ phí", "charge", 150_000))
    payment_id = take_cash(client, auth, wrong, 150_000).json["id"]  # keyed in on the wrong code
    [allocation] = client.get(f"/api/v1/payments/{payment_id}", headers=auth("finance")).json["allocations"]
    assert client.post(f"/api/v1/finance/allocations/{allocation['id']}/release", headers=auth("finance"),
                       json={"reason": "thu nhầm mã"}).status_code == 200
    slip = client.get(f"/api/v1/payments/{payment_id}/receipt.txt", headers=auth("cashier"))
    assert slip.headers["Content-Type"] == "text/plain; charset=utf-8"
    text = slip.get_data(as_text=True)
    assert wrong not in text and "Chờ xử lý: 150.000 ₫" in text  # released: it pays that dossier no more
    assert client.post(f"/api/v1/finance/suspense/{payment_id}/assign", headers=auth("finance"),
                       json={"payment_code": right, "reason": "gán đúng mã"}).status_code == 200
    text = client.get(f"/api/v1/payments/{payment_id}/receipt.txt", headers=auth("cashier")).get_data(as_text=True)
    assert right in text and wrong not in text and "Chờ xử lý" not in text
    assert max(len(line) for line in text.splitlines()) <= 40


def test_cash_takes_no_more_than_is_owed_and_only_from_cashiers(client, auth):
    code = make_request(client, auth)
    r = take_cash(client, auth, code, 100_001)
    assert r.status_code == 400 and r.json["code"] == "amount_exceeds_outstanding"
    assert take_cash(client, auth, code, 1.5).json["code"] == "invalid_amount"
    r = client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": 100}, headers=auth("finance"))
    assert r.status_code == 403


def test_a_retried_cash_post_with_the_same_idempotency_key_counts_once(client, auth):
    code = make_request(client, auth)
    first = take_cash(client, auth, code, 100_000, key="counter-1-0001")
    again = take_cash(client, auth, code, 100_000, key="counter-1-0001")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["id"] == again.json["id"] and status(client, code)["paid_vnd"] == 100_000


def test_json_replies_are_valid_json(client, auth, test_settings):
    code = make_request(client, auth)
    r = pos(client, test_settings, transaction_id="S7", payment_code=code)
    assert json.loads(r.data) == {"received": True}


@pytest.mark.parametrize("day", ["20261124", "2026-W48-2", "9999-12-31", "0001-01-01"])
def test_drawers_of_a_day_need_an_exact_day(client, auth, day):
    r = client.get(f"/api/v1/cash/drawers?date={day}", headers=auth("finance"))
    assert r.status_code == 400 and r.json["code"] == "invalid_date", r.json


def test_the_cash_slip_of_money_refunded_from_suspense_says_it_was_paid_back(client, auth):
    wrong = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    payment_id = take_cash(client, auth, wrong, 100_000).json["id"]
    [allocation] = client.get(f"/api/v1/payments/{payment_id}", headers=auth("finance")).json["allocations"]
    assert client.post(f"/api/v1/finance/allocations/{allocation['id']}/release", headers=auth("finance"),
                       json={"reason": "thu nhầm mã"}).status_code == 200
    r = client.post(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance"),
                    json={"amount_vnd": 100_000, "expected_refundable_vnd": 100_000, "reason": "trả lại tiền"})
    assert client.post(f"/api/v1/refunds/{r.json['id']}/executed", json={}, headers=auth("cashier")).status_code == 200
    text = client.get(f"/api/v1/payments/{payment_id}/receipt.txt", headers=auth("cashier")).get_data(as_text=True)
    assert "Chờ xử lý" not in text and "Đã hoàn trả: 100.000 ₫" in text


def test_a_cash_payment_retried_after_its_drawer_closed_gives_back_the_first_answer(client, auth):
    code = make_request(client, auth)
    first = take_cash(client, auth, code, 100_000, key="K-1")
    [drawer] = client.get("/api/v1/cash/drawers", headers=auth("cashier")).json["drawers"]
    assert client.post(f"/api/v1/cash/drawers/{drawer['id']}/close", json={"counted_vnd": 100_000},
                       headers=auth("cashier")).status_code == 200
    again = take_cash(client, auth, code, 100_000, key="K-1")  # its answer was lost: the till sends it again
    assert again.status_code == 200 and again.json["id"] == first.json["id"], again.json
