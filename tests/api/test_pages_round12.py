"""Pages, twelfth QA round: staff forms read a payment code as people type it (bank memos group it: "HS 231
010732 19"), and a refused code is named in the sentence."""
import pytest

from tests.api.test_finance_pages import finance, line_json, logged_in, paid_vnd, people, post, unmatched_line  # noqa: F401
from tests.factories import make_request, send_callback

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def grouped(code: str, separator: str = " ") -> str:
    """A code as bank memos write it (`HS 231 010732 19`, `hs-231-010732-19`)."""
    return separator.join((code[:2], code[2:5], code[5:11], code[11:]))


def test_a_line_is_matched_to_a_code_typed_as_the_memo_groups_it(client, auth, finance):
    code, line = unmatched_line(client, auth)
    html = post(finance, f"/staff/finance/lines/{line['id']}/match", payment_code=f" {grouped(code)} ",
                reason="mã trong nội dung chuyển khoản")
    assert "Đã khớp dòng sao kê." in html and paid_vnd(client, code) == 100_000


def test_money_in_suspense_is_assigned_to_a_code_typed_in_lower_case_with_dashes(client, auth, finance):
    code, line = unmatched_line(client, auth)
    html = post(finance, f"/staff/finance/suspense/{line['payment_id']}/assign",
                payment_code=grouped(code, "-").lower(), reason="gọi điện xác nhận")
    assert "Đã gán tiền tạm treo cho hồ sơ." in html and paid_vnd(client, code) == 100_000


def test_the_refund_desk_finds_the_payments_of_a_code_typed_with_spaces(client, auth, test_settings, finance):
    code = make_request(client, auth, ("Lệ phí", "charge", 300_000))
    send_callback(client, test_settings, "bank", code=code, amount=300_000)
    html = finance.get("/staff/finance/refunds", query_string={"q": grouped(code)}).get_data(as_text=True)
    assert "Các khoản thu của hồ sơ" in html and "không hợp lệ" not in html


def test_a_mistyped_code_among_several_is_named_in_the_refusal(client, auth, finance):
    first = make_request(client, auth, ("Lệ phí", "charge", 30_000))
    _, line = unmatched_line(client, auth)
    wrong = first[:-1] + str((int(first[-1]) + 1) % 10)  # one digit mistyped: the check digits say so
    html = post(finance, f"/staff/finance/lines/{line['id']}/match", reason="hai hồ sơ",
                payment_code=[first, wrong], amount_vnd=["30000", "70000"])
    assert f"Mã thanh toán không hợp lệ ({wrong})" in html and paid_vnd(client, first) == 0


# --- the admin page: a reason longer than a reason may be is refused saying so, with its limit ---

@pytest.fixture
def admin(app, db):
    from kernel.users import create_user
    from tests.api.test_pages import PASSWORD
    from tests.conftest import T0

    with db() as s, s.begin():
        create_user(s, username="quantri", full_name="Vũ Văn Quản", roles=["admin"], password=PASSWORD, now=T0)
        create_user(s, username="ketoan", full_name="Lê Thị Lan", roles=["finance"], password=PASSWORD, now=T0)
    return logged_in(app, "quantri")


def test_a_users_change_with_a_reason_too_long_says_its_limit_and_changes_nothing(admin, db):
    from kernel.users import User
    from tests.api.test_pages import page_csrf

    r = admin.post("/staff/admin/users/2", data={"csrf_token": page_csrf(admin), "roles_listed": "1",
                                                  "roles": ["finance", "auditor"], "reason": "vì " * 600})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "Lý do quá dài: tối đa 1000 ký tự." in html, html[-1500:]
    with db() as s:
        assert s.get(User, 2).roles == ["finance"]


def test_a_token_revoked_with_a_reason_too_long_says_its_limit_and_stays_active(admin, tokens, db):
    from kernel.auth import ApiToken
    from tests.api.test_pages import page_csrf

    r = admin.post("/staff/admin/tokens/1/revoke", data={"csrf_token": page_csrf(admin), "reason": "x" * 1001})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "Lý do quá dài: tối đa 1000 ký tự." in html, html[-1500:]
    with db() as s:
        assert s.get(ApiToken, 1).revoked_at is None


# --- the pay page at an address typed with the code grouped, as the landing page's form already reads it ---

@pytest.mark.parametrize("suffix", ["", "/print"])
def test_the_pay_page_typed_with_the_code_grouped_goes_to_the_codes_page(client, auth, suffix):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    r = client.get(f"/pay/{grouped(code, '-').lower()}{suffix}?lang=en")
    assert r.status_code == 301 and r.headers["Location"] == f"/pay/{code}{suffix}?lang=en"
    assert client.get(r.headers["Location"]).status_code == 200


def test_a_grouped_code_that_is_no_code_is_still_said_to_be_invalid(client):
    r = client.get("/pay/HS-123-456")
    assert r.status_code == 400 and "Mã thanh toán không hợp lệ" in r.get_data(as_text=True)


# --- a list that shrank under the page shown: the last page, not "no lines" without a pager ---

def _unmatched_lines(client, auth, count: int) -> list[dict]:
    from tests.recon_factories import all_lines, upload, vcb_csv

    rows = [(f"88.{n}", "", "10.000", f"chuyen tien {n}") for n in range(count)]
    return all_lines(client, auth, upload(client, auth, vcb_csv(*rows)).json["import_id"])


def test_the_second_page_of_unmatched_lines_after_some_were_decided_shows_the_last_page(client, auth, finance):
    from tests.recon_factories import resolve

    lines = _unmatched_lines(client, auth, 52)
    for line in lines[:3]:  # decided on the second page: the filter now holds 49 lines, one page
        assert resolve(client, auth, line["id"], "write-off", reason="phí ngân hàng").status_code == 201
    html = finance.get("/staff/finance/statements?date=2026-11-24&status=unmatched&offset=50").get_data(as_text=True)
    assert "Chưa có dòng nào." not in html and html.count("chuyen tien") == 49


def test_an_offset_past_the_exception_queue_shows_its_last_page(client, auth, finance):
    _unmatched_lines(client, auth, 52)
    html = finance.get("/staff/finance/exceptions?date=2026-11-24&kind=unmatched_credit&offset=150").get_data(
        as_text=True)
    assert "51–52 / 52" in html and html.count("chuyen tien") == 2


# --- a mistyped or unknown code: the page that says so lets the citizen type it again ---

@pytest.mark.parametrize("typed, status", [("HS12345678900", 400), ("<b>HS1", 400)])
def test_the_page_for_a_wrong_code_offers_to_type_it_again(client, typed, status):
    from html import escape

    r = client.get(f"/pay/{typed}")
    html = r.get_data(as_text=True)
    assert r.status_code == status and "Mã thanh toán không hợp lệ" in html
    form = html[html.index('action="/pay"'):]
    assert 'name="code"' in form and f'value="{escape(typed)}"' in form and "Xem trang thanh toán" in form
    assert "<b>HS1" not in html


def test_the_page_for_an_unknown_code_offers_to_type_it_again(client):
    from payments.codes import new_code

    code = new_code()
    r = client.get(f"/pay/{code}")
    html = r.get_data(as_text=True)
    assert r.status_code == 404 and "Không tìm thấy mã thanh toán" in html and 'action="/pay"' in html


# --- an ISO 20022 XML holding no statement is refused, as an MT940 holding none is, not imported empty ---

@pytest.mark.parametrize("body", [
    b"<Document/>",
    b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>1</MsgId>'
    b"</GrpHdr></BkToCstmrStmt></Document>"])
def test_a_camt053_file_with_no_statement_is_refused_on_the_upload_page(finance, db, body):
    import io
    import re

    from reconciliation.models import StatementImport

    page = finance.get("/staff/finance/statements").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = finance.post("/staff/finance/statements", content_type="multipart/form-data",
                     data={"csrf_token": token, "file": (io.BytesIO(body), "sao-ke.xml")})
    html = finance.get(r.headers["Location"]).get_data(as_text=True)
    assert "Tệp camt.053 không có sao kê nào" in html and "Đã nhập sao kê." not in html
    with db() as s:
        assert s.query(StatementImport).count() == 0


def test_the_login_redirect_names_the_page_without_a_trailing_question_mark(client):
    """`request.full_path` ends with "?" even without a query: the login form's `next` read `/staff/finance/?`."""
    from urllib.parse import parse_qs, urlsplit

    r = client.get("/staff/finance/")
    assert r.status_code == 302
    assert parse_qs(urlsplit(r.headers["Location"]).query)["next"] == ["/staff/finance/"]
    r = client.get("/staff/finance/?date=2026-11-25")
    assert parse_qs(urlsplit(r.headers["Location"]).query)["next"] == ["/staff/finance/?date=2026-11-25"]
