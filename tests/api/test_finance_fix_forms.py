"""A refused finance form comes back open with what was typed in it (one mechanism for every form:
`web.forms.keep_form` after the refusal, `kept_form` in the templates), for that one next page only."""
import html as html_lib
from random import Random
import re
from io import BytesIO

import pytest

from tests.api.test_finance_pages import (DAY, csrf, line_json, logged_in, paid_vnd, post, refund_awaiting_approval,
                                         unmatched_line)
from tests.api.test_finance_pages import people  # noqa: F401 (fixture)
from tests.factories import make_request, send_callback

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test

REASON = "Người nộp gọi điện xác nhận chuyển nhầm hồ sơ"


@pytest.fixture
def finance(app, people):  # noqa: F811 (people is the fixture)
    return logged_in(app, "ketoan")


def form_of(html: str, action: str) -> str:
    """The `<details>` (or bare form) holding the form posting to `action`, as rendered."""
    at = html.index(f'method="post" action="{action}"')
    start = max(html.rfind("<details", 0, at), html.rfind("<section", 0, at))
    return html[start:html.index("</form>", at)]


def test_a_refused_match_comes_back_open_with_the_codes_amounts_and_reason_typed(client, auth, finance):
    code, line = unmatched_line(client, auth)
    other_code, other = unmatched_line(client, auth, 40_000, "chuyen tien khac")
    back = f"/staff/finance/lines/{line['id']}"
    action = f"/staff/finance/lines/{line['id']}/match"
    html = post(finance, action, back=back, payment_code=[code, "HS1", ""], amount_vnd=["60.000", "40.000", ""],
                reason=REASON, expected_version=str(line["version"]))
    assert "Mã thanh toán không hợp lệ (HS1); vui lòng kiểm tra lại." in html and paid_vnd(client, code) == 0
    form = form_of(html, action)
    assert form.startswith("<details class=\"action\" open")
    assert f'value="{code}"' in form and 'value="HS1"' in form and 'value="60.000"' in form
    assert 'value="40.000"' in form and f'value="{html_lib.escape(REASON)}"' in form
    # the next visit is a fresh form again, and another line's form never got them
    again = finance.get(back).get_data(as_text=True)
    assert REASON not in again and 'value="60.000"' not in again
    other_page = post(finance, action, back=f"/staff/finance/lines/{other['id']}", payment_code=other_code,
                      reason=REASON)
    assert REASON not in other_page


@pytest.mark.parametrize("action", ["write-off", "refund"])
def test_a_refused_write_off_or_refund_keeps_its_amount_and_reason(client, auth, finance, action):
    _, line = unmatched_line(client, auth)
    path = f"/staff/finance/lines/{line['id']}/{action}"
    html = post(finance, path, back=f"/staff/finance/lines/{line['id']}", amount_vnd="12,5", reason=REASON)
    assert "Số tiền phải là số nguyên đồng" in html
    form = form_of(html, path)
    assert 'value="12,5"' in form and f'value="{html_lib.escape(REASON)}"' in form
    assert line_json(client, auth, line["id"])["resolutions"] == []


def test_a_refused_undo_keeps_its_reason(client, auth, finance):
    code, line = unmatched_line(client, auth)
    back = f"/staff/finance/lines/{line['id']}"
    post(finance, f"/staff/finance/lines/{line['id']}/match", back=back, payment_code=code, reason="gọi điện")
    [decision] = line_json(client, auth, line["id"])["resolutions"]
    path = f"/staff/finance/resolutions/{decision['id']}/undo"
    html = post(finance, path, back=back, reason=REASON + " " + "x" * 1000)
    assert "Lý do quá dài: tối đa 1000 ký tự." in html and paid_vnd(client, code) == 100_000
    form = form_of(html, path)
    assert form.startswith('<details class="action" open') and html_lib.escape(REASON) in form


def test_a_refused_acknowledge_keeps_its_reason_in_that_exceptions_form_only(client, auth, finance):
    _, line = unmatched_line(client, auth)
    back, ack = f"/staff/finance/exceptions?date={DAY}", f"/staff/finance/days/{DAY}/acknowledge"
    key = f"line:{line['id']}:unmatched_credit"
    html = post(finance, ack, back=back, key=f"{key}x", reason=REASON)
    assert "Không tìm thấy ngoại lệ này trong ngày." in html
    assert html_lib.escape(REASON) not in html  # typed for another key: not this exception's form
    html = post(finance, ack, back=back, key=key, reason="x" * 1001)
    assert "tối đa 1000 ký tự" in html
    form = form_of(html, ack)
    assert form.startswith('<details class="action" open') and 'value="' + "x" * 1001 + '"' in form


def test_a_refused_suspense_assignment_keeps_the_code_amount_and_reason(client, auth, finance):
    _, line = unmatched_line(client, auth)
    path = f"/staff/finance/suspense/{line['payment_id']}/assign"
    html = post(finance, path, back="/staff/finance/suspense", payment_code="HS12345678900", amount_vnd="50.000",
                reason=REASON)
    assert "Mã thanh toán không hợp lệ" in html
    form = form_of(html, path)
    assert 'value="HS12345678900"' in form and 'value="50.000"' in form
    assert f'value="{html_lib.escape(REASON)}"' in form


def test_a_refused_refund_request_keeps_the_amount_and_reason(client, auth, test_settings, finance):
    code = make_request(client, auth, ("Lệ phí", "charge", 300_000))
    send_callback(client, test_settings, "bank", code=code, amount=300_000)
    [payment] = client.get(f"/api/v1/payment-requests/{code}/payments", headers=auth("finance")).json["payments"]
    back = f"/staff/finance/refunds?q={payment['id']}"
    path = f"/staff/finance/payments/{payment['id']}/refunds"
    html = post(finance, path, back=back, amount_vnd="250.000", expected_refundable_vnd="300000", reason="  ")
    assert "Vui lòng điền đủ thông tin bắt buộc" in html
    assert 'value="250.000"' in form_of(html, path)


def test_a_refused_reject_and_executed_keep_what_was_typed(app, client, auth, test_settings, finance):
    awaiting = refund_awaiting_approval(client, auth, test_settings, finance)
    approver = logged_in(app, "duyet")
    path = f"/staff/finance/refunds/{awaiting['id']}/reject"
    html = post(approver, path, back="/staff/finance/refunds", reason="x" * 1001)
    assert "tối đa 1000 ký tự" in html and 'value="' + "x" * 1001 + '"' in form_of(html, path)
    approver.post(f"/staff/finance/refunds/{awaiting['id']}/approve", data={"csrf_token": csrf(approver)})
    path = f"/staff/finance/refunds/{awaiting['id']}/executed"
    html = post(finance, path, back="/staff/finance/refunds", bank_reference="FT2633" + "0" * 100)
    assert "tối đa 100 ký tự" in html and 'value="FT2633' in form_of(html, path)


def test_a_refused_statement_upload_keeps_the_format_profile_and_account(finance):
    token = csrf(finance, "/staff/finance/statements")
    r = finance.post("/staff/finance/statements", content_type="multipart/form-data", data={
        "csrf_token": token, "back": "/staff/finance/statements", "format": "csv", "profile": "vcb",
        "account_number": "0011004455667", "file": (BytesIO(b""), "")})
    html = finance.get(r.headers["Location"]).get_data(as_text=True)
    assert "Vui lòng chọn tệp sao kê." in html
    form = form_of(html, "/staff/finance/statements")
    assert re.search(r'<option value="csv" selected>', form) and re.search(r'<option value="vcb" selected>', form)
    assert 'value="0011004455667"' in form


def test_a_long_vietnamese_reason_is_kept_within_one_cookie(client, auth, finance):
    _, line = unmatched_line(client, auth)
    reason = ("Đã gọi điện cho người nộp; ông ấy xác nhận chuyển khoản nhầm hồ sơ, đề nghị hoàn trả. " * 12)[:1000]
    path = f"/staff/finance/lines/{line['id']}/write-off"
    r = finance.post(path, data={"csrf_token": csrf(finance), "back": f"/staff/finance/lines/{line['id']}",
                                 "amount_vnd": "abc", "reason": reason})
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert len(cookie) < 4000
    html = finance.get(r.headers["Location"]).get_data(as_text=True)
    assert html_lib.escape(reason.strip()) in form_of(html, path)


def test_a_reason_too_long_for_the_cookie_is_dropped_but_the_codes_are_kept(client, auth, finance):
    code, line = unmatched_line(client, auth)
    random = Random(7)  # a long text that hardly compresses (a page sends at most 1000 letters; a script may not)
    reason = "".join(chr(random.randrange(0x4E00, 0x9FFF)) for _ in range(1500))
    path = f"/staff/finance/lines/{line['id']}/match"
    html = post(finance, path, back=f"/staff/finance/lines/{line['id']}", payment_code=[code, "HS1"],
                amount_vnd=["60.000", "40.000"], reason=reason)
    form = form_of(html, path)
    assert "tối đa 1000 ký tự" in html and f'value="{code}"' in form and 'value="40.000"' in form
    assert reason[:20] not in form and form.startswith('<details class="action" open')
