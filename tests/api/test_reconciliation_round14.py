"""Reconciliation, QA round 14: a statement that shows less than its callback claimed."""
import pytest

from tests.factories import assert_ledger_ok, make_request
from tests.recon_factories import all_lines, bank_callback, paid_vnd, resolve, undo, upload, vcb_csv

DAY = "2026-11-24"

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def queue(client, auth, state: str = "all") -> list[dict]:
    r = client.get(f"/api/v1/reconciliation/days/{DAY}/exceptions?state={state}", headers=auth("finance"))
    assert r.status_code == 200, r.json
    return r.json["exceptions"]


def statement_shows_less(client, auth, test_settings) -> tuple[str, dict]:
    """The callback credited 500,000 under FTX500; the statement shows FTX500 for 450,000."""
    code = make_request(client, auth, ("Lệ phí", "charge", 500_000))
    bank_callback(client, test_settings, "FTX500", 500_000, f"CK {code}")
    assert paid_vnd(client, code) == 500_000
    [line] = all_lines(client, auth, upload(client, auth, vcb_csv(("FTX500", "", "450.000", f"CK {code}"))).json[
        "import_id"])
    [differs] = [e for e in queue(client, auth) if e["severity"] == "blocking"]
    assert (differs["kind"], differs["amount_vnd"], differs["line_id"]) == ("amount_differs", 50_000, line["id"])
    return code, line


def test_money_the_statement_does_not_show_is_never_refunded(client, auth, db, test_settings):
    _, line = statement_shows_less(client, auth, test_settings)
    refused = resolve(client, auth, line["id"], "refund", reason="hoàn phần chênh lệch", amount_vnd=50_000)
    assert refused.status_code == 409 and refused.json["code"] == "statement_shows_less", refused.json
    assert refused.json["details"] == {"line_id": line["id"], "statement_vnd": 450_000, "callback_vnd": 500_000}
    # nor from the refund desk, by the payment
    payment_id = line["payment_id"]
    desk = client.post(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance"),
                       json={"amount_vnd": 50_000, "reason": "hoàn phần chênh lệch", "expected_refundable_vnd": 500_000})
    assert desk.status_code == 409 and desk.json["code"] == "statement_shows_less", desk.json
    [differs] = [e for e in queue(client, auth, "open") if e["severity"] == "blocking"]
    assert differs["kind"] == "amount_differs"
    assert_ledger_ok(db)


def test_the_payment_is_corrected_to_what_the_statement_shows(client, auth, db, test_settings):
    code, line = statement_shows_less(client, auth, test_settings)
    corrected = resolve(client, auth, line["id"], "correct-amount", reason="ngân hàng chỉ ghi có 450.000")
    assert corrected.status_code == 201, corrected.json
    data = corrected.json["resolution"]["data"]
    assert (data["amount_vnd"], data["from_vnd"], data["to_vnd"]) == (50_000, 500_000, 450_000)
    assert [(p["payment_code"], p["amount_vnd"]) for p in data["taken_back"]] == [(code, 50_000)]
    assert paid_vnd(client, code) == 450_000
    assert_ledger_ok(db)
    blocking = [(e["kind"], e["amount_vnd"]) for e in queue(client, auth, "open") if e["severity"] == "blocking"]
    assert blocking == [("under_payment", 50_000)]  # the citizen owes what the bank never received
    again = resolve(client, auth, line["id"], "correct-amount", reason="lần nữa")
    assert again.status_code == 409 and again.json["code"] == "nothing_to_correct", again.json
    # the refund desk may refund real money again (there is none over: nothing refundable beyond the fee)
    undone = undo(client, auth, corrected.json["resolution"]["id"])
    assert undone.status_code == 200, undone.json
    assert_ledger_ok(db)
    kinds = sorted(e["kind"] for e in queue(client, auth, "open") if e["severity"] == "blocking")
    assert kinds == ["amount_differs", "under_payment", "unmatched_credit"]  # the 50,000 waits in suspense


def test_the_exception_page_offers_the_correction_not_a_refund_of_the_difference(client, auth, db, test_settings, app):
    from kernel.users import create_user
    from tests.api.test_finance_pages import csrf, logged_in
    from tests.api.test_pages import PASSWORD
    from tests.conftest import T0

    with db() as s, s.begin():
        create_user(s, username="ketoan", full_name="Lê Thị Lan", roles=["finance"], password=PASSWORD, now=T0)
    finance = logged_in(app, "ketoan")
    code, line = statement_shows_less(client, auth, test_settings)
    html = finance.get(f"/staff/finance/exceptions?date={DAY}").get_data(as_text=True)
    path = f"/staff/finance/lines/{line['id']}/correct-amount"
    assert f'action="{path}"' in html and "Sửa số tiền theo sao kê" in html
    r = finance.post(path, data={"csrf_token": csrf(finance), "reason": "ngân hàng chỉ ghi có 450.000",
                                 "back": f"/staff/finance/exceptions?date={DAY}"})
    assert r.status_code == 303, r.get_data(as_text=True)[:500]
    assert "Đã sửa số tiền giao dịch theo sao kê." in finance.get(r.headers["Location"]).get_data(as_text=True)
    assert paid_vnd(client, code) == 450_000
    assert_ledger_ok(db)


def statement_shows_more(client, auth, test_settings) -> tuple[str, dict]:
    """The callback credited 450,000 under FTX450; the statement shows FTX450 for 500,000."""
    code = make_request(client, auth, ("Lệ phí", "charge", 450_000))
    bank_callback(client, test_settings, "FTX450", 450_000, f"CK {code}")
    [line] = all_lines(client, auth, upload(client, auth, vcb_csv(("FTX450", "", "500.000", f"CK {code}"))).json[
        "import_id"])
    [differs] = [e for e in queue(client, auth) if e["severity"] == "blocking"]
    assert (differs["kind"], differs["amount_vnd"], differs["line_id"]) == ("amount_differs", 50_000, line["id"])
    return code, line


def test_a_surplus_the_statement_shows_is_not_refunded_out_of_the_fee(client, auth, db, test_settings):
    """The 50,000 the bank received beyond the callback is in no book: refunding 50,000 would take it from the
    citizen's paid fee (the request would owe it again while the money sits on the account unbooked)."""
    code, line = statement_shows_more(client, auth, test_settings)
    refused = resolve(client, auth, line["id"], "refund", reason="hoàn phần nộp thừa", amount_vnd=50_000)
    assert refused.status_code == 409 and refused.json["code"] == "statement_shows_more", refused.json
    assert refused.json["details"] == {"line_id": line["id"], "statement_vnd": 500_000, "callback_vnd": 450_000}
    assert paid_vnd(client, code) == 450_000
    assert_ledger_ok(db)


def test_a_surplus_is_booked_into_suspense_by_the_correction_then_refunded_from_there(client, auth, db,
                                                                                   test_settings):
    code, line = statement_shows_more(client, auth, test_settings)
    corrected = resolve(client, auth, line["id"], "correct-amount", reason="ngân hàng ghi có 500.000")
    assert corrected.status_code == 201, corrected.json
    data = corrected.json["resolution"]["data"]
    assert (data["amount_vnd"], data["from_vnd"], data["to_vnd"], data["to_suspense_vnd"]) == \
        (50_000, 450_000, 500_000, 50_000)
    assert paid_vnd(client, code) == 450_000  # the fee stays paid
    assert_ledger_ok(db)
    blocking = [(e["kind"], e["amount_vnd"], e["details"].get("reason"))
                for e in queue(client, auth, "open") if e["severity"] == "blocking"]
    assert blocking == [("unmatched_credit", 50_000, "statement_surplus")]
    # the surplus leaves from suspense, the fee untouched
    refund = resolve(client, auth, line["id"], "refund", reason="hoàn phần nộp thừa")
    assert refund.status_code == 201 and refund.json["resolution"]["data"]["amount_vnd"] == 50_000, refund.json
    assert paid_vnd(client, code) == 450_000
    assert_ledger_ok(db)


def test_undoing_a_surplus_correction_waits_for_what_moved_the_surplus_and_takes_it_back_out_of_suspense(client, auth, db, test_settings):
    code, line = statement_shows_more(client, auth, test_settings)
    corrected = resolve(client, auth, line["id"], "correct-amount", reason="ngân hàng ghi có 500.000")
    assert corrected.status_code == 201, corrected.json
    other = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    moved = client.post(f"/api/v1/reconciliation/lines/{line['id']}/match", headers=auth("finance"),
                        json={"reason": "phần thừa nộp cho hồ sơ khác",
                              "allocations": [{"payment_code": other, "amount_vnd": 50_000}]})
    assert moved.status_code == 201, moved.json
    refused = undo(client, auth, corrected.json["resolution"]["id"])
    assert refused.status_code == 409 and refused.json["code"] == "not_latest_resolution", refused.json
    assert paid_vnd(client, other) == 50_000
    assert undo(client, auth, moved.json["resolution"]["id"]).status_code == 200
    undone = undo(client, auth, corrected.json["resolution"]["id"])
    assert undone.status_code == 200, undone.json
    assert [e["kind"] for e in queue(client, auth, "open") if e["severity"] == "blocking"] == ["amount_differs"]
    assert paid_vnd(client, code) == 450_000
    assert_ledger_ok(db)


def test_the_exception_page_acknowledges_the_amount_it_showed(client, auth, db, app):
    from kernel.users import create_user
    from tests.api.test_finance_pages import csrf, logged_in
    from tests.api.test_pages import PASSWORD
    from tests.conftest import T0

    with db() as s, s.begin():
        create_user(s, username="ketoan2", full_name="Lê Thị Lan", roles=["finance"], password=PASSWORD, now=T0)
    finance = logged_in(app, "ketoan2")
    upload(client, auth, vcb_csv(("5000.3", "", "25.000", "NOP PHI")))
    [waiting] = [e for e in queue(client, auth, "open") if e["severity"] == "blocking"]
    html = finance.get(f"/staff/finance/exceptions?date={DAY}").get_data(as_text=True)
    assert 'name="expected_amount_vnd" value="25000"' in html
    path = f"/staff/finance/days/{DAY}/acknowledge"
    back = f"/staff/finance/exceptions?date={DAY}"
    stale = finance.post(path, data={"csrf_token": csrf(finance), "key": waiting["key"], "reason": "chấp nhận",
                                     "expected_amount_vnd": "20000", "back": back})
    shown = finance.get(stale.headers["Location"]).get_data(as_text=True) if stale.status_code == 303 else \
        stale.get_data(as_text=True)
    assert "không phải 20.000" in shown, shown[:2000]
    assert waiting in queue(client, auth, "open")
    done = finance.post(path, data={"csrf_token": csrf(finance), "key": waiting["key"], "reason": "chấp nhận",
                                    "expected_amount_vnd": "25000", "back": back})
    assert done.status_code == 303 and waiting["key"] not in {e["key"] for e in queue(client, auth, "open")}


@pytest.mark.parametrize("version", ["1", 1.5, True, [1]])
def test_a_wrong_expected_version_names_the_parameter(client, auth, db, version):
    [line] = all_lines(client, auth, upload(client, auth, vcb_csv(("5000.4", "", "25.000", "NOP PHI"))).json[
        "import_id"])
    r = resolve(client, auth, line["id"], "write-off", reason="phí", expected_version=version)
    assert r.status_code == 400 and r.json["code"] == "invalid_parameter", r.json
    assert r.json["details"] == {"parameter": "expected_version"}
