"""Round 15, postal: the board's queues through the API. Staff tools (and an auditor without the page)
read what the board lists apart: shipments waiting for a place, those no route serves (and why), and those
under way without a place in our plan."""
from sqlalchemy import update

from kernel.db import unit_of_work
from postal.models import Shipment
from tests.api.test_postal_round13 import OUT_OF_PROVINCE
from tests.postal_factories import make_booked_shipment, make_route

QUEUES = "/api/v1/postal/queues"


def test_the_queues_list_what_the_board_lists_apart_with_why(client, auth, db, test_settings):
    make_route(db, test_settings, code="HL1", wards=("06685",), morning=5, afternoon=5)
    far = make_booked_shipment(db, test_settings, "D-Q15-1", direction="delivery", address=OUT_OF_PROVINCE)
    unrouted = make_booked_shipment(db, test_settings, "D-Q15-2", address={
        "street": "Thôn 1", "ward_code": "07192", "province_code": 22})  # Cô Tô: in the province, on no route
    plannable = make_booked_shipment(db, test_settings, "D-Q15-3")
    moving = make_booked_shipment(db, test_settings, "D-Q15-4")
    with unit_of_work(db) as session:  # the courier collected it without our plan
        session.execute(update(Shipment).where(Shipment.id == moving).values(status="picked_up"))
    answer = client.get(QUEUES, headers=auth("auditor"))
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert [s["id"] for s in body["waiting"]["shipments"]] == [plannable]
    assert body["waiting"]["total"] == 1
    unserved = {s["id"]: s["unserved_reason"] for s in body["unserved"]["shipments"]}
    assert unserved == {far: "out_of_province", unrouted: "no_route_for_ward"}
    assert body["unserved"]["total"] == 2
    assert [s["id"] for s in body["under_way"]["shipments"]] == [moving]
    assert body["waiting"]["shipments"][0]["dossier_code"] == "D-Q15-3"  # the shipment's own view


def test_without_any_route_every_waiting_shipment_waits_for_one(client, auth, db, test_settings):
    """As the board: with no route at all, nothing is 'unserved' apart; everything waits (the page says to
    create routes)."""
    waiting = make_booked_shipment(db, test_settings, "D-Q15-5", direction="delivery", address=OUT_OF_PROVINCE)
    body = client.get(QUEUES, headers=auth("postal")).json
    assert [s["id"] for s in body["waiting"]["shipments"]] == [waiting]
    assert body["unserved"] == {"shipments": [], "total": 0}


def test_a_limit_cuts_each_queue_and_the_totals_still_count_them_all(client, auth, db, test_settings):
    ids = [make_booked_shipment(db, test_settings, f"D-Q15-L{i}") for i in range(3)]
    body = client.get(f"{QUEUES}?limit=2", headers=auth("postal")).json
    assert len(body["waiting"]["shipments"]) == 2 and body["waiting"]["total"] == 3
    assert {s["id"] for s in body["waiting"]["shipments"]} < set(ids)


def test_a_bad_limit_is_a_400_naming_it_and_other_roles_are_refused(client, auth):
    answer = client.get(f"{QUEUES}?limit=0", headers=auth("postal"))
    assert answer.status_code == 400 and answer.json["details"]["parameter"] == "limit"
    assert client.get(QUEUES, headers=auth("finance")).status_code == 403
    assert client.get(QUEUES).status_code == 401
