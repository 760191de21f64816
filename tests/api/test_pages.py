"""Pages through the test client: the pay page, staff login with CSRF and lock-out, admin, headers, limits."""
import re

import pytest

from kernel.users import create_user
from tests.conftest import T0
from tests.factories import make_request, send_callback

PASSWORD = "correct-horse-battery"


@pytest.fixture
def staff_user(db):
    def make(username="ketoan", roles=("finance",)):
        with db() as s, s.begin():
            create_user(s, username=username, full_name="Lê Thị Lan", roles=list(roles), password=PASSWORD, now=T0)
        return username
    return make


def login_csrf(client) -> str:
    page = client.get("/staff/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def log_in(client, username, password=PASSWORD):
    token = login_csrf(client)
    return client.post("/staff/login", data={"username": username, "password": password, "csrf_token": token})


def page_csrf(client, path="/staff/admin/") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_the_pay_page_shows_the_dossier_fees_qr_and_bank_details_in_vietnamese(client, auth):
    code = make_request(client, auth, ("Lệ phí cấp giấy chứng nhận", "charge", 100_000))
    r = client.get(f"/pay/{code}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and '<html lang="vi">' in html
    for text in ("Thanh toán phí, lệ phí hồ sơ", "Lệ phí cấp giấy chứng nhận", "100.000 ₫", "Chờ thanh toán",
                 f"/api/v1/payment-requests/{code}/qr.png", "0071001234567", "TRUNG TAM PHUC VU HANH CHINH CONG",
                 "Vietcombank", "Sao chép", "Thanh toán bằng thẻ / ngân hàng điện tử", "N***** V** A*"):
        assert text in html, text
    assert "Nguyễn Văn An" not in html and "0912345678" not in html


def test_the_pay_page_in_english(client, auth):
    code = make_request(client, auth)
    html = client.get(f"/pay/{code}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html and "Awaiting payment" in html and "Pay by card / internet banking" in html


def test_a_paid_request_shows_thanks_and_the_receipt_instead_of_the_qr(client, auth, test_settings):
    code = make_request(client, auth)
    send_callback(client, test_settings, "bank", code=code, amount=100_000)
    html = client.get(f"/pay/{code}").get_data(as_text=True)
    assert "Đã thanh toán" in html and "Cảm ơn! Hồ sơ đã được thanh toán đủ." in html
    assert "qr.png" not in html and f"/pay/{code}/receipt.pdf" in html


def test_unknown_mistyped_and_cancelled_codes_get_clear_pages(client, auth):
    from payments.codes import new_code

    assert "Không tìm thấy mã thanh toán" in client.get(f"/pay/{new_code()}").get_data(as_text=True)
    bad = client.get("/pay/HS12345678900")
    assert bad.status_code == 400 and "Mã thanh toán không hợp lệ" in bad.get_data(as_text=True)
    code = make_request(client, auth)
    client.post(f"/api/v1/payment-requests/{code}/cancel", json={"reason": "rút"}, headers=auth("intake"))
    html = client.get(f"/pay/{code}").get_data(as_text=True)
    assert "Đã hủy" in html and "Không chuyển tiền cho mã này" in html and "qr.png" not in html


def test_the_print_view_has_a_large_qr(client, auth):
    code = make_request(client, auth)
    html = client.get(f"/pay/{code}/print").get_data(as_text=True)
    assert "qr.png?scale=14" in html and code in html


def test_pages_send_security_headers_without_inline_script(client, auth):
    code = make_request(client, auth)
    r = client.get(f"/pay/{code}")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in r.get_data(as_text=True)  # only <script src=...>
    assert "style=" not in r.get_data(as_text=True)


def test_login_sets_a_protected_session_cookie_and_logout_ends_it(client, staff_user):
    staff_user("quantri", ("admin",))
    r = log_in(client, "quantri")
    assert r.status_code == 302
    cookie = r.headers["Set-Cookie"]
    assert "hccpay_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/staff/admin/").status_code == 200
    token = page_csrf(client)
    assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/staff/admin/").status_code == 302  # back to the login page


def test_wrong_passwords_lock_the_account_for_a_while(client, staff_user):
    staff_user("ketoan")
    for _ in range(4):
        assert "Sai tên đăng nhập hoặc mật khẩu" in log_in(client, "ketoan", "wrong-password").get_data(as_text=True)
    locked = log_in(client, "ketoan", "wrong-password")
    assert locked.status_code == 401 and "tạm khóa" in locked.get_data(as_text=True)
    assert log_in(client, "ketoan").status_code == 401  # even the right password, while locked


def test_a_login_post_without_the_form_token_is_refused(client, staff_user):
    staff_user("ketoan")
    r = client.post("/staff/login", data={"username": "ketoan", "password": PASSWORD})
    assert r.status_code == 403


def test_csrf_less_and_anonymous_posts_are_refused(client, staff_user, db):
    r = client.post("/staff/admin/users", data={"username": "x", "full_name": "x", "password": "x" * 12})
    assert r.status_code == 401
    staff_user("quantri", ("admin",))
    log_in(client, "quantri")
    no_token = client.post("/staff/admin/users", data={"username": "moi", "full_name": "Mới", "roles": "finance",
                                                       "password": "x" * 12})
    assert no_token.status_code == 403
    api_without_token = client.post("/api/v1/admin/users", json={"username": "moi2", "full_name": "M",
                                                                 "roles": ["finance"], "password": "x" * 12})
    assert api_without_token.status_code == 403 and api_without_token.json["code"] == "csrf_failed"
    token = page_csrf(client)
    ok = client.post("/staff/admin/users", data={"username": "moi", "full_name": "Mới", "roles": "finance",
                                                 "password": "x" * 12, "csrf_token": token})
    assert ok.status_code == 302
    api_ok = client.post("/api/v1/admin/users", json={"username": "moi2", "full_name": "M", "roles": ["finance"],
                                                      "password": "x" * 12}, headers={"X-CSRF-Token": token})
    assert api_ok.status_code == 201


def test_the_admin_page_creates_users_and_tokens_and_only_admins_see_it(client, staff_user):
    staff_user("ketoan", ("finance",))
    log_in(client, "ketoan")
    assert client.get("/staff/admin/").status_code == 403
    client.delete_cookie("hccpay_session")
    staff_user("quantri", ("admin",))
    log_in(client, "quantri")
    token = page_csrf(client)
    created = client.post("/staff/admin/tokens", data={"name": "Cổng dịch vụ công", "role": "intake",
                                                       "csrf_token": token}, follow_redirects=True)
    assert created.status_code == 200 and [r.status_code for r in created.history] == [303]
    raw = re.search(r'id="new-token">([^<]+)<', created.get_data(as_text=True)).group(1)
    assert client.get("/api/v1/dossiers/X", headers={"Authorization": f"Bearer {raw}"}).status_code == 404


def test_public_lookups_are_rate_limited(test_settings, db, auth, tokens):
    from api import create_app

    app = create_app(test_settings.with_overrides(public_rate_limit="3/minute"))
    limited = app.test_client()
    answers = [limited.get("/pay/HS12345678900") for _ in range(5)]
    assert [r.status_code for r in answers] == [400, 400, 400, 429, 429]
    # Retry-After says when to come back: only on a refusal, not beside every answer
    assert [("Retry-After" in r.headers) for r in answers] == [False, False, False, True, True]
    assert all(r.headers["X-RateLimit-Limit"] == "3" for r in answers)
    assert limited.get("/healthz").status_code == 200  # not a public lookup: no limit
    app.extensions["hccpay"].engine.dispose()


def test_staff_pages_and_authenticated_api_answers_are_never_stored_by_a_browser_or_proxy(client, auth, staff_user):
    """They hold citizens' names, phones and ID numbers: the back button on a shared counter PC, or a
    proxy cache, must not show them to the next person. Public pages keep their own caching."""
    code = make_request(client, auth)
    assert client.get(f"/api/v1/payment-requests/{code}", headers=auth("finance")).headers["Cache-Control"] == "no-store"
    assert log_in(client, staff_user("ketoan")).status_code == 302
    assert client.get("/staff/finance/").headers["Cache-Control"] == "no-store"
    assert client.get("/staff/login").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get(f"/pay/{code}").headers.get("Cache-Control", "")


def test_api_answers_to_a_logged_in_person_are_never_stored_either(client, auth, staff_user):
    """The pages link to the API (receipts, reports, postal manifests with names, phones and addresses) and
    their JavaScript calls it with the session cookie, not Authorization: those answers are a person's too."""
    code = make_request(client, auth)
    assert log_in(client, staff_user("ketoan")).status_code == 302
    answer = client.get(f"/api/v1/payment-requests/{code}/events")  # staff only
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get(f"/api/v1/payment-requests/{code}").headers.get("Cache-Control", "")  # public
