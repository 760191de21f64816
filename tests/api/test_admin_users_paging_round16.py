"""The staff users list is paged like the other staff lists: the admin page shows a page at a time with the
finance pages' pager, and `GET /api/v1/admin/users` takes `limit`/`offset` and says `total` and `next_offset`
as the statement lines list does."""
import html as html_lib
import re

from kernel.users import User, create_user
from tests.api.test_pages import PASSWORD, log_in
from tests.conftest import T0
from web.paging import PAGE_SIZE


def add_users(db, count: int) -> set[str]:
    # Straight into the table: hashing a password per user would only make the test slow.
    names = {f"nv{n:03d}" for n in range(count)}
    with db() as s, s.begin():
        s.add_all(User(username=name, full_name=f"Nhân viên {name}", roles=["cashier"], password_hash="-",
                       active=True, failed_logins=0, created_at=T0) for name in names)
    return names


def usernames_listed(page: str) -> list[str]:
    users_section = page.split('id="users-h"', 1)[1].split('id="tokens-h"', 1)[0]
    return re.findall(r"<tr>\s*<td>([^<]+)</td>", users_section)


def next_page_link(page: str) -> str | None:
    users_section = page.split('id="users-h"', 1)[1].split('id="tokens-h"', 1)[0]
    found = re.search(r'<a href="([^"]+)">Trang sau</a>', users_section)
    return html_lib.unescape(found.group(1)) if found else None


def test_the_admin_page_shows_users_a_page_at_a_time_each_exactly_once(client, db):
    admin = "quantri"
    with db() as s, s.begin():
        create_user(s, username=admin, full_name="Quản Trị", roles=["admin"], password=PASSWORD, now=T0)
    names = add_users(db, PAGE_SIZE + 7) | {admin}
    log_in(client, admin)
    first = client.get("/staff/admin/")
    assert first.status_code == 200
    first_html = first.get_data(as_text=True)
    page_one = usernames_listed(first_html)
    assert len(page_one) == PAGE_SIZE
    link = next_page_link(first_html)
    assert link, "no link to the next page"
    second_html = client.get(link).get_data(as_text=True)
    page_two = usernames_listed(second_html)
    assert next_page_link(second_html) is None and "Trang trước" in second_html
    assert sorted(page_one + page_two) == sorted(names)  # each exactly once


def test_the_users_api_takes_limit_and_offset_and_says_where_the_next_page_starts(client, auth, db):
    names = add_users(db, 5)
    first = client.get("/api/v1/admin/users?limit=3", headers=auth("admin"))
    assert first.status_code == 200, first.json
    assert (first.json["total"], first.json["limit"], first.json["offset"], first.json["next_offset"]) == (5, 3, 0, 3)
    second = client.get("/api/v1/admin/users?limit=3&offset=3", headers=auth("admin"))
    assert second.json["next_offset"] is None
    assert sorted(u["username"] for u in first.json["users"] + second.json["users"]) == sorted(names)
    for bad in ("limit=0", "limit=abc", "offset=-1"):
        r = client.get(f"/api/v1/admin/users?{bad}", headers=auth("admin"))
        assert r.status_code == 400 and r.json["code"] == "invalid_parameter", (bad, r.json)
