"""Every cookie the pages set (the signed Flask session holding flash messages and a refused form's
values, the login session, its CSRF cookie, the language) is HttpOnly where a script has no use for it,
SameSite, and Secure when the site is served over https (`HCCPAY_SECURE_COOKIES`, on by default when
`HCCPAY_PUBLIC_URL` is https://); `make run` on http://127.0.0.1 keeps them usable without TLS."""
import pytest

from tests.api.test_pages import log_in, page_csrf, staff_user  # noqa: F401 (fixture)


@pytest.fixture
def app_with(test_settings, db):
    from api import create_app

    made = []

    def build(**overrides):
        made.append(create_app(test_settings.with_overrides(**overrides)))
        return made[-1]

    yield build
    for app in made:
        app.extensions["hccpay"].engine.dispose()


def _cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def _refused_finance_form(client):
    """A refused finance form: the Flask session cookie carries its flash message and typed values."""
    return client.post("/staff/finance/statements", data={"csrf_token": page_csrf(client, "/staff/finance/"),
                                                                  "account_number": "12"})


@pytest.mark.parametrize("secure", [True, False])
def test_the_session_cookie_is_httponly_samesite_and_secure_as_set(app_with, staff_user, secure):
    client = app_with(secure_cookies=secure).test_client()
    staff_user("ketoan", ("finance",))
    login = log_in(client, "ketoan")
    refused = _refused_finance_form(client)
    assert refused.status_code == 303
    for header in {**_cookies(login), **_cookies(refused)}.values():
        if "Max-Age=0" in header:
            continue  # a cookie deleted (the login form's CSRF cookie)
        assert "SameSite=" in header, header
        assert ("; Secure" in header) is secure, header
    session_cookie = _cookies(refused)["session"]
    assert "HttpOnly" in session_cookie
    assert "hccpay_session" in _cookies(login) and "HttpOnly" in _cookies(login)["hccpay_session"]


def test_the_language_cookie_is_secure_as_set(app_with):
    client = app_with(secure_cookies=True).test_client()
    assert "; Secure" in _cookies(client.get("/?lang=en"))["hccpay_lang"]


def test_a_cookie_taken_back_carries_the_same_flags(app_with, staff_user):
    """The Set-Cookie that deletes the login form's CSRF cookie (at login) and the login session (at logout)
    is a cookie the pages set too: Secure, HttpOnly and SameSite as when it was given, not a bare header."""
    client = app_with(secure_cookies=True).test_client()
    staff_user("ketoan", ("finance",))
    login = log_in(client, "ketoan")
    logout = client.post("/staff/logout", data={"csrf_token": page_csrf(client, "/staff/finance/")})
    assert logout.status_code == 302
    for deleted in (_cookies(login)["hccpay_login_csrf"], _cookies(logout)["hccpay_session"]):
        assert "Max-Age=0" in deleted and "; Secure" in deleted and "HttpOnly" in deleted, deleted
        assert "SameSite=" in deleted, deleted
