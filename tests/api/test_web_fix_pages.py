"""Staff pages: everyone logged in can log out, and the login page does not tell which usernames exist."""
import re

import pytest

from kernel import users
from kernel.users import MAX_FAILED_LOGINS, create_user
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


def login_answers(client, username, attempts):
    """What the login page answers each wrong password, without the form's fresh token."""
    answers = []
    for _ in range(attempts):
        r = log_in(client, username, "wrong-password")
        html = re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))
        answers.append((r.status_code, re.search(r"<main.*?</main>", html, re.S).group(0)))
    return answers


def test_the_login_page_answers_an_unknown_username_as_it_answers_a_locked_real_one(app, person):
    person("mai", ["cashier"])
    attempts = MAX_FAILED_LOGINS + 3
    real = login_answers(app.test_client(), "mai", attempts)
    unknown = login_answers(app.test_client(), "khongcoai", attempts)
    assert real == unknown
    assert len(set(real)) == 1  # the same answer before and after the lock-out: nothing to tell them apart
    status, text = real[0]
    assert status == 401 and "Sai tên đăng nhập hoặc mật khẩu" in text and "tạm khóa" in text
    assert log_in(app.test_client(), "mai").status_code == 401  # the real lock-out is kept: even the right password


def test_a_locked_account_costs_the_same_hashing_as_an_unknown_one(session, monkeypatch):
    # Answering a locked account without hashing would tell it apart by time.
    create_user(session, username="mai", full_name="Mai", roles=["cashier"], password=PASSWORD, now=T0)
    for _ in range(MAX_FAILED_LOGINS):
        users.login(session, username="mai", password="wrong-password", now=T0)
    calls = []
    real_hasher = users._hasher

    class Counting:
        def hash(self, *args):
            calls.append("hash")
            return real_hasher.hash(*args)

        def verify(self, *args):
            calls.append("verify")
            return real_hasher.verify(*args)

    monkeypatch.setattr(users, "_hasher", Counting())
    assert users.login(session, username="mai", password=PASSWORD, now=T0).ok is False
    locked = len(calls)
    users.login(session, username="khongcoai", password=PASSWORD, now=T0)
    assert locked == len(calls) - locked == 1
