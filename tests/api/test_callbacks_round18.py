"""Round 18, callbacks as an attacker or a flaky bank sends them."""
import json

import pytest

from kernel.clock import now_utc
from payments.channels import payos
from sandbox.bank import callback_request
from tests.api.test_input_hardening import inbox, payments, resign
from tests.factories import make_request

pytestmark = pytest.mark.usefixtures("ledger_checked")


def with_nul_twin(body: bytes, key: str, value) -> bytes:
    """The JSON body naming `key` a second time with a NUL in its name (`"amount_vnd\\u0000"`), at its end."""
    text = body.decode().rstrip()
    assert text.endswith("}") and f'"{key}"' in text
    return (text[:-1] + f', "{key}\\u0000": {json.dumps(value)}}}').encode()


@pytest.mark.parametrize("via,key", [("bank", "amount_vnd"), ("sepay", "transferAmount"), ("pos", "amount_vnd")])
def test_a_member_named_again_with_a_nul_in_its_name_is_a_repeated_name_refused_and_kept(
        client, auth, test_settings, db, via, key):
    """NUL characters are dropped from names and text (PostgreSQL cannot hold them): "amount_vnd\\u0000" is then
    "amount_vnd" a second time, and the later silently replaced the other (5 đồng read, 100,000 shown)."""
    code = make_request(client, auth)
    path, headers, body = callback_request(via, settings=test_settings, payment_code=code, amount_vnd=100_000,
                                           txn_id="nul-1", at=now_utc())
    body = with_nul_twin(body, key, 5)
    r = client.post(path, data=body, headers=resign(test_settings, via, headers, body))
    assert r.status_code == 400 and r.json["code"] == "malformed_json" and repr(key) in r.json["message"]
    [row] = inbox(db)
    assert row.status == "rejected" and row.body == body
    assert payments(db) == []


def test_a_payos_data_member_named_again_with_a_nul_in_its_name_is_refused_though_signed(
        client, auth, test_settings, db):
    """payOS signs `data` as sent (NUL included); only then is it cleaned, where the two names became one."""
    code = make_request(client, auth)
    path, headers, body = callback_request("payos", settings=test_settings, payment_code=code, amount_vnd=100_000,
                                           txn_id="nul-2", at=now_utc())
    payload = json.loads(body)
    payload["data"]["amount\x00"] = 5
    payload["signature"] = payos.sign(payload["data"], test_settings.secret("HCCPAY_PAYOS_CHECKSUM_KEY"))
    body = json.dumps(payload).encode()
    r = client.post(path, data=body, headers=headers)
    assert r.status_code == 400 and r.json["code"] == "malformed_json" and "'amount'" in r.json["message"]
    [row] = inbox(db)
    assert row.status == "rejected"
    assert payments(db) == []


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_payos_body_with_a_non_json_number_is_malformed_kept_and_credits_nothing(
        client, auth, test_settings, db, constant):
    """NaN and Infinity are no JSON (RFC 8259), though Python's decoder reads them (and 1e999 as infinity). payOS's `orderCode` is kept in
    the event as sent: PostgreSQL's JSON refused to store it, so the verified callback was answered 500 and never
    kept (every retry the same), its transfer lost; on SQLite it was stored as a number no other reader reads."""
    code = make_request(client, auth)
    path, headers, body = callback_request("payos", settings=test_settings, payment_code=code, amount_vnd=100_000,
                                           txn_id="nan-1", at=now_utc())
    payload = json.loads(body)
    assert payload["data"]["reference"]
    payload["data"]["orderCode"] = float(constant.replace("Infinity", "inf"))
    payload["signature"] = payos.sign(payload["data"], test_settings.secret("HCCPAY_PAYOS_CHECKSUM_KEY"))
    body = json.dumps(payload).encode()
    if constant == "1e999":  # a number written out, read as infinity: signed by payOS as Python's "inf"
        body = body.replace(b"Infinity", b"1e999")
    assert constant.encode() in body
    r = client.post(path, data=body, headers=headers)
    assert r.status_code == 400 and r.json["code"] == "malformed_json" and constant in r.json["message"]
    [row] = inbox(db)
    assert row.status == "rejected" and row.body == body
    assert payments(db) == []

