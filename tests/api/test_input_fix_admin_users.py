"""`/admin/users`: the audit of a change says what was changed, and only that."""
import json

import pytest

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


def count_users(db) -> int:
    with db() as s:
        return len(s.execute(select(User.id)).all())


@pytest.mark.parametrize("full_name", [False, True, 0, 7, 1.5, [], ["Lan"], {}, {"name": "Lan"}])
def test_a_full_name_that_is_not_a_string_is_invalid_full_name(client, auth, db, full_name):
    r = client.post("/api/v1/admin/users", headers=auth("admin"),
                    json={"username": "lan", "full_name": full_name, "roles": ["finance"], "password": PASSWORD})
    assert r.status_code == 400 and r.json["code"] == "invalid_full_name", r.json
    assert r.json["details"]["field"] == "full_name"
    assert count_users(db) == 0


@pytest.mark.parametrize("fields", [{}, {"full_name": None}, {"full_name": "   "}])
def test_a_full_name_not_given_is_the_username_as_documented(client, auth, db, fields):
    body = {"username": "lan", "roles": ["finance"], "password": PASSWORD, **fields}
    r = client.post("/api/v1/admin/users", headers=auth("admin"), json=body)
    assert r.status_code == 201 and r.json["full_name"] == "lan", r.json
    model = client.get("/api/v1/swagger.json").json["definitions"]["UserIn"]
    assert "full_name" not in model["required"] and model["properties"]["full_name"]["type"] == "string"


def test_a_field_a_user_does_not_have_is_refused_not_ignored(client, auth, db):
    # `fullname` for `full_name` would otherwise make a user named after their username, without a word
    r = client.post("/api/v1/admin/users", headers=auth("admin"),
                    json={"username": "lan", "fullname": "Lê Thị Lan", "roles": ["finance"], "password": PASSWORD})
    assert r.status_code == 400 and r.json["code"] == "unknown_field" and r.json["details"] == {"field": "fullname"}
    assert count_users(db) == 0


@pytest.mark.parametrize("body", [{"full_name": "Lê Thị Lan Anh"}, {"full_name": False}, {"username": "lan2"},
                                  {"roles": ["auditor"], "full_name": "Lê Thị Lan Anh"}])
def test_a_change_of_a_field_patch_does_not_take_is_refused_not_answered_200(client, auth, db, body):
    user = create(client, auth)
    r = client.patch(f"/api/v1/admin/users/{user['id']}", json=body, headers=auth("admin"))
    assert r.status_code == 400 and r.json["code"] == "unknown_field", r.json
    assert r.json["details"]["field"] in ("full_name", "username")
    with db() as s:
        kept = s.get(User, user["id"])
        assert (kept.full_name, kept.username, kept.roles) == ("Lê Thị Lan", "lan", ["finance"])
    assert updates(db, user["id"]) == []
