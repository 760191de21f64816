"""Round 7 of the callback probes: what each gateway's own contract says about bodies we cannot read
or that carry no signature. Every such callback is stored raw with its reason (never lost, never a
500), and the refusal is answered in the channel's shape (`success: false` for SePay and payOS)."""
import json

import pytest
from sqlalchemy import select

from kernel.inbox import InboundCallback
from tests.api.test_callbacks_round5_payos import webhook_data
from tests.factories import make_request


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def stored(db):
    with db() as s:
        return [(row.provider, row.status, row.reason, row.body) for row in
                s.execute(select(InboundCallback).order_by(InboundCallback.id)).scalars()]


def paid(client, code):
    return client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"]


# --- payOS: a webhook without a signature is unauthenticated, as a bank push without its header ---------

@pytest.mark.parametrize("signature", ["absent", None, 12345, ["abc"]])
def test_a_payos_webhook_without_a_signature_is_refused_as_unsigned_not_as_a_missing_field(
        client, auth, test_settings, db, signature):
    code = make_request(client, auth)
    body = {"code": "00", "desc": "success", "success": True, "data": webhook_data(test_settings, code)}
    if signature != "absent":
        body["signature"] = signature
    r = client.post("/api/v1/callbacks/payos", data=json.dumps(body).encode(),
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 401
    assert r.json["code"] == "invalid_signature" and r.json["success"] is False
    [(provider, status, reason, _)] = stored(db)
    assert (provider, status) == ("payos", "rejected") and reason.startswith("invalid_signature: ")
    assert paid(client, code) == 0


def test_a_payos_webhook_without_data_is_still_a_missing_field(client, db):
    body = {"code": "00", "desc": "success", "success": True, "signature": "0" * 64}
    r = client.post("/api/v1/callbacks/payos", data=json.dumps(body).encode(),
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json["code"] == "missing_field" and r.json["success"] is False
    assert [(p, s) for p, s, _, _ in stored(db)] == [("payos", "rejected")]


# --- a body over the size limit: not read, but kept and refused in the channel's shape ------------------

LIMIT = 64 * 1024  # the app's MAX_CONTENT_LENGTH, lowered so the test sends kilobytes, not 20 MiB


@pytest.mark.parametrize("via, extra", [("sepay", {"success": False}), ("payos", {"success": False}),
                                        ("bank", {}), ("pos", {})])
def test_a_callback_body_over_the_size_limit_is_stored_with_the_reason_and_refused_413(app, client, db, via, extra):
    app.config["MAX_CONTENT_LENGTH"] = LIMIT
    body = b'{"content": "' + b"x" * (LIMIT + 1) + b'"}'
    r = client.post(f"/api/v1/callbacks/{via}", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json == {"code": "payload_too_large", "message": r.json["message"], **extra}
    [(provider, status, reason, kept)] = stored(db)
    assert (provider, status) == (via, "rejected")
    assert reason == f"payload_too_large: the body ({len(body):,} bytes) is larger than the 65,536-byte limit; body not read"
    assert kept == b""  # not read: werkzeug refuses to, and a partial copy would pass for the body


def test_a_vnpay_ipn_with_a_body_over_the_limit_is_stored_and_still_answered_by_its_contract(app, client, db):
    app.config["MAX_CONTENT_LENGTH"] = LIMIT
    r = client.get("/api/v1/callbacks/vnpay/ipn", query_string={"vnp_TxnRef": "X1"}, data=b"x" * (LIMIT + 1))
    assert r.status_code == 200 and r.json == {"RspCode": "97", "Message": "Invalid Checksum"}
    [(provider, status, reason, kept)] = stored(db)
    assert (provider, status, kept) == ("vnpay", "rejected", b"")
    # what storing noted survives the verdict (round 14: notes are added, never replaced)
    assert reason == f"body not read: the body ({LIMIT + 1:,} bytes) is larger than the 65,536-byte limit; invalid signature"


def test_a_courier_event_over_the_size_limit_is_kept_as_rejected_and_refused_413(app, client, db):
    app.config["MAX_CONTENT_LENGTH"] = LIMIT
    body = b'{"note": "' + b"x" * (LIMIT + 1) + b'"}'
    r = client.post("/api/v1/callbacks/courier", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json["code"] == "payload_too_large"
    [(provider, status, reason, kept)] = stored(db)
    assert (provider, status, kept) == ("courier", "rejected", b"")  # was left `received`, as if it had failed
    assert reason.startswith("payload_too_large: the body (")
