"""Postal, QA round 10: the daily plan leaves no shipment out while a place it may take is still free,
moving one planned a moment before to its other slot or route (a shipment without a window in the
morning kept the only morning place from one whose citizen asked for the morning; a ward served by two
routes took the only place of a ward one of them serves alone)."""
from tests.postal_factories import make_booked_shipment, make_route, working_day


def plan(client, auth, day):
    r = client.post(f"/api/v1/postal/plan?date={day.isoformat()}", headers=auth("postal"))
    assert r.status_code == 200, r.json
    return r.json


def test_a_shipment_without_a_window_gives_way_to_one_that_asked_for_the_morning(client, auth, db, test_settings):
    day = working_day(1)
    make_route(db, test_settings, wards=("06685",), morning=1, afternoon=1)
    any_time = make_booked_shipment(db, test_settings, "D-R10-ANY")  # first, and due first (J = today)
    asked = make_booked_shipment(db, test_settings, "D-R10-AM", window={"date": day.isoformat(), "slot": "morning"})
    report = plan(client, auth, day)
    assert report["unplanned"] == []
    assert {a["shipment_id"]: a["slot"] for a in report["assigned"]} == {asked: "morning", any_time: "afternoon"}
    assert {(r["slot"], r["used"]) for r in report["routes"]} == {("morning", 1), ("afternoon", 1)}
    stops = {a["shipment_id"]: a["stop"] for a in report["assigned"]}
    assert stops == {asked: 1, any_time: 1}


def test_a_ward_served_by_two_routes_leaves_the_only_route_of_another_ward_to_it(client, auth, db, test_settings):
    day = working_day(1)
    make_route(db, test_settings, code="HL1", wards=("06685", "06688"), morning=1, afternoon=0)
    make_route(db, test_settings, code="HL2", wards=("06685",), morning=1, afternoon=0)
    shared = make_booked_shipment(db, test_settings, "D-R10-SHARED")  # ward 06685: HL1 or HL2
    alone = make_booked_shipment(db, test_settings, "D-R10-ALONE",
                                 address={"street": "Số 3 phố Cột Đồng Hồ", "ward_code": "06688", "province_code": 22})
    report = plan(client, auth, day)
    assert report["unplanned"] == []
    assert {a["shipment_id"]: a["route"] for a in report["assigned"]} == {shared: "HL2", alone: "HL1"}


def test_what_cannot_move_keeps_its_place_by_deadline_and_the_rest_is_reported(client, auth, db, test_settings):
    """Moving is only ever to a place the shipment may take: a morning-only route keeps the earlier deadline's."""
    day = working_day(1)
    make_route(db, test_settings, wards=("06685",), morning=1, afternoon=0)
    first = make_booked_shipment(db, test_settings, "D-R10-FIRST")
    later = make_booked_shipment(db, test_settings, "D-R10-LATER", window={"date": day.isoformat(), "slot": "morning"})
    report = plan(client, auth, day)
    assert [(a["shipment_id"], a["slot"]) for a in report["assigned"]] == [(first, "morning")]
    assert [(u["shipment_id"], u["reason"]) for u in report["unplanned"]] == [(later, "slot_full")]
