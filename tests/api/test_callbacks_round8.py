"""Round 8 of the callback probes: what each gateway's own samples sign, and what an acceptance tester
sends. Every callback is stored raw first, answered with a stable code, and credits at most once."""
import json

import pytest
from sqlalchemy import select

from kernel.inbox import InboundCallback
from sandbox.bank import ipn_params
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
