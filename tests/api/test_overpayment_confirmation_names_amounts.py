"""A confirmed over-payment names what it confirms. The 409 `confirmation_required` carries what each
request of the call owes (`outstanding_by_code`); the confirmation sends it back
(`confirmed_outstanding_vnd`, with `confirm_overpayment: true`), and money that reached a request since is
refused again (409 `confirmation_stale`, with the fresh amounts) instead of overpaying by more than the
person saw. The audit record says what was confirmed; undoing an unmatch asks the same when the request
got paid meanwhile. Before, the bare boolean overpaid by whatever was owed at the time, the audit did not
note it, and the undo re-allocated without asking."""
import json

import pytest
from sqlalchemy import select

from kernel.audit import AuditEntry
from tests.api.test_finance_fix_forms import REASON, finance, form_of  # noqa: F401 (finance is a fixture)
from tests.api.test_finance_fix_overpayment_confirm import match_api
from tests.api.test_finance_pages import csrf, line_json, paid_vnd, post, unmatched_line
from tests.api.test_finance_pages import people  # noqa: F401 (fixture)
from tests.api.test_suspense_fix_overpayment_confirm import assign_api, money_for_a_cancelled_request
from tests.factories import make_request, send_callback

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def audited(db, action):
    with db() as s:
        return [json.loads(data) for data in s.execute(select(AuditEntry.data).where(
            AuditEntry.action == action).order_by(AuditEntry.id)).scalars()]


def owing(client, auth, test_settings, amount=100_000, paid=70_000):
    code = make_request(client, auth, ("Lệ phí", "charge", amount))
    assert send_callback(client, test_settings, "bank", code=code, amount=paid).status_code == 200
    return code


def test_a_match_confirmed_on_what_the_request_owed_is_refused_once_more_money_came(client, auth, db,
                                                                                    test_settings):
    code = owing(client, auth, test_settings)  # owes 30.000 ₫
    _, line = unmatched_line(client, auth, 50_000, "tien khong ro")
    asked = match_api(client, auth, line["id"], payment_code=code)
    assert asked.status_code == 409 and asked.json["details"]["outstanding_by_code"] == {code: 30_000}
    assert send_callback(client, test_settings, "bank", code=code, amount=20_000).status_code == 200  # meanwhile
    stale = match_api(client, auth, line["id"], payment_code=code, confirm_overpayment=True,
                      confirmed_outstanding_vnd={code: 30_000})
    assert stale.status_code == 409 and stale.json["code"] == "confirmation_stale", stale.json
    assert stale.json["details"]["outstanding_by_code"] == {code: 10_000}
    assert stale.json["details"]["overpayment_vnd"] == 40_000
    assert paid_vnd(client, code) == 90_000 and line_json(client, auth, line["id"])["resolutions"] == []
    ok = match_api(client, auth, line["id"], payment_code=code, confirm_overpayment=True,
                   confirmed_outstanding_vnd={code.lower(): 10_000})
    assert ok.status_code == 201, ok.json
    assert paid_vnd(client, code) == 140_000
    [record] = audited(db, "reconciliation.match")
    assert record["overpayment_confirmed"] == [{"payment_code": code, "outstanding_vnd": 10_000,
                                                "amount_vnd": 50_000, "overpayment_vnd": 40_000}]


def test_the_confirmation_must_name_the_amounts_and_only_of_the_calls_requests(client, auth, test_settings):
    code = owing(client, auth, test_settings)
    other = make_request(client, auth, ("Lệ phí", "charge", 10_000))
    _, line = unmatched_line(client, auth, 50_000, "tien khong ro")
    bare = match_api(client, auth, line["id"], payment_code=code, confirm_overpayment=True)
    assert bare.status_code == 400 and bare.json["code"] == "missing_field", bare.json
    assert bare.json["details"] == {"field": "confirmed_outstanding_vnd"}
    alone = match_api(client, auth, line["id"], payment_code=code, confirmed_outstanding_vnd={code: 30_000})
    assert alone.status_code == 400 and alone.json["details"] == {"field": "confirm_overpayment"}, alone.json
    for bad in ([30_000], 30_000, {code: "30000"}, {code: -1}, {code: True}, {"XX1": 0}, {other: 10_000}, {}):
        r = match_api(client, auth, line["id"], payment_code=code, confirm_overpayment=True,
                      confirmed_outstanding_vnd=bad)
        assert r.status_code == 400 and r.json["code"] == "invalid_parameter", (bad, r.json)
        assert r.json["details"] == {"parameter": "confirmed_outstanding_vnd"}
    assert paid_vnd(client, code) == 70_000 and line_json(client, auth, line["id"])["resolutions"] == []


def test_several_requests_of_one_match_are_confirmed_in_one_object(client, auth, db, test_settings):
    paid = owing(client, auth, test_settings, paid=100_000)
    pending = make_request(client, auth, ("Lệ phí", "charge", 30_000))
    _, line = unmatched_line(client, auth, 50_000, "tien khong ro")
    rows = [{"payment_code": pending, "amount_vnd": 30_000}, {"payment_code": paid, "amount_vnd": 20_000}]
    asked = match_api(client, auth, line["id"], allocations=rows)
    assert asked.status_code == 409 and asked.json["details"]["outstanding_by_code"] == {pending: 30_000, paid: 0}
    # money on the request that was not overpaid: the confirmation no longer describes the match either
    assert send_callback(client, test_settings, "bank", code=pending, amount=10_000).status_code == 200
    stale = match_api(client, auth, line["id"], allocations=rows, confirm_overpayment=True,
                      confirmed_outstanding_vnd=asked.json["details"]["outstanding_by_code"])
    assert stale.status_code == 409 and stale.json["code"] == "confirmation_stale", stale.json
    assert stale.json["details"]["outstanding_by_code"] == {pending: 20_000, paid: 0}
    ok = match_api(client, auth, line["id"], allocations=rows, confirm_overpayment=True,
                   confirmed_outstanding_vnd=stale.json["details"]["outstanding_by_code"])
    assert ok.status_code == 201, ok.json
    [record] = audited(db, "reconciliation.match")
    assert record["overpayment_confirmed"] == [
        {"payment_code": pending, "outstanding_vnd": 20_000, "amount_vnd": 30_000, "overpayment_vnd": 10_000},
        {"payment_code": paid, "outstanding_vnd": 0, "amount_vnd": 20_000, "overpayment_vnd": 20_000}]


def test_an_exact_match_notes_no_confirmation(client, auth, db):
    code, line = unmatched_line(client, auth, 50_000, "tien khong ro")
    assert match_api(client, auth, line["id"], payment_code=code).status_code == 201
    [record] = audited(db, "reconciliation.match")
    assert "overpayment_confirmed" not in record


def test_the_suspense_desk_refuses_a_stale_confirmation_and_audits_the_confirmed_one(client, auth, db,
                                                                                    test_settings):
    payment_id = money_for_a_cancelled_request(client, auth, test_settings)
    code = owing(client, auth, test_settings)
    asked = assign_api(client, auth, payment_id, payment_code=code, amount_vnd=50_000)
    assert asked.status_code == 409 and asked.json["details"]["outstanding_by_code"] == {code: 30_000}
    assert send_callback(client, test_settings, "bank", code=code, amount=10_000).status_code == 200
    bare = assign_api(client, auth, payment_id, payment_code=code, amount_vnd=50_000, confirm_overpayment=True)
    assert bare.status_code == 400 and bare.json["details"] == {"field": "confirmed_outstanding_vnd"}
    stale = assign_api(client, auth, payment_id, payment_code=code, amount_vnd=50_000, confirm_overpayment=True,
                       confirmed_outstanding_vnd={code: 30_000})
    assert stale.status_code == 409 and stale.json["code"] == "confirmation_stale", stale.json
    assert stale.json["details"]["outstanding_by_code"] == {code: 20_000} and paid_vnd(client, code) == 80_000
    ok = assign_api(client, auth, payment_id, payment_code=code, amount_vnd=50_000, confirm_overpayment=True,
                    confirmed_outstanding_vnd={code: 20_000})
    assert ok.status_code == 200, ok.json
    [record] = audited(db, "suspense.assign")
    assert record["overpayment_confirmed"] == [{"payment_code": code, "outstanding_vnd": 20_000,
                                                "amount_vnd": 50_000, "overpayment_vnd": 30_000}]


def unmatched_then_paid(client, auth, test_settings):
    """A line matched exactly, unmatched, and its request then paid by other money: the unmatch's id."""
    code, line = unmatched_line(client, auth, 100_000, "tien khong ro")
    assert match_api(client, auth, line["id"], payment_code=code).status_code == 201
    r = client.post(f"/api/v1/reconciliation/lines/{line['id']}/unmatch", headers=auth("finance"),
                    json={"reason": "khớp nhầm"})
    assert r.status_code == 201, r.json
    assert send_callback(client, test_settings, "bank", code=code, amount=100_000).status_code == 200
    return code, line, r.json["resolution"]["id"]


def undo_api(client, auth, resolution_id, **body):
    return client.post(f"/api/v1/reconciliation/resolutions/{resolution_id}/undo", headers=auth("finance"),
                       json={"reason": "bỏ khớp nhầm", **body})


def test_undoing_an_unmatch_onto_a_request_paid_meanwhile_asks_for_the_confirmation(client, auth, db,
                                                                                    test_settings):
    code, line, unmatch = unmatched_then_paid(client, auth, test_settings)
    asked = undo_api(client, auth, unmatch)
    assert asked.status_code == 409 and asked.json["code"] == "confirmation_required", asked.json
    assert asked.json["details"]["outstanding_by_code"] == {code: 0}
    assert paid_vnd(client, code) == 100_000 and line_json(client, auth, line["id"])["status"] == "unmatched"
    stale = undo_api(client, auth, unmatch, confirm_overpayment=True, confirmed_outstanding_vnd={code: 100_000})
    assert stale.status_code == 409 and stale.json["code"] == "confirmation_stale", stale.json
    ok = undo_api(client, auth, unmatch, confirm_overpayment=True, confirmed_outstanding_vnd={code: 0})
    assert ok.status_code in (200, 201), ok.json
    assert paid_vnd(client, code) == 200_000
    [record] = audited(db, "reconciliation.undo")
    assert record["overpayment_confirmed"] == [{"payment_code": code, "outstanding_vnd": 0,
                                                "amount_vnd": 100_000, "overpayment_vnd": 100_000}]


def test_undoing_an_unmatch_of_a_request_still_owing_does_not_ask(client, auth, test_settings):
    code, line = unmatched_line(client, auth, 100_000, "tien khong ro")
    assert match_api(client, auth, line["id"], payment_code=code).status_code == 201
    unmatch = client.post(f"/api/v1/reconciliation/lines/{line['id']}/unmatch", headers=auth("finance"),
                          json={"reason": "khớp nhầm"}).json["resolution"]["id"]
    assert undo_api(client, auth, unmatch).status_code in (200, 201)
    assert paid_vnd(client, code) == 100_000


def test_the_match_page_carries_the_amount_shown_and_refuses_it_once_stale(client, auth, test_settings, finance):
    code = owing(client, auth, test_settings)
    _, line = unmatched_line(client, auth, 50_000, "tien khong ro")
    back, action = f"/staff/finance/lines/{line['id']}", f"/staff/finance/lines/{line['id']}/match"
    fields = dict(back=back, payment_code=code, amount_vnd="", reason=REASON, expected_version=str(line["version"]))
    form = form_of(post(finance, action, **fields), action)
    assert f'name="confirmed_code" value="{code}"' in form
    assert 'name="confirmed_outstanding_vnd" value="30000"' in form
    assert send_callback(client, test_settings, "bank", code=code, amount=20_000).status_code == 200
    html = post(finance, action, **fields, confirm_overpayment="1", confirmed_code=code,
                confirmed_outstanding_vnd="30000")
    assert f"Hồ sơ {code} nay còn nợ 10.000 ₫, không phải 30.000 ₫" in html and paid_vnd(client, code) == 90_000
    form = form_of(html, action)
    assert 'name="confirm_overpayment"' in form and 'name="confirmed_outstanding_vnd" value="10000"' in form
    html = post(finance, action, **fields, confirm_overpayment="1", confirmed_code=code,
                confirmed_outstanding_vnd="10000")
    assert "Đã khớp dòng sao kê." in html and paid_vnd(client, code) == 140_000


def test_the_undo_form_asks_with_the_checkbox(client, auth, test_settings, finance):
    code, line, unmatch = unmatched_then_paid(client, auth, test_settings)
    back, action = f"/staff/finance/lines/{line['id']}", f"/staff/finance/resolutions/{unmatch}/undo"
    html = post(finance, action, back=back, reason=REASON)
    assert f"Hồ sơ {code} còn nợ 0 ₫: khớp 100.000 ₫ sẽ nộp thừa 100.000 ₫" in html
    form = form_of(html, action)
    assert 'name="confirm_overpayment"' in form and 'name="confirmed_outstanding_vnd" value="0"' in form
    assert paid_vnd(client, code) == 100_000
    html = post(finance, action, back=back, reason=REASON, confirm_overpayment="1", confirmed_code=code,
                confirmed_outstanding_vnd="0")
    assert "Đã hoàn tác quyết định." in html and paid_vnd(client, code) == 200_000


def test_a_request_not_overpaid_that_changed_does_not_make_the_confirmation_stale(client, auth, db, test_settings):
    # One match: `paid` is overpaid (confirmed), `pending` is not and stays not overpaid after other money
    # reaches it. The confirmation covers the over-payment it names: it goes through, and no sentence ever
    # says a request "sẽ nộp thừa 0 ₫".
    paid = owing(client, auth, test_settings, paid=100_000)
    pending = make_request(client, auth, ("Lệ phí", "charge", 30_000))
    _, line = unmatched_line(client, auth, 50_000, "tien khong ro")
    rows = [{"payment_code": pending, "amount_vnd": 20_000}, {"payment_code": paid, "amount_vnd": 30_000}]
    asked = match_api(client, auth, line["id"], allocations=rows)
    assert asked.status_code == 409 and asked.json["details"]["payment_code"] == paid, asked.json
    assert send_callback(client, test_settings, "bank", code=pending, amount=5_000).status_code == 200
    ok = match_api(client, auth, line["id"], allocations=rows, confirm_overpayment=True,
                   confirmed_outstanding_vnd=asked.json["details"]["outstanding_by_code"])
    assert ok.status_code == 201, ok.json
    [record] = audited(db, "reconciliation.match")
    assert record["overpayment_confirmed"] == [
        {"payment_code": paid, "outstanding_vnd": 0, "amount_vnd": 30_000, "overpayment_vnd": 30_000}]


def test_a_stale_confirmation_names_the_overpaid_request_that_changed(client, auth, test_settings):
    # Both requests changed; only `paid` is overpaid: the 409 speaks of it, never of the one not overpaid.
    paid = owing(client, auth, test_settings, paid=90_000)  # owes 10.000 ₫
    pending = make_request(client, auth, ("Lệ phí", "charge", 30_000))
    _, line = unmatched_line(client, auth, 50_000, "tien khong ro")
    rows = [{"payment_code": pending, "amount_vnd": 20_000}, {"payment_code": paid, "amount_vnd": 30_000}]
    asked = match_api(client, auth, line["id"], allocations=rows)
    assert asked.status_code == 409, asked.json
    for code in (pending, paid):
        assert send_callback(client, test_settings, "bank", code=code, amount=5_000).status_code == 200
    stale = match_api(client, auth, line["id"], allocations=rows, confirm_overpayment=True,
                      confirmed_outstanding_vnd=asked.json["details"]["outstanding_by_code"])
    assert stale.status_code == 409 and stale.json["code"] == "confirmation_stale", stale.json
    assert stale.json["details"]["payment_code"] == paid and stale.json["details"]["overpayment_vnd"] == 25_000


def test_a_confirmation_naming_one_code_twice_in_two_spellings_is_refused(client, auth, test_settings):
    code = owing(client, auth, test_settings)
    _, line = unmatched_line(client, auth, 50_000, "tien khong ro")
    r = match_api(client, auth, line["id"], payment_code=code, confirm_overpayment=True,
                  confirmed_outstanding_vnd={code.lower(): 0, f" {code} ": 30_000})
    assert r.status_code == 400 and r.json["details"] == {"parameter": "confirmed_outstanding_vnd"}, r.json
    for bad in ({code: 1.5}, {code: 10 ** 30}, {code: None}, {code: {"v": 1}}, {"x" * 5000: 1},
                {f"{code}{i}": 0 for i in range(60)}):
        r = match_api(client, auth, line["id"], payment_code=code, confirm_overpayment=True,
                      confirmed_outstanding_vnd=bad)
        assert r.status_code == 400 and r.json["code"] == "invalid_parameter", (bad, r.json)
    assert paid_vnd(client, code) == 70_000


def test_a_code_corrected_after_the_warning_goes_through_when_it_no_longer_overpays(client, auth, test_settings,
                                                                                   finance):
    # The warning's usual cause is a mistyped code: corrected, the box (required) ticked, the hidden amounts
    # still naming the wrong code. Nothing is overpaid any more: the match goes through.
    wrong = owing(client, auth, test_settings, paid=100_000)
    right, line = unmatched_line(client, auth, 50_000, "tien khong ro")
    back, action = f"/staff/finance/lines/{line['id']}", f"/staff/finance/lines/{line['id']}/match"
    fields = dict(back=back, amount_vnd="", reason=REASON, expected_version=str(line["version"]))
    form = form_of(post(finance, action, **fields, payment_code=wrong), action)
    assert f'name="confirmed_code" value="{wrong}"' in form
    html = post(finance, action, **fields, payment_code=right, confirm_overpayment="1", confirmed_code=wrong,
                confirmed_outstanding_vnd="0")
    assert "Đã khớp dòng sao kê." in html and paid_vnd(client, right) == 50_000 and paid_vnd(client, wrong) == 100_000


def test_a_code_corrected_onto_another_overpaid_request_is_told_in_vietnamese(client, auth, test_settings, finance):
    wrong = owing(client, auth, test_settings, paid=100_000)
    other = owing(client, auth, test_settings, paid=100_000)
    _, line = unmatched_line(client, auth, 50_000, "tien khong ro")
    back, action = f"/staff/finance/lines/{line['id']}", f"/staff/finance/lines/{line['id']}/match"
    fields = dict(back=back, amount_vnd="", reason=REASON, expected_version=str(line["version"]))
    post(finance, action, **fields, payment_code=wrong)
    html = post(finance, action, **fields, payment_code=other, confirm_overpayment="1", confirmed_code=wrong,
                confirmed_outstanding_vnd="0")
    assert "đường dẫn" not in html and "Mã hồ sơ đã đổi sau khi xác nhận nộp thừa" in html
    assert paid_vnd(client, other) == 100_000
    form = form_of(post(finance, action, **fields, payment_code=other), action)  # sent again: asked afresh
    assert f'name="confirmed_code" value="{other}"' in form and f"{other}: thừa 50.000 ₫" in form


def test_a_refused_form_keeps_in_the_cookie_only_the_amounts_the_confirmation_needs(client, auth, test_settings,
                                                                                    finance):
    from web.forms import KEPT
    code = owing(client, auth, test_settings)
    _, line = unmatched_line(client, auth, 50_000, "tien khong ro")
    action = f"/staff/finance/lines/{line['id']}/match"
    fields = dict(back=f"/staff/finance/lines/{line['id']}", amount_vnd="", reason=REASON,
                  expected_version=str(line["version"]))
    r = finance.post(action, data={"csrf_token": csrf(finance), **fields, "payment_code": code})
    assert r.status_code == 303
    with finance.session_transaction() as s:
        assert s[KEPT]["code"] == "confirmation_required"
        assert s[KEPT]["details"] == {"outstanding_by_code": {code: 30_000}, "overpayment_by_code": {code: 20_000}}
    r = finance.post(action, data={"csrf_token": csrf(finance), **fields, "payment_code": code, "amount_vnd": "60000"})
    with finance.session_transaction() as s:
        assert s[KEPT]["code"] == "amount_exceeds_unallocated" and s[KEPT]["details"] == {}


def test_the_page_names_every_request_the_match_overpays_beside_the_checkbox(client, auth, test_settings, finance):
    first = owing(client, auth, test_settings, paid=100_000)
    second = owing(client, auth, test_settings, paid=90_000)  # owes 10.000 ₫
    fine = make_request(client, auth, ("Lệ phí", "charge", 30_000))
    _, line = unmatched_line(client, auth, 60_000, "tien khong ro")
    back, action = f"/staff/finance/lines/{line['id']}", f"/staff/finance/lines/{line['id']}/match"
    form = form_of(post(finance, action, back=back, payment_code=[fine, first, second],
                        amount_vnd=["20000", "10000", "30000"], reason=REASON,
                        expected_version=str(line["version"])), action)
    assert f"{first}: thừa 10.000 ₫" in form and f"{second}: thừa 20.000 ₫" in form
    assert f"{fine}: thừa" not in form
    r = match_api(client, auth, line["id"], allocations=[{"payment_code": c, "amount_vnd": a} for c, a in
                                                          ((fine, 20_000), (first, 10_000), (second, 30_000))])
    assert r.json["details"]["overpayment_by_code"] == {first: 10_000, second: 20_000}
