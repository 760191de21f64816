"""A form of another role, posted without its security token by someone signed in, is refused for the role
(403 "Bạn không có quyền thực hiện thao tác này."), as it is with the token: the page said "Phiên làm việc đã
hết hạn", sending the person to reload and try again a form they may never use. A form the person may use
still needs its token (CSRF refusal as before), and nobody signed in still gets 401."""
from sqlalchemy import func, select

from kernel.users import User, create_user
from tests.api.test_pages import PASSWORD, log_in, page_csrf
from tests.conftest import T0

NOT_PERMITTED = "Bạn không có quyền thực hiện thao tác này."
EXPIRED = "Phiên làm việc đã hết hạn"
NEW_USER = {"username": "moi", "full_name": "Người Mới", "roles": "finance", "password": "x" * 12}


def add_staff(db, username: str, *roles: str) -> str:
    with db() as s, s.begin():
        create_user(s, username=username, full_name="Lê Thị Lan", roles=list(roles), password=PASSWORD, now=T0)
    return username


def users(db) -> int:
    with db() as s:
        return s.execute(select(func.count()).select_from(User)).scalar_one()


def test_another_roles_form_without_its_token_is_refused_for_the_role_as_with_it(client, db):
    log_in(client, add_staff(db, "ketoan", "finance"))
    before = users(db)
    with_token = client.post("/staff/admin/users", data=NEW_USER | {"csrf_token": page_csrf(client, "/staff/finance/")})
    without = client.post("/staff/admin/users", data=NEW_USER)
    for r in (with_token, without):
        html = r.get_data(as_text=True)
        assert r.status_code == 403 and NOT_PERMITTED in html and EXPIRED not in html, html
    assert users(db) == before


def test_a_finance_form_of_the_approver_without_its_token_is_refused_for_the_role(client, db):
    log_in(client, add_staff(db, "ketoan", "finance"))
    r = client.post("/staff/finance/days/2026-11-20/close/approve", data={"reason": "x"})
    html = r.get_data(as_text=True)
    assert r.status_code == 403 and NOT_PERMITTED in html and EXPIRED not in html, html


def test_a_form_the_person_may_use_still_needs_its_token(client, db):
    log_in(client, add_staff(db, "quantri", "admin"))
    before = users(db)
    r = client.post("/staff/admin/users", data=NEW_USER)
    html = r.get_data(as_text=True)
    assert r.status_code == 403 and EXPIRED in html and NOT_PERMITTED not in html, html
    wrong = client.post("/staff/admin/users", data=NEW_USER | {"csrf_token": "not-the-token"})
    assert wrong.status_code == 403 and EXPIRED in wrong.get_data(as_text=True)
    assert users(db) == before
    api = client.post("/api/v1/admin/users", json=NEW_USER | {"roles": ["finance"]})
    assert api.status_code == 403 and api.json["code"] == "csrf_failed"


def test_nobody_signed_in_is_still_401(client, db):
    assert client.post("/staff/admin/users", data=NEW_USER).status_code == 401
