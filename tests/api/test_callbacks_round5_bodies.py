"""A callback body with an unpaired surrogate escape (`\\ud83d`, a memo cut inside an emoji) is not
text: it could never be stored or applied. Every payment callback refuses it as the API does, with
400 `malformed_json`, and keeps it with the reason (never a 500, never a 2xx that nothing can apply)."""
import json

import pytest
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.inbox import InboundCallback
from payments.channels.common import json_object
from tests.factories import make_request, signed


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def send(client, settings, via, memo):
    """A correctly authenticated callback of `via` whose memo is `memo`, JSON-escaped (ASCII body)."""
    account = settings.collection_account("*").account_number
    if via == "sepay":
        data = {"id": 7001, "gateway": "Vietcombank", "transactionDate": "2026-11-25 10:00:00",
                "accountNumber": account, "content": memo, "transferType": "in", "transferAmount": 100_000,
                "referenceCode": "FT7001"}
        return client.post("/api/v1/callbacks/sepay", data=json.dumps(data).encode(), headers={
            "Content-Type": "application/json", "Authorization": f"Apikey {settings.secret('HCCPAY_SEPAY_API_KEY')}"})
    if via == "payos":
        data = {"orderCode": 7002, "amount": 100_000, "description": memo, "accountNumber": account,
                "reference": "FT7002", "transactionDateTime": "2026-11-25 10:00:00", "currency": "VND",
                "code": "00", "desc": "success"}
        body = {"code": "00", "desc": "success", "success": True, "data": data, "signature": "0" * 64}
        return client.post("/api/v1/callbacks/payos", data=json.dumps(body).encode(),
                           headers={"Content-Type": "application/json"})
    if via == "bank":
        data = {"transaction_id": "BK7003", "account_number": account, "amount_vnd": 100_000, "content": memo,
                "booked_at": now_utc().isoformat(), "direction": "credit"}
        headers, body = signed(settings, "HCCPAY_BANK_WEBHOOK_SECRET", data)
        return client.post("/api/v1/callbacks/bank", data=body, headers=headers)
    data = {"transaction_id": "7004", "terminal_id": "POS-01", "type": "sale", "amount_vnd": 100_000,
            "payment_code": "", "approval_code": memo, "occurred_at": now_utc().isoformat()}
    headers, body = signed(settings, "HCCPAY_POS_WEBHOOK_SECRET", data)
    return client.post("/api/v1/callbacks/pos", data=body, headers=headers)


def stored(db):
    with db() as s:
        return [(row.provider, row.status, row.reason) for row in s.execute(select(InboundCallback)).scalars()]


@pytest.mark.parametrize("via", ["sepay", "payos", "bank", "pos"])
@pytest.mark.parametrize("lone", ["\ud83d", "\ude00", "\ude00\ud83d"])
def test_an_unpaired_surrogate_escape_is_refused_as_malformed_json_and_kept(client, auth, test_settings, db,
                                                                            via, lone):
    code = make_request(client, auth)
    r = send(client, test_settings, via, f"{code} nop phi {lone}")
    assert r.status_code == 400 and r.json["code"] == "malformed_json"
    if via in ("sepay", "payos"):
        assert r.json["success"] is False
    [(provider, status, reason)] = stored(db)
    assert (provider, status) == (via, "rejected") and reason.startswith("malformed_json: ")
    rejected = client.get("/api/v1/finance/rejected-callbacks", headers=auth("finance"))
    assert rejected.status_code == 200 and len(rejected.json["callbacks"]) == 1
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 0


@pytest.mark.parametrize("via", ["sepay", "bank"])
def test_a_whole_emoji_written_as_a_surrogate_pair_escape_is_text_and_is_credited(client, auth, test_settings, db,
                                                                                  via):
    code = make_request(client, auth)
    r = send(client, test_settings, via, f"{code} nop phi \U0001F600")  # json.dumps writes \ud83d\ude00
    assert r.status_code == 200
    assert [status for _, status, _ in stored(db)] == ["applied"]
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 100_000


@pytest.mark.parametrize("depth", [40, 500, 990])
def test_a_body_nested_deeper_than_any_payment_message_is_malformed_json_not_a_failure(
        client, auth, test_settings, db, depth):
    nested = "[" * depth + "]" * depth
    body = ('{"orderCode": 1, "amount": 100000, "items": %s}' % nested).encode()
    payload = b'{"code": "00", "success": true, "signature": "' + b"0" * 64 + b'", "data": ' + body + b"}"
    r = client.post("/api/v1/callbacks/payos", data=payload, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json["code"] == "malformed_json"
    assert [(p, s) for p, s, _ in stored(db)] == [("payos", "rejected")]


def test_nul_characters_are_still_dropped_from_keys_and_strings_at_any_depth(client, auth, test_settings, db):
    code = make_request(client, auth)
    r = send(client, test_settings, "bank", f"{code}\x00 nop phi")
    assert r.status_code == 200
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 100_000
    assert json_object(b'{"a\\u0000": [{"b": ["x\\u0000y"]}]}') == {"a": [{"b": ["xy"]}]}
