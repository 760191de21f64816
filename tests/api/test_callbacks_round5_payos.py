"""payOS signs a webhook's `data` the way its own verifiers (the docs' sample, its SDKs) read it:
the strings "null" and "undefined" count as empty, and the keys of each object inside a list are
sorted before it is written as JSON. A genuine webhook signed that way is credited; one signed with
the text kept as it is still verifies too (a payer literally named "null" is ambiguous)."""
import hashlib
import hmac
import json

import pytest

from kernel.clock import VN_TZ, now_utc
from payments.channels import payos
from tests.factories import make_request

SDK_KEY = "test_checksum_key"  # payOS's SDK test vectors (payos-lib-node tests/crypto/testCases.json)


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def payos_way(data: dict, key: str) -> str:
    """The signature as payOS's verifiers compute it, written independently of ours."""
    parts = []
    for name in sorted(data):
        value = data[name]
        if isinstance(value, list):
            value = json.dumps([dict(sorted(v.items())) if isinstance(v, dict) else v for v in value],
                               separators=(",", ":"), ensure_ascii=False)
        elif value is None or value in ("null", "undefined", "NULL"):
            value = ""
        elif isinstance(value, bool):
            value = "true" if value else "false"
        parts.append(f"{name}={value}")
    return hmac.new(key.encode(), "&".join(parts).encode(), hashlib.sha256).hexdigest()


def as_sent(data: dict, key: str) -> str:
    """The signature over the values exactly as written (strings kept, lists as they are)."""
    def text(value):
        if value is None:
            return ""
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False) if isinstance(value, list) else str(value)

    signed = "&".join(f"{name}={text(data[name])}" for name in sorted(data))
    return hmac.new(key.encode(), signed.encode(), hashlib.sha256).hexdigest()


def webhook_data(settings, code, **fields):
    data = {"orderCode": 5001, "amount": 100_000, "description": f"{code} nop phi",
            "accountNumber": settings.collection_account("*").account_number, "reference": "FT26330000009",
            "transactionDateTime": now_utc().astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M:%S"), "currency": "VND",
            "paymentLinkId": "124c33293c43417ab7879e14c8d9eb18", "code": "00", "desc": "success",
            "counterAccountBankId": "", "counterAccountBankName": "", "counterAccountName": "NGUYEN VAN AN",
            "counterAccountNumber": "0123456789", "virtualAccountName": "", "virtualAccountNumber": ""}
    data.update(fields)
    return data


def post(client, data, signature):
    body = {"code": "00", "desc": "success", "success": True, "data": data, "signature": signature}
    return client.post("/api/v1/callbacks/payos", data=json.dumps(body, ensure_ascii=False).encode(),
                       headers={"Content-Type": "application/json"})


def paid(client, code):
    return client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"]


def test_our_signer_gives_the_payos_sdk_test_vectors():
    webhook = {"accountNumber": "0123456789", "amount": 20000, "description": "thanh toan",
               "reference": "FT-REFERENCE", "transactionDateTime": "2025-12-12 09:00:00", "virtualAccountNumber": "",
               "counterAccountBankId": "01202001", "counterAccountBankName": "", "counterAccountName": "NGUYEN VAN A",
               "counterAccountNumber": "9876543210", "virtualAccountName": "", "currency": "VND", "orderCode": 0,
               "paymentLinkId": "payment-link-id", "code": "00", "desc": "success"}
    assert payos.sign(webhook, SDK_KEY) == "302b3becca1672dff99daafae2965f40e48ea3ca39453e4bf37fbcc26807a0e8"
    transaction = {"accountNumber": "0123456789", "amount": 2000, "counterAccountBankId": "01202001",
                   "counterAccountBankName": None, "counterAccountName": "NGUYEN VAN A",
                   "counterAccountNumber": "9876543210", "description": "TRANSACTION DESCRIPTION",
                   "reference": "FT-REFERENCE", "transactionDateTime": "2025-12-12T09:00:00+07:00",
                   "virtualAccountName": None, "virtualAccountNumber": None}
    paid_link = {"id": "payment-link-id", "orderCode": 0, "amount": 2000, "amountPaid": 2000, "amountRemaining": 0,
                 "status": "PAID", "createdAt": "2025-12-12T09:00:00+07:00",
                 "transactions": [dict(reversed(list(transaction.items())))],  # keys in any order: sorted
                 "canceledAt": None, "cancellationReason": None}
    assert payos.sign(paid_link, SDK_KEY) == "6af5e2c9a28256c140169ed624114b43295915d7b6e2fa6278b17a7c43aadefd"


@pytest.mark.parametrize("empty", ["null", "undefined", "NULL"])
def test_a_webhook_whose_strings_payos_signs_as_empty_is_credited(client, auth, test_settings, empty):
    code = make_request(client, auth)
    data = webhook_data(test_settings, code, counterAccountName=empty, counterAccountBankName=empty)
    r = post(client, data, payos_way(data, test_settings.secret("HCCPAY_PAYOS_CHECKSUM_KEY")))
    assert r.status_code == 200 and r.json == {"success": True}
    assert paid(client, code) == 100_000


def test_the_same_webhook_signed_over_the_text_as_sent_is_credited_too(client, auth, test_settings):
    code = make_request(client, auth)
    data = webhook_data(test_settings, code, counterAccountName="null")
    r = post(client, data, as_sent(data, test_settings.secret("HCCPAY_PAYOS_CHECKSUM_KEY")))
    assert r.status_code == 200 and paid(client, code) == 100_000


def test_a_webhook_with_a_list_of_objects_is_verified_with_each_objects_keys_sorted(client, auth, test_settings):
    code = make_request(client, auth)
    data = webhook_data(test_settings, code, items=[{"name": "Lệ phí", "amount": 100_000, "b": None}])
    r = post(client, data, payos_way(data, test_settings.secret("HCCPAY_PAYOS_CHECKSUM_KEY")))
    assert r.status_code == 200 and paid(client, code) == 100_000


def test_a_forged_webhook_is_still_refused_whichever_form_it_imitates(client, auth, test_settings, db):
    code = make_request(client, auth)
    data = webhook_data(test_settings, code, counterAccountName="null")
    for signer in (payos_way, as_sent):
        signature = signer(data, test_settings.secret("HCCPAY_PAYOS_CHECKSUM_KEY"))
        r = post(client, dict(data, amount=1_000_000), signature)
        assert r.status_code == 401 and r.json["code"] == "invalid_signature"
    assert paid(client, code) == 0


def test_a_webhook_whose_currency_payos_left_null_is_credited_as_vnd(client, auth, test_settings):
    code = make_request(client, auth)
    data = webhook_data(test_settings, code, currency=None)
    r = post(client, data, payos_way(data, test_settings.secret("HCCPAY_PAYOS_CHECKSUM_KEY")))
    assert (r.status_code, r.json) == (200, {"success": True})
    assert paid(client, code) == 100_000


@pytest.mark.parametrize("currency", ["USD", "", "vnd", 704])
def test_a_webhook_in_another_currency_is_still_refused(client, auth, test_settings, currency):
    code = make_request(client, auth)
    data = webhook_data(test_settings, code, currency=currency)
    r = post(client, data, payos_way(data, test_settings.secret("HCCPAY_PAYOS_CHECKSUM_KEY")))
    assert r.status_code == 400 and r.json["code"] == "invalid_currency"
    assert paid(client, code) == 0
