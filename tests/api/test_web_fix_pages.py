"""Staff pages: everyone logged in can log out, and the login page does not tell which usernames exist."""
import re

import pytest

from kernel.users import create_user
from tests.api.test_pages import PASSWORD, log_in
from tests.conftest import T0
from tests.factories import make_request


@pytest.fixture
def person(db):
    def make(username, roles):
        with db() as s, s.begin():
            create_user(s, username=username, full_name="Đỗ Thị Mai", roles=roles, password=PASSWORD, now=T0)
        return username
    return make


LOGOUT_FORM = re.compile(r'<form method="post" action="/staff/logout"[^>]*>\s*'
                         r'<input type="hidden" name="csrf_token" value="([^"]+)">')


@pytest.mark.parametrize("roles", [["intake"], ["cashier"], ["intake", "cashier"], ["finance"]])
def test_every_logged_in_person_has_a_logout_button_that_ends_the_session(app, person, roles):
    client = app.test_client()
    assert log_in(client, person("mai", roles)).status_code == 302
    html = client.get("/staff/", follow_redirects=True).get_data(as_text=True)
    found = LOGOUT_FORM.search(html)
    assert found and "Đăng xuất" in html, html[:2000]
    out = client.post("/staff/logout", data={"csrf_token": found.group(1)})
    assert out.status_code == 302 and out.headers["Location"].endswith("/staff/login")
    assert client.get("/staff/").status_code == 302  # back to the login page: the session is over


def test_visitors_who_are_not_logged_in_get_no_logout_button(client, auth):
    code = make_request(client, auth)
    for path in (f"/pay/{code}", "/staff/login", "/"):
        assert "/staff/logout" not in client.get(path).get_data(as_text=True), path
