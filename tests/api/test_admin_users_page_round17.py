"""Saving a user on a later page of the staff users list comes back to that page (it went to page 1, so an
administrator going through the list lost his place after each save), and a form refused there shows that
page again with the form as it was typed."""
import html as html_lib
import re

from sqlalchemy import select

from kernel.users import User, create_user
from tests.api.test_admin_users_paging_round16 import add_users, usernames_listed
from tests.api.test_pages import PASSWORD, log_in, page_csrf
from tests.conftest import T0
from web.paging import PAGE_SIZE


def admin_on_page_two(client, db) -> tuple[str, str]:
    """An admin logged in, a list of two pages; the page-2 HTML and a user listed on it."""
    with db() as s, s.begin():
        create_user(s, username="quantri", full_name="Quản Trị", roles=["admin"], password=PASSWORD, now=T0)
    add_users(db, PAGE_SIZE + 7)
    log_in(client, "quantri")
    page = client.get(f"/staff/admin/?offset={PAGE_SIZE}").get_data(as_text=True)
    return page, usernames_listed(page)[-1]


def form_action(page: str, user_id: int) -> str:
    found = re.search(rf'<form method="post" action="([^"]*/staff/admin/users/{user_id}(?:\?[^"]*)?)"', page)
    assert found, "no form for the user"
    return html_lib.unescape(found.group(1))


def user_id(db, username: str) -> int:
    with db() as s:
        return s.execute(select(User.id).where(User.username == username)).scalar_one()


def test_saving_a_user_from_the_second_page_comes_back_to_the_second_page(client, db):
    page, name = admin_on_page_two(client, db)
    action = form_action(page, user_id(db, name))
    r = client.post(action, data={"csrf_token": page_csrf(client, f"/staff/admin/?offset={PAGE_SIZE}"),
                                  "roles_listed": "1", "roles": ["cashier", "intake"], "active": ""})
    assert r.status_code in (302, 303)
    assert r.headers["Location"].endswith(f"/staff/admin/?offset={PAGE_SIZE}"), r.headers["Location"]
    back = client.get(r.headers["Location"]).get_data(as_text=True)
    assert name in usernames_listed(back) and "Đã cập nhật tài khoản" in back
    with db() as s:
        assert s.execute(select(User.roles).where(User.username == name)).scalar_one() == ["cashier", "intake"]


def test_a_refused_save_on_the_second_page_shows_the_second_page_with_the_form_kept(client, db):
    page, name = admin_on_page_two(client, db)
    action = form_action(page, user_id(db, name))
    r = client.post(action, data={"csrf_token": page_csrf(client, f"/staff/admin/?offset={PAGE_SIZE}"),
                                  "roles_listed": "1", "roles": ["cashier"], "active": "", "reason": "x" * 1001})
    assert r.status_code == 400
    shown = r.get_data(as_text=True)
    assert name in usernames_listed(shown) and "x" * 1001 in shown  # that page, the reason typed kept


def test_saving_from_the_first_page_still_comes_back_to_the_plain_list(client, db):
    with db() as s, s.begin():
        create_user(s, username="quantri", full_name="Quản Trị", roles=["admin"], password=PASSWORD, now=T0)
    add_users(db, 3)
    log_in(client, "quantri")
    page = client.get("/staff/admin/").get_data(as_text=True)
    action = form_action(page, user_id(db, "nv000"))
    assert "offset" not in action
    r = client.post(action, data={"csrf_token": page_csrf(client), "roles_listed": "1", "roles": ["cashier"],
                                  "active": "0"})
    assert r.status_code in (302, 303) and r.headers["Location"].endswith("/staff/admin/")


def test_an_unreadable_offset_on_a_save_changes_nothing(client, db):
    page, name = admin_on_page_two(client, db)
    target = user_id(db, name)
    r = client.post(f"/staff/admin/users/{target}?offset=abc",
                    data={"csrf_token": page_csrf(client), "roles_listed": "1", "roles": ["intake"], "active": ""})
    assert r.status_code == 400
    with db() as s:
        assert s.execute(select(User.roles).where(User.id == target)).scalar_one() == ["cashier"]
