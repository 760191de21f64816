"""A handover after a failed attempt is not refused for being early (a citizen who comes to the
post office the next day gets the result); another attempt still waits for the retry date."""
from tests.postal_factories import ID_CHECK, make_booked_shipment


def outcome(client, auth, shipment_id, event, **body):
    return client.post(f"/api/v1/postal/shipments/{shipment_id}/events", json={"event": event, **body},
                       headers=auth("postal"))


def test_a_delivery_handed_over_the_day_after_a_failed_attempt_is_delivered(client, auth, db, test_settings):
    shipment_id = make_booked_shipment(db, test_settings, "D-EARLY-1", direction="delivery")
    assert outcome(client, auth, shipment_id, "out_for_delivery").status_code == 200  # fails only once out
    assert outcome(client, auth, shipment_id, "failed_attempt", reason="not_home").status_code == 200
    out_again = outcome(client, auth, shipment_id, "out_for_delivery")  # a new attempt waits for its day
    assert (out_again.status_code, out_again.json["code"]) == (409, "too_early_for_retry")
    r = outcome(client, auth, shipment_id, "delivered", id_check=ID_CHECK)  # the citizen came to the post office
    assert (r.status_code, r.json["status"]) == (200, "delivered")


def test_a_pickup_collected_early_after_a_failed_attempt_reaches_the_centre(client, auth, db, test_settings):
    shipment_id = make_booked_shipment(db, test_settings, "D-EARLY-2")
    assert outcome(client, auth, shipment_id, "failed_attempt", reason="not_home").status_code == 200
    again = outcome(client, auth, shipment_id, "failed_attempt", reason="refused")  # a second attempt the same day
    assert (again.status_code, again.json["code"]) == (409, "too_early_for_retry")
    assert outcome(client, auth, shipment_id, "picked_up", id_check=ID_CHECK).json["status"] == "picked_up"
    assert outcome(client, auth, shipment_id, "delivered").json["status"] == "delivered"
