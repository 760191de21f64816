"""Round 8 of the callback probes: what each gateway's own samples sign, and what an acceptance tester
sends. Every callback is stored raw first, answered with a stable code, and credits at most once."""
import json

import pytest
from sqlalchemy import select

from kernel.inbox import InboundCallback
from sandbox.bank import ipn_params
from tests.api.test_callbacks_round5_payos import webhook_data
from tests.api.test_pos_vnpay_cash import checkout, ipn
from tests.factories import make_request
from tests.unit.test_callbacks_round8 import sample_hash

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def stored(db):
    with db() as s:
        return [(row.provider, row.status, row.reason) for row in
                s.execute(select(InboundCallback).order_by(InboundCallback.id)).scalars()]


def paid(client, code):
    return client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"]


# --- VNPay: a hash made as VNPay's PHP sample makes it (urlencode) ---------------------------------------

def test_a_vnpay_ipn_hashed_with_php_urlencode_over_vietnamese_text_is_confirmed_once(client, auth, test_settings, db):
    code = make_request(client, auth)
    params = ipn_params(test_settings, checkout(client, code)["redirect_url"])
    params["vnp_OrderInfo"] = "Thanh toán phí hồ sơ (bản sao) ~*!' Đặng"
    params.pop("vnp_SecureHash")
    params["vnp_SecureHash"] = sample_hash(params, test_settings.secret("HCCPAY_VNPAY_HASH_SECRET"), "")
    assert ipn(client, params) == {"RspCode": "00", "Message": "Confirm Success"}
    assert ipn(client, params) == {"RspCode": "02", "Message": "Order already confirmed"}
    assert paid(client, code) == 100_000
    assert [s for _, s, _ in stored(db)] == ["applied", "duplicate"]
    r = client.get("/pay/vnpay-return", query_string=params)
    assert r.status_code == 200


# --- Idempotency-Key on an API write: blank, whitespace only or over-long is refused --------------------

def payments_taken(db):
    from payments.models import Payment

    with db() as s:
        return s.scalars(select(Payment.id)).all()


@pytest.mark.parametrize("key", ["", " ", "   ", " \t ", "x" * 65, "a\x00b"])
def test_a_cash_payment_with_a_blank_or_over_long_idempotency_key_is_refused_and_takes_nothing(
        client, auth, db, key):
    code = make_request(client, auth)
    r = client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": 100_000},
                    headers={**auth("cashier"), "Idempotency-Key": key})
    assert r.status_code == 400, r.json
    assert r.json["code"] == "invalid_idempotency_key"
    assert payments_taken(db) == [] and paid(client, code) == 0


def test_a_cash_payment_with_a_64_character_key_is_taken_once(client, auth, db):
    code = make_request(client, auth)
    headers = {**auth("cashier"), "Idempotency-Key": "k" * 64}
    first = client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": 100_000}, headers=headers)
    again = client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": 100_000}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["id"] == again.json["id"] and len(payments_taken(db)) == 1


# --- payOS: the signature is over the values as payOS sent them -------------------------------------------

def payos_post(client, data, signature, **extra):
    body = {"code": "00", "desc": "success", "success": True, "data": data, "signature": signature, **extra}
    return client.post("/api/v1/callbacks/payos", data=json.dumps(body, ensure_ascii=False).encode(),
                       headers={"Content-Type": "application/json"})


def payos_signature(settings, text):
    import hashlib
    import hmac

    return hmac.new(settings.secret("HCCPAY_PAYOS_CHECKSUM_KEY").encode(), text.encode(), hashlib.sha256).hexdigest()


def signed_text(data):
    """payOS's form, written independently: null -> "", lists and objects as compact JSON, keys sorted."""
    def text(value):
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (list, dict)):
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
        return str(value)
    return "&".join(f"{k}={text(data[k])}" for k in sorted(data))


def test_a_payos_webhook_whose_memo_payos_sent_with_a_nul_is_credited(client, auth, test_settings, db):
    code = make_request(client, auth)
    data = webhook_data(test_settings, code, description=f"{code}\x00 nop phi")
    r = payos_post(client, data, payos_signature(test_settings, signed_text(data)))
    assert r.status_code == 200 and r.json == {"success": True}, r.json
    assert paid(client, code) == 100_000


def test_a_nul_put_into_a_signed_payos_webhook_makes_it_unverified(client, auth, test_settings, db):
    code = make_request(client, auth)
    data = webhook_data(test_settings, code)
    signature = payos_signature(test_settings, signed_text(data))
    r = payos_post(client, dict(data, reference=data["reference"] + "\x00"), signature)
    assert r.status_code == 401 and r.json["code"] == "invalid_signature"
    assert paid(client, code) == 0
    assert stored(db)[-1][:2] == ("payos", "rejected")


def test_a_payos_webhook_with_an_object_member_is_verified_with_its_keys_sorted(client, auth, test_settings, db):
    code = make_request(client, auth)
    data = webhook_data(test_settings, code, extra={"z": 1, "a": {"y": None, "b": "Đặng"}}, items=[{"q": 2, "p": 1}])
    r = payos_post(client, data, payos_signature(test_settings, signed_text(data)))
    assert r.status_code == 200 and r.json == {"success": True}, r.json
    assert paid(client, code) == 100_000


# --- a callback without its amount: missing, not "not an integer" -----------------------------------------

@pytest.mark.parametrize("via, name", [("sepay", "transferAmount"), ("payos", "amount"), ("bank", "amount_vnd"),
                                       ("pos", "amount_vnd")])
@pytest.mark.parametrize("absent", ["left out", "null"])
def test_a_callback_without_its_amount_is_refused_as_a_missing_field_and_kept(
        client, auth, test_settings, db, via, name, absent):
    from kernel.clock import now_utc
    from payments.channels import payos
    from sandbox.bank import callback_request
    from tests.factories import signed

    code = make_request(client, auth)
    path, headers, body = callback_request(via, settings=test_settings, payment_code=code, amount_vnd=100_000,
                                           txn_id="7700991", at=now_utc())
    full = json.loads(body)
    data = full["data"] if via == "payos" else full
    if absent == "null":
        data[name] = None
    else:
        del data[name]
    if via == "payos":
        full["signature"] = payos.sign(data, test_settings.secret("HCCPAY_PAYOS_CHECKSUM_KEY"))
        body = json.dumps(full).encode()
    elif via == "sepay":
        body = json.dumps(full).encode()
    else:
        secret = "HCCPAY_BANK_WEBHOOK_SECRET" if via == "bank" else "HCCPAY_POS_WEBHOOK_SECRET"
        headers, body = signed(test_settings, secret, full)
    r = client.post(path, data=body, headers=headers)
    assert r.status_code == 400
    assert (r.json["code"], r.json["details"]) == ("missing_field", {"field": name})
    [(provider, status, reason)] = stored(db)
    assert (provider, status) == (via, "rejected") and reason.startswith("missing_field: ")
    assert paid(client, code) == 0


def test_spaces_around_an_idempotency_key_are_not_part_of_it(client, auth, db):
    """A proxy trims them (HTTP), so the same key with and without them is one key, not two payments."""
    code = make_request(client, auth, ("Lệ phí", "charge", 200_000))
    body = {"payment_code": code, "amount_vnd": 100_000}
    first = client.post("/api/v1/payments/cash", json=body, headers={**auth("cashier"), "Idempotency-Key": " k-1 "})
    again = client.post("/api/v1/payments/cash", json=body, headers={**auth("cashier"), "Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["id"] == again.json["id"] and len(payments_taken(db)) == 1
