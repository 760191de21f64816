"""Postal, QA round 17: working days and cut-offs at the edges of a day in Asia/Ho_Chi_Minh (midnight before
a holiday, Tết, a round's booking cut-off), addresses written the ways people write them, courier reports that
are out of order, repeated, unsigned or about nobody, COD amounts that are not whole VND, two failed deliveries,
a route with no stop, and who may do what."""
from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from kernel.clock import VN_TZ, now_utc
from payments.models import Payment
from tests.api import test_postal_round3
from tests.api.test_postal_round3 import cod_delivery, event, shipment, webhook
from tests.postal_factories import ID_CHECK, make_booked_shipment, make_dossier, make_route, shipment_body

SHIPMENTS = "/api/v1/postal/shipments"
cod_app = test_postal_round3.cod_app  # the fixture


def vn(text: str) -> datetime:
    """An instant written as a Hà Nội wall clock reads it."""
    return datetime.fromisoformat(text).replace(tzinfo=VN_TZ)


def book(client, auth, code: str, role: str = "intake", **changes):
    return client.post(SHIPMENTS, json=shipment_body(dossier_code=code, **changes), headers=auth(role))


# --- 1. the day a booking counts from is the Hà Nội day, at its last and first minute -----------------------

@pytest.mark.parametrize("at, due", [
    # Wednesday 30/12/2026 23:59 is still Wednesday (16:59 UTC), its rounds closed: J is Thursday 31/12, J+1
    # the Monday after New Year's day (round 18: J is the first round still taking bookings).
    ("2026-12-30T23:59", "2027-01-04"),
    # 00:01 is Thursday 31/12 (17:01 UTC on the Wednesday): its morning round takes bookings until 05:30.
    ("2026-12-31T00:01", "2027-01-04"),
    # The eve of Tết Đinh Mùi (Thursday 4/2/2027) and its first minute: the days off, then J+1 either way.
    ("2027-02-04T23:59", "2027-02-15"),
    ("2027-02-05T00:01", "2027-02-15"),
    # 00:01 on Thursday 4/2 (17:01 UTC on the Wednesday) is the Thursday: its rounds are still open.
    ("2027-02-04T00:01", "2027-02-12"),
])
def test_a_pickup_asked_for_at_either_side_of_midnight_before_a_holiday_counts_from_the_hanoi_day(
        client, auth, db, test_settings, at, due):
    with time_machine.travel(vn(at), tick=False):
        make_dossier(db, test_settings, code="D-MIDNIGHT")
        r = book(client, auth, "D-MIDNIGHT")
    assert r.status_code == 201, r.json
    assert r.json["due_date"] == due


@pytest.mark.parametrize("at, due", [("2027-02-04T23:59", "2027-02-12"), ("2027-02-05T00:01", "2027-02-15")])
def test_a_cod_delivery_handed_to_the_post_either_side_of_tet_midnight_counts_from_the_hanoi_day(
        cod_app, auth, db, at, due):
    app, settings = cod_app
    with time_machine.travel(vn(at), tick=False):
        make_dossier(db, settings, code="D-TET-COD")
        r = app.test_client().post(SHIPMENTS, json=shipment_body(dossier_code="D-TET-COD", direction="delivery"),
                                   headers=auth("intake"))
    assert r.status_code == 201 and r.json["cod"] is True, r.json
    assert r.json["due_date"] == due


@pytest.mark.parametrize("at, status, code", [
    ("2027-01-04T11:29", 201, None),  # today's afternoon round leaves 13:30 and takes bookings until 11:30
    ("2027-01-04T11:30", 422, "slot_passed"),
    ("2027-01-04T11:31", 422, "slot_passed"),
])
def test_todays_afternoon_round_closes_to_bookings_at_its_cut_off_minute(client, auth, db, test_settings, at,
                                                                        status, code):
    with time_machine.travel(vn(at), tick=False):
        make_dossier(db, test_settings, code="D-CUTOFF")
        r = book(client, auth, "D-CUTOFF", window={"date": "2027-01-04", "slot": "afternoon"})
    assert r.status_code == status, r.json
    if code:
        assert r.json["code"] == code and r.json["details"]["closes_at"] == "11:30"


@pytest.mark.parametrize("day", ["2027-02-05", "2027-02-06", "2027-02-08", "2027-02-11"])
def test_a_window_on_tet_or_a_weekend_is_refused_naming_the_day(client, auth, db, test_settings, day):
    with time_machine.travel(vn("2027-02-04T09:00"), tick=False):
        make_dossier(db, test_settings, code="D-TET-WINDOW")
        r = book(client, auth, "D-TET-WINDOW", window={"date": day, "slot": "morning"})
    assert r.status_code == 422 and r.json["code"] == "window_not_working_day", r.json
    assert r.json["details"]["date"] == day


def test_a_window_on_the_first_working_day_after_tet_is_taken_and_is_the_pickups_j(client, auth, db, test_settings):
    with time_machine.travel(vn("2027-02-04T16:59"), tick=False):
        make_dossier(db, test_settings, code="D-AFTER-TET")
        r = book(client, auth, "D-AFTER-TET", window={"date": "2027-02-12", "slot": "morning"})
    assert r.status_code == 201, r.json
    assert r.json["due_date"] == "2027-02-15"


# --- 2. addresses as people write them ---------------------------------------------------------------------

@pytest.mark.parametrize("written", ["Xã Hòa Bình", "xa hoa binh", "X. Hoà Bình", "X.Hòa Bình", "XÃ HÒA BÌNH",
                                     "  Hòa   Bình ", "Xa\u0300 Ho\u0300a Bi\u0300nh"])
def test_a_merged_commune_written_any_way_resolves_to_its_2025_ward(client, auth, written):
    r = client.get("/api/v1/postal/wards", query_string={"province_code": 22, "legacy_name": written},
                   headers=auth("intake"))
    assert r.status_code == 200, r.json
    assert r.json["ward"]["code"] == "07060" and r.json["ward"]["name"] == "Xã Thống Nhất"


@pytest.mark.parametrize("written", ["TT. Tiên Yên", "TT Tiên Yên", "Thị trấn Tiên Yên", "thi tran tien yen"])
def test_a_former_town_written_any_way_resolves(client, auth, written):
    r = client.get("/api/v1/postal/wards", query_string={"province_code": 22, "legacy_name": written},
                   headers=auth("intake"))
    assert r.status_code == 200 and r.json["ward"]["code"] == "06862", r.json


@pytest.mark.parametrize("written", ["Xã Yên Than", "yen than", "X. YÊN THAN"])
def test_a_split_commune_is_answered_with_its_candidates_however_written(client, auth, written):
    r = client.get("/api/v1/postal/wards", query_string={"province_code": 22, "legacy_name": written},
                   headers=auth("intake"))
    assert r.status_code == 409 and r.json["code"] == "legacy_ward_split", r.json
    assert sorted(c["code"] for c in r.json["details"]["candidates"]) == ["06862", "06874"]


def test_a_booking_by_a_legacy_name_stores_the_2025_ward(client, auth, db, test_settings):
    make_dossier(db, test_settings, code="D-LEGACY")
    r = book(client, auth, "D-LEGACY", address={"street": "Thôn 3", "legacy_ward": "x. hoa binh",
                                                 "province_code": 22})
    assert r.status_code == 201, r.json
    s = shipment(client, auth, r.json["id"])
    assert (s["address"]["ward_code"], s["address"]["ward_name"]) == ("07060", "Xã Thống Nhất")


@pytest.mark.parametrize("address, status, code", [
    ({"street": "Số 1", "ward_code": "06685", "province_code": 1}, 422, "ward_not_in_province"),
    ({"street": "Số 1", "ward_code": "6685", "province_code": "22"}, 201, None),  # as a number would lose its 0
    ({"street": "Số 1", "ward_code": "99999", "province_code": 22}, 422, "unknown_ward"),
    ({"street": "Số 1", "ward_code": "P. Hồng Gai", "province_code": 22}, 400, "invalid_ward_code"),
    ({"street": "Số 1", "legacy_ward": "Phường Không Có", "province_code": 22}, 422, "unknown_legacy_ward"),
    ({"street": "Số 1", "legacy_ward": "Xã Yên Than", "province_code": 22}, 409, "legacy_ward_split"),
    ({"street": "Số 1", "ward_code": "06685", "legacy_ward": "Xã Hòa Bình", "province_code": 22}, 400,
     "legacy_ward_mismatch"),
    ({"street": "Số 1", "ward_code": True, "province_code": 22}, 400, "invalid_ward_code"),
    ({"street": "Số 1", "ward_code": "06685", "province_code": True}, 400, "invalid_province_code"),
    ({"street": "Số 1", "ward_code": "06685", "province_code": 22.0}, 400, "invalid_province_code"),
])
def test_addresses_are_resolved_or_refused_with_a_code(client, auth, db, test_settings, address, status, code):
    make_dossier(db, test_settings, code="D-ADDR")
    r = book(client, auth, "D-ADDR", address=address)
    assert r.status_code == status, r.json
    if code:
        assert r.json["code"] == code


# --- 3. courier reports --------------------------------------------------------------------------------

def test_an_out_for_delivery_that_arrives_after_the_delivery_never_moves_it_back(client, auth, db, test_settings):
    """Couriers skip steps (a delivery straight from booked is applied); the older step that overtook nothing
    is kept, not applied, and repeats of either are duplicates."""
    shipment_id = make_booked_shipment(db, test_settings, "D-OOO", direction="delivery")
    at = now_utc() - timedelta(hours=2)
    delivered = event(shipment_id, "OOO-10", 10, at + timedelta(minutes=30), id_check=ID_CHECK)
    assert webhook(client, test_settings, delivered).json["outcome"] == "applied"
    assert webhook(client, test_settings, event(shipment_id, "OOO-9", 9, at)).json["outcome"] == "recorded"
    assert shipment(client, auth, shipment_id)["status"] == "delivered"
    assert webhook(client, test_settings, delivered).json["outcome"] == "duplicate"
    assert webhook(client, test_settings, event(shipment_id, "OOO-9", 9, at)).json["outcome"] == "duplicate"
    assert shipment(client, auth, shipment_id)["status"] == "delivered"


def test_a_courier_report_with_a_bad_signature_or_none_is_refused_and_applies_nothing(client, auth, db,
                                                                                       test_settings):
    import json

    shipment_id = make_booked_shipment(db, test_settings, "D-SIG", direction="pickup")
    raw = json.dumps(event(shipment_id, "SIG-4", 4, now_utc())).encode()
    for headers in ({"X-HCC-Signature": "t=1,v1=00"}, {}, {"X-HCC-Signature": "garbage"}):
        r = client.post("/api/v1/callbacks/courier", data=raw, headers={**headers, "Content-Type": "application/json"})
        assert r.status_code == 401 and r.json["code"] == "invalid_signature", r.json
    assert shipment(client, auth, shipment_id)["status"] == "booked"


def test_a_report_about_no_shipment_we_know_is_answered_and_kept_aside(client, test_settings):
    body = {"event_id": "GHOST-1", "tracking_number": "EB999999999VN", "status_code": 5,
            "occurred_at": now_utc().isoformat()}
    r = webhook(client, test_settings, body)
    assert r.status_code == 200 and r.json["outcome"] == "unknown_shipment", r.json


@pytest.mark.parametrize("amount", [True, 1.5, -5, "-5", "1e5", "30.000", 10 ** 30, "", [30000], {"v": 1},
                                    "٣٠٠٠٠", 30000.0])
def test_a_cod_collection_that_is_not_whole_vnd_is_refused_and_credits_nothing(cod_app, auth, db,
                                                                              amount):
    app, settings = cod_app
    client, shipment_id = cod_delivery(app, auth, db, settings, code="D-COD-BAD")
    at = now_utc() - timedelta(minutes=30)
    assert webhook(client, settings, event(shipment_id, "CB-9", 9, at)).json["outcome"] == "applied"
    delivered = event(shipment_id, "CB-10", 10, at + timedelta(minutes=10), id_check=ID_CHECK)
    assert webhook(client, settings, delivered).json["outcome"] == "applied"
    r = webhook(client, settings, event(shipment_id, "CB-21", 21, at + timedelta(minutes=11), cod_amount_vnd=amount))
    assert r.status_code == 400 and r.json["code"] == "malformed_event", r.json
    with db() as s:
        assert s.execute(select(func.count()).select_from(Payment)).scalar_one() == 0


@pytest.mark.parametrize("code", [True, 1.5, -1, 23, "10.0", None, "abc"])
def test_a_status_code_that_is_not_a_vnpost_status_is_refused(client, db, test_settings, code):
    shipment_id = make_booked_shipment(db, test_settings, "D-CODE")
    r = webhook(client, test_settings, event(shipment_id, "CODE-1", code, now_utc()))
    assert r.status_code == 400 and r.json["code"] == "malformed_event", r.json


# --- 4. a delivery failed twice goes back to the agency ----------------------------------------------------

def test_a_delivery_failed_twice_by_staff_is_returned_to_the_agency_and_cannot_be_tried_again(client, auth, db,
                                                                                            test_settings):
    with time_machine.travel(vn("2027-01-04T08:00"), tick=False) as clock:  # a Monday
        shipment_id = make_booked_shipment(db, test_settings, "D-TWICE", direction="delivery")
        events = f"{SHIPMENTS}/{shipment_id}/events"
        post = lambda body: client.post(events, json=body, headers=auth("postal"))  # noqa: E731
        assert post({"event": "out_for_delivery"}).status_code == 200
        assert post({"event": "failed_attempt", "reason": "not_home"}).json["status"] == "failed_attempt"
        clock.move_to(vn("2027-01-05T08:00"))  # the next day is too early
        r = post({"event": "out_for_delivery"})
        assert r.status_code == 409 and r.json["code"] == "too_early_for_retry", r.json
        clock.move_to(vn("2027-01-06T08:00"))  # the second working day after
        assert post({"event": "out_for_delivery"}).status_code == 200
        r = post({"event": "failed_attempt", "reason": "refused"})
        assert r.status_code == 200 and r.json["status"] == "returned_to_agency", r.json
        r = post({"event": "out_for_delivery"})
        assert r.status_code == 409, r.json
        r = client.post(f"{SHIPMENTS}/{shipment_id}/cancel", json={"reason": "thử"}, headers=auth("postal"))
        assert r.status_code == 409, r.json


@pytest.mark.parametrize("reason", [None, "", "NOT_HOME", ["not_home"], {"x": 1}, 1, True])
def test_a_failed_attempt_without_a_known_reason_is_refused(client, auth, db, test_settings, reason):
    shipment_id = make_booked_shipment(db, test_settings, "D-REASON")
    body = {"event": "failed_attempt"} if reason is None else {"event": "failed_attempt", "reason": reason}
    r = client.post(f"{SHIPMENTS}/{shipment_id}/events", json=body, headers=auth("postal"))
    assert r.status_code == 400 and r.json["code"] in ("failure_reason_required", "invalid_reason"), r.json
    assert shipment(client, auth, shipment_id)["status"] == "booked"


# --- 5. a route with no stop ------------------------------------------------------------------------------

def test_a_route_with_no_stop_prints_an_empty_manifest_and_handover(client, auth, db, test_settings):
    make_route(db, test_settings, code="EMPTY", morning=0, afternoon=0)
    day = "2027-01-04"
    for path in (f"/api/v1/postal/manifests/{day}.pdf?route=EMPTY", f"/api/v1/postal/handovers/{day}.pdf?route=EMPTY"):
        r = client.get(path, headers=auth("postal"))
        assert r.status_code == 200 and r.mimetype == "application/pdf", path
    r = client.get(f"/api/v1/postal/manifests/{day}.csv?route=EMPTY", headers=auth("postal"))
    assert r.status_code == 200 and len(r.get_data(as_text=True).strip().splitlines()) == 1


@pytest.mark.parametrize("body, code", [
    ({"code": "Z1", "name": "Z", "ward_codes": [], "capacity": {"morning": 1, "afternoon": 1}}, "missing_field"),
    ({"code": "Z1", "name": "Z", "ward_codes": ["06685"], "capacity": {"morning": True, "afternoon": 1}},
     "invalid_capacity"),
    ({"code": "Z1", "name": "Z", "ward_codes": ["06685"], "capacity": {"morning": -1, "afternoon": 1}},
     "invalid_capacity"),
    ({"code": "Z1", "name": "Z", "ward_codes": ["06685"], "capacity": {"morning": 1.5, "afternoon": 1}},
     "invalid_capacity"),
    ({"code": "Z1", "name": "Z", "ward_codes": ["06685", "6685"], "capacity": {"morning": 1, "afternoon": 1}},
     "duplicate_ward"),
    ({"code": "z1", "name": "Z", "ward_codes": ["06685"], "capacity": {"morning": 1, "afternoon": 1}},
     "invalid_route_code"),
])
def test_a_route_that_cannot_exist_is_refused(client, auth, body, code):
    r = client.post("/api/v1/postal/routes", json=body, headers=auth("postal"))
    assert r.status_code == 400 and r.json["code"] == code, r.json


def test_planning_a_day_with_only_a_route_of_no_capacity_places_nothing_and_says_why(client, auth, db,
                                                                                      test_settings):
    make_route(db, test_settings, code="NONE", morning=0, afternoon=0)
    with time_machine.travel(vn("2027-01-04T06:00"), tick=False):
        shipment_id = make_booked_shipment(db, test_settings, "D-NOCAP")
        r = client.post("/api/v1/postal/plan?date=2027-01-04", headers=auth("postal"))
    assert r.status_code == 200, r.json
    assert r.json["assigned"] == []
    assert [u["shipment_id"] for u in r.json["unplanned"]] == [shipment_id]


# --- 6. who may do what --------------------------------------------------------------------------------------

@pytest.mark.parametrize("role, status", [("intake", 403), ("finance", 403), ("auditor", 403), ("admin", 403),
                                          ("postal", 200)])
def test_only_postal_staff_record_what_the_postman_did(client, auth, db, test_settings, role, status):
    shipment_id = make_booked_shipment(db, test_settings, "D-ROLE")
    r = client.post(f"{SHIPMENTS}/{shipment_id}/events", json={"event": "failed_attempt", "reason": "not_home"},
                    headers=auth(role))
    assert r.status_code == status, r.json


@pytest.mark.parametrize("role, status", [("finance", 403), ("auditor", 403), ("admin", 403), ("intake", 201)])
def test_who_may_ask_for_a_shipment(client, auth, db, test_settings, role, status):
    make_dossier(db, test_settings, code="D-WHO")
    assert book(client, auth, "D-WHO", role=role).status_code == status


def test_with_a_long_cut_off_the_next_mornings_round_is_closed_the_evening_before(db, auth, test_settings):
    """HCCPAY_POSTAL_WINDOW_CUTOFF_MINUTES=600: Tuesday's morning round (07:30) closes Monday at 21:30. It was
    booked until midnight, then refused: only today's rounds were held to the cut-off."""
    from flask.testing import FlaskClient

    from api import create_app
    from tests.conftest import applies_queued_callbacks

    settings = test_settings.with_overrides(postal_window_cutoff_minutes=600)
    app = create_app(settings)
    app.test_client_class = applies_queued_callbacks(FlaskClient)
    try:
        client = app.test_client()
        with time_machine.travel(vn("2027-01-04T21:31"), tick=False):
            make_dossier(db, settings, code="D-EVENING")
            r = book(client, auth, "D-EVENING", window={"date": "2027-01-05", "slot": "morning"})
            assert r.status_code == 422 and r.json["code"] == "slot_passed", r.json
            assert (r.json["details"]["closes_on"], r.json["details"]["closes_at"]) == ("2027-01-04", "21:30")
            r = book(client, auth, "D-EVENING", window={"date": "2027-01-05", "slot": "afternoon"})
            assert r.status_code == 201, r.json  # 13:30 - 10 h = 03:30 on the day: still open
    finally:
        app.extensions["hccpay"].engine.dispose()


# --- 7. a retry across Tết, a pickup failed twice -----------------------------------------------------------

def test_a_delivery_that_failed_on_the_eve_of_tet_is_tried_again_on_the_second_working_day_after_it(
        client, auth, db, test_settings):
    make_route(db, test_settings, code="HL1")
    with time_machine.travel(vn("2027-02-04T09:00"), tick=False):
        shipment_id = make_booked_shipment(db, test_settings, "D-TET-RETRY", direction="delivery")
        events = f"{SHIPMENTS}/{shipment_id}/events"
        assert client.post(events, json={"event": "out_for_delivery"}, headers=auth("postal")).status_code == 200
        r = client.post(events, json={"event": "failed_attempt", "reason": "not_home"}, headers=auth("postal"))
        assert r.json["next_attempt_date"] == "2027-02-15", r.json  # 12/2 is the first, 15/2 the second
        move = lambda day: client.post(f"{SHIPMENTS}/{shipment_id}/assignment", headers=auth("postal"),  # noqa: E731
                                       json={"date": day, "route": "HL1", "slot": "morning", "reason": "hẹn lại"})
        r = move("2027-02-12")
        assert r.status_code == 409 and r.json["code"] == "too_early_for_retry", r.json
        r = move("2027-02-08")
        assert r.status_code == 422 and r.json["code"] == "not_a_working_day", r.json
        plan = client.post("/api/v1/postal/plan?date=2027-02-12", headers=auth("postal"))
        assert plan.status_code == 200 and shipment_id not in [a["shipment_id"] for a in plan.json["assigned"]]
        plan = client.post("/api/v1/postal/plan?date=2027-02-15", headers=auth("postal"))
        assert plan.status_code == 200 and [a["shipment_id"] for a in plan.json["assigned"]] == [shipment_id]


def test_a_pickup_failed_twice_is_cancelled_and_its_postage_not_asked(client, auth, db, test_settings):
    with time_machine.travel(vn("2027-01-04T08:00"), tick=False) as clock:
        shipment_id = make_booked_shipment(db, test_settings, "D-PICK-TWICE")
        events = f"{SHIPMENTS}/{shipment_id}/events"
        post = lambda body: client.post(events, json=body, headers=auth("postal"))  # noqa: E731
        assert post({"event": "failed_attempt", "reason": "not_home"}).json["status"] == "failed_attempt"
        clock.move_to(vn("2027-01-06T08:00"))
        r = post({"event": "failed_attempt", "reason": "wrong_address"})
        assert r.status_code == 200 and r.json["status"] == "cancelled", r.json
        r = post({"event": "picked_up", "id_check": ID_CHECK})
        assert r.status_code == 409, r.json


def test_two_failures_the_courier_reports_two_working_days_apart_return_the_result(client, auth, db, test_settings):
    with time_machine.travel(vn("2027-01-04T09:00"), tick=False) as clock:  # Monday
        shipment_id = make_booked_shipment(db, test_settings, "D-COURIER-TWICE", direction="delivery")
        assert webhook(client, test_settings, event(shipment_id, "CT-9a", 9, now_utc())).json["outcome"] == "applied"
        clock.shift(timedelta(hours=2))
        assert webhook(client, test_settings, event(shipment_id, "CT-11a", 11, now_utc())).json["outcome"] == "applied"
        clock.shift(timedelta(hours=1))  # the same attempt reported again under another id: counted once
        webhook(client, test_settings, event(shipment_id, "CT-11b", 11, now_utc()))
        assert shipment(client, auth, shipment_id)["failed_attempts"] == 1
        clock.move_to(vn("2027-01-06T09:00"))  # Wednesday: the retry
        assert webhook(client, test_settings, event(shipment_id, "CT-9b", 9, now_utc())).json["outcome"] == "applied"
        clock.shift(timedelta(hours=2))
        assert webhook(client, test_settings, event(shipment_id, "CT-12", 12, now_utc())).json["outcome"] == "applied"
        s = shipment(client, auth, shipment_id)
        assert (s["status"], s["failed_attempts"]) == ("returned_to_agency", 2)
        clock.move_to(vn("2027-01-08T09:00"))  # a third report changes nothing
        r = webhook(client, test_settings, event(shipment_id, "CT-9c", 9, now_utc()))
        assert r.status_code == 200 and shipment(client, auth, shipment_id)["status"] == "returned_to_agency"
