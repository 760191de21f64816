"""A manual match that would put money on a request already paid (or overpay it) asks for an explicit
confirmation: 409 `confirmation_required` from the API unless `confirm_overpayment: true`, a warning with
a checkbox on the page (the typed values kept)."""
import html as html_lib

import pytest

from tests.api.test_finance_fix_forms import REASON, finance, form_of  # noqa: F401 (finance is a fixture)
from tests.api.test_finance_pages import line_json, paid_vnd, post, unmatched_line
from tests.api.test_finance_pages import people  # noqa: F401 (fixture)
from tests.factories import make_request, send_callback

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def paid_request_and_line(client, auth, test_settings, amount=100_000):
    code = make_request(client, auth, ("Lệ phí", "charge", amount))
    assert send_callback(client, test_settings, "bank", code=code, amount=amount).status_code == 200
    _, line = unmatched_line(client, auth, 50_000, "tien khong ro")
    return code, line


def match_api(client, auth, line_id, **body):
    return client.post(f"/api/v1/reconciliation/lines/{line_id}/match", headers=auth("finance"),
                       json={"reason": "người nộp xác nhận", **body})


def test_the_api_asks_for_a_confirmation_before_overpaying_a_paid_request(client, auth, test_settings):
    code, line = paid_request_and_line(client, auth, test_settings)
    r = match_api(client, auth, line["id"], allocations=[{"payment_code": code, "amount_vnd": None}])
    assert r.status_code == 409 and r.json["code"] == "confirmation_required", r.json
    details = r.json["details"]
    assert (details["payment_code"], details["status"], details["outstanding_vnd"], details["overpayment_vnd"]) == \
        (code, "paid", 0, 50_000)
    assert paid_vnd(client, code) == 100_000 and line_json(client, auth, line["id"])["resolutions"] == []
    bad = match_api(client, auth, line["id"], payment_code=code, confirm_overpayment="yes")
    assert bad.status_code == 400 and bad.json["code"] == "invalid_parameter"
    ok = match_api(client, auth, line["id"], payment_code=code, confirm_overpayment=True,
                   confirmed_outstanding_vnd={code: 0})
    assert ok.status_code == 201, ok.json
    assert client.get(f"/api/v1/payment-requests/{code}").json["status"] == "overpaid"


def test_a_match_that_would_overpay_a_partly_paid_request_asks_too_but_an_exact_one_does_not(
        client, auth, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    send_callback(client, test_settings, "bank", code=code, amount=70_000)
    _, line = unmatched_line(client, auth, 50_000, "tien khong ro")
    r = match_api(client, auth, line["id"], payment_code=code)
    assert r.status_code == 409 and r.json["details"]["outstanding_vnd"] == 30_000
    assert (r.json["details"]["status"], r.json["details"]["overpayment_vnd"]) == ("partially_paid", 20_000)
    assert match_api(client, auth, line["id"], payment_code=code, amount_vnd=30_000).status_code == 201
    assert client.get(f"/api/v1/payment-requests/{code}").json["status"] == "paid"


def test_the_page_warns_in_vietnamese_keeps_the_values_and_matches_once_confirmed(client, auth, test_settings,
                                                                                 finance):
    code, line = paid_request_and_line(client, auth, test_settings)
    back = f"/staff/finance/lines/{line['id']}"
    action = f"/staff/finance/lines/{line['id']}/match"
    html = post(finance, action, back=back, payment_code=code, amount_vnd="50.000", reason=REASON,
                expected_version=str(line["version"]))
    assert f"Hồ sơ {code} còn nợ 0 ₫: khớp 50.000 ₫ sẽ nộp thừa 50.000 ₫" in html
    form = form_of(html, action)
    assert 'name="confirm_overpayment"' in form and f'value="{code}"' in form and 'value="50.000"' in form
    assert f'value="{html_lib.escape(REASON)}"' in form and paid_vnd(client, code) == 100_000
    assert 'name="confirm_overpayment"' not in finance.get(back).get_data(as_text=True)  # only when asked
    html = post(finance, action, back=back, payment_code=code, amount_vnd="50.000", reason=REASON,
                expected_version=str(line["version"]), confirm_overpayment="1", confirmed_code=code,
                confirmed_outstanding_vnd="0")
    assert "Đã khớp dòng sao kê." in html and paid_vnd(client, code) == 150_000
