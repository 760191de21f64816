"""VNPost 17 ("Đã chuyển hoàn cho người gửi") for a delivery before the postman took it out: the post sends
the order back without trying to hand it over (a return it approved, 15-16, or a result it collected from the
centre and brought back). Recorded and never applied, it left the shipment 'booked' or 'scheduled' for good:
planned again every day, a COD order's requests held for a postman who will never come, paid postage kept
for a delivery that did not happen. The delivery ends as one the courier cancelled: the citizen is told, the
postage is withdrawn (paid: an over-payment to refund), the requests released. After a failed attempt (the
result was out and is planned again) 17 is a return to the agency, as a second failure would be."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.db import unit_of_work
from payments.models import PaymentRequest
from postal.tracking import booking_succeeded
from tests.api.test_postal_fix_paid_cancel_sms import REFUND, paid_delivery
from tests.api.test_postal_fix_returned_while_out import sms_texts
from tests.api.test_postal_round2 import outbox, request_for
from tests.api.test_postal_round3 import cod_app, cod_delivery, event, shipment, webhook  # noqa: F401
from tests.postal_factories import make_booked_shipment



def the_17(shipment_seen: dict) -> tuple:
    [row] = [e for e in shipment_seen["events"] if e["event"] == "courier:17"]
    return row["applied"], row["from_status"], row["to_status"]


def test_a_paid_delivery_sent_back_before_it_went_out_is_cancelled_and_its_postage_refunded(
        client, auth, db, test_settings):
    created = paid_delivery(client, auth, db, test_settings)
    r = webhook(client, test_settings, event(created["id"], "B-17", 17, now_utc() - timedelta(minutes=5)))
    assert r.status_code == 200 and r.json["outcome"] == "applied", r.json
    seen = shipment(client, auth, created["id"])
    assert seen["status"] == "cancelled" and the_17(seen) == (True, "booked", "cancelled")
    postage = client.get(f"/api/v1/payment-requests/{created['postage_payment_code']}").json
    assert (postage["status"], postage["amount_vnd"], postage["paid_vnd"]) == ("overpaid", 0, 22000)  # to refund
    assert outbox(db, "courier.cancel") == []  # the courier ended the order itself
    assert sms_texts(db)[-1] == ("TT Phục vụ HCC: Bưu điện đã hủy đơn chuyển phát kết quả hồ sơ D-17. "
                                 f"Vui lòng nhận kết quả tại Trung tâm Phục vụ HCC. {REFUND}")


def test_a_scheduled_delivery_sent_back_is_cancelled_too(client, auth, db, test_settings):
    shipment_id = make_booked_shipment(db, test_settings, "D-17S", direction="delivery")
    at = now_utc() - timedelta(hours=1)
    assert webhook(client, test_settings, event(shipment_id, "S-2", 2, at)).json["outcome"] == "applied"
    assert webhook(client, test_settings, event(shipment_id, "S-17", 17, at + timedelta(minutes=30))
                   ).json["outcome"] == "applied"
    seen = shipment(client, auth, shipment_id)
    assert seen["status"] == "cancelled" and the_17(seen) == (True, "scheduled", "cancelled")
    # nothing was paid: the postage's request is cancelled, and the SMS promises no refund
    assert request_for(db, seen["postage_payment_code"])[0] == "cancelled"
    assert sms_texts(db)[-1] == ("TT Phục vụ HCC: Bưu điện đã hủy đơn chuyển phát kết quả hồ sơ D-17S. "
                                 "Vui lòng nhận kết quả tại Trung tâm Phục vụ HCC.")
    # the post says it has the result out after all: kept for people, the shipment stays cancelled
    assert webhook(client, test_settings, event(shipment_id, "S-9", 9, now_utc())).json["outcome"] == "recorded"
    listed = [e for e in shipment(client, auth, shipment_id)["events"] if e["event"] == "courier_conflict"]
    assert [e["data"]["kind"] for e in listed] == ["step_after_cancellation"]


def test_a_cod_delivery_sent_back_before_it_went_out_releases_its_requests(cod_app, auth, db):  # noqa: F811
    app, settings = cod_app
    client, shipment_id = cod_delivery(app, auth, db, settings)
    r = webhook(client, settings, event(shipment_id, "C-17", 17, now_utc() - timedelta(minutes=5)))
    assert r.json["outcome"] == "applied" and shipment(client, auth, shipment_id)["status"] == "cancelled"
    with db() as s:  # the fee is asked again with a deadline; the postage is asked no more
        held = [(r.status, r.amount_vnd, r.expires_at is not None) for r in
                s.execute(select(PaymentRequest).order_by(PaymentRequest.id)).scalars()]
    assert held == [("pending", 8000, True), ("cancelled", 22000, False)]


def test_a_delivery_sent_back_after_a_failed_attempt_is_returned_to_the_agency(client, auth, db, test_settings):
    shipment_id = make_booked_shipment(db, test_settings, "D-17F", direction="delivery")
    at = now_utc() - timedelta(days=6)
    for event_id, code, hours in (("F-9", 9, 0), ("F-11", 11, 1), ("F-2", 2, 24 * 4)):  # out, not home, planned again
        assert webhook(client, test_settings, event(shipment_id, event_id, code, at + timedelta(hours=hours))
                       ).json["outcome"] == "applied", event_id
    assert webhook(client, test_settings, event(shipment_id, "F-17", 17, now_utc() - timedelta(minutes=5))
                   ).json["outcome"] == "applied"
    seen = shipment(client, auth, shipment_id)
    assert seen["status"] == "returned_to_agency" and the_17(seen) == (True, "scheduled", "returned_to_agency")
    assert request_for(db, seen["postage_payment_code"])[0] == "pending"  # the post tried: its postage stands
    assert "đã được chuyển trả về cơ quan giải quyết" in sms_texts(db)[-1]


def test_17_cancels_only_a_delivery_the_post_never_tried_to_hand_over():
    from postal import states

    def target(current, failed_attempts=0):
        return states.courier_target(states.SENT_BACK, states.DELIVERY, current, failed_attempts)

    assert [target(s) for s in (states.REQUESTED, states.BOOKED, states.SCHEDULED)] == [states.CANCELLED] * 3
    assert target(states.SCHEDULED, failed_attempts=1) == states.RETURNED  # the retry's plan
    assert target(states.OUT_FOR_DELIVERY) == target(states.FAILED_ATTEMPT, 1) == states.RETURNED
    assert states.courier_target(states.SENT_BACK, states.PICKUP, states.BOOKED, 0) == states.CANCELLED


# --- the courier is not asked to cancel an order it ended itself ---------------------------------------

def test_a_delivery_the_post_sent_back_before_the_booking_reply_is_not_cancelled_with_the_courier(
        client, auth, db, test_settings):
    """17 (or 18) may overtake the booking reply: the order the courier ended needs no courier.cancel."""
    created = paid_delivery(client, auth, db, test_settings, code="D-17R", booked=False)
    sent_back = {**event(created["id"], "R-17", 17, now_utc() - timedelta(minutes=5)),
                 "reference": f"HCC-{created['id']}"}
    assert webhook(client, test_settings, sent_back).json["outcome"] == "applied"
    with unit_of_work(db) as s:
        booking_succeeded(s, shipment_id=created["id"], result={"tracking_number": sent_back["tracking_number"]},
                          settings=test_settings, now=now_utc())
    assert shipment(client, auth, created["id"])["status"] == "cancelled"
    assert outbox(db, "courier.cancel") == []


@pytest.mark.parametrize("hours_17", [2, 1], ids=["17 last", "17 in the same second as the failure"])
def test_a_poll_listing_the_history_newest_first_returns_a_delivery_the_post_tried_not_cancels_it(
        client, auth, db, test_settings, hours_17):
    """The poll's events are applied in the order they happened, however the courier lists them: a 17 read
    before the 9 and 11 it follows would cancel (and refund the postage of) a delivery the post took out. A
    17 written the same second as the failure before it is a tie: the courier's listing decides, read
    oldest first (reversed), not as listed."""
    from postal.tracking import apply_tracking
    from tests.api.test_postal_round3 import tracking

    created = paid_delivery(client, auth, db, test_settings, code=f"D-17-{hours_17}")
    at = now_utc() - timedelta(hours=3)
    history = [event(created["id"], f"P{hours_17}-{code}", code, at + timedelta(hours=hours))
               for code, hours in ((17, hours_17), (11, 1), (9, 0))]  # newest first
    with unit_of_work(db) as s:
        assert apply_tracking(s, result={"tracking_number": tracking(created["id"]), "events": history},
                              settings=test_settings, now=now_utc()) == {"applied": 3}
    seen = shipment(client, auth, created["id"])
    assert seen["status"] == "returned_to_agency" and the_17(seen) == (True, "failed_attempt", "returned_to_agency")
    postage = client.get(f"/api/v1/payment-requests/{created['postage_payment_code']}").json
    assert (postage["status"], postage["amount_vnd"]) == ("paid", 22000)  # the post tried: its postage stands
