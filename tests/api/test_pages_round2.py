"""Pages, second QA round: the error page never fails and always speaks Vietnamese (or English),
typed amounts are whole đồng, refused actions name their reason, raw codes never reach a page."""
import re

import pytest

from tests.api.test_finance_pages import DAY, PEOPLE, csrf, logged_in, paid_vnd, post, unmatched_line
from tests.api.test_pages import PASSWORD, log_in, login_csrf
from tests.api.test_refunds import paid
from tests.factories import make_request, send_callback


@pytest.fixture
def people(db):
    from kernel.users import create_user
    from tests.conftest import T0

    with db() as s, s.begin():
        for username, (full_name, roles) in {**PEOPLE, "quantri": ("Vũ Văn Quản", ["admin"])}.items():
            create_user(s, username=username, full_name=full_name, roles=roles, password=PASSWORD, now=T0)


@pytest.fixture
def finance(app, people):
    return logged_in(app, "ketoan")


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", " ", html, flags=re.S)))


# --- 1. login in two tabs, and a logged-in person using the login form ------------------------

def test_a_login_page_made_stale_by_another_tab_asks_again_in_vietnamese_instead_of_failing(client, people):
    tab_b = login_csrf(client)
    tab_a = login_csrf(client)  # the second tab replaces the login cookie
    assert client.post("/staff/login", data={"username": "ketoan", "password": PASSWORD,
                                             "csrf_token": tab_a}).status_code == 302
    r = client.post("/staff/login", data={"username": "ketoan", "password": PASSWORD, "csrf_token": tab_b})
    html = r.get_data(as_text=True)
    assert r.status_code == 403 and "Trang đăng nhập đã cũ" in html and 'name="password"' in html
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post("/staff/login", data={"username": "ketoan", "password": PASSWORD,
                                             "csrf_token": fresh}).status_code == 302


def test_a_logged_in_person_who_mistypes_the_password_on_the_login_form_is_told_so(client, people):
    assert log_in(client, "ketoan").status_code == 302
    page = client.get("/staff/login").get_data(as_text=True)
    form = page.split('action="/staff/login"', 1)[1]  # the page also has the logout form, with the session's token
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    r = client.post("/staff/login", data={"username": "ketoan", "password": "wrong", "csrf_token": token})
    assert r.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu." in r.get_data(as_text=True)
    assert client.get("/staff/finance/").status_code == 200  # the earlier session still works


def test_a_csrf_failure_on_a_staff_form_says_the_session_expired_in_the_visitors_language(finance):
    r = finance.post(f"/staff/finance/days/{DAY}/close", data={"back": "/staff/finance/"})
    html = r.get_data(as_text=True)
    assert r.status_code == 403 and "<h1>Phiên làm việc đã hết hạn</h1>" in html
    assert "vui lòng tải lại trang và thử lại" in html and "CSRF" not in html and "the form" not in html
    html = finance.post(f"/staff/finance/days/{DAY}/close?lang=en", data={}).get_data(as_text=True)
    assert "Your session has expired" in html and "reload the page" in html


def test_the_error_page_renders_even_when_the_staff_navigation_cannot_be_built(app, client, people, monkeypatch):
    import web

    def broken():
        raise RuntimeError("navigation down")

    log_in(client, "ketoan")
    monkeypatch.setattr(web, "staff_areas", broken)
    r = client.get("/staff/no-such-page")
    assert r.status_code == 404 and "Trang không tồn tại" in r.get_data(as_text=True)
    assert client.get("/staff/no-such-page?lang=en").get_data(as_text=True).count("Page not found") >= 1


# --- 10. the root and the way back from an error --------------------------------------------

def test_the_root_explains_how_to_find_a_pay_page_and_takes_a_payment_code(client, auth):
    r = client.get("/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "mã thanh toán" in html and 'href="/staff/login"' in html
    code = make_request(client, auth)
    r = client.get(f"/pay?code=%20{code.lower()}%20")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/pay/{code}")
    assert client.get("/pay?code=").headers["Location"].endswith("/")


def test_a_stale_api_token_is_an_anonymous_visitor_on_the_pages_and_refused_by_the_api(client, auth, finance):
    code = make_request(client, auth)
    stale = {"Authorization": "Bearer hccpay_revoked_or_mistyped"}
    for path in ("/", f"/pay/{code}", f"/pay/{code}/print", "/staff/login"):
        assert client.get(path, headers=stale).status_code == 200, path
    assert client.get("/staff/finance/", headers=stale).status_code == 302  # to the login form, as anonymous
    assert finance.get("/staff/finance/", headers=stale).status_code == 200  # the login session decides
    assert client.get("/staff/finance/", headers=auth("finance")).status_code == 200
    assert client.get("/api/v1/reconciliation/days/2026-03-02", headers=stale).json["code"] == "invalid_token"


def test_the_error_page_goes_back_to_the_area_it_came_from(finance):
    html = finance.get("/staff/finance/lines/999999").get_data(as_text=True)
    assert 'href="/staff/"' in html and 'href="/"' not in html.split("<main", 1)[1]
    assert 'href="/"' in finance.get("/pay/x/y/z").get_data(as_text=True)


# --- 2. typed amounts are whole đồng --------------------------------------------------------

@pytest.mark.parametrize("typed", ["1.5", "150.5", "1.50", "1,5"])
def test_a_fractional_amount_on_the_match_form_is_refused_not_read_as_other_dong(client, auth, finance, typed):
    code, line = unmatched_line(client, auth)
    html = post(finance, f"/staff/finance/lines/{line['id']}/match", payment_code=code, amount_vnd=typed,
                reason="gọi điện xác nhận")
    assert "Số tiền phải là số nguyên đồng" in html and paid_vnd(client, code) == 0


def test_a_fractional_refund_amount_is_refused(client, auth, test_settings, finance):
    _, payment_id = paid(client, auth, test_settings, 150_000)
    html = post(finance, f"/staff/finance/payments/{payment_id}/refunds", amount_vnd="1.5",
                expected_refundable_vnd="150000", reason="hồ sơ bị từ chối")
    assert "Số tiền phải là số nguyên đồng" in html
    assert client.get("/api/v1/refunds", headers=auth("finance")).json["refunds"] == []


# --- 6. every refusal a finance or admin page can meet has its sentence ---------------------------

SOURCES_OF_PAGE_ERRORS = ["reconciliation", "payments/refunds.py", "payments/suspense.py", "payments/credits.py",
                          "payments/cash_voids.py",
                          "payments/states.py", "payments/service.py", "payments/validation.py", "kernel/users.py",
                          "kernel/auth.py", "kernel/money.py", "kernel/clock.py", "web"]


def _codes_raised() -> set[str]:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    files = [p for source in SOURCES_OF_PAGE_ERRORS
             for p in ((root / source).rglob("*.py") if (root / source).is_dir() else [root / source])]
    # Codes are raised as `code="…"` and, by the statement readers, as `statement_error("…", …)`:
    # scanning only the first let seven upload refusals reach the page as their raw code.
    said = re.compile(r'(?:\bcode=|\bstatement_error\(\s*)"([a-z_0-9]+)"')
    return {code for path in files for code in said.findall(path.read_text(encoding="utf-8"))}


def test_every_error_code_a_finance_or_admin_page_can_meet_has_a_vietnamese_and_an_english_sentence():
    from web.finance_text import ERRORS

    raised = _codes_raised()
    assert {"line_has_allocations", "already_ignored", "day_not_over", "unknown_role"} <= raised  # the scan works
    assert {"missing_date", "not_camt053", "unknown_direction"} <= raised  # statement_error("…"), on any line
    assert sorted(raised - set(ERRORS)) == []
    for code, (vi, en) in ERRORS.items():
        assert vi != en and vi.strip() and en.strip(), code


@pytest.mark.parametrize("code,words", [
    ("line_has_allocations", "hãy bỏ khớp trước"), ("already_ignored", "đã được bỏ qua"),
    ("import_not_found", "lần nhập sao kê"), ("refund_executed", "không thể hoàn tác"),
    ("amount_exceeds_outstanding", "còn phải nộp"), ("reversal_amount_mismatch", "không khớp với giao dịch gốc")])
def test_refusals_read_as_vietnamese_sentences_not_codes(code, words):
    from web.finance_text import error_sentence

    sentence = error_sentence(code, {})
    assert words in sentence and code not in sentence


@pytest.mark.parametrize("code,details,vi,en", [
    ("ambiguous_header", {"header": ["Ngày", "Số tiền"]}, "tiêu đề", "header"),
    ("conflicting_reference", {"line_no": 7, "bank_ref": "FT123", "first_vnd": 20_000, "amount_vnd": 30_000},
     "FT123|dòng 7|20.000 ₫ và 30.000 ₫", "FT123|line 7|20.000 ₫ and 30.000 ₫"),
    ("amount_out_of_range", {"line_no": 4, "maximum": 10**12}, "Dòng 4", "ine 4"),
    ("empty_statement", None, "không có giao dịch", "no statement line"),
    ("invalid_text", {"line_no": 201, "field": "payer_name"}, "(tên người nộp, dòng 201)", "(payer's name, line 201)"),
    ("missing_date", {"line_no": 2}, "dòng 2", "line 2"),
    ("overlapping_sheets", {"line_no": 3}, "dòng 3", "line 3"),
    ("unknown_direction", {"line_no": 2, "marker": "XYZ"}, "dòng 2|“XYZ”", "line 2|“XYZ”")])
def test_a_refused_statement_says_why_with_the_line_it_names(code, details, vi, en):
    from web.finance_text import EN, error_sentence

    vietnamese, english = error_sentence(code, details), error_sentence(code, details, lambda t: EN.get(t, t))
    assert all(words in vietnamese for words in vi.split("|")), vietnamese
    assert all(words in english for words in en.split("|")), english
    assert code not in vietnamese and "{" not in vietnamese and "{" not in english and english != vietnamese
    bare = error_sentence(code, {})  # without its details the sentence still ends, no bracket left open
    assert bare.count("(") == bare.count(")") and bare.endswith(".") and "{" not in bare, bare


def test_an_upload_refused_on_the_statements_page_is_a_sentence_in_either_language(client, auth, finance):
    from io import BytesIO

    token = csrf(finance, "/staff/finance/statements")
    text = "Ngày GD,Số tiền,Nợ/Có,Nội dung\n24/11/2026,30000,C,a\n24/11/2026,80000,XYZ,fee\n".encode()
    for lang, words in (("vi", "(dòng 2): ký hiệu “XYZ”"), ("en", "(line 2): the mark “XYZ”")):
        refused = finance.post(f"/staff/finance/statements?lang={lang}", content_type="multipart/form-data", data={
            "csrf_token": token, "back": f"/staff/finance/statements?lang={lang}",
            "file": (BytesIO(text), "sao-ke.csv")})
        assert refused.status_code == 303
        page = text_of(finance.get(refused.headers["Location"]).get_data(as_text=True))
        assert words in page and "unknown_direction" not in page, page


def test_a_close_asked_twice_names_who_asked_by_their_name_not_their_audit_id(finance):
    assert "Đã đề nghị khóa sổ." in post(finance, f"/staff/finance/days/{DAY}/close")
    for lang, sentence in (("vi", "Ngày này đã được đề nghị khóa sổ (Lê Thị Lan); chờ người phê duyệt quyết định."),
                           ("en", "Closing this day was already asked (Lê Thị Lan); an approver decides.")):
        page = text_of(post(finance, f"/staff/finance/days/{DAY}/close?lang={lang}",
                            back=f"/staff/finance/?date={DAY}&lang={lang}"))
        assert sentence in page and "user:" not in page, page


def test_every_actor_an_error_names_reads_as_the_persons_name():
    from web.finance_text import error_sentence

    assert error_sentence("close_already_requested", {"requested_by": "token:21:kế toán"}) == \
        "Ngày này đã được đề nghị khóa sổ (kế toán); chờ người phê duyệt quyết định."
    # A system actor reads as the system, in words (reconciliation.reports.person_name), not its raw name.
    assert "(Hệ thống)" in error_sentence("close_already_requested", {"requested_by": "system"})


def test_a_missing_or_too_long_field_is_named_in_the_sentence():
    from web.finance_text import error_sentence

    assert error_sentence("missing_field", {"field": "amount_vnd"}) == "Vui lòng điền đủ thông tin bắt buộc: số tiền."
    assert error_sentence("missing_field", {}) == "Vui lòng điền đủ thông tin bắt buộc (lý do, mã hồ sơ…)."
    english = {"Vui lòng điền đủ thông tin bắt buộc: {field_name}.": "Please fill in the required field: {field_name}.",
               "lý do": "reason"}
    assert error_sentence("missing_field", {"field": "reason"}, lambda t: english.get(t, t)) == \
        "Please fill in the required field: reason."
    assert error_sentence("text_too_long", {"field": "reason", "max_len": 1000}) == "Lý do quá dài: tối đa 1000 ký tự."


# --- 3, 9. the pay page: refusals in words, refunded and overpaid requests explained ---------------

def pay_page(client, code, lang="vi"):
    return client.get(f"/pay/{code}?lang={lang}").get_data(as_text=True)


def checkout_sentences(html: str) -> dict:
    import html as entities
    import json

    return json.loads(entities.unescape(re.search(r"data-errors='([^']+)'", html).group(1)))


def test_the_card_button_knows_each_refusal_as_a_sentence_in_the_pages_language(client, auth):
    code = make_request(client, auth)
    vi, en = checkout_sentences(pay_page(client, code)), checkout_sentences(pay_page(client, code, "en"))
    assert vi["request_not_payable"].startswith("Yêu cầu thanh toán này không còn thanh toán được")
    assert vi["rate_limited"].startswith("Bạn thao tác quá nhanh") and vi[""].startswith("Không thực hiện được")
    assert en["request_not_payable"].startswith("This payment request can no longer be paid")
    assert en["rate_limited"].startswith("Too many attempts") and en[""].startswith("The action could not be done")


def test_a_fully_refunded_request_says_so_and_asks_for_nothing_but_keeps_its_receipt(client, auth, test_settings):
    from tests.api.test_refunds import paid, refund

    code, payment_id = paid(client, auth, test_settings, amount=150_000)
    ordered = refund(client, auth, payment_id, 150_000, 150_000)
    assert ordered.status_code == 201 and ordered.json["status"] == "transfer_ordered"
    html = pay_page(client, code)  # ordered, not yet paid out: under way, never said done
    assert 'class="badge badge-refunded">Đang hoàn tiền</span>' in html and "Khoản phí đang được hoàn trả" in html
    assert re.search(r'<p class="notice" data-status="refunding">', html)
    assert re.search(r'<p class="notice" data-status="refunded" hidden>', html)
    assert '<dt id="refunding-label">Đang hoàn trả</dt>' in html and '<dt id="refunded-label" hidden>' in html
    executed = client.post(f"/api/v1/refunds/{ordered.json['id']}/executed", json={"bank_reference": "FT9"},
                           headers=auth("finance"))
    assert executed.status_code == 200, executed.json
    html = pay_page(client, code)
    assert 'class="badge badge-refunded">Đã hoàn tiền</span>' in html and "Khoản phí đã được hoàn trả" in html
    assert re.search(r'<p class="notice" data-status="refunded">', html)
    assert '<dt id="outstanding-label" hidden>' in html and "qr.png" not in html
    assert re.search(rf'<a id="receipt-link" class="button" href="/pay/{code}/receipt.pdf" download>', html)
    assert "The fees were refunded to the payer" in pay_page(client, code, "en")


def test_an_overpaid_request_shows_the_excess_and_who_refunds_it(client, auth, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    send_callback(client, test_settings, "bank", code=code, amount=150_000)
    html = pay_page(client, code)
    assert 'Số tiền nộp thừa: <span id="overpaid-amount">50.000 ₫</span>. Trung tâm sẽ hoàn trả phần nộp thừa' in html
    assert re.search(r'<p class="notice warning" data-status="overpaid">', html)


def test_a_pending_request_has_no_receipt_and_the_receipt_link_says_why_in_vietnamese(client, auth):
    code = make_request(client, auth)
    assert re.search(r'<a id="receipt-link"[^>]* hidden>', pay_page(client, code))
    r = client.get(f"/pay/{code}/receipt.pdf")
    assert r.status_code == 404 and "Chưa có biên lai" in r.get_data(as_text=True)
    assert client.get("/pay/HS12345678900/receipt.pdf").status_code == 400


def test_the_receipt_link_of_a_paid_request_gives_the_pdf(client, auth, test_settings):
    code = make_request(client, auth)
    send_callback(client, test_settings, "bank", code=code, amount=100_000)
    r = client.get(f"/pay/{code}/receipt.pdf", follow_redirects=True)
    assert r.status_code == 200 and r.data[:5] == b"%PDF-"


# --- 4. the receipt's QR link, opened on a phone ---------------------------------------------

def receipt_check_path(db, settings) -> str:
    from sqlalchemy import select

    from payments.receipts import Receipt, verify_url

    with db() as s:
        receipt = s.execute(select(Receipt)).scalar_one()
        return verify_url(settings, receipt).removeprefix(settings.public_url)


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_the_receipt_check_link_is_a_vietnamese_page_for_a_browser_and_json_for_machines(
        client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 150_000))
    send_callback(client, test_settings, "bank", code=code, amount=150_000)
    path = receipt_check_path(db, test_settings)
    r = client.get(path, headers=BROWSER)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.mimetype == "text/html" and "<h1" in html and "Biên lai hợp lệ" in html
    assert '<dd id="receipt-amount">150.000 ₫</dd>' in html and code in html
    assert re.search(r'<dd id="receipt-issued">\d\d/\d\d/\d{4} \d\d:\d\d</dd>', html)
    machine = client.get(path)
    assert machine.status_code == 200 and machine.json["valid"] is True and machine.json["amount_vnd"] == 150_000
    bad = client.get(path[:-2] + "00", headers=BROWSER)
    assert bad.status_code == 404 and "Biên lai không hợp lệ" in bad.get_data(as_text=True)
    assert client.get(path[:-2] + "00").json["code"] == "receipt_not_found"
    assert "Receipt is genuine" in client.get(path + "&lang=en", headers=BROWSER).get_data(as_text=True)


def test_the_receipt_check_page_says_when_its_fees_were_refunded(client, auth, test_settings, db):
    from tests.api.test_refunds import paid, refund

    code, payment_id = paid(client, auth, test_settings, amount=150_000)
    asked = refund(client, auth, payment_id, 150_000, 150_000).json
    html = client.get(receipt_check_path(db, test_settings), headers=BROWSER).get_data(as_text=True)
    assert "đang được hoàn trả" in html and "Biên lai đã hủy" not in html  # approved, not paid out yet
    client.post(f"/api/v1/refunds/{asked['id']}/executed", json={"bank_reference": "FT26330001"},
                headers=auth("finance"))
    html = client.get(receipt_check_path(db, test_settings), headers=BROWSER).get_data(as_text=True)
    assert "Biên lai đã hủy (đã hoàn tiền)" in html and "không còn giá trị" in html


# --- 7. administration in words ----------------------------------------------------------------

def admin_post(client, path, **form):
    from tests.api.test_pages import page_csrf

    return client.post(path, data={"csrf_token": page_csrf(client), **form})


@pytest.mark.parametrize("form,sentence", [
    ({"username": "ke toan", "full_name": "A", "roles": "finance", "password": "x" * 12}, "Tên đăng nhập chỉ gồm"),
    ({"username": "ketoan", "full_name": "A", "roles": "finance", "password": "x" * 12}, "đã có người dùng"),
    ({"username": "moi", "full_name": "A", "roles": "boss", "password": "x" * 12}, "Vui lòng chọn vai trò hợp lệ"),
    ({"username": "moi", "full_name": "A", "roles": "finance", "password": "ngan"}, "Mật khẩu quá ngắn"),
    ({"username": "moi", "full_name": "Ă" * 201, "roles": "finance", "password": "x" * 12},
     "Họ tên tối đa 200 ký tự"),
])
def test_a_refused_admin_form_says_why_in_vietnamese(app, people, form, sentence):
    admin = logged_in(app, "quantri")
    r = admin_post(admin, "/staff/admin/users", **form)
    html = r.get_data(as_text=True)
    assert r.status_code in (400, 409) and sentence in html and "must" not in text_of(html)


def test_roles_read_as_vietnamese_names_on_the_admin_page(app, people):
    html = logged_in(app, "quantri").get("/staff/admin/").get_data(as_text=True)
    assert "Kế toán" in html and "Lãnh đạo phê duyệt" in html and '<option value="intake">Tiếp nhận hồ sơ' in html
    assert not re.search(r">\s*(intake|cashier|approver|auditor)\s*<", html)


def test_a_full_name_longer_than_200_characters_is_refused_not_cut(session):
    from kernel.errors import ValidationError
    from kernel.users import create_user
    from tests.conftest import T0

    with pytest.raises(ValidationError) as err:
        create_user(session, username="dai", full_name="A" * 201, roles=["finance"], password="x" * 12, now=T0)
    assert err.value.code == "invalid_full_name"
    assert create_user(session, username="vua", full_name="A" * 200, roles=["finance"], password="x" * 12,
                       now=T0).full_name == "A" * 200


# --- 7, 8. names instead of raw values on the finance pages and in the day report ----------------

def test_accounts_providers_formats_and_layouts_read_as_names(client, auth, finance):
    from web.finance_text import account_name

    assert account_name("bank:970436:0071001234567") == "Vietcombank 0071001234567"
    assert account_name("suspense") == "suspense" and account_name(None) == ""
    from tests.recon_factories import upload, vcb_csv

    assert upload(client, auth, vcb_csv(("77.1", "", "100.000", "chuyen tien"), closing="100.000")).status_code == 201
    overview = finance.get(f"/staff/finance/?date={DAY}").get_data(as_text=True)
    assert "Vietcombank 0071001234567" in overview and "bank:970436" not in overview
    suspense = text_of(finance.get("/staff/finance/suspense").get_data(as_text=True))
    assert "Nguồn Sao kê ngân hàng" in suspense and "(statement)" not in suspense
    statements = finance.get("/staff/finance/statements").get_data(as_text=True)
    assert '<option value="camt053">camt.053 (ISO 20022 XML)</option>' in statements
    assert '<option value="vcb">Vietcombank</option>' in statements and "<option>generic</option>" not in statements
    assert "Bank statement" in finance.get("/staff/finance/suspense?lang=en").get_data(as_text=True)


def test_the_day_report_names_providers_and_channels_as_the_pages_do(client, auth, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    send_callback(client, test_settings, "bank", code=code, amount=100_000)
    data = client.get(f"/api/v1/reconciliation/days/{business_day()}/report.csv", headers=auth("finance")).data
    text = data.decode("utf-8-sig")
    assert "Ngân hàng (thông báo),Chuyển khoản (VietQR),1,100000" in text.replace("\r", "")
    assert "bank,vietqr_transfer" not in text


def business_day() -> str:
    from kernel.clock import business_date, now_utc

    return business_date(now_utc()).isoformat()


# --- 11, 12. forms say exactly what is wrong -------------------------------------------------

def test_a_failed_upload_without_javascript_goes_back_to_the_upload_form(finance):
    import io

    r = finance.post("/staff/finance/statements", content_type="multipart/form-data",
                     data={"csrf_token": csrf(finance), "file": (io.BytesIO(b""), "rong.csv")})
    assert r.status_code == 303 and "/staff/finance/statements" in r.headers["Location"]
    assert "Tệp sao kê rỗng." in finance.get(r.headers["Location"]).get_data(as_text=True)


def test_a_reason_over_1000_characters_is_refused_with_its_limit(client, auth, finance):
    code, line = unmatched_line(client, auth)
    html = post(finance, f"/staff/finance/lines/{line['id']}/match", payment_code=code, reason="x" * 1001)
    assert "Lý do quá dài: tối đa 1000 ký tự." in html and paid_vnd(client, code) == 0


def test_an_empty_refund_amount_is_named(client, auth, test_settings, finance):
    _, payment_id = paid(client, auth, test_settings, 150_000)
    html = post(finance, f"/staff/finance/payments/{payment_id}/refunds", amount_vnd="",
                expected_refundable_vnd="150000", reason="hồ sơ bị từ chối")
    assert "Vui lòng điền đủ thông tin bắt buộc: số tiền." in html


def test_a_version_that_is_not_a_number_is_refused_not_skipped(client, auth, finance):
    code, line = unmatched_line(client, auth)
    html = post(finance, f"/staff/finance/lines/{line['id']}/match", payment_code=code, reason="gọi điện",
                expected_version="abc")
    assert "Trang đã cũ hoặc bị sửa" in html and paid_vnd(client, code) == 0


def test_a_refund_appears_with_a_different_id_in_each_table(client, auth, test_settings, finance):
    from tests.api.test_refunds import paid, refund

    _, payment_id = paid(client, auth, test_settings, amount=150_000)
    refund(client, auth, payment_id, 150_000, 150_000)
    html = finance.get(f"/staff/finance/refunds?q={payment_id}").get_data(as_text=True)
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)) and "recent-refund-1" in ids and "payment-refund-1" in ids


def test_the_vnpay_return_page_and_a_refunded_print_view_are_in_english_when_asked(client, auth, test_settings):
    from tests.api.test_refunds import paid, refund

    html = client.get("/pay/vnpay-return?lang=en&vnp_TxnRef=x&vnp_SecureHash=abc").get_data(as_text=True)
    assert "Online payment result" in html and "bad signature" in html and "Không xác thực" not in html
    code, payment_id = paid(client, auth, test_settings, amount=150_000)
    refund(client, auth, payment_id, 150_000, 150_000)
    assert "Còn lại" not in client.get(f"/pay/{code}/print").get_data(as_text=True)


def test_a_receipt_check_link_opened_by_a_logged_in_person_says_whether_its_refund_was_paid_out(
        client, auth, test_settings, db, finance):
    from sqlalchemy import select

    from payments.receipts import Receipt, verification_code
    from tests.api.test_refunds import refund

    code, payment_id = paid(client, auth, test_settings, amount=150_000)
    with db() as s:
        receipt = s.execute(select(Receipt)).scalar_one()
    url = f"/api/v1/receipts/{receipt.series}/{receipt.number_text}?code={verification_code(test_settings, receipt)}"

    def check_page() -> str:  # a staff member's browser: the page header looks up their login
        r = finance.get(url, headers={"Accept": "text/html"})
        assert r.status_code == 200 and r.mimetype == "text/html"
        return text_of(r.get_data(as_text=True))

    assert "Biên lai hợp lệ" in check_page()
    ordered = refund(client, auth, payment_id, 50_000, 150_000).json
    assert "Một phần khoản phí của biên lai này đang được hoàn trả cho người nộp: 50.000 ₫" in check_page()
    assert client.post(f"/api/v1/refunds/{ordered['id']}/executed", json={"bank_reference": "FT9"},
                       headers=auth("finance")).status_code == 200
    assert "Một phần khoản phí của biên lai này đã được hoàn trả cho người nộp: 50.000 ₫" in check_page()
    second = refund(client, auth, payment_id, 30_000, 100_000).json  # one paid back, one on its way
    page = check_page()
    assert "Một phần khoản phí của biên lai này đã được hoàn trả cho người nộp: 50.000 ₫" in page
    assert "Một phần khoản phí của biên lai này đang được hoàn trả cho người nộp: 30.000 ₫" in page
    pay_page_text = text_of(pay_page(client, code))
    assert "Đã hoàn trả 50.000 ₫" in pay_page_text and "Đang hoàn trả 30.000 ₫" in pay_page_text
    assert second["status"] == "transfer_ordered"
