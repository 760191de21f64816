"""Postal, QA round 12: what postal staff print and read (the day's CSV for people), and what they book."""
import csv
import io

from tests.api.test_pages import staff_user  # noqa: F401 (fixture)
from tests.postal_factories import make_booked_shipment, make_route, working_day


def planned_day(client, auth, db, test_settings, code="D-R12-CSV", **changes):
    make_route(db, test_settings, code="HL1", wards=("06685",), morning=5, afternoon=5)
    shipment_id = make_booked_shipment(db, test_settings, code, **changes)
    day = working_day(1)
    assert client.post(f"/api/v1/postal/plan?date={day}", headers=auth("postal")).json["assigned"]
    return day, shipment_id


def vi_rows(client, auth, day):
    r = client.get(f"/api/v1/postal/manifests/{day}.csv?labels=vi", headers=auth("postal"))
    assert r.status_code == 200
    header, *rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    return [dict(zip(header, row)) for row in rows]


def test_the_people_csv_keeps_the_phone_numbers_leading_zero_as_it_keeps_the_ward_codes(client, auth, db,
                                                                                         test_settings):
    """0901234567 opened in a spreadsheet is the number 901234567: the postman's list lost the 0 of every
    phone number (the ward code beside it was already written as text)."""
    day, _ = planned_day(client, auth, db, test_settings)
    [row] = vi_rows(client, auth, day)
    assert row["Điện thoại"] == '="0901234567"'
    assert row["Mã phường/xã"] == '="06685"'
    # the machine format keeps the number as stored: API clients read it as text
    machine = client.get(f"/api/v1/postal/manifests/{day}.csv", headers=auth("postal")).data.decode("utf-8-sig")
    [record] = list(csv.DictReader(io.StringIO(machine)))
    assert record["recipient_phone"] == "0901234567"


# --- a delivery the citizen asked for on a later day is not late on that day --------------------------

def test_a_delivery_windowed_after_its_transit_days_is_due_on_the_day_the_citizen_chose(client, auth, db,
                                                                                      test_settings):
    """J+1 to a ward counted from today said a delivery the citizen asked for next week was due tomorrow:
    the courier's order carried that deadline and the plan of the chosen day reported it past due. The
    deadline is the later of J+n and the day chosen (a pickup already counts J from its window)."""
    from sqlalchemy import select

    from kernel.clock import now_utc
    from kernel.db import unit_of_work
    from kernel.outbox import OutboxMessage
    from postal.models import Shipment
    from postal.service import BOOK_TOPIC, dispatch_paid_deliveries
    from tests.postal_factories import make_dossier, mark_booked, pay_everything, shipment_body

    chosen = working_day(4)
    make_dossier(db, test_settings, code="D-R12-WIN")
    r = client.post("/api/v1/postal/shipments", headers=auth("intake"), json=shipment_body(
        dossier_code="D-R12-WIN", direction="delivery", window={"date": chosen.isoformat(), "slot": "afternoon"}))
    assert r.status_code == 201, r.json
    assert r.json["due_date"] == chosen.isoformat()
    shipment_id = r.json["id"]
    pay_everything(db, test_settings, "D-R12-WIN")
    with unit_of_work(db) as s:
        dispatch_paid_deliveries(s, settings=test_settings, now=now_utc())
    with unit_of_work(db) as s:  # handed to the post today: still due on the chosen day, and the order says so
        assert s.get(Shipment, shipment_id).due_date == chosen
        [order] = s.execute(select(OutboxMessage.payload).where(OutboxMessage.topic == BOOK_TOPIC)).scalars()
    assert chosen.isoformat() in str(order["order"])
    mark_booked(db, shipment_id)
    make_route(db, test_settings, code="HL1", wards=("06685",), morning=5, afternoon=5)
    report = client.post(f"/api/v1/postal/plan?date={chosen}", headers=auth("postal")).json
    assert [(a["shipment_id"], a["slot"]) for a in report["assigned"]] == [(shipment_id, "afternoon")]
    assert report["past_due"] == []



# --- what the citizen asked the postman is on his list and on the board --------------------------------

def manifest_text(client, auth, day) -> str:
    from pypdf import PdfReader

    r = client.get(f"/api/v1/postal/manifests/{day}.pdf?route=HL1", headers=auth("postal"))
    assert r.status_code == 200, r.json
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(r.data)).pages)


def test_the_manifest_shows_the_bookings_note_for_the_postman(client, auth, db, test_settings):
    """'Gọi trước 30 phút, nhà trong ngõ 8' was printed on the consignment note only: the postman's list (the
    manifest) and the board left it out, so he learnt it at the door, if at all."""
    day, _ = planned_day(client, auth, db, test_settings, code="D-R12-NOTE", note="Gọi trước 30 phút, nhà trong ngõ 8")
    assert "Ghi chú: Gọi trước 30 phút, nhà trong ngõ 8" in manifest_text(client, auth, day)


def test_the_board_shows_the_bookings_note(client, auth, db, test_settings, staff_user):  # noqa: F811
    from tests.api.test_pages import log_in

    day, _ = planned_day(client, auth, db, test_settings, code="D-R12-NOTE2", note="Cổng sau, gọi trước")
    staff_user("buudien12", ("postal",))
    log_in(client, "buudien12")
    html = client.get(f"/staff/postal/?date={day}").get_data(as_text=True)
    assert "Cổng sau, gọi trước" in html


def test_a_note_of_a_thousand_characters_still_prints_on_one_page_row(client, auth, db, test_settings):
    """The API takes 1,000 characters: the manifest's cell names the start of it (a table row taller than a
    page is refused by the PDF library: a 500 for the whole route); the consignment note prints it whole."""
    long_note = "Gọi trước " + "rất " * 300
    day, shipment_id = planned_day(client, auth, db, test_settings, code="D-R12-NOTE3", note=long_note[:1000],
                                   address={"street": "X" * 300, "ward_code": "06685", "province_code": 22})
    text = manifest_text(client, auth, day)
    assert "Ghi chú: Gọi trước rất" in text and "…" in text


# --- the ID check a courier or a postman writes: its document type in capitals, an expired CMND ---------

def test_a_document_type_written_in_capitals_is_the_same_document(client, auth, db, test_settings):
    """'CCCD' (as the card says, and as VNPost writes it) was 400 invalid_id_document: the postman's
    handover, or the courier's whole delivery report, was refused for the case of three letters."""
    from datetime import timedelta

    from kernel.clock import now_utc
    from tests.api.test_postal_round3 import event, webhook
    from tests.postal_factories import ID_CHECK

    pickup = make_booked_shipment(db, test_settings, "D-R12-CAPS")
    r = client.post(f"/api/v1/postal/shipments/{pickup}/events", headers=auth("postal"),
                    json={"event": "picked_up", "id_check": {**ID_CHECK, "document_type": "CCCD"}})
    assert (r.status_code, r.json["status"], r.json["id_check"]["document_type"]) == (200, "picked_up", "cccd"), r.json
    delivery = make_booked_shipment(db, test_settings, "D-R12-CAPS2", direction="delivery")
    r = webhook(client, test_settings, event(delivery, "R12-CAPS-10", 10, now_utc() - timedelta(minutes=1),
                                             id_check={**ID_CHECK, "document_type": " CCCD "}))
    assert (r.status_code, r.json["outcome"]) == (200, "applied"), r.json
    from postal.models import Shipment
    with db() as s:
        done = s.get(Shipment, delivery)
        assert (done.status, done.id_check["document_type"]) == ("delivered", "cccd")


def test_a_delivery_the_courier_reports_against_an_expired_cmnd_is_kept_and_listed_not_refused(client, auth, db,
                                                                                              test_settings):
    """A 10 whose ID check is a chứng minh nhân dân was 400 malformed_event: the courier (told its report
    was malformed) does not send it again, the shipment stayed out for delivery and nobody was told, while
    the result may be in the citizen's hands. It is kept in the history, not applied (no valid proof of who
    received it) and listed for people, as a delivery reported without an ID check is."""
    from datetime import timedelta

    from kernel.clock import now_utc
    from postal.models import Shipment
    from tests.api.test_postal_round3 import event, webhook

    delivery = make_booked_shipment(db, test_settings, "D-R12-CMND", direction="delivery")
    r = webhook(client, test_settings, event(delivery, "R12-CMND-10", 10, now_utc() - timedelta(minutes=1), id_check={
        "document_type": "cmnd", "number": "022088001", "holder_name": "Phạm Thu Hà"}))
    assert (r.status_code, r.json["outcome"]) == (200, "recorded"), r.json
    with db() as s:
        assert s.get(Shipment, delivery).status == "booked"
    checks = client.get("/api/v1/postal/checks?resolved=false", headers=auth("postal")).json["checks"]
    [listed] = [c for c in checks if c["shipment"]["id"] == delivery]
    assert listed["kind"] == "delivered_without_id_check"
    assert listed["data"]["id_check_refused"]["problem"] == "invalid_id_document"
    assert "022088001" not in str(listed)  # the number is not kept (as a valid check keeps its last four only)
    # sent again, it is the same report: a duplicate, listed once
    again = webhook(client, test_settings, event(delivery, "R12-CMND-10", 10, now_utc() - timedelta(minutes=1),
                                                 id_check={"document_type": "cmnd", "number": "022088001",
                                                           "holder_name": "Phạm Thu Hà"}))
    assert (again.status_code, again.json["outcome"]) == (200, "duplicate")


# --- a courier's tracking listing with an item that is no event -------------------------------------------

def test_a_polled_listing_with_an_item_that_is_not_an_object_applies_the_rest(db, test_settings):
    """An item of the courier's `events` that is not an object ("x", null) raised TypeError in the poll (`**raw`):
    the whole listing was lost and the poll failed again every time; such an item is malformed and counted,
    as an event missing a field is, and the others are applied."""
    from datetime import timedelta

    from kernel.clock import now_utc
    from kernel.db import unit_of_work
    from postal.models import Shipment
    from postal.tracking import apply_tracking

    shipment_id = make_booked_shipment(db, test_settings, "D-R12-POLL")
    picked_up = {"event_id": "R12-POLL-5", "status_code": 5,
                 "occurred_at": (now_utc() - timedelta(minutes=5)).isoformat()}
    with unit_of_work(db) as s:
        outcomes = apply_tracking(s, result={"tracking_number": f"EB0000{shipment_id:04d}VN",
                                             "events": ["x", None, 7, picked_up]},
                                  settings=test_settings, now=now_utc())
    assert outcomes == {"malformed": 3, "applied": 1}
    with db() as s:
        assert s.get(Shipment, shipment_id).status == "picked_up"


def test_the_booking_sms_of_a_windowed_pickup_names_the_appointment(client, auth, db, test_settings):
    from sqlalchemy import select

    from kernel.clock import now_utc
    from kernel.db import unit_of_work
    from kernel.notify import SMS_TOPIC
    from kernel.outbox import OutboxMessage
    from postal.tracking import booking_succeeded
    from tests.postal_factories import make_dossier, shipment_body

    chosen = working_day(2)
    make_dossier(db, test_settings, code="D-R12-SMS")
    r = client.post("/api/v1/postal/shipments", headers=auth("intake"), json=shipment_body(
        dossier_code="D-R12-SMS", window={"date": chosen.isoformat(), "slot": "afternoon"}))
    assert r.status_code == 201, r.json
    with unit_of_work(db) as s:
        booking_succeeded(s, shipment_id=r.json["id"], result={"tracking_number": "EB123456785VN"},
                          settings=test_settings, now=now_utc())
    with db() as s:
        texts = [m.payload["text"] for m in s.execute(select(OutboxMessage).where(
            OutboxMessage.topic == SMS_TOPIC)).scalars()]
    [booked] = [t for t in texts if "sẽ đến nhận" in t]
    assert f"vào buổi chiều ngày {chosen.strftime('%d/%m/%Y')} theo lịch hẹn" in booked, booked
