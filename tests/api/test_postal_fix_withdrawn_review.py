"""A review of the withdrawn-postage fixes: a withdrawal that changes what a request asks without settling it
is announced too (a subscriber's copy of the amount and what is owed never goes stale); a citizen who still
owes is told by SMS what is no longer asked and what is left, and money to be given back is told once.
A 0 ₫ request whose card refund is withdrawn by a void ends cancelled, its ledger balanced."""
import pytest

from tests.api.test_postal_fix_withdrawn_postage_after import (delivery, events, part_paid_renewal, queued, summary,
                                                               texts)
from tests.api.test_postal_fix_withdrawn_postage_refund import credit
from tests.api.test_postal_round2 import cancel
from tests.api.test_void_after_refund import pos, refund, state
from tests.integration.test_announcements import subscribed  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def test_a_withdrawal_leaving_a_request_still_short_is_announced_with_what_it_now_owes(
        client, auth, db, test_settings, subscribed):
    renewed, shipment = part_paid_renewal(client, auth, db, test_settings, 5000)
    cancel(client, auth, shipment["id"])
    assert summary(client, renewed)[:4] == ("partially_paid", 8000, 5000, 3000)
    kind, data = events(db, renewed)[-1]
    assert kind == "payment_request.status_changed"
    assert (data["previous_status"], data["status"], data["amount_vnd"], data["outstanding_vnd"],
            data["withdrawn_vnd"]) == ("partially_paid", "partially_paid", 8000, 3000, 22000)
    assert texts(db, renewed)[-1] == (
        f"TT Phục vụ HCC: Thôi thu 22.000 ₫ cước bưu chính hồ sơ 000.00.12.H40-261125-0901 (mã {renewed}), còn phải "
        "nộp 3.000 ₫.")


def test_paid_postage_withdrawn_is_announced_and_its_refund_told_once(client, auth, db, test_settings, subscribed):
    shipment = delivery(client, auth, db, test_settings)
    postage = shipment["postage_payment_code"]
    credit(db, test_settings, postage, 22000, "POSTAGE-1")
    sent_before = len(queued(db, "sms"))
    cancel(client, auth, shipment["id"])
    kind, data = events(db, postage)[-1]
    assert (kind, data["previous_status"], data["status"], data["withdrawn_vnd"]) == (
        "payment_request.status_changed", "paid", "overpaid", 22000)
    [told] = [p["text"] for p in queued(db, "sms")[sent_before:]]  # the cancellation's, naming the refund
    assert "hoàn trả 22.000 ₫" in told and "Thôi thu" not in told


def test_part_paid_postage_withdrawn_tells_once_what_it_got_is_to_be_refunded(client, auth, db, test_settings):
    shipment = delivery(client, auth, db, test_settings)
    postage = shipment["postage_payment_code"]
    credit(db, test_settings, postage, 10000, "PART-1")
    sent_before = len(queued(db, "sms"))
    cancel(client, auth, shipment["id"])
    [told] = [p["text"] for p in queued(db, "sms")[sent_before:]]
    assert "hoàn trả 10.000 ₫" in told and "Thôi thu" not in told


def test_a_0_vnd_request_whose_card_refund_is_withdrawn_by_a_void_is_cancelled(
        client, auth, db, test_settings, acquirer):
    """Refunded at approval (0 asked, all of it on its way back), then the sale voided before the refund was
    sent: the refund fails (overpaid again) and the void takes the money off: cancelled, nothing held."""
    shipment = delivery(client, auth, db, test_settings)
    postage = shipment["postage_payment_code"]
    pos(client, test_settings, postage, 22000, transaction_id="S1", type="sale")
    cancel(client, auth, shipment["id"])
    [payment] = client.get(f"/api/v1/payment-requests/{postage}/payments", headers=auth("finance")).json["payments"]
    asked = refund(client, auth, payment["id"], 22000)
    assert summary(client, postage)[0] == "refunded"
    pos(client, test_settings, postage, 22000, transaction_id="V1", type="void", original_transaction_id="S1")
    assert state(client, auth, postage, asked["id"]) == ("cancelled", "reversed", "failed")
    assert summary(client, postage) == ("cancelled", 0, 0, 0, None)
