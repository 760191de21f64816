"""Money round 9: a drawer's count that differs much from what it should hold is confirmed before it
is booked (a close cannot be undone); an executed refund reported again is answered once. After each
test the books balance."""
import json

import pytest
from sqlalchemy import select

from config import ConfigError, load_settings
from kernel.audit import AuditEntry
from payments.ledger import Accounts, balance
from tests.api.test_cash_void_page import DESK, csrf, logged_in, people, take  # noqa: F401 (people: fixture)
from tests.api.test_money_round5_refunds import other_cashier  # noqa: F401 (fixture)
from tests.api.test_money_round8 import ask_refund, close, drawers, paid_by_transfer, take_cash
from tests.factories import make_request

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def close_body(client, auth, drawer_id, body, headers=None):
    return client.post(f"/api/v1/cash/drawers/{drawer_id}/close", json=body, headers=headers or auth("cashier"))


# --- a mistyped count (an extra zero) is not booked without a confirmation -------------------------

def test_a_count_far_from_what_the_drawer_should_hold_asks_for_a_confirmation_and_books_nothing(client, auth, db):
    code = make_request(client, auth)
    assert take_cash(client, auth, code, 100_000).status_code == 201
    [drawer] = drawers(client, auth)
    r = close(client, auth, drawer["id"], 1_000_000)  # an extra zero
    assert r.status_code == 409 and r.json["code"] == "confirmation_required", r.json
    details = r.json["details"]
    assert (details["expected_vnd"], details["counted_vnd"], details["difference_vnd"]) == (100_000, 1_000_000, 900_000)
    assert details["parameter"] == "confirm_difference" and details["threshold_vnd"] == 500_000
    [still] = drawers(client, auth)
    assert still["closed_at"] is None and still["counted_vnd"] is None
    with db() as s:
        assert balance(s, Accounts.CASH_OVER_SHORT) == 0
    r = close(client, auth, drawer["id"], 100_000)  # counted again, typed right
    assert r.status_code == 200 and r.json["difference_vnd"] == 0


def test_a_difference_over_the_threshold_confirmed_is_booked(client, auth, db):
    code = make_request(client, auth)
    assert take_cash(client, auth, code, 100_000).status_code == 201
    [drawer] = drawers(client, auth)
    assert close(client, auth, drawer["id"], 700_001).json["code"] == "confirmation_required"
    r = close_body(client, auth, drawer["id"], {"counted_vnd": 700_001, "confirm_difference": True,
                                                 "confirmed_difference_vnd": 600_001})
    assert r.status_code == 200 and r.json["difference_vnd"] == 600_001, r.json
    with db() as s:
        assert balance(s, Accounts.CASH_OVER_SHORT) == -600_001
        audit = s.execute(select(AuditEntry.data).where(AuditEntry.action == "cash_drawer.close")).scalar_one()
        assert json.loads(audit)["confirmed_difference"] is True


def test_a_large_shortage_asks_for_the_confirmation_too(client, auth):
    code = make_request(client, auth, ("Lệ phí", "charge", 700_000))
    assert take_cash(client, auth, code, 700_000).status_code == 201
    [drawer] = drawers(client, auth)
    r = close(client, auth, drawer["id"], 70_000)  # a zero left out
    assert r.status_code == 409 and r.json["details"]["difference_vnd"] == -630_000
    assert close(client, auth, drawer["id"], 699_000).json["difference_vnd"] == -1_000


def test_a_difference_of_exactly_the_threshold_needs_no_confirmation(client, auth):
    code = make_request(client, auth)
    assert take_cash(client, auth, code, 100_000).status_code == 201
    [drawer] = drawers(client, auth)
    assert close(client, auth, drawer["id"], 600_000).status_code == 200


@pytest.mark.parametrize("value", ["yes", 1, "true"])
def test_confirm_difference_that_is_not_a_boolean_is_a_typed_400(client, auth, value):
    code = make_request(client, auth)
    assert take_cash(client, auth, code, 100_000).status_code == 201
    [drawer] = drawers(client, auth)
    r = close_body(client, auth, drawer["id"], {"counted_vnd": 5_000_000, "confirm_difference": value})
    assert r.status_code == 400 and r.json["code"] == "invalid_parameter"
    assert drawers(client, auth)[0]["closed_at"] is None


@pytest.mark.parametrize("counted", [10**12, 10**11, 10_000_000_001])
def test_an_absurd_count_is_a_400_even_confirmed(client, auth, db, counted):
    code = make_request(client, auth)
    assert take_cash(client, auth, code, 100_000).status_code == 201
    [drawer] = drawers(client, auth)
    r = close_body(client, auth, drawer["id"], {"counted_vnd": counted, "confirm_difference": True})
    assert r.status_code == 400 and r.json["code"] == "amount_out_of_range", r.json
    assert drawers(client, auth)[0]["closed_at"] is None


def test_the_threshold_is_configurable():
    with pytest.raises(ConfigError):
        load_settings({**_env(), "HCCPAY_CASH_COUNT_CONFIRM_VND": "-1"})
    assert load_settings({**_env(), "HCCPAY_CASH_COUNT_CONFIRM_VND": "1000000"}).cash_count_confirm_vnd == 1_000_000


def _env() -> dict:
    return {"HCCPAY_DEMO": "1"}


# --- the counter page closes the drawer and asks the same confirmation in Vietnamese -------------

def test_the_counter_page_closes_the_drawer_and_asks_to_confirm_a_large_difference(app, client, auth, people, db):
    cashier = logged_in(app, "thungan")
    take(cashier, client, auth, 100_000)
    [drawer] = drawers(client, auth)
    url = f"{DESK}drawers/{drawer['id']}/close"
    r = cashier.post(url, data={"csrf_token": csrf(cashier), "counted_vnd": "1000000"})
    assert r.status_code == 303
    html = cashier.get(DESK).get_data(as_text=True)
    assert "chênh lệch +900.000 ₫ so với số phải có trong ngăn kéo 100.000 ₫" in html  # said in Vietnamese
    assert 'name="confirm_difference"' in html and 'value="1000000"' in html  # the count kept, the box offered
    assert drawers(client, auth)[0]["closed_at"] is None
    r = cashier.post(url, data={"csrf_token": csrf(cashier), "counted_vnd": "1000000", "confirm_difference": "1",
                                "confirmed_difference_vnd": "900000"})
    assert r.status_code == 303
    html = cashier.get(DESK).get_data(as_text=True)
    assert '<dd id="counted">1.000.000 ₫</dd>' in html and '<dd id="difference">+900.000 ₫</dd>' in html



# --- an executed refund reported again is answered once ------------------------------------------

def executed(client, auth, refund_id, body, headers=None):
    return client.post(f"/api/v1/refunds/{refund_id}/executed", json=body, headers=headers or auth("finance"))


def executed_audit_rows(db, refund_id) -> int:
    with db() as s:
        return len(s.execute(select(AuditEntry.id).where(
            AuditEntry.action == "refund.executed", AuditEntry.subject_id == str(refund_id))).all())


def transfer_refund(client, auth, test_settings) -> int:
    _, payment_id = paid_by_transfer(client, auth, test_settings, 300_000)
    asked = ask_refund(client, auth, payment_id, 300_000, 300_000)
    assert asked.json["status"] == "transfer_ordered", asked.json
    return asked.json["id"]


def test_a_transfer_refund_reported_executed_again_is_answered_alike_and_audited_once(client, auth, test_settings, db):
    refund_id = transfer_refund(client, auth, test_settings)
    first = executed(client, auth, refund_id, {"bank_reference": "FT-R9-1"})
    assert first.status_code == 200 and first.json["status"] == "executed"
    again = executed(client, auth, refund_id, {"bank_reference": "FT-R9-1"})
    assert again.status_code == 200 and again.json == first.json
    assert executed_audit_rows(db, refund_id) == 1
    with db() as s:
        assert balance(s, Accounts.REFUNDS_PAYABLE) == 0


def test_an_executed_refund_reported_with_another_reference_is_a_typed_409(client, auth, test_settings, db):
    refund_id = transfer_refund(client, auth, test_settings)
    assert executed(client, auth, refund_id, {"bank_reference": "FT-R9-2"}).status_code == 200
    other = executed(client, auth, refund_id, {"bank_reference": "FT-R9-3"})
    assert other.status_code == 409 and other.json["code"] == "refund_reference_differs"
    assert other.json["details"]["reference"] == "FT-R9-2"
    assert executed_audit_rows(db, refund_id) == 1


def test_a_cash_refund_handed_over_reported_again_is_audited_once_and_with_a_reference_is_a_409(client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    payment = take_cash(client, auth, code, 100_000).json
    refund = client.post(f"/api/v1/payments/{payment['id']}/refunds", headers=auth("finance"),
                         json={"amount_vnd": 100_000, "expected_refundable_vnd": 100_000, "reason": "Thu nhầm"}).json
    assert refund["status"] == "cash_due"
    first = executed(client, auth, refund["id"], {}, headers=auth("cashier"))
    assert first.status_code == 200, first.json
    assert executed(client, auth, refund["id"], {}, headers=auth("cashier")).json == first.json
    other = executed(client, auth, refund["id"], {"bank_reference": "FT-R9-4"}, headers=auth("cashier"))
    assert other.status_code == 409 and other.json["code"] == "refund_reference_differs"
    assert executed_audit_rows(db, refund["id"]) == 1
    assert drawers(client, auth)[0]["balance_vnd"] == 0  # paid out once


@pytest.mark.parametrize("typed, sentence", [
    ("", "Vui lòng điền đủ thông tin bắt buộc: tiền mặt đếm được."),
    ("100000000000", "Số tiền nằm ngoài giới hạn cho phép."),  # an absurd count: refused, even confirmed
])
def test_the_counter_page_refuses_a_missing_or_absurd_count_in_vietnamese(app, client, auth, people, typed, sentence):
    cashier = logged_in(app, "thungan")
    take(cashier, client, auth, 100_000)
    [drawer] = drawers(client, auth)
    r = cashier.post(f"{DESK}drawers/{drawer['id']}/close",
                     data={"csrf_token": csrf(cashier), "counted_vnd": typed, "confirm_difference": "1"})
    assert r.status_code == 303
    assert sentence in cashier.get(DESK).get_data(as_text=True)
    assert drawers(client, auth)[0]["closed_at"] is None


def test_cash_handed_over_reported_again_by_another_cashier_is_a_409_naming_who_paid_it(client, auth, db,
                                                                                     other_cashier):
    """The cash left the first cashier's drawer: a second cashier told 200 would think their own handover
    recorded, and find their drawer over (or the citizen paid twice) only at the close."""
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    payment = take_cash(client, auth, code, 100_000).json
    refund = client.post(f"/api/v1/payments/{payment['id']}/refunds", headers=auth("finance"),
                         json={"amount_vnd": 100_000, "expected_refundable_vnd": 100_000, "reason": "Thu nhầm"}).json
    assert executed(client, auth, refund["id"], {}, headers=auth("cashier")).status_code == 200
    other = executed(client, auth, refund["id"], {}, headers=other_cashier)
    assert other.status_code == 409 and other.json["code"] == "refund_already_executed", other.json
    assert other.json["details"]["executed_at"] and other.json["details"]["executed_by"]
    assert executed_audit_rows(db, refund["id"]) == 1
