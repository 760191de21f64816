"""A number of thousands of digits in a JSON body or a callback is a typed 4xx, never a 500.

Python refuses to read an integer of more than 4,300 digits (sys.int_max_str_digits) with a bare
ValueError: in json.loads (a JSON number) as in int() (digits sent as text)."""
import json

import pytest
from sqlalchemy import select

from kernel.inbox import InboundCallback
from kernel.signing import HEADER, sign
from payments.channels import vnpay
from sandbox.bank import ipn_params
from tests.api.test_pos_vnpay_cash import checkout
from tests.factories import dossier_body, make_request

LONG = "9" * 10_000
PLACEHOLDER = 424242


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def long_json(data: dict) -> bytes:
    """`data` as JSON with its PLACEHOLDER number written as 10,000 digits (json.dumps cannot write them)."""
    body = json.dumps(data)
    assert body.count(str(PLACEHOLDER)) == 1
    return body.replace(str(PLACEHOLDER), LONG).encode()


def stored(db):
    with db() as s:
        return [(row.provider, row.status, row.reason) for row in s.execute(select(InboundCallback)).scalars()]


@pytest.mark.parametrize("via", ["sepay", "payos", "bank", "pos"])
def test_a_callback_amount_of_ten_thousand_digits_is_malformed_json_and_kept(client, auth, test_settings, db, via):
    code = make_request(client, auth)
    account = test_settings.collection_account("*").account_number
    if via == "sepay":
        body = long_json({"id": 7001, "gateway": "Vietcombank", "transactionDate": "2026-11-25 10:00:00",
                          "accountNumber": account, "content": code, "transferType": "in",
                          "transferAmount": PLACEHOLDER, "referenceCode": "FT7001"})
        headers = {"Content-Type": "application/json",
                   "Authorization": f"Apikey {test_settings.secret('HCCPAY_SEPAY_API_KEY')}"}
    elif via == "payos":
        body = long_json({"code": "00", "desc": "success", "success": True, "signature": "0" * 64, "data": {
            "orderCode": 7002, "amount": PLACEHOLDER, "description": code, "accountNumber": account,
            "reference": "FT7002", "transactionDateTime": "2026-11-25 10:00:00", "currency": "VND",
            "code": "00", "desc": "success"}})
        headers = {"Content-Type": "application/json"}
    else:
        from kernel.clock import now_utc

        if via == "bank":
            data = {"transaction_id": "BK7003", "account_number": account, "amount_vnd": PLACEHOLDER,
                    "content": code, "booked_at": now_utc().isoformat(), "direction": "credit"}
        else:
            data = {"transaction_id": "7004", "terminal_id": "POS-01", "type": "sale", "amount_vnd": PLACEHOLDER,
                    "payment_code": code, "approval_code": "A1", "occurred_at": now_utc().isoformat()}
        body = long_json(data)
        secret = "HCCPAY_BANK_WEBHOOK_SECRET" if via == "bank" else "HCCPAY_POS_WEBHOOK_SECRET"
        headers = {"Content-Type": "application/json",
                   HEADER: sign([test_settings.secret(secret)], body, int(now_utc().timestamp()))}
    r = client.post(f"/api/v1/callbacks/{via}", data=body, headers=headers)
    assert (r.status_code, r.json["code"]) == (400, "malformed_json"), r.get_data(as_text=True)[:300]
    [(provider, status, reason)] = stored(db)
    assert (provider, status) == (via, "rejected") and reason.startswith("malformed_json: ")
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 0


def test_an_api_body_number_of_ten_thousand_digits_is_malformed_json(client, auth, db):
    body = dossier_body(("Lệ phí", "charge", PLACEHOLDER))
    r = client.post("/api/v1/dossiers", data=long_json(body), headers={**auth("intake"),
                                                                         "Content-Type": "application/json"})
    assert (r.status_code, r.json["code"]) == (400, "malformed_json"), r.get_data(as_text=True)[:300]


def test_an_api_body_number_of_four_thousand_digits_is_out_of_range(client, auth, db):
    """Under the decoder's limit the number is read, and refused as any amount above the maximum."""
    body = json.dumps(dossier_body(("Lệ phí", "charge", PLACEHOLDER))).replace(str(PLACEHOLDER), "9" * 4000)
    r = client.post("/api/v1/dossiers", data=body.encode(), headers={**auth("intake"),
                                                                       "Content-Type": "application/json"})
    assert (r.status_code, r.json["code"]) == (400, "amount_out_of_range"), r.get_data(as_text=True)[:300]


def test_a_signed_vnpay_ipn_amount_of_thousands_of_digits_is_a_wrong_amount_not_a_500(client, auth, test_settings,
                                                                                         db):
    code = make_request(client, auth)
    params = ipn_params(test_settings, checkout(client, code)["redirect_url"])
    params["vnp_Amount"] = "1" + "0" * 5000
    params.pop("vnp_SecureHash")
    params["vnp_SecureHash"] = vnpay.secure_hash(params, test_settings.secret("HCCPAY_VNPAY_HASH_SECRET"))
    r = client.get("/api/v1/callbacks/vnpay/ipn", query_string=params)
    assert (r.status_code, r.json) == (200, {"RspCode": vnpay.INVALID_AMOUNT[0], "Message": vnpay.INVALID_AMOUNT[1]})
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 0


@pytest.mark.parametrize("url", ["/api/v1/reconciliation/lines?import_id={}", "/api/v1/reconciliation/lines?limit={}",
                                 "/api/v1/reconciliation/lines?offset={}", "/api/v1/finance/suspense?limit={}",
                                 "/api/v1/finance/conflicts?offset={}"])
@pytest.mark.parametrize("digits", [LONG, "9" * 40])
def test_a_query_number_of_thousands_of_digits_is_an_invalid_parameter(client, auth, db, url, digits):
    r = client.get(url.format(digits), headers=auth("finance"))
    assert (r.status_code, r.json["code"]) == (400, "invalid_parameter"), r.get_data(as_text=True)[:300]


def test_a_query_number_with_leading_zeros_is_its_value(client, auth, db):
    r = client.get(f"/api/v1/finance/suspense?limit={'0' * 5000}7", headers=auth("finance"))
    assert r.status_code == 200, r.get_data(as_text=True)[:300]


def test_whole_number_reads_digits_of_any_length_without_a_valueerror():
    from kernel.text import whole_number

    assert whole_number("9" * 5000, 0, 2**62) is None
    assert whole_number("0" * 5000 + "42", 0, 2**62) == 42
    assert whole_number("0" * 5000, 0, 10) == 0
    assert whole_number(str(2**62), 0, 2**62) == 2**62 and whole_number(str(2**62 + 1), 0, 2**62) is None
    assert whole_number("10", 0, 9) is None and whole_number("09", 0, 9) == 9
