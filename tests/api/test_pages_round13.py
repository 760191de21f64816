"""Pages, QA round 13: a new API token survives a refresh without a second one (post-redirect-get, the secret
shown once), and a forged filter or choice is refused in Vietnamese instead of ignored."""
import re

import pytest
from sqlalchemy import select

from kernel.auth import ApiToken, hash_token
from kernel.users import User, create_user
from tests.api.test_cash_void_page import logged_in
from tests.api.test_finance_pages import DAY
from tests.api.test_pages import PASSWORD, log_in, page_csrf
from tests.api.test_web_fix_admin_text import main_text
from tests.conftest import T0

@pytest.fixture
def admin(app, db):
    with db() as s, s.begin():
        create_user(s, username="quantri", full_name="Quản Trị", roles=["admin"], password=PASSWORD, now=T0)
        create_user(s, username="ketoan", full_name="Lê Thị Lan", roles=["finance"], password=PASSWORD, now=T0)
    client = app.test_client()
    assert log_in(client, "quantri").status_code == 302
    return client


def _session_data(app, client) -> str:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return ""
    return str(app.session_interface.get_signing_serializer(app).loads(cookie.value))


def test_a_new_token_is_shown_once_after_a_redirect_so_a_refresh_creates_no_second_one(app, admin, db):
    r = admin.post("/staff/admin/tokens", data={"csrf_token": page_csrf(admin), "role": "intake",
                                                 "name": "Cổng DVC tỉnh"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/staff/admin/")
    carried = _session_data(app, admin)  # what the browser holds between the POST and the page
    assert "new_token" in carried
    with db() as s:
        [token] = s.execute(select(ApiToken)).scalars().all()
        token_hash = token.token_hash
    shown = admin.get(r.headers["Location"])
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    raw = re.search(r'id="new-token">([^<]+)<', shown.get_data(as_text=True)).group(1)
    assert hash_token(raw) == token_hash and raw[:10] == token.display_prefix
    assert raw not in r.headers["Location"]  # never in a URL, nor readable in the cookie that carried it
    assert raw not in r.headers["Set-Cookie"] and raw not in carried and raw[10:] not in carried
    # the refresh of the page shown: a GET, which creates nothing and no longer shows the secret
    again = admin.get("/staff/admin/")
    assert 'id="new-token"' not in again.get_data(as_text=True) and raw not in again.get_data(as_text=True)
    with db() as s:
        assert len(s.execute(select(ApiToken)).scalars().all()) == 1
    assert admin.get("/api/v1/dossiers/X", headers={"Authorization": f"Bearer {raw}"}).status_code == 404


def test_a_refused_token_form_still_answers_at_once_and_creates_nothing(admin, db):
    r = admin.post("/staff/admin/tokens", data={"csrf_token": page_csrf(admin), "role": "intake", "name": ""})
    assert r.status_code == 400 and 'id="new-token"' not in r.get_data(as_text=True)
    with db() as s:
        assert s.execute(select(ApiToken)).scalars().all() == []


def test_a_forged_account_state_is_refused_in_vietnamese_not_reported_done(admin, db):
    with db() as s:
        user_id = s.execute(select(User.id).where(User.username == "ketoan")).scalar_one()
    r = admin.post(f"/staff/admin/users/{user_id}", data={"csrf_token": page_csrf(admin), "active": "zz",
                                                          "roles_listed": "1", "roles": "finance"})
    assert r.status_code == 400, r.status_code
    text = main_text(r)
    assert "Trạng thái tài khoản" in text and "Đã cập nhật" not in text
    with db() as s:
        assert s.get(User, user_id).active is True
    # the form's own choices still work, and "—" leaves it as it is
    for value, active in (("", True), ("0", False), ("1", True)):
        r = admin.post(f"/staff/admin/users/{user_id}", data={"csrf_token": page_csrf(admin), "active": value})
        assert r.status_code == 302, value
        with db() as s:
            assert s.get(User, user_id).active is active


@pytest.fixture
def finance(app, db):
    with db() as s, s.begin():
        create_user(s, username="ketoan", full_name="Lê Thị Lan", roles=["finance"], password=PASSWORD, now=T0)
    return logged_in(app, "ketoan")


@pytest.mark.parametrize("path,parameter,words", [
    (f"/staff/finance/statements?date={DAY}&status=zz", "status", "trạng thái dòng"),
    (f"/staff/finance/exceptions?date={DAY}&kind=zz", "kind", "loại ngoại lệ"),
    (f"/staff/finance/exceptions?date={DAY}&state=zz", "state", "trạng thái ngoại lệ"),
    (f"/staff/finance/exceptions?date={DAY}&state=<script>alert(1)</script>", "state", "trạng thái ngoại lệ"),
])
def test_a_forged_filter_is_refused_in_vietnamese_instead_of_listing_everything(finance, path, parameter, words):
    r = finance.get(path)
    assert r.status_code == 400, r.status_code
    text = main_text(r)
    assert words in text.lower() and "<script>" not in r.get_data(as_text=True)


@pytest.mark.parametrize("path", [
    f"/staff/finance/statements?date={DAY}&status=", f"/staff/finance/statements?date={DAY}&status=unmatched",
    f"/staff/finance/exceptions?date={DAY}&kind=", f"/staff/finance/exceptions?date={DAY}&kind=unmatched_credit",
    f"/staff/finance/exceptions?date={DAY}&state=all", f"/staff/finance/exceptions?date={DAY}&state=open",
    f"/staff/finance/exceptions?date={DAY}&state=",
])
def test_the_filters_own_choices_still_list(finance, path):
    assert finance.get(path).status_code == 200


BIG = "9" * 30


@pytest.mark.parametrize("method,path", [
    ("POST", f"/staff/postal/checks/{BIG}/resolve"), ("GET", f"/staff/admin/users/{BIG}"),
    ("POST", f"/staff/postal/shipments/{2**63}/move"), ("GET", f"/staff/finance/refunds/{2**63}/approve"),
    ("POST", f"/staff/admin/users/{2**63}"), ("PUT", f"/staff/postal/checks/{BIG}/resolve"),
])
def test_an_id_past_any_key_is_not_found_whatever_the_method(admin, method, path):
    """A number no BIGINT holds matched no rule for the method asked, but the path matched another method's:
    flask-restx's error routing re-matched it for that method, found nothing and crashed (a bare 500)."""
    r = admin.open(path, method=method)
    assert r.status_code == 404, r.status_code


def test_the_largest_key_still_reaches_its_page(admin):
    assert admin.get(f"/staff/finance/lines/{2**63 - 1}").status_code in (403, 404)
    assert admin.post(f"/staff/admin/users/{2**63 - 1}", data={"csrf_token": page_csrf(admin)}).status_code == 404


def test_a_sealed_token_opens_under_a_rotated_key_and_not_under_another_or_once_stale(app, db, monkeypatch):
    """Fernet under keys derived from the secret key and its fallbacks: a key rotated between the creation and
    the page shown still opens it; an unknown key, a tampered seal or one older than its lifetime does not."""
    import time

    from web import admin as admin_pages

    from kernel.auth import create_token

    with db() as s, s.begin():
        token, raw = create_token(s, role="intake", name="Cổng DVC", actor="test", now=T0)
        token_id = token.id
    with app.test_request_context():
        sealed = admin_pages._seal(token_id, raw)
        assert raw not in str(sealed)
        old = app.secret_key
        app.secret_key, app.config["SECRET_KEY_FALLBACKS"] = "a-new-key-of-the-operator", [old]
        with db() as s:
            assert admin_pages._unseal(s, sealed) == raw
            app.config["SECRET_KEY_FALLBACKS"] = []
            assert admin_pages._unseal(s, sealed) is None
            app.secret_key = old
            assert admin_pages._unseal(s, {**sealed, "sealed": sealed["sealed"][:-4] + "AAAA"}) is None
            monkeypatch.setattr(time, "time", lambda: T0.timestamp() + 10**10)  # long after it was sealed
            assert admin_pages._unseal(s, sealed) is None
