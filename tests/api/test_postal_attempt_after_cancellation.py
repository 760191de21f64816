"""A failed delivery attempt the post reports for a delivery we call cancelled (the courier's 17 or 18) was
recorded and listed nowhere: the postman may have visited the citizen for a delivery we cancelled (and whose
postage we withdrew), so the postal board lists it among the courier reports to check, with its reason."""
from datetime import timedelta

import pytest

from kernel.clock import now_utc
from tests.api.test_postal_round3 import event, shipment, webhook
from tests.api.test_postal_round5_cod import board_text, listed_for_people, staff_user  # noqa: F401
from tests.postal_factories import make_booked_shipment


@pytest.mark.parametrize("code", [17, 18])
def test_a_failed_attempt_reported_after_the_courier_cancelled_a_delivery_is_listed_for_staff(
        client, auth, db, test_settings, staff_user, code):
    shipment_id = make_booked_shipment(db, test_settings, f"D-FA{code}", direction="delivery")
    at = now_utc() - timedelta(minutes=30)
    assert webhook(client, test_settings, event(shipment_id, f"X-{code}", code, at)).json["outcome"] == "applied"
    assert shipment(client, auth, shipment_id)["status"] == "cancelled"
    not_home = event(shipment_id, f"X-11-{code}", 11, at + timedelta(minutes=10))
    assert webhook(client, test_settings, not_home).json["outcome"] == "recorded"  # nothing leaves cancelled
    assert webhook(client, test_settings, not_home).json["outcome"] == "duplicate"
    listed = listed_for_people(db, shipment_id)
    assert [(name, data["kind"], data["reason"], data["claimed"]["event_id"]) for name, _, data in listed] == [
        ("courier_conflict", "attempt_after_cancellation", "not_home", f"X-11-{code}")]
    assert ("Bưu điện báo giao không thành công (Người nhận vắng nhà; thông báo X-11-"
            f"{code}) cho đơn chuyển phát đã hủy") in board_text(client, staff_user)
    english = client.get("/staff/postal/?lang=en").get_data(as_text=True)
    assert f"The post reports a failed delivery (Recipient not at home; notification X-11-{code})" in english


def test_a_failure_older_than_the_cancelling_17_is_listed_too(client, auth, db, test_settings):
    """Written in the same second, or reported late: the 17 cancelled (and refunded) a delivery the post tried."""
    shipment_id = make_booked_shipment(db, test_settings, "D-FA-LATE", direction="delivery")
    at = now_utc() - timedelta(minutes=30)
    assert webhook(client, test_settings, event(shipment_id, "L-17", 17, at)).json["outcome"] == "applied"
    assert webhook(client, test_settings, event(shipment_id, "L-13", 13, at - timedelta(minutes=1))
                   ).json["outcome"] == "recorded"
    assert [data["reason"] for _, _, data in listed_for_people(db, shipment_id)] == ["refused"]


def test_a_failed_pickup_after_a_cancellation_is_not_listed(client, auth, db, test_settings):
    """A pickup's dossier stays with the citizen: a failed pickup moved nothing (as before)."""
    shipment_id = make_booked_shipment(db, test_settings, "P-FA")
    at = now_utc() - timedelta(minutes=30)
    assert webhook(client, test_settings, event(shipment_id, "P-18", 18, at)).json["outcome"] == "applied"
    assert webhook(client, test_settings, event(shipment_id, "P-4", 4, at + timedelta(minutes=5))
                   ).json["outcome"] == "recorded"
    assert listed_for_people(db, shipment_id) == []


def test_a_failure_recorded_before_the_cancellation_it_could_not_follow_is_listed_once_cancelled(
        client, auth, db, test_settings):
    """The 11 came before the booking reply (recorded, waiting to be applied in turn); the 18 that then ended the
    order cannot be followed by it: the failure the post reported is listed, as one arriving later would be."""
    from tests.api.test_postal_fix_paid_cancel_sms import paid_delivery

    created = paid_delivery(client, auth, db, test_settings, code="D-FA-EARLY", booked=False)
    at = now_utc() - timedelta(minutes=30)
    ref = {"reference": f"HCC-{created['id']}"}
    failed = {**event(created["id"], "E-11", 11, at), **ref}
    assert webhook(client, test_settings, failed).json["outcome"] == "recorded"  # before the booking reply
    cancelled = {**event(created["id"], "E-18", 18, at + timedelta(minutes=5)), **ref}
    assert webhook(client, test_settings, cancelled).json["outcome"] == "applied"
    assert shipment(client, auth, created["id"])["status"] == "cancelled"
    assert [(data["kind"], data["claimed"]["event_id"]) for _, _, data in listed_for_people(db, created["id"])] == [
        ("attempt_after_cancellation", "E-11")]
