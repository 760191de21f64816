"""The suspense desk asks before it overpays, as a statement line's match does: money assigned onto a request
already paid, or beyond what it owes, is refused 409 `confirmation_required` (API) or warned about with a
checkbox (page) unless `confirm_overpayment` — for money of a statement line and for any other money in
suspense alike. Before, the desk overpaid without asking."""
import html as html_lib

import pytest

from tests.api.test_finance_fix_forms import REASON, finance, form_of  # noqa: F401 (finance is a fixture)
from tests.api.test_finance_fix_overpayment_confirm import paid_request_and_line
from tests.api.test_finance_pages import line_json, paid_vnd, post
from tests.api.test_finance_pages import people  # noqa: F401 (fixture)
from tests.factories import make_request, send_callback

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def paid_request(client, auth, test_settings, amount=100_000):
    code = make_request(client, auth, ("Lệ phí", "charge", amount))
    assert send_callback(client, test_settings, "bank", code=code, amount=amount).status_code == 200
    return code


def money_for_a_cancelled_request(client, auth, test_settings, amount=100_000) -> int:
    """Money in suspense that no statement line holds: a transfer to a request cancelled meanwhile."""
    cancelled = make_request(client, auth, ("Lệ phí", "charge", amount))
    client.post(f"/api/v1/payment-requests/{cancelled}/cancel", json={"reason": "rút hồ sơ"}, headers=auth("intake"))
    send_callback(client, test_settings, "bank", code=cancelled, amount=amount)
    [waiting] = client.get("/api/v1/finance/suspense", headers=auth("finance")).json["payments"]
    return waiting["id"]


def assign_api(client, auth, payment_id, **body):
    return client.post(f"/api/v1/finance/suspense/{payment_id}/assign", headers=auth("finance"),
                       json={"reason": "người nộp xác nhận", **body})


def in_suspense(client, auth):
    return client.get("/api/v1/finance/suspense", headers=auth("finance")).json["total_vnd"]


def test_money_that_is_no_lines_is_not_put_on_a_paid_request_without_a_confirmation(client, auth, test_settings):
    payment_id = money_for_a_cancelled_request(client, auth, test_settings)
    code = paid_request(client, auth, test_settings)
    r = assign_api(client, auth, payment_id, payment_code=code)
    assert r.status_code == 409 and r.json["code"] == "confirmation_required", r.json
    assert r.json["details"] == {"payment_code": code, "status": "paid", "outstanding_vnd": 0,
                                 "amount_vnd": 100_000, "overpayment_vnd": 100_000, "outstanding_by_code": {code: 0},
                                 "overpayment_by_code": {code: 100_000}}
    assert paid_vnd(client, code) == 100_000 and in_suspense(client, auth) == 100_000
    for bad in ("yes", 1, "true"):
        refused = assign_api(client, auth, payment_id, payment_code=code, confirm_overpayment=bad)
        assert refused.status_code == 400 and refused.json["code"] == "invalid_parameter", bad
        assert refused.json["details"] == {"parameter": "confirm_overpayment"}
    ok = assign_api(client, auth, payment_id, payment_code=code, confirm_overpayment=True,
                    confirmed_outstanding_vnd={code: 0})
    assert ok.status_code == 200, ok.json
    assert client.get(f"/api/v1/payment-requests/{code}").json["status"] == "overpaid"
    assert in_suspense(client, auth) == 0


def test_a_part_that_overpays_a_partly_paid_request_asks_but_what_it_owes_does_not(client, auth, test_settings):
    payment_id = money_for_a_cancelled_request(client, auth, test_settings)
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    send_callback(client, test_settings, "bank", code=code, amount=70_000)
    r = assign_api(client, auth, payment_id, payment_code=code, amount_vnd=50_000, confirm_overpayment=False)
    assert r.status_code == 409 and r.json["details"]["overpayment_vnd"] == 20_000
    assert (r.json["details"]["status"], r.json["details"]["outstanding_vnd"]) == ("partially_paid", 30_000)
    assert assign_api(client, auth, payment_id, payment_code=code, amount_vnd=30_000).status_code == 200
    assert client.get(f"/api/v1/payment-requests/{code}").json["status"] == "paid"
    assert in_suspense(client, auth) == 70_000


def test_a_statement_lines_money_assigned_from_the_desk_asks_as_its_match_does(client, auth, test_settings):
    code, line = paid_request_and_line(client, auth, test_settings)
    r = assign_api(client, auth, line["payment_id"], payment_code=code)
    assert r.status_code == 409 and r.json["code"] == "confirmation_required", r.json
    assert r.json["details"] == {"payment_code": code, "status": "paid", "outstanding_vnd": 0,
                                 "amount_vnd": 50_000, "overpayment_vnd": 50_000, "outstanding_by_code": {code: 0},
                                 "overpayment_by_code": {code: 50_000}}
    assert paid_vnd(client, code) == 100_000 and line_json(client, auth, line["id"])["resolutions"] == []
    assert assign_api(client, auth, line["payment_id"], payment_code=code,
                      confirm_overpayment="on").json["code"] == "invalid_parameter"
    ok = assign_api(client, auth, line["payment_id"], payment_code=code, confirm_overpayment=True,
                    confirmed_outstanding_vnd={code: 0})
    assert ok.status_code == 200, ok.json
    assert paid_vnd(client, code) == 150_000 and line_json(client, auth, line["id"])["status"] == "matched"


def test_the_suspense_page_warns_in_vietnamese_keeps_the_values_and_assigns_once_confirmed(
        client, auth, test_settings, finance):
    payment_id = money_for_a_cancelled_request(client, auth, test_settings)
    code = paid_request(client, auth, test_settings)
    back, action = "/staff/finance/suspense", f"/staff/finance/suspense/{payment_id}/assign"
    html = post(finance, action, back=back, payment_code=code, amount_vnd="40.000", reason=REASON,
                expected_unallocated_vnd="100000")
    assert f"Hồ sơ {code} còn nợ 0 ₫: khớp 40.000 ₫ sẽ nộp thừa 40.000 ₫" in html
    assert "Khớp như vậy sẽ làm hồ sơ bị nộp thừa" in html
    form = form_of(html, action)
    assert 'name="confirm_overpayment"' in form and f'value="{code}"' in form and 'value="40.000"' in form
    assert 'name="confirmed_outstanding_vnd" value="0"' in form  # what the request owed, sent with the box
    assert f'value="{html_lib.escape(REASON)}"' in form and paid_vnd(client, code) == 100_000
    assert 'name="confirm_overpayment"' not in finance.get(back).get_data(as_text=True)  # only when asked
    html = post(finance, action, back=back, payment_code=code, amount_vnd="40.000", reason=REASON,
                expected_unallocated_vnd="100000", confirm_overpayment="1", confirmed_code=code,
                confirmed_outstanding_vnd="0")
    assert "Đã gán tiền tạm treo cho hồ sơ." in html and paid_vnd(client, code) == 140_000
    assert in_suspense(client, auth) == 60_000


def test_a_statement_lines_money_on_the_suspense_page_asks_too(client, auth, test_settings, finance):
    code, line = paid_request_and_line(client, auth, test_settings)
    back, action = "/staff/finance/suspense", f"/staff/finance/suspense/{line['payment_id']}/assign"
    html = post(finance, action, back=back, payment_code=code, reason=REASON, expected_unallocated_vnd="50000")
    assert f"Hồ sơ {code} còn nợ 0 ₫: khớp 50.000 ₫ sẽ nộp thừa 50.000 ₫" in html
    assert 'name="confirm_overpayment"' in form_of(html, action) and paid_vnd(client, code) == 100_000
    html = post(finance, action, back=back, payment_code=code, reason=REASON, expected_unallocated_vnd="50000",
                confirm_overpayment="1", confirmed_code=code, confirmed_outstanding_vnd="0")
    assert "Đã gán tiền tạm treo cho hồ sơ." in html and paid_vnd(client, code) == 150_000
    assert line_json(client, auth, line["id"])["status"] == "matched"
