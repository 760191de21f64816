"""QA round 13: SePay webhooks authenticated by SePay's HMAC-SHA256 signature beside the API key."""
import pytest
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.inbox import InboundCallback
from tests.factories import make_request

pytestmark = pytest.mark.usefixtures("ledger_checked")


def paid(client, code):
    return client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"]


# --- SePay's HMAC-SHA256 authentication ------------------------------------------------------------

def sepay_body(settings, code, txn_id, amount=100_000) -> bytes:
    from sandbox.bank import callback_request
    return callback_request("sepay", settings=settings, payment_code=code, amount_vnd=amount, txn_id=txn_id,
                            at=now_utc())[2]


def sepay_signed(test_settings, body: bytes, *, at=None, secret=None, prefix="sha256="):
    from kernel.signing import signature
    t = int((at or now_utc()).timestamp())
    digest = signature(secret or test_settings.secret("HCCPAY_SEPAY_WEBHOOK_SECRET"), body, t)
    return {"Content-Type": "application/json", "X-SePay-Signature": prefix + digest, "X-SePay-Timestamp": str(t)}


def last_inbox(db):
    with db() as s:
        row = s.execute(select(InboundCallback).order_by(InboundCallback.id.desc())).scalars().first()
        return row.status, row.reason, bytes(row.body)


@pytest.mark.parametrize("prefix", ["sha256=", "SHA256=", ""])
def test_a_sepay_webhook_signed_with_hmac_sha256_over_its_raw_body_pays(client, auth, test_settings, db, prefix):
    code = make_request(client, auth)
    body = sepay_body(test_settings, code, "9001")
    r = client.post("/api/v1/callbacks/sepay", data=body, headers=sepay_signed(test_settings, body, prefix=prefix))
    assert r.status_code == 200 and r.json == {"success": True}, r.json
    assert paid(client, code) == 100_000


def test_a_sepay_signature_is_checked_over_the_bytes_received_not_the_json_read_again(
        client, auth, test_settings, db):
    import json
    code = make_request(client, auth)
    body = sepay_body(test_settings, code, "9002")
    headers = sepay_signed(test_settings, body)
    # The same JSON written another way (spacing, key order): what SePay signed was the other bytes.
    rewritten = json.dumps(dict(reversed(list(json.loads(body).items()))), indent=1).encode()
    r = client.post("/api/v1/callbacks/sepay", data=rewritten, headers=headers)
    assert r.status_code == 401 and r.json["code"] == "invalid_signature" and r.json["success"] is False
    status, reason, stored = last_inbox(db)
    assert status == "rejected" and "does not match" in reason and stored == rewritten
    assert paid(client, code) == 0


@pytest.mark.parametrize("seconds", [-301, 301, -3600])
def test_a_sepay_signature_outside_five_minutes_is_a_replay_refused(client, auth, test_settings, db, seconds):
    from datetime import timedelta
    code = make_request(client, auth)
    body = sepay_body(test_settings, code, "9003")
    r = client.post("/api/v1/callbacks/sepay", data=body,
                    headers=sepay_signed(test_settings, body, at=now_utc() + timedelta(seconds=seconds)))
    assert r.status_code == 401 and r.json["code"] == "invalid_signature"
    assert "tolerance window" in last_inbox(db)[1]
    assert paid(client, code) == 0


@pytest.mark.parametrize("damage", ["no timestamp", "bad timestamp", "other key", "empty", "good api key too"])
def test_a_bad_sepay_signature_is_refused_even_beside_a_good_api_key(client, auth, test_settings, db, damage):
    code = make_request(client, auth)
    body = sepay_body(test_settings, code, "9004")
    headers = sepay_signed(test_settings, body, secret="not-the-key" if damage != "no timestamp" else None)
    if damage == "no timestamp":
        del headers["X-SePay-Timestamp"]
    elif damage == "bad timestamp":
        headers["X-SePay-Timestamp"] = "12ab"
    elif damage == "empty":
        headers["X-SePay-Signature"] = ""
    headers["Authorization"] = f"Apikey {test_settings.secret('HCCPAY_SEPAY_API_KEY')}"
    r = client.post("/api/v1/callbacks/sepay", data=body, headers=headers)
    assert r.status_code == 401 and r.json["code"] == "invalid_signature", r.json
    assert last_inbox(db)[0] == "rejected"
    assert paid(client, code) == 0


def test_the_sepay_hmac_key_is_optional_rotates_and_never_its_demo_value():
    from config import load_settings
    from tests.unit.test_config import FULL as full
    assert load_settings(full).secret_values("HCCPAY_SEPAY_WEBHOOK_SECRET") == ()
    assert load_settings(full | {"HCCPAY_SEPAY_WEBHOOK_SECRET": "k1, k2"}).secret_values(
        "HCCPAY_SEPAY_WEBHOOK_SECRET") == ("k1", "k2")
    from config import ConfigError
    with pytest.raises(ConfigError, match="HCCPAY_SEPAY_WEBHOOK_SECRET holds its public demo value"):
        load_settings(full | {"HCCPAY_SEPAY_WEBHOOK_SECRET": "demo-sepay-webhook-secret"})
