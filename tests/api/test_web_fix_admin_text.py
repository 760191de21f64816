"""Token names, staff full names, passwords and subscription names are cleaned like every other text:
a NUL (which PostgreSQL text cannot hold, and SQLite would store) or a lone surrogate is a 400 with its
code on the API and a Vietnamese sentence on the admin page, never a 500 nor a stored row."""
import re

import pytest
from sqlalchemy import func, select

from kernel.auth import ApiToken, create_token
from kernel.errors import ValidationError
from kernel.events import Subscription
from kernel.users import User, create_user, update_user
from tests.api.test_pages import log_in, page_csrf
from tests.conftest import T0

PASSWORD = "correct-horse-battery"


def count(db, model) -> int:
    with db() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.mark.parametrize("name", ["a\x00b", "\x00", "tab\tinside\x07", "   ", "x" * 201, 42])
def test_a_token_name_with_control_characters_blank_or_too_long_is_invalid_name(client, auth, db, name):
    before = count(db, ApiToken)
    r = client.post("/api/v1/admin/tokens", json={"role": "finance", "name": name}, headers=auth("admin"))
    assert r.status_code == 400 and r.json["code"] in ("invalid_name", "missing_field"), r.json
    assert count(db, ApiToken) == before


def test_a_token_name_is_trimmed_spaced_and_nfc_normalised(client, auth):
    decomposed = "Co\u0302\u0309ng  dịch vụ "  # "Cổng" typed with combining marks, a double space
    r = client.post("/api/v1/admin/tokens", json={"role": "finance", "name": decomposed}, headers=auth("admin"))
    assert r.status_code == 201 and r.json["name"] == "Cổng dịch vụ"


@pytest.mark.parametrize("full_name", ["Tr\x00n", "Trần\x1bBình", 5])
def test_a_full_name_with_control_characters_is_invalid_full_name(client, auth, db, full_name):
    r = client.post("/api/v1/admin/users", headers=auth("admin"),
                    json={"username": "tran", "full_name": full_name, "roles": ["finance"], "password": PASSWORD})
    assert r.status_code == 400 and r.json["code"] == "invalid_full_name", r.json
    assert count(db, User) == 0


@pytest.mark.parametrize("password", ["correct-horse\x00battery", "correct-horse\nbattery"])
def test_a_password_with_control_characters_is_weak_password_on_create_and_change(client, auth, db, password):
    r = client.post("/api/v1/admin/users", headers=auth("admin"),
                    json={"username": "tran", "full_name": "Trần Bình", "roles": ["finance"], "password": password})
    assert r.status_code == 400 and r.json["code"] == "weak_password", r.json
    assert count(db, User) == 0
    created = client.post("/api/v1/admin/users", headers=auth("admin"),
                          json={"username": "tran", "full_name": "Trần Bình", "roles": ["finance"],
                                "password": PASSWORD})
    r = client.patch(f"/api/v1/admin/users/{created.json['id']}", json={"password": password}, headers=auth("admin"))
    assert r.status_code == 400 and r.json["code"] == "weak_password", r.json


def test_services_refuse_a_lone_surrogate_even_from_a_caller_that_is_not_json(session):
    # The CLI and the pages reach these services without json_body's check in front.
    with pytest.raises(ValidationError) as err:
        create_token(session, role="finance", name="\ud800", actor="test", now=T0)
    assert err.value.code == "invalid_name"
    with pytest.raises(ValidationError) as err:
        create_user(session, username="a", full_name="\udfff", roles=["finance"], password=PASSWORD, now=T0)
    assert err.value.code == "invalid_full_name"
    with pytest.raises(ValidationError) as err:
        create_user(session, username="b", full_name="B", roles=["finance"], password=PASSWORD + "\ud800", now=T0)
    assert err.value.code == "weak_password"
    user = create_user(session, username="c", full_name="  Lê   Thị Lan ", roles=["finance"], password=PASSWORD, now=T0)
    assert user.full_name == "Lê Thị Lan"
    with pytest.raises(ValidationError) as err:
        update_user(session, user_id=user.id, password=PASSWORD + "\ud800", now=T0)
    assert err.value.code == "weak_password"


def test_a_blank_full_name_is_still_the_username(session):
    assert create_user(session, username="lan", full_name="  ", roles=["finance"], password=PASSWORD,
                       now=T0).full_name == "lan"


SUBSCRIPTION = {"name": "Cổng DVC", "url": "https://motcua.example.gov.vn/hooks", "event_types": ["payment_request.*"]}


@pytest.mark.parametrize("name", ["a\x00b", "\x7f", "  ", "x" * 201])
def test_a_subscription_name_with_control_characters_is_invalid_name_on_create_and_change(client, auth, db, name):
    r = client.post("/api/v1/admin/subscriptions", json={**SUBSCRIPTION, "name": name}, headers=auth("admin"))
    assert r.status_code == 400 and r.json["code"] == "invalid_name", r.json
    assert count(db, Subscription) == 0
    created = client.post("/api/v1/admin/subscriptions", json=SUBSCRIPTION, headers=auth("admin"))
    assert created.status_code == 201
    r = client.patch(f"/api/v1/admin/subscriptions/{created.json['id']}", json={"name": name}, headers=auth("admin"))
    assert r.status_code == 400 and r.json["code"] == "invalid_name", r.json


# --- the admin page ---------------------------------------------------------------------------

@pytest.fixture
def admin_page(app, db):
    with db() as s, s.begin():
        create_user(s, username="quantri", full_name="Quản Trị", roles=["admin"], password=PASSWORD, now=T0)
    client = app.test_client()
    assert log_in(client, "quantri").status_code == 302
    return client


def main_text(response) -> str:
    main = re.search(r"<main.*?</main>", response.get_data(as_text=True), re.S).group(0)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def test_the_admin_page_refuses_a_nul_in_a_full_name_in_vietnamese(admin_page, db):
    r = admin_page.post("/staff/admin/users", data={"csrf_token": page_csrf(admin_page), "username": "binh",
                                                    "full_name": "Trần\x00Bình", "roles": "finance",
                                                    "password": PASSWORD})
    assert r.status_code == 400
    assert "Họ tên" in main_text(r) and "ký tự điều khiển" in main_text(r)
    assert count(db, User) == 1  # the admin only


def test_the_admin_page_refuses_a_nul_in_a_token_name_or_password_in_vietnamese(admin_page, db):
    r = admin_page.post("/staff/admin/tokens", data={"csrf_token": page_csrf(admin_page), "role": "finance",
                                                     "name": "a\x00b"})
    assert r.status_code == 400 and "Tên token" in main_text(r) and "ký tự điều khiển" in main_text(r)
    assert count(db, ApiToken) == 0
    r = admin_page.post("/staff/admin/users", data={"csrf_token": page_csrf(admin_page), "username": "binh",
                                                    "full_name": "Bình", "roles": "finance",
                                                    "password": "correct\x00horse-battery"})
    assert r.status_code == 400 and "Mật khẩu" in main_text(r) and "ký tự điều khiển" in main_text(r)
    r = admin_page.post("/staff/admin/users", data={"csrf_token": page_csrf(admin_page), "username": "binh",
                                                    "full_name": "Bình", "roles": "finance", "password": "short"})
    assert r.status_code == 400 and "ít nhất 10 ký tự" in main_text(r)


def test_a_nul_in_the_login_username_is_a_wrong_login_not_a_database_error(client, admin_page):
    r = log_in(client, "quan\x00tri")
    assert r.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in r.get_data(as_text=True)
