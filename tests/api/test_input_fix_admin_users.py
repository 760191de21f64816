"""`/admin/users`: the audit of a change says what was changed, and only that."""
import json

from sqlalchemy import select

from kernel.audit import AuditEntry
from kernel.users import User

PASSWORD = "correct-horse-battery"


def create(client, auth, **fields) -> dict:
    r = client.post("/api/v1/admin/users", headers=auth("admin"),
                    json={"username": "lan", "full_name": "Lê Thị Lan", "roles": ["finance"], "password": PASSWORD,
                          **fields})
    assert r.status_code == 201, r.json
    return r.json


def password_hash(db, user_id: int) -> str:
    with db() as s:
        return s.get(User, user_id).password_hash


def updates(db, user_id: int) -> list[dict]:
    with db() as s:
        return [json.loads(a.data) for a in s.execute(
            select(AuditEntry).where(AuditEntry.action == "user.update", AuditEntry.subject_id == str(user_id))
            .order_by(AuditEntry.id)).scalars()]


def test_a_null_password_is_no_password_and_the_audit_does_not_say_it_was_reset(client, auth, db):
    user = create(client, auth)
    before = password_hash(db, user["id"])
    r = client.patch(f"/api/v1/admin/users/{user['id']}", json={"password": None}, headers=auth("admin"))
    assert r.status_code == 200, r.json
    assert password_hash(db, user["id"]) == before
    assert updates(db, user["id"]) == [{"roles": None, "active": None, "password_reset": False}]


def test_a_new_password_is_audited_as_a_reset(client, auth, db):
    user = create(client, auth)
    before = password_hash(db, user["id"])
    r = client.patch(f"/api/v1/admin/users/{user['id']}", json={"password": "another-long-one"}, headers=auth("admin"))
    assert r.status_code == 200, r.json
    assert password_hash(db, user["id"]) != before
    assert updates(db, user["id"]) == [{"roles": None, "active": None, "password_reset": True}]


def test_the_audit_records_the_roles_the_user_was_given_not_the_list_as_sent(client, auth, db):
    user = create(client, auth)
    r = client.patch(f"/api/v1/admin/users/{user['id']}", json={"roles": ["finance", "auditor", "finance"]},
                     headers=auth("admin"))
    assert r.status_code == 200 and r.json["roles"] == ["auditor", "finance"], r.json
    assert updates(db, user["id"]) == [{"roles": ["auditor", "finance"], "active": None, "password_reset": False}]
