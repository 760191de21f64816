"""Admin API: tokens and the outbox."""
from kernel.audit import AuditEntry
from kernel.db import unit_of_work
from kernel.outbox import FAILED, enqueue
from tests.conftest import T0


def test_an_admin_creates_a_token_that_works_and_revokes_it(client, auth, db):
    r = client.post("/api/v1/admin/tokens", json={"role": "intake", "name": "Cổng DVC"}, headers=auth("admin"))
    assert r.status_code == 201
    raw = r.json["token"]
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/dossiers/NONE", headers=headers).status_code == 404  # authenticated
    listing = client.get("/api/v1/admin/tokens", headers=auth("admin")).json["tokens"]
    assert raw not in str(listing) and any(t["name"] == "Cổng DVC" for t in listing)
    assert client.delete(f"/api/v1/admin/tokens/{r.json['id']}", headers=auth("admin")).status_code == 200
    refused = client.get("/api/v1/dossiers/NONE", headers=headers)
    assert refused.status_code == 401 and refused.json["code"] == "invalid_token"
    with db() as s:
        actions = [(a.action, a.actor) for a in s.query(AuditEntry).filter_by(subject_type="api_token",
                                                                            subject_id=str(r.json["id"]))
                   .order_by(AuditEntry.id)]
    assert [action for action, _ in actions] == ["token.create", "token.revoke"]
    assert all(who.endswith("test admin") for _, who in actions)


def test_only_admins_manage_tokens(client, auth):
    for role in ("intake", "finance", "auditor"):
        r = client.post("/api/v1/admin/tokens", json={"role": "admin", "name": "x"}, headers=auth(role))
        assert r.status_code == 403


def test_failed_deliveries_are_listed_and_can_be_replayed(client, auth, db):
    with unit_of_work(db) as s:
        m = enqueue(s, topic="sms", key="x", payload={"to": "0912345678", "text": "a"}, now=T0)
        m.status, m.last_error = FAILED, "permanent: 422"
        message_id = m.id
    listed = client.get("/api/v1/admin/outbox?status=failed", headers=auth("auditor")).json["messages"]
    assert [m["id"] for m in listed] == [message_id]
    assert client.post(f"/api/v1/admin/outbox/{message_id}/replay", headers=auth("auditor")).status_code == 403
    r = client.post(f"/api/v1/admin/outbox/{message_id}/replay", headers=auth("admin"))
    assert r.status_code == 200 and r.json["status"] == "pending"
    detail = client.get(f"/api/v1/admin/outbox/{message_id}", headers=auth("admin")).json
    assert detail["log"] == []
    bad = client.get("/api/v1/admin/outbox?status=lost", headers=auth("admin"))
    assert bad.status_code == 400 and bad.json["code"] == "invalid_status"
