"""Review of the overpayment confirmation (409 `confirmation_required`) and the kept forms: the edges the
first tests left out (a request that cannot take money, 1:N, undo, how the flag is read, escaping)."""
from datetime import datetime

import pytest
from markupsafe import escape

from payments import codes
from tests.api.test_closed_requests import cancelled, expired
from tests.api.test_finance_fix_forms import finance, form_of  # noqa: F401 (finance is a fixture)
from tests.api.test_finance_fix_overpayment_confirm import match_api, paid_request_and_line
from tests.api.test_finance_pages import csrf, line_json, paid_vnd, post, unmatched_line
from tests.api.test_finance_pages import people  # noqa: F401 (fixture)
from tests.factories import assert_ledger_ok, make_request

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test

BEFORE_THE_LINE = datetime.fromisoformat("2026-11-23T12:00:00+07:00")


def status_of(client, code):
    return client.get(f"/api/v1/payment-requests/{code}").json["status"]


@pytest.mark.parametrize("closed", ["cancelled", "expired"])
def test_a_request_that_cannot_take_money_gets_its_own_refusal_not_a_confirmation(client, auth, db, closed):
    # owes 123.456 ₫; expired before the line's day (24/11/2026): the bank booked its money too late
    code = cancelled(client, auth) if closed == "cancelled" else expired(client, auth, db, BEFORE_THE_LINE)
    _, line = unmatched_line(client, auth, 150_000, "tien khong ro")
    r = match_api(client, auth, line["id"], allocations=[{"payment_code": code, "amount_vnd": None}])
    assert r.status_code == 409 and r.json["code"] == "request_not_creditable", r.json
    assert line_json(client, auth, line["id"])["resolutions"] == []


def test_one_overpaid_request_of_a_1_to_n_match_stops_the_whole_match(client, auth, test_settings):
    paid_code, line = paid_request_and_line(client, auth, test_settings)  # the line holds 50.000 ₫
    pending = make_request(client, auth, ("Lệ phí", "charge", 30_000))
    r = match_api(client, auth, line["id"], allocations=[{"payment_code": pending, "amount_vnd": 30_000},
                                                         {"payment_code": paid_code, "amount_vnd": 20_000}])
    assert r.status_code == 409 and r.json["details"]["payment_code"] == paid_code, r.json
    assert (paid_vnd(client, pending), paid_vnd(client, paid_code)) == (0, 100_000)
    assert line_json(client, auth, line["id"])["resolutions"] == []


def test_the_whole_line_onto_a_request_owing_less_asks_and_names_the_excess(client, auth):
    code = make_request(client, auth, ("Lệ phí", "charge", 30_000))
    _, line = unmatched_line(client, auth, 50_000, "tien khong ro")
    r = match_api(client, auth, line["id"], payment_code=code)
    assert r.status_code == 409 and r.json["details"]["amount_vnd"] == 50_000
    assert (r.json["details"]["status"], r.json["details"]["overpayment_vnd"]) == ("pending", 20_000)


def test_undoing_a_confirmed_overpayment_gives_back_the_exact_state(client, auth, db, test_settings):
    code, line = paid_request_and_line(client, auth, test_settings)
    ok = match_api(client, auth, line["id"], payment_code=code, confirm_overpayment=True,
                   confirmed_outstanding_vnd={code: 0})
    assert ok.status_code == 201 and status_of(client, code) == "overpaid"
    [decision] = line_json(client, auth, line["id"])["resolutions"]
    undo = client.post(f"/api/v1/reconciliation/resolutions/{decision['id']}/undo", headers=auth("finance"),
                       json={"reason": "khớp nhầm"})
    assert undo.status_code in (200, 201), undo.json
    assert (paid_vnd(client, code), status_of(client, code)) == (100_000, "paid")
    assert line_json(client, auth, line["id"])["status"] == "unmatched"
    assert_ledger_ok(db)


@pytest.mark.parametrize("value", ["true", 1, 0, "1", [], {}])
def test_confirm_overpayment_is_a_json_boolean(client, auth, test_settings, value):
    code, line = paid_request_and_line(client, auth, test_settings)
    r = match_api(client, auth, line["id"], payment_code=code, confirm_overpayment=value)
    assert r.status_code == 400 and r.json["code"] == "invalid_parameter", r.json
    assert paid_vnd(client, code) == 100_000


def test_null_confirm_overpayment_is_not_a_confirmation(client, auth, test_settings):
    code, line = paid_request_and_line(client, auth, test_settings)
    r = match_api(client, auth, line["id"], payment_code=code, confirm_overpayment=None)
    assert r.status_code == 409 and r.json["code"] == "confirmation_required"


def test_a_kept_reason_and_code_are_escaped_back_into_the_form(client, auth, finance):
    _, line = unmatched_line(client, auth)
    action = f"/staff/finance/lines/{line['id']}/match"
    evil = '"><script>alert(1)</script>\' onfocus=\'x'
    html = post(finance, action, back=f"/staff/finance/lines/{line['id']}", payment_code=[evil], amount_vnd=[evil],
                reason=f"Lý do {evil}", expected_version=str(line["version"]))
    form = form_of(html, action)
    assert "<script>alert(1)" not in html and "onfocus='x" not in form
    assert str(escape(evil)) in form


def test_the_kept_form_holds_no_csrf_token(app, client, auth, finance):
    _, line = unmatched_line(client, auth)
    token = csrf(finance)
    r = finance.post(f"/staff/finance/lines/{line['id']}/ignore",
                     data={"csrf_token": token, "back": f"/staff/finance/lines/{line['id']}", "reason": "x" * 1001})
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith("session="))
    kept = app.session_interface.get_signing_serializer(app).loads(cookie.split(";")[0][len("session="):])
    assert kept["kept_form"]["fields"]["reason"] == ["x" * 1001] and "csrf_token" not in kept["kept_form"]["fields"]
    assert token not in str(kept)


@pytest.mark.parametrize("other", ["cancelled", "unknown"])
def test_a_1_to_n_match_that_cannot_be_done_says_why_before_asking_to_confirm_another_row(
        client, auth, test_settings, other):
    # Confirming would only meet the other row's refusal, and the checkbox is gone once it is fixed.
    paid_code, line = paid_request_and_line(client, auth, test_settings)
    other_code = cancelled(client, auth) if other == "cancelled" else codes.new_code()
    r = match_api(client, auth, line["id"], allocations=[{"payment_code": paid_code, "amount_vnd": 20_000},
                                                         {"payment_code": other_code, "amount_vnd": 30_000}])
    expected = {"cancelled": "request_not_creditable", "unknown": "payment_request_not_found"}[other]
    assert r.json["code"] == expected, r.json
    assert paid_vnd(client, paid_code) == 100_000 and line_json(client, auth, line["id"])["resolutions"] == []
