"""Postal, QA round 7: the day's paperwork lists only the work of the day (a dossier collected before its
planned day is no stop on that day's manifest), the shipment list comes a page at a time, a paid
delivery is booked however many unpaid ones wait before it, a delivery the post failed to hand over
is not cancelled once it is planned again (nor by the post's 18: it comes back to the agency), and no SMS
names a tracking number the post has not given; a route's handover record keeps a result taken out on it
whose attempt then failed; a result the post reports handed over without the recipient's ID is listed for
people."""
import io

from pypdf import PdfReader

from sqlalchemy import String, func, select

from kernel.clock import now_utc
from kernel.db import unit_of_work
from kernel.outbox import OutboxMessage
from postal.models import Shipment
from postal.service import dispatch_paid_deliveries
from tests.api.test_postal_round2 import booked_pickups, post_shipment, webhook
from tests.postal_factories import (ID_CHECK, make_booked_shipment, make_dossier, make_route, pay_everything,
                                    shipment_body, working_day)


def pdf_text(response) -> str:
    assert response.status_code == 200, response.json
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def plan(client, auth, day) -> dict:
    r = client.post(f"/api/v1/postal/plan?date={day}", headers=auth("postal"))
    assert r.status_code == 200, r.json
    return r.json


# --- 1. a dossier collected before its planned day is no stop on that day --------------------------

def test_a_dossier_picked_up_before_its_planned_day_is_no_stop_on_that_days_manifest(client, auth, db, test_settings):
    early, waiting = booked_pickups(db, test_settings, 2)
    make_route(db, test_settings, morning=2)
    day = working_day(1)
    assert len(plan(client, auth, day)["assigned"]) == 2
    r = client.post(f"/api/v1/postal/shipments/{early}/events", json={"event": "picked_up", "id_check": ID_CHECK},
                    headers=auth("postal"))
    assert r.status_code == 200, r.json
    manifest = pdf_text(client.get(f"/api/v1/postal/manifests/{day}.pdf?route=HL1", headers=auth("postal")))
    assert "D-1" in manifest and "D-0" not in manifest  # the postman is not sent to a door for nothing
    assert "Tổng số điểm: 1." in manifest
    rows = client.get(f"/api/v1/postal/manifests/{day}.csv", headers=auth("postal")).data.decode().splitlines()
    assert [row.split(",")[4] for row in rows[1:]] == [str(waiting)]


def test_the_place_a_dossier_collected_early_frees_is_not_listed_twice(client, auth, db, test_settings):
    early, waiting, third = booked_pickups(db, test_settings, 3)
    make_route(db, test_settings, morning=2, afternoon=0)
    day = working_day(1)
    assert [a["shipment_id"] for a in plan(client, auth, day)["assigned"]] == [early, waiting]
    r = client.post(f"/api/v1/postal/shipments/{early}/events", json={"event": "picked_up", "id_check": ID_CHECK},
                    headers=auth("postal"))
    assert r.status_code == 200, r.json
    assert [a["shipment_id"] for a in plan(client, auth, day)["assigned"]] == [third]  # into the freed place
    manifest = pdf_text(client.get(f"/api/v1/postal/manifests/{day}.pdf?route=HL1", headers=auth("postal")))
    assert "Tổng số điểm: 2." in manifest and "D-0" not in manifest  # capacity 2: two stops, not three


# --- 2. the shipment list comes a page at a time --------------------------------------------------

def shipments_page(client, auth, query: str = ""):
    return client.get(f"/api/v1/postal/shipments{query}", headers=auth("auditor"))


def test_the_shipment_list_comes_a_page_at_a_time_newest_first(client, auth, db, test_settings):
    ids = booked_pickups(db, test_settings, 5)
    first = shipments_page(client, auth, "?limit=2")
    assert first.status_code == 200, first.json
    assert [s["id"] for s in first.json["shipments"]] == ids[:-3:-1]  # the newest two
    second = shipments_page(client, auth, f"?limit=2&after={first.json['next_after']}")
    assert [s["id"] for s in second.json["shipments"]] == ids[-3:-5:-1]
    last = shipments_page(client, auth, f"?limit=2&after={second.json['next_after']}")
    assert [s["id"] for s in last.json["shipments"]] == ids[:1] and last.json["next_after"] is None
    # filters and pages together: the next page keeps to the filter
    client.post(f"/api/v1/postal/shipments/{ids[1]}/cancel", json={"reason": "đổi ý"}, headers=auth("intake"))
    booked = shipments_page(client, auth, "?status=booked&limit=3")
    assert [s["id"] for s in booked.json["shipments"]] == [ids[4], ids[3], ids[2]]
    rest = shipments_page(client, auth, f"?status=booked&limit=3&after={booked.json['next_after']}")
    assert [s["id"] for s in rest.json["shipments"]] == [ids[0]] and rest.json["next_after"] is None


def test_a_page_size_or_marker_that_is_no_whole_number_in_range_is_invalid_parameter(client, auth, db):
    for query in ("?limit=0", "?limit=501", "?limit=abc", "?limit=1.5", "?after=-1", "?after=x",
                  "?after=99999999999999999999999"):
        r = shipments_page(client, auth, query)
        assert r.status_code == 400 and r.json["code"] == "invalid_parameter", (query, r.json)
    r = shipments_page(client, auth, "?status=lost")
    assert r.status_code == 400 and r.json["code"] == "invalid_status" and r.json["details"]["parameter"] == "status"
    assert "delivered" in r.json["details"]["allowed"]  # the choices named, as every list's filter names them


# --- 3. a paid delivery is booked however many unpaid ones wait before it --------------------------

def bookings_queued(db) -> list[str]:
    """The dossiers whose delivery was handed to the courier (a booking in the outbox)."""
    with unit_of_work(db) as s:
        return sorted(code for code, in s.execute(select(Shipment.dossier_code).join(
            OutboxMessage, OutboxMessage.key == "courier.book:shipment:" + func.cast(Shipment.id, String))))


def test_a_paid_delivery_is_booked_however_many_unpaid_ones_wait_before_it(client, auth, db, test_settings):
    for code in ("D-UNPAID-1", "D-UNPAID-2", "D-PAID"):
        make_dossier(db, test_settings, code=code)
        r = post_shipment(client, auth, shipment_body(dossier_code=code, direction="delivery"))
        assert r.status_code == 201 and r.json["status"] == "requested", r.json
    pay_everything(db, test_settings, "D-PAID")
    # The job looks at a batch a minute (500); two older unpaid deliveries stand for 500 here.
    with unit_of_work(db) as s:
        assert dispatch_paid_deliveries(s, settings=test_settings, now=now_utc(), limit=2) == 1
    assert bookings_queued(db) == ["D-PAID"]


def test_a_lapsed_fee_is_asked_again_however_many_unpaid_deliveries_wait_before_it(client, auth, db, test_settings):
    from payments.models import Dossier, PaymentRequest

    for code in ("D-UNPAID-1", "D-UNPAID-2", "D-LAPSED"):
        make_dossier(db, test_settings, code=code)
        assert post_shipment(client, auth, shipment_body(dossier_code=code, direction="delivery")).status_code == 201
    with unit_of_work(db) as s:  # the fee's request of the newest one lapses unpaid
        fee = s.execute(select(PaymentRequest).join(Dossier).where(
            Dossier.code == "D-LAPSED", PaymentRequest.amount_vnd == 8000)).scalar_one()
        fee.status = "expired"
    with unit_of_work(db) as s:
        assert dispatch_paid_deliveries(s, settings=test_settings, now=now_utc(), limit=2) == 0
    with unit_of_work(db) as s:
        asked = s.execute(select(PaymentRequest.amount_vnd).join(Dossier).where(
            Dossier.code == "D-LAPSED", PaymentRequest.status == "pending")).scalars().all()
    assert sorted(asked) == [8000, 22000]  # the fee asked again: the citizen can pay and be delivered


# --- 4. a delivery the post tried to hand over goes back to the agency, planned again or not -------

def retry_planned(client, auth, db, test_settings, code: str, direction: str) -> int:
    """A shipment that failed once (not home), planned again for its retry day."""
    shipment_id = make_booked_shipment(db, test_settings, code, direction=direction)
    make_route(db, test_settings, code=f"R{code[-1]}")
    if direction == "delivery":  # a delivery fails only once out
        client.post(f"/api/v1/postal/shipments/{shipment_id}/events", json={"event": "out_for_delivery"},
                    headers=auth("postal"))
    r = client.post(f"/api/v1/postal/shipments/{shipment_id}/events",
                    json={"event": "failed_attempt", "reason": "not_home"}, headers=auth("postal"))
    assert r.status_code == 200 and r.json["status"] == "failed_attempt", r.json
    r = client.post(f"/api/v1/postal/shipments/{shipment_id}/assignment", headers=auth("postal"), json={
        "date": r.json["next_attempt_date"], "route": f"R{code[-1]}", "slot": "morning", "reason": "đi lại"})
    assert r.status_code == 200 and r.json["status"] == "scheduled", r.json
    return shipment_id


def test_a_delivery_planned_again_after_a_failed_attempt_is_not_cancelled(client, auth, db, test_settings):
    shipment_id = retry_planned(client, auth, db, test_settings, "D-RETRY-1", "delivery")
    r = client.post(f"/api/v1/postal/shipments/{shipment_id}/cancel", json={"reason": "x"}, headers=auth("intake"))
    assert r.status_code == 409 and r.json["code"] == "cannot_cancel", r.json
    shipment = client.get(f"/api/v1/postal/shipments/{shipment_id}", headers=auth("postal")).json
    assert shipment["status"] == "scheduled" and shipment["plan"] is not None  # still to be tried again
    with unit_of_work(db) as s:  # the postage of the attempt stands; the courier is not told to cancel
        assert s.execute(select(OutboxMessage.id).where(OutboxMessage.topic == "courier.cancel")).first() is None


def test_a_pickup_planned_again_after_a_failed_attempt_may_still_be_cancelled(client, auth, db, test_settings):
    shipment_id = retry_planned(client, auth, db, test_settings, "D-RETRY-2", "pickup")
    r = client.post(f"/api/v1/postal/shipments/{shipment_id}/cancel", json={"reason": "Công dân tự đến nộp"},
                    headers=auth("intake"))
    assert r.status_code == 200 and r.json["status"] == "cancelled", r.json  # never collected


# --- 5. no SMS names a tracking number the post has not given --------------------------------------

def texts_sent(db) -> list[str]:
    with unit_of_work(db) as s:
        return [m.payload["text"] for m in s.execute(select(OutboxMessage).where(OutboxMessage.topic == "sms")
                                                     .order_by(OutboxMessage.id)).scalars()]


def test_a_booking_reported_by_reference_alone_is_texted_without_a_tracking_number(client, auth, db, test_settings):
    make_dossier(db, test_settings)
    shipment = post_shipment(client, auth, shipment_body()).json
    r = webhook(client, test_settings, {"event_id": "BOOKED-BY-REF", "reference": f"HCC-{shipment['id']}",
                                         "status_code": 0, "occurred_at": now_utc().isoformat()})
    assert r.status_code == 200 and r.json["outcome"] == "applied", r.json
    [text] = texts_sent(db)
    assert "None" not in text and "vận đơn" not in text, text
    assert text.startswith("TT Phục vụ HCC: Bưu điện sẽ đến nhận hồ sơ 000.00.12.H40-261125-0901. Hạn hoàn thành: ")


# --- 6. the post's 18 for a delivery it tried to hand over: the result comes back ------------------

def courier_event(shipment_id: int, event_id: str, code: int) -> dict:
    return {"event_id": event_id, "tracking_number": f"EB0000{shipment_id:04d}VN", "status_code": code,
            "occurred_at": now_utc().isoformat()}


def postage_withdrawn(db, code: str) -> bool:
    from payments.models import Dossier, FeeItem

    with unit_of_work(db) as s:
        return s.execute(select(FeeItem.withdrawn_at).join(Dossier).where(
            Dossier.code == code, FeeItem.kind == "postage")).scalar_one() is not None


def test_the_posts_18_for_a_delivery_it_failed_to_hand_over_brings_the_result_back(client, auth, db, test_settings):
    failed = make_booked_shipment(db, test_settings, "D-18-FAILED", direction="delivery")
    client.post(f"/api/v1/postal/shipments/{failed}/events", json={"event": "out_for_delivery"}, headers=auth("postal"))
    r = client.post(f"/api/v1/postal/shipments/{failed}/events", json={"event": "failed_attempt", "reason": "not_home"},
                    headers=auth("postal"))
    assert r.status_code == 200, r.json
    planned = retry_planned(client, auth, db, test_settings, "D-18-PLANNED", "delivery")
    for shipment_id, code in ((failed, "D-18-FAILED"), (planned, "D-18-PLANNED")):
        r = webhook(client, test_settings, courier_event(shipment_id, f"X-18-{shipment_id}", 18))
        assert r.status_code == 200 and r.json["outcome"] == "applied", r.json
        shipment = client.get(f"/api/v1/postal/shipments/{shipment_id}", headers=auth("postal")).json
        assert (shipment["status"], shipment["plan"]) == ("returned_to_agency", None), code
        assert not postage_withdrawn(db, code)  # the post tried: its postage stands, nothing to refund
    assert all("hoàn trả" not in text for text in texts_sent(db))


def test_the_posts_18_for_a_delivery_it_never_tried_still_cancels_it(client, auth, db, test_settings):
    shipment_id = make_booked_shipment(db, test_settings, "D-18-NEW", direction="delivery")
    assert webhook(client, test_settings, courier_event(shipment_id, "X-18-NEW", 18)).json["outcome"] == "applied"
    assert client.get(f"/api/v1/postal/shipments/{shipment_id}", headers=auth("postal")).json["status"] == "cancelled"
    assert postage_withdrawn(db, "D-18-NEW")


# --- 7. a route's handover record keeps what changed hands on it -----------------------------------

def test_a_result_taken_out_on_a_route_stays_on_its_handover_record_after_the_attempt_fails(
        client, auth, db, test_settings):
    from kernel.clock import business_date

    shipment_id = make_booked_shipment(db, test_settings, "D-HANDED", direction="delivery")
    make_route(db, test_settings, code="HL1")
    make_route(db, test_settings, code="HL2")
    assert [a["route"] for a in plan(client, auth, working_day(1))["assigned"]] == ["HL1"]
    today = business_date(now_utc())
    for body in ({"event": "out_for_delivery"}, {"event": "failed_attempt", "reason": "not_home"}):
        r = client.post(f"/api/v1/postal/shipments/{shipment_id}/events", json=body, headers=auth("postal"))
        assert r.status_code == 200, r.json
    # The failure takes it off the plan (to be planned again): the result still went out on HL1 today.
    record = pdf_text(client.get(f"/api/v1/postal/handovers/{today}.pdf?route=HL1", headers=auth("postal")))
    assert "D-HANDED" in record and "để phát: 1 hồ sơ" in record
    r = client.post(f"/api/v1/postal/shipments/{shipment_id}/assignment", headers=auth("postal"), json={
        "date": client.get(f"/api/v1/postal/shipments/{shipment_id}", headers=auth("postal")).json[
            "next_attempt_date"], "route": "HL2", "slot": "morning", "reason": "tuyến khác đi lại"})
    assert r.status_code == 200, r.json
    assert "D-HANDED" in pdf_text(client.get(f"/api/v1/postal/handovers/{today}.pdf?route=HL1",
                                             headers=auth("postal")))
    assert "D-HANDED" not in pdf_text(client.get(f"/api/v1/postal/handovers/{today}.pdf?route=HL2",
                                                 headers=auth("postal")))  # it changed hands on HL1


# --- 8. a result the post reports handed over without the recipient's ID is listed for people -------

def test_a_delivery_reported_without_the_recipients_id_is_not_applied_but_listed_for_people(
        client, auth, db, test_settings):
    without = make_booked_shipment(db, test_settings, "D-NO-ID", direction="delivery")
    other = make_booked_shipment(db, test_settings, "D-OTHER-ID", direction="delivery")
    stranger = {"document_type": "cccd", "number": "001099009999", "holder_name": "Trần Văn Khác"}
    for shipment_id, extra in ((without, {}), (other, {"id_check": stranger})):
        for _ in range(2):  # the webhook again: listed once
            r = webhook(client, test_settings, {**courier_event(shipment_id, f"X-10-{shipment_id}", 10), **extra})
            assert r.status_code == 200 and r.json["outcome"] in ("recorded", "duplicate"), r.json
        assert client.get(f"/api/v1/postal/shipments/{shipment_id}", headers=auth("postal")).json["status"] == "booked"
    listed = client.get("/api/v1/postal/checks?resolved=false", headers=auth("postal")).json["checks"]
    assert [(c["shipment"]["dossier_code"], c["kind"]) for c in listed] == [
        ("D-NO-ID", "delivered_without_id_check"), ("D-OTHER-ID", "delivered_to_other_id")]
    assert "001099009999" not in str(listed)  # the ID check's record keeps the last four digits only
    board = client.get("/staff/postal/", headers=auth("postal"))
    assert board.status_code == 200
    html = board.get_data(as_text=True)
    assert "không có kiểm tra giấy tờ tùy thân" in html and "không phải của người nhận" in html


def test_a_delivery_reported_with_the_recipients_id_is_applied_and_not_listed(client, auth, db, test_settings):
    shipment_id = make_booked_shipment(db, test_settings, "D-RIGHT-ID", direction="delivery")
    r = webhook(client, test_settings, {**courier_event(shipment_id, "X-10-RIGHT", 10), "id_check": ID_CHECK})
    assert r.json["outcome"] == "applied", r.json
    assert client.get("/api/v1/postal/checks", headers=auth("postal")).json["checks"] == []
