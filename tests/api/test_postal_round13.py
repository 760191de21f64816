"""Postal, QA round 13: a pickup at the centre reads as received there; courier numbers as digit strings;
the day CSV carries the postman's note in both formats; shipments no route can serve wait in a queue of their
own, with why."""
import csv
import io
from datetime import timedelta

import pypdf
import pytest

from kernel.clock import business_date, now_utc
from tests.api import test_pages, test_postal_round3
from tests.api.test_pages import log_in, page_csrf
from tests.api.test_postal_round3 import cod_delivery, event, requests_of, shipment, webhook
from tests.postal_factories import ID_CHECK, make_booked_shipment, make_route, working_day

BOARD = "/staff/postal/"
staff_user = test_pages.staff_user  # the fixtures
cod_app = test_postal_round3.cod_app


@pytest.fixture
def postal_client(client, staff_user):
    staff_user("buudien", ("postal",))
    log_in(client, "buudien")
    return client


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def vi_rows(client, auth, day):
    r = client.get(f"/api/v1/postal/manifests/{day}.csv?labels=vi", headers=auth("postal"))
    assert r.status_code == 200
    return list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))


# --- 1. a pickup whose dossier reached the centre ---------------------------------------------------------------

def test_a_pickup_brought_to_the_centre_never_reads_delivered_on_the_board_or_the_handover_record(
        postal_client, auth, db, test_settings):
    day = working_day(1)
    make_route(db, test_settings, code="HL1", morning=5)
    pickup = make_booked_shipment(db, test_settings, "D-CENTRE-1")
    token = page_csrf(postal_client, BOARD)
    postal_client.post(f"{BOARD}plan", data={"board_date": day.isoformat(), "csrf_token": token})

    def outcome(**fields):
        return postal_client.post(f"{BOARD}shipments/{pickup}/outcome", follow_redirects=True,
                                  data={"csrf_token": token, "board_date": day.isoformat(), **fields})

    assert outcome(event="picked_up", document_type=ID_CHECK["document_type"], id_number=ID_CHECK["number"],
                   holder_name=ID_CHECK["holder_name"]).status_code == 200
    html = outcome(event="delivered").get_data(as_text=True)
    assert "Trạng thái: Đã chuyển đến Trung tâm." in html
    card = html.split(f'id="s-{pickup}"', 1)[1].split("</li>", 1)[0]
    assert "Đã chuyển đến Trung tâm" in card and "Đã giao" not in card
    assert "Handed" not in postal_client.get(f"{BOARD}?date={day.isoformat()}&lang=en").get_data(as_text=True)
    today = business_date(now_utc())  # the handover record is of the day the dossier changed hands
    record = pdf_text(postal_client.get(f"/api/v1/postal/handovers/{today.isoformat()}.pdf",
                                        headers=auth("postal")).data)
    assert "D-CENTRE-1" in record and "Đã giao" not in record
    assert "Đã chuyển đến Trung tâm" in " ".join(record.split())


def test_the_handover_record_names_a_pickup_at_the_centre_as_brought_there(db, test_settings):
    from datetime import datetime, timezone

    from postal import manifests
    from postal.models import Shipment

    s = Shipment(id=1, dossier_code="D-HO-1", direction="pickup", status="delivered", recipient_name="Phạm Thu Hà",
                 tracking_number="EB1VN", documents=[])
    text = pdf_text(manifests.handover_pdf([s], day=working_day(0), route_code="HL1",
                                           printed_at=datetime.now(timezone.utc)))
    assert "Đã chuyển đến Trung tâm" in " ".join(text.split()) and "Đã giao" not in text


# --- 2. courier numbers as digit strings --------------------------------------------------------------------------

def test_a_courier_sending_its_status_and_cod_amount_as_strings_is_applied_and_credited(cod_app, auth, db):
    """A status and a COD amount written "10" and "30000" (as VNPost, Viettel Post and GHN send them) were 400
    malformed_event: the courier does not send a refused report again, so the delivery stayed out and the money
    the postman collected was never credited."""
    app, settings = cod_app
    client, shipment_id = cod_delivery(app, auth, db, settings)
    at = now_utc() - timedelta(minutes=30)
    assert webhook(client, settings, event(shipment_id, "S-9", "9", at)).json["outcome"] == "applied"
    delivered = event(shipment_id, "S-10", "10", at + timedelta(minutes=10), id_check=ID_CHECK)
    assert webhook(client, settings, delivered).json["outcome"] == "applied"
    collected = webhook(client, settings, event(shipment_id, "S-21", "21", at + timedelta(minutes=11),
                                                cod_amount_vnd="30000"))
    assert collected.status_code == 200 and collected.json["outcome"] == "applied", collected.json
    assert shipment(client, auth, shipment_id)["status"] == "delivered"
    assert sorted(paid for _, _, paid in requests_of(db)) == [8000, 22000]
    # the same report again, its numbers now as JSON numbers, is the same event: a duplicate, not a conflict
    again = webhook(client, settings, event(shipment_id, "S-21", 21, at + timedelta(minutes=11), cod_amount_vnd=30000))
    assert again.status_code == 200 and again.json["outcome"] == "duplicate"
    junk = webhook(client, settings, event(shipment_id, "S-22", 21, at, cod_amount_vnd="30.000"))
    assert (junk.status_code, junk.json["code"], junk.json["details"]) == (400, "malformed_event",
                                                                           {"field": "cod_amount_vnd"})


# --- 3. the day CSV carries the postman's note ------------------------------------------------------------------

def test_both_day_csvs_carry_the_note_for_the_postman(client, auth, db, test_settings):
    """The manifest prints the booking's note under the address (call first, a lane, a back gate); neither CSV
    had it, so a route sorted or mailed as a spreadsheet lost it."""
    make_route(db, test_settings, code="HL1", wards=("06685",), morning=5, afternoon=5)
    noted = make_booked_shipment(db, test_settings, "D-NOTE-1", note="Gọi trước 15 phút, nhà trong ngõ 12")
    formula = make_booked_shipment(db, test_settings, "D-NOTE-2", note="=cổng sau")
    bare = make_booked_shipment(db, test_settings, "D-NOTE-3")
    day = working_day(1)
    assert len(client.post(f"/api/v1/postal/plan?date={day}", headers=auth("postal")).json["assigned"]) == 3
    r = client.get(f"/api/v1/postal/manifests/{day}.csv", headers=auth("postal"))
    machine = {int(row["shipment_id"]): row for row in csv.DictReader(io.StringIO(r.data.decode("utf-8-sig")))}
    assert machine[noted]["note"] == "Gọi trước 15 phút, nhà trong ngõ 12"
    assert machine[formula]["note"] == "'=cổng sau" and machine[bare]["note"] == ""
    people = {int(row["ID bưu gửi (nội bộ)"]): row for row in vi_rows(client, auth, day)}
    assert people[noted]["Ghi chú"] == "Gọi trước 15 phút, nhà trong ngõ 12"
    assert people[formula]["Ghi chú"] == "'=cổng sau" and people[bare]["Ghi chú"] == ""


# --- 5. shipments no route serves ---------------------------------------------------------------------------------

OUT_OF_PROVINCE = {"street": "Số 5 phố Hàng Bài", "ward_code": "00004", "province_code": 1}  # Hà Nội, Ba Đình


def test_the_plan_says_an_out_of_province_address_is_out_of_province(client, auth, db, test_settings):
    make_route(db, test_settings, code="HL1", wards=("06685",), morning=5, afternoon=5)
    far = make_booked_shipment(db, test_settings, "D-FAR-1", direction="delivery", address=OUT_OF_PROVINCE)
    unrouted = make_booked_shipment(db, test_settings, "D-FAR-2", address={
        "street": "Thôn 1", "ward_code": "07192", "province_code": 22})  # Cô Tô: in the province, on no route
    day = working_day(1)
    report = client.post(f"/api/v1/postal/plan?date={day}", headers=auth("postal")).json
    reasons = {u["shipment_id"]: u["reason"] for u in report["unplanned"]}
    assert reasons == {far: "out_of_province", unrouted: "no_route_for_ward"}


def test_the_board_lists_shipments_no_route_serves_apart_with_why_in_vietnamese(postal_client, db, test_settings):
    """An out-of-province address waited in "Bưu gửi chờ xếp lịch" for good: every plan reported it
    no_route_for_ward ("Chưa có tuyến nào phục vụ phường/xã này", which invites adding a ward no route of the
    centre may hold). It has a queue of its own, saying why and what to do; so has a ward of the province no
    route serves yet."""
    day = working_day(1)
    make_route(db, test_settings, code="HL1", wards=("06685",), morning=5, afternoon=5)
    far = make_booked_shipment(db, test_settings, "D-FAR-1", direction="delivery", address=OUT_OF_PROVINCE)
    unrouted = make_booked_shipment(db, test_settings, "D-FAR-2", address={
        "street": "Thôn 1", "ward_code": "07192", "province_code": 22})
    plannable = make_booked_shipment(db, test_settings, "D-NEAR-1")
    html = postal_client.get(f"{BOARD}?date={day.isoformat()}").get_data(as_text=True)
    waiting = html.split('id="waiting"', 1)[1].split("</section>", 1)[0]
    assert f'id="s-{plannable}"' in waiting
    assert f'id="s-{far}"' not in waiting and f'id="s-{unrouted}"' not in waiting
    queue = html.split('id="no-route"', 1)[1].split("</section>", 1)[0]
    assert "Bưu gửi không có tuyến phục vụ (2)" in queue
    far_card = queue.split(f'id="s-{far}"', 1)[1].split("</li>", 1)[0]
    assert "Thành phố Hà Nội" in far_card  # the card says where it is
    assert "ngoài tỉnh Quảng Ninh" in far_card and "EB0000" in far_card
    near_card = queue.split(f'id="s-{unrouted}"', 1)[1].split("</li>", 1)[0]
    assert "Chưa có tuyến nào phục vụ Đặc khu Cô Tô" in near_card
    english = postal_client.get(f"{BOARD}?date={day.isoformat()}&lang=en").get_data(as_text=True)
    assert "Shipments no route serves (2)" in english and "outside Quảng Ninh" in english


# --- 4. a booking answered once is answered again, whatever the clock says now --------------------------------

def test_the_same_booking_sent_again_after_its_round_closed_is_the_shipment_booked_first(client, auth, db,
                                                                                       test_settings, monkeypatch):
    """A one-stop system that lost the answer sends the same body again; once today's round had closed to
    bookings (two hours before it leaves) the replay was 422 slot_passed, as if nothing had been booked, where
    the same body is answered 200 with the shipment booked the first time."""
    from datetime import datetime, timezone

    import postal.routes
    from tests.postal_factories import make_dossier, shipment_body

    hanoi = timezone(timedelta(hours=7))
    make_dossier(db, test_settings, code="D-REPLAY-1")
    body = shipment_body(dossier_code="D-REPLAY-1", window={"date": "2026-12-01", "slot": "afternoon"})
    monkeypatch.setattr(postal.routes, "now_utc", lambda: datetime(2026, 12, 1, 9, 0, tzinfo=hanoi))
    first = client.post("/api/v1/postal/shipments", json=body, headers=auth("intake"))
    assert first.status_code == 201, first.json
    monkeypatch.setattr(postal.routes, "now_utc", lambda: datetime(2026, 12, 1, 12, 0, tzinfo=hanoi))
    again = client.post("/api/v1/postal/shipments", json=body, headers=auth("intake"))
    assert (again.status_code, again.json["id"]) == (200, first.json["id"])
    other = client.post("/api/v1/postal/shipments", json={**body, "note": "Gọi trước"}, headers=auth("intake"))
    assert (other.status_code, other.json["code"]) == (422, "slot_passed")  # a new booking is still refused
    monkeypatch.setattr(postal.routes, "now_utc", lambda: datetime(2026, 12, 2, 9, 0, tzinfo=hanoi))
    next_day = client.post("/api/v1/postal/shipments", json=body, headers=auth("intake"))
    assert (next_day.status_code, next_day.json["id"]) == (200, first.json["id"])  # its day past: the same
