"""Pages never answer the API's English JSON: numbers in the address are bounded, a crash or a database
outage is a Vietnamese page with the request id for support, and every error page shows that id."""
import json
import logging
import re
from pathlib import Path

import pytest

from tests.api.test_finance_pages import logged_in, people  # noqa: F401 (fixture)
from tests.api.test_pages import PASSWORD, log_in, page_csrf
from tests.factories import make_request
from tests.recon_factories import upload, vcb_csv

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"


@pytest.fixture
def finance(app, people):  # noqa: F811
    return logged_in(app, "ketoan")


@pytest.fixture
def records():
    """What the service logs (hccpay.*), as the JSON lines production writes."""
    from kernel.logs import JSONFormatter

    lines: list[dict] = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(JSONFormatter().format(record)))

    handler, logger = Keep(), logging.getLogger("hccpay")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def request_id_shown(html: str) -> str:
    return re.search(r'<code id="request-id">([^<]+)</code>', html).group(1)


# --- numbers in a page's address ------------------------------------------------------------

@pytest.mark.parametrize("url", [f"/staff/finance/statements?import_id={2**70}",
                                 "/staff/finance/statements?import_id=x", f"/staff/finance/statements?offset={2**63}",
                                 "/staff/finance/statements?offset=-1", f"/staff/finance/exceptions?offset={2**64}"])
def test_a_number_out_of_range_in_a_finance_address_is_a_vietnamese_400_page_not_a_500(client, auth, finance, url):
    upload(client, auth, vcb_csv(("77.1", "", "100.000", "le phi")))
    r = finance.get(url)
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and r.content_type.startswith("text/html"), (url, r.status_code)
    assert "Giá trị trong đường dẫn không hợp lệ." in html


def test_an_import_that_cannot_exist_reads_not_found_and_a_good_one_still_shows(client, auth, finance):
    imported = upload(client, auth, vcb_csv(("77.1", "", "100.000", "le phi"))).json["import_id"]
    missing = finance.get(f"/staff/finance/statements?import_id={2**63 - 1}")
    assert missing.status_code == 404 and "Không tìm thấy lần nhập sao kê này." in missing.get_data(as_text=True)
    assert finance.get(f"/staff/finance/statements?import_id={imported}&offset=0").status_code == 200


@pytest.mark.parametrize("query", ["9" * 20, str(2**63), "0"])
def test_a_payment_number_no_key_can_hold_is_simply_not_found_on_the_refund_desk(finance, query):
    r = finance.get(f"/staff/finance/refunds?q={query}")
    assert r.status_code == 200 and "Không tìm thấy" in r.get_data(as_text=True)


# --- a crash or an unavailable database on a page ------------------------------------------

def test_the_pay_page_during_a_database_outage_is_a_vietnamese_503_page_with_the_request_id(test_settings, records):
    from api import create_app
    from payments.codes import new_code

    app = create_app(test_settings.with_overrides(database_url="sqlite:////nonexistent/dir/x.db"))
    try:
        client = app.test_client()
        r = client.get(f"/pay/{new_code()}", headers={"X-Request-Id": "outage-1"})
        html = r.get_data(as_text=True)
        assert r.status_code == 503 and r.content_type.startswith("text/html")
        assert "Chưa thể phục vụ lúc này" in html and "Hệ thống tạm thời gián đoạn" in html
        assert request_id_shown(html) == "outage-1" and "database" not in html
        [logged] = [line for line in records if line["message"] == "database unavailable"]
        assert logged["request_id"] == "outage-1" and logged["reason"] == "database_unavailable"
        english = client.get(f"/pay/{new_code()}?lang=en").get_data(as_text=True)
        assert "We cannot serve you right now" in english and "briefly unavailable" in english
        api = client.get(f"/api/v1/payment-requests/{new_code()}")  # the API still answers its JSON
        assert api.status_code == 503 and api.json["code"] == "database_unavailable"
        health = client.get("/healthz", headers={"X-Request-Id": "probe-7"})
        assert health.status_code == 503 and health.json["details"] == {"request_id": "probe-7"}
    finally:
        app.extensions["hccpay"].engine.dispose()


def test_an_unexpected_error_on_a_page_is_a_vietnamese_500_page_logged_with_its_request_id(app, client, records,
                                                                                           monkeypatch):
    import web.citizen

    def broken(*_, **__):
        raise RuntimeError("internal detail")

    monkeypatch.setattr(web.citizen, "render_template", broken)
    r = client.get("/", headers={"X-Request-Id": "crash-42"})
    html = r.get_data(as_text=True)
    assert r.status_code == 500 and r.content_type.startswith("text/html") and '<html lang="vi">' in html
    assert "<h1>Có lỗi xảy ra</h1>" in html and "Có lỗi ngoài ý muốn; vui lòng thử lại sau." in html
    assert request_id_shown(html) == "crash-42" and "internal detail" not in html
    [logged] = [line for line in records if line["message"] == "unexpected error"]
    assert logged["request_id"] == "crash-42"


# --- every error page shows the request id --------------------------------------------------

def test_refusal_pages_show_the_request_id_to_quote_to_support(client, finance):
    missing = client.get("/no-such-page", headers={"X-Request-Id": "lost-1"})
    assert missing.status_code == 404 and request_id_shown(missing.get_data(as_text=True)) == "lost-1"
    forbidden = finance.get("/staff/admin/", headers={"X-Request-Id": "no-2"})
    assert forbidden.status_code == 403 and request_id_shown(forbidden.get_data(as_text=True)) == "no-2"
    bad = finance.get("/staff/finance/statements?offset=x", headers={"X-Request-Id": "bad-3"})
    assert bad.status_code == 400 and request_id_shown(bad.get_data(as_text=True)) == "bad-3"
    english = client.get("/no-such-page?lang=en").get_data(as_text=True)
    assert "Request id (for support)" in english


def test_the_too_large_page_says_the_limit_once(app, finance):
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    r = finance.post("/staff/finance/suspense/1/assign", data={"reason": "x" * (3 * 1024 * 1024)},
                     headers={"X-Request-Id": "big-4"})
    html = r.get_data(as_text=True)
    assert r.status_code == 413 and "<h1>Tệp quá lớn</h1>" in html and html.count("Tệp quá lớn") == 2  # <title>, <h1>
    assert "Mỗi lần gửi tối đa 2 MB; vui lòng chọn tệp nhỏ hơn." in html and request_id_shown(html) == "big-4"


def test_the_statement_form_takes_files_up_to_the_statement_limit_not_the_apps(app, finance, test_settings):
    from io import BytesIO

    from tests.api.test_finance_pages import csrf

    assert test_settings.statement_max_bytes > 2 * 1024 * 1024
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024  # the form's own CSRF token is read from the same body
    r = finance.post("/staff/finance/statements", content_type="multipart/form-data", data={
        "csrf_token": csrf(finance, "/staff/finance/statements"), "back": "/staff/finance/statements",
        "file": (BytesIO(b"a,b,c\n" + b"1,2,3\n" * 400_000), "big.csv")})
    assert r.status_code == 303  # read (and refused as a statement it cannot parse), not a 413


# --- English pages, staff accounts ----------------------------------------------------------

def test_every_text_a_template_translates_has_its_english(app):
    from web import i18n

    literal = re.compile(r"""(["'])((?:(?!\1).)+?)\1\s*\|\s*t\b""")  # {{ "Lưu"|t }}
    either = re.compile(r'\(\s*"([^"]+)" if [^()]+? else "([^"]+)"\s*\)\s*\|\s*t\b')  # {{ ("A" if x else "B")|t }}
    missing = set()
    for path in TEMPLATES.rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        texts = [m.group(2) for m in literal.finditer(source)]
        texts += [text for m in either.finditer(source) for text in m.groups()]
        missing |= {(path.name, text) for text in texts if text not in i18n.EN}
    assert sorted(missing) == []


def test_the_pay_page_in_english_has_no_vietnamese_of_its_own(client, auth):
    code = make_request(client, auth)
    html = client.get(f"/pay/{code}?lang=en").get_data(as_text=True)
    assert 'aria-label="Navigation"' in html and 'alt="VietQR code to transfer' in html
    assert "Điều hướng" not in html and "Mã VietQR" not in html and "vào tài khoản" not in html


@pytest.fixture
def admin_client(app, db):
    from kernel.users import create_user
    from tests.conftest import T0

    with db() as s, s.begin():
        me = create_user(s, username="quantri", full_name="Vũ Văn Quản", roles=["admin"], password=PASSWORD, now=T0)
        other = create_user(s, username="quantri2", full_name="Hà Văn Hai", roles=["admin", "auditor"],
                            password=PASSWORD, now=T0)
        ids = me.id, other.id
    client = app.test_client()
    assert log_in(client, "quantri").status_code == 302
    return client, ids


def test_an_admin_cannot_deactivate_themselves_or_drop_their_own_admin_role_from_the_page(admin_client, db):
    from kernel.users import User

    client, (me, other) = admin_client
    token = page_csrf(client)
    for form in ({"active": "0"}, {"roles": ["auditor"]}):
        r = client.post(f"/staff/admin/users/{me}", data={"csrf_token": token, **form})
        assert r.status_code == 409 and "Bạn không thể tự khóa tài khoản của mình" in r.get_data(as_text=True)
    with db() as s:
        assert (s.get(User, me).active, s.get(User, me).roles) == (True, ["admin"])
    assert client.post(f"/staff/admin/users/{me}", data={"csrf_token": token, "roles": ["admin", "auditor"]}
                       ).status_code == 302  # adding a role to oneself is fine (it ends the session)
    assert log_in(client, "quantri").status_code == 302
    token = page_csrf(client)
    assert client.post(f"/staff/admin/users/{other}", data={"csrf_token": token, "active": "0",
                                                             "roles": ["auditor"]}).status_code == 302
    with db() as s:
        assert (s.get(User, other).active, s.get(User, other).roles) == (False, ["auditor"])


def test_the_users_api_refuses_self_demotion_for_a_logged_in_admin_but_not_for_a_systems_token(admin_client, auth):
    client, (me, _) = admin_client
    token = page_csrf(client)
    r = client.patch(f"/api/v1/admin/users/{me}", json={"active": False}, headers={"X-CSRF-Token": token})
    assert r.status_code == 409 and r.json["code"] == "cannot_demote_self"
    r = client.patch(f"/api/v1/admin/users/{me}", json={"roles": ["finance"]}, headers={"X-CSRF-Token": token})
    assert r.status_code == 409 and r.json["code"] == "cannot_demote_self"
    by_token = client.patch(f"/api/v1/admin/users/{me}", json={"roles": ["finance"]}, headers=auth("admin"))
    assert by_token.status_code == 200 and by_token.json["roles"] == ["finance"]


def test_a_lost_race_on_a_page_says_to_try_again_not_an_unexpected_error(finance, monkeypatch):
    """A PostgreSQL deadlock is a 409 concurrent_update on the API; on a page it is a sentence saying
    nothing was written and to do it again (it showed the crash page's 'unexpected error')."""
    from sqlalchemy.exc import OperationalError

    from reconciliation import resolutions

    class Deadlock(Exception):
        sqlstate = "40P01"

    def deadlocked(*args, **kwargs):
        raise OperationalError("UPDATE statement_lines ...", {}, Deadlock())

    monkeypatch.setattr(resolutions, "resolve_line", deadlocked)
    page = finance.get("/staff/finance/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    r = finance.post("/staff/finance/lines/1/ignore", data={"csrf_token": token, "reason": "thử"})
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and "Có thay đổi khác cùng lúc" in html and "ngoài ý muốn" not in html
