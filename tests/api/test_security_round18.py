"""Round 18, pages: where a page sends the browser next (the login form's `next`, a finance form's `back`) is a
path of this site written in printable characters, else the page's own default. A line break in it made the
redirect itself fail (werkzeug refuses it in a header): a 500 after the login or the decision was committed."""
import pytest

from kernel.users import create_user
from tests.api.test_finance_pages import DAY, csrf
from tests.api.test_pages import PASSWORD, log_in, login_csrf
from tests.conftest import T0

BROKEN = ["/staff/\r\nSet-Cookie: hccpay_session=x", "/staff/finance/\nX: y", "/staff/finance/\x00", "/staff/\x7f"]


@pytest.fixture
def people(db):
    with db() as s, s.begin():
        create_user(s, username="ketoan", full_name="Lê Thị Lan", roles=["finance"], password=PASSWORD, now=T0)


@pytest.mark.parametrize("target", BROKEN)
def test_a_login_whose_next_page_holds_a_control_character_goes_to_the_staff_home(client, people, target):
    r = client.post("/staff/login", data={"username": "ketoan", "password": PASSWORD, "csrf_token": login_csrf(client),
                                          "next": target})
    assert r.status_code == 302
    assert r.headers["Location"] == "/staff/"
    assert "Set-Cookie: hccpay_session=x" not in str(r.headers)
    assert client.get("/staff/finance/").status_code == 200  # logged in: the session cookie was set


@pytest.mark.parametrize("target", BROKEN)
def test_a_finance_form_whose_way_back_holds_a_control_character_goes_back_to_the_workspace(client, people, target):
    assert log_in(client, "ketoan").status_code == 302
    r = client.post(f"/staff/finance/days/{DAY}/acknowledge", data={"csrf_token": csrf(client), "back": target})
    assert r.status_code == 303
    assert r.headers["Location"].startswith("/staff/finance/?date=")


def test_a_login_still_goes_to_the_local_page_it_was_asked_for(client, people):
    r = client.post("/staff/login", data={"username": "ketoan", "password": PASSWORD, "csrf_token": login_csrf(client),
                                          "next": f"/staff/finance/?date={DAY}"})
    assert r.headers["Location"] == f"/staff/finance/?date={DAY}"
