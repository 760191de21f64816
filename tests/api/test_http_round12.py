"""Round 12 of the HTTP probes: a body whose reason is optional, sent chunked (no Content-Length), as a
client streaming its JSON sends it: what it says is read, not dropped."""
import io
import json

from sqlalchemy import select

from kernel.audit import AuditEntry
from tests.factories import make_request


def chunked(body: dict, headers: dict) -> dict:
    """The request as gunicorn hands a chunked one on: no CONTENT_LENGTH, its input marked terminated."""
    return {"input_stream": io.BytesIO(json.dumps(body).encode()), "environ_overrides": {"wsgi.input_terminated": True},
            "headers": {**headers, "Content-Type": "application/json", "Transfer-Encoding": "chunked"}}


def test_a_cancel_sent_chunked_keeps_its_reason(client, auth):
    code = make_request(client, auth)
    r = client.post(f"/api/v1/payment-requests/{code}/cancel",
                    **chunked({"reason": "công dân rút hồ sơ"}, auth("intake")))
    assert r.status_code == 200 and r.json["status"] == "cancelled"
    events = client.get(f"/api/v1/payment-requests/{code}/events", headers=auth("intake")).json["events"]
    assert events[-1]["event"] == "cancelled" and events[-1]["reason"] == "công dân rút hồ sơ"


def test_a_cancel_sent_chunked_is_checked_like_any_body(client, auth):
    code = make_request(client, auth)
    r = client.post(f"/api/v1/payment-requests/{code}/cancel", **chunked({"reason": 5}, auth("intake")))
    assert r.status_code == 400  # not cancelled without a look at what it said
    assert client.get(f"/api/v1/payment-requests/{code}").json["status"] == "pending"


def test_a_token_revocation_sent_chunked_keeps_its_reason(client, auth, tokens, db):
    listed = client.get("/api/v1/admin/tokens", headers=auth("admin")).json["tokens"]
    [cashier] = [t for t in listed if t["role"] == "cashier"]
    r = client.delete(f"/api/v1/admin/tokens/{cashier['id']}", **chunked({"reason": "máy quầy bị mất"}, auth("admin")))
    assert r.status_code == 200 and r.json["revoked_at"]
    with db() as s:
        [entry] = s.execute(select(AuditEntry).where(AuditEntry.action == "token.revoke")).scalars().all()
    assert entry.reason == "máy quầy bị mất"


def test_a_cancel_without_a_body_still_needs_none(client, auth):
    code = make_request(client, auth)
    r = client.post(f"/api/v1/payment-requests/{code}/cancel", headers=auth("intake"))
    assert r.status_code == 200 and r.json["status"] == "cancelled"
