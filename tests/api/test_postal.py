"""The postal API: addresses, shipments, planning, paperwork, roles, the courier webhook's guard."""
import io
import json
import time
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from kernel.audit import AuditEntry
from kernel.inbox import REJECTED, InboundCallback
from kernel.outbox import OutboxMessage
from kernel.signing import HEADER, sign
from payments.models import FeeItem, PaymentRequest
from postal.models import Route, Shipment, ShipmentEvent
from tests.postal_factories import (ID_CHECK, make_dossier, mark_booked, next_sunday, next_weekday_off, pickup_day,
                                    route_body, shipment_body, working_day, yesterday)


@pytest.fixture
def dossier(db, test_settings):
    return make_dossier(db, test_settings)


def count(db, model, *where):
    with db() as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def post_shipment(client, auth, body, role="intake"):
    return client.post("/api/v1/postal/shipments", json=body, headers=auth(role))


def pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


# --- addresses ----------------------------------------------------------------------------

def test_the_ward_picker_lists_the_54_units_of_quang_ninh_with_the_data_version(client, auth):
    r = client.get("/api/v1/postal/wards?province_code=22", headers=auth("intake"))
    assert r.status_code == 200
    assert r.json["province_name"] == "Quảng Ninh" and len(r.json["wards"]) == 54
    names = {w["name"] for w in r.json["wards"]}
    assert {"Đặc khu Vân Đồn", "Đặc khu Cô Tô", "Phường Hồng Gai", "Xã Cái Chiên"} <= names
    assert r.json["data_version"].startswith("vietnam-provinces 2025.10.1")


def test_an_unknown_province_is_a_422_with_a_stable_code(client, auth):
    r = client.get("/api/v1/postal/wards?province_code=99", headers=auth("intake"))
    assert r.status_code == 422 and r.json["code"] == "unknown_province"


def test_a_province_code_of_thousands_of_digits_is_a_400_not_a_500(client, auth):
    # int() of more than 4,300 digits raises ValueError: the parser must refuse by length first.
    r = client.get(f"/api/v1/postal/wards?province_code={'9' * 5000}", headers=auth("intake"))
    assert r.status_code == 400 and r.json["code"] == "invalid_province_code"
    long_zero_padded = client.get(f"/api/v1/postal/wards?province_code={'0' * 5000}22", headers=auth("intake"))
    assert long_zero_padded.status_code == 400 and long_zero_padded.json["code"] == "invalid_province_code"


def test_a_split_legacy_ward_is_answered_with_its_candidates_never_a_guess(client, auth):
    r = client.get("/api/v1/postal/wards?province_code=22&legacy_name=Xã Yên Than", headers=auth("intake"))
    assert r.status_code == 409 and r.json["code"] == "legacy_ward_split"
    assert {c["name"] for c in r.json["details"]["candidates"]} == {"Xã Tiên Yên", "Xã Điền Xá"}
    assert "1679/NQ-UBTVQH15" in r.json["details"]["source"]
    merged = client.get("/api/v1/postal/wards?province_code=22&legacy_name=xa bang ca", headers=auth("intake"))
    assert merged.status_code == 200 and merged.json["ward"]["code"] == "07054"


# --- shipments ----------------------------------------------------------------------------

def test_a_pickup_gets_its_deadline_and_postage_added_as_a_fee_item(client, auth, db, dossier):
    r = post_shipment(client, auth, shipment_body())
    assert r.status_code == 201, r.json
    body = r.json
    assert body["status"] == "requested" and body["tracking_number"] is None
    assert type(body["postage_vnd"]) is int and body["postage_vnd"] == 22000  # local zone, ≤ 500 g
    assert body["due_date"] == pickup_day(1).isoformat()  # J+1 to a ward of the province
    assert body["address"]["ward_name"] == "Phường Hồng Gai" and body["recipient"]["phone"] == "0901234567"
    with db() as s:
        postage = s.execute(select(FeeItem).where(FeeItem.kind == "postage")).scalar_one()
        request = s.execute(select(PaymentRequest).where(
            PaymentRequest.payment_code == body["postage_payment_code"])).scalar_one()
    assert postage.amount_vnd == 22000 and request.amount_vnd == 22000
    assert count(db, OutboxMessage, OutboxMessage.topic == "courier.book") == 1  # pickups are booked at once


def test_another_province_and_special_zones_cost_more_and_take_longer(client, auth, db, test_settings):
    make_dossier(db, test_settings, code="D-OTHER")
    make_dossier(db, test_settings, code="D-ISLAND")
    other = post_shipment(client, auth, shipment_body(dossier_code="D-OTHER", direction="delivery", address={
        "street": "12 Tràng Tiền", "ward_code": "00070", "province_code": 1})).json
    island = post_shipment(client, auth, shipment_body(dossier_code="D-ISLAND", address={
        "street": "Thôn 1", "ward_code": "07192", "province_code": 22})).json
    assert other["zone"] == "other" and other["postage_vnd"] == 30000
    assert other["due_date"] == working_day(3).isoformat()  # J+3 to a ward of another province
    assert island["zone"] == "special" and island["postage_vnd"] == 35000
    assert island["due_date"] == pickup_day(2 + 2).isoformat()  # a special zone (not a ward): J+2, plus 2


@pytest.mark.parametrize("change, status, code", [
    ({"direction": "fly"}, 400, "invalid_direction"),
    ({"address": {"street": "x", "ward_code": "06685", "province_code": 1}}, 422, "ward_not_in_province"),
    ({"address": {"street": "x", "ward_code": "99999", "province_code": 22}}, 422, "unknown_ward"),
    ({"address": {"street": "x", "legacy_ward": "Đại Dực", "province_code": 22}}, 409, "legacy_ward_split"),
    ({"recipient": {"name": "A", "phone": "12"}}, 400, "invalid_phone"),
    ({"weight_grams": 500.0}, 400, "invalid_weight"),
    ({"window": {"date": "2020-01-06", "slot": "morning"}}, 400, "window_in_past"),
    ({"window": {"date": next_sunday().isoformat(), "slot": "morning"}}, 422, "window_not_working_day"),
    ({"window": {"date": working_day(2).isoformat(), "slot": "evening"}}, 400, "invalid_slot"),
    ({"dossier_code": "NO-SUCH-DOSSIER"}, 404, "dossier_not_found"),
])
def test_bad_input_is_refused_with_a_stable_code_and_writes_nothing(client, auth, db, dossier, change, status, code):
    r = post_shipment(client, auth, shipment_body(**change))
    assert (r.status_code, r.json["code"]) == (status, code), r.json
    assert count(db, Shipment) == 0 and count(db, FeeItem, FeeItem.kind == "postage") == 0
    assert count(db, OutboxMessage) == 0


def test_a_legacy_ward_merged_whole_is_resolved_and_stored_as_its_2025_ward(client, auth, dossier):
    r = post_shipment(client, auth, shipment_body(address={"street": "Thôn Đồng Đình", "legacy_ward": "Xã Phong Dụ",
                                                           "province_code": 22}))
    assert r.status_code == 201 and r.json["address"]["ward_code"] == "06862"


def test_the_same_shipment_again_is_200_and_a_different_one_is_409(client, auth, db, dossier):
    first = post_shipment(client, auth, shipment_body())
    again = post_shipment(client, auth, shipment_body(), role="postal")
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    other = post_shipment(client, auth, shipment_body(note="Gọi trước 30 phút"))
    assert other.status_code == 409 and other.json["code"] == "shipment_exists"
    assert count(db, Shipment) == 1 and count(db, FeeItem, FeeItem.kind == "postage") == 1


def test_a_prepaid_delivery_waits_for_payment_and_a_cod_one_is_booked_at_once(client, auth, db, app, test_settings):
    make_dossier(db, test_settings, code="D-PREPAID")
    make_dossier(db, test_settings, code="D-COD")
    waiting = post_shipment(client, auth, shipment_body(dossier_code="D-PREPAID", direction="delivery")).json
    assert count(db, OutboxMessage, OutboxMessage.key == f"courier.book:shipment:{waiting['id']}") == 0
    runtime = app.extensions["hccpay"]
    runtime.settings = test_settings.with_overrides(postal_payment_mode="cod")
    cod = post_shipment(client, auth, shipment_body(dossier_code="D-COD", direction="delivery")).json
    assert cod["cod"] is True
    with db() as s:
        order = s.execute(select(OutboxMessage).where(OutboxMessage.topic == "courier.book")).scalar_one().payload
    assert order["shipment_id"] == cod["id"]
    assert order["order"]["cod_amount_vnd"] == 8000 + 22000  # the dossier's fee and the postage


def test_cancelling_before_pickup_withdraws_the_unpaid_postage_request(client, auth, db, dossier):
    shipment = post_shipment(client, auth, shipment_body()).json
    r = client.post(f"/api/v1/postal/shipments/{shipment['id']}/cancel", json={"reason": "Công dân tự nộp"},
                    headers=auth("intake"))
    assert r.status_code == 200 and r.json["status"] == "cancelled"
    with db() as s:
        request = s.execute(select(PaymentRequest).where(
            PaymentRequest.payment_code == shipment["postage_payment_code"])).scalar_one()
    assert request.status == "cancelled"


def test_a_delivered_result_needs_an_id_check_and_a_failure_needs_a_reason(client, auth, db, dossier):
    shipment = post_shipment(client, auth, shipment_body()).json
    url = f"/api/v1/postal/shipments/{shipment['id']}/events"
    r = client.post(url, json={"event": "picked_up"}, headers=auth("postal"))
    assert r.status_code == 400 and r.json["code"] == "id_check_required"
    r = client.post(url, json={"event": "failed_attempt"}, headers=auth("postal"))
    assert r.status_code == 400 and r.json["code"] == "failure_reason_required"
    for reason in ("lost", ["not_home"], {"x": 1}):
        r = client.post(url, json={"event": "failed_attempt", "reason": reason}, headers=auth("postal"))
        assert r.status_code == 400 and r.json["code"] == "invalid_reason"
    r = client.post(url, json={"event": ["picked_up"]}, headers=auth("postal"))
    assert r.status_code == 400 and r.json["code"] == "invalid_event"
    r = client.post(url, json={"event": "picked_up", "id_check": ID_CHECK}, headers=auth("postal"))
    assert r.status_code == 409 and r.json["code"] == "illegal_transition"  # not booked yet
    assert count(db, ShipmentEvent) == 1  # only "requested"


def test_only_intake_and_postal_create_and_only_postal_plans(client, auth, dossier):
    assert post_shipment(client, auth, shipment_body(), role="cashier").status_code == 403
    assert client.post(f"/api/v1/postal/plan?date={working_day(1)}", headers=auth("intake")).status_code == 403
    assert client.get("/api/v1/postal/shipments", headers=auth("auditor")).status_code == 200
    assert client.get("/api/v1/postal/shipments").status_code == 401


# --- planning and paperwork -------------------------------------------------------------------

def test_the_plan_respects_capacity_and_reports_what_did_not_fit(client, auth, db, test_settings):
    ids = []
    for n in range(5):
        code = make_dossier(db, test_settings, code=f"D-PLAN-{n}")
        ids.append(post_shipment(client, auth, shipment_body(dossier_code=code)).json["id"])
    mark_booked(db, *ids)
    assert client.post("/api/v1/postal/routes", json=route_body(), headers=auth("postal")).status_code == 201
    day = working_day(1)
    r = client.post(f"/api/v1/postal/plan?date={day}", headers=auth("postal"))
    assert r.status_code == 200, r.json
    assert len(r.json["assigned"]) == 3 and len(r.json["unplanned"]) == 2
    assert {u["reason"] for u in r.json["unplanned"]} == {"over_capacity"}
    assert {(x["route"], x["slot"], x["used"], x["capacity"]) for x in r.json["routes"]} == {
        ("HL1", "morning", 2, 2), ("HL1", "afternoon", 1, 1)}
    assert sorted(a["stop"] for a in r.json["assigned"] if a["slot"] == "morning") == [1, 2]
    again = client.post(f"/api/v1/postal/plan?date={day}", headers=auth("postal")).json
    assert again["assigned"] == [] and len(again["unplanned"]) == 2  # capacity already used


def test_a_manual_move_is_audited_and_may_exceed_capacity(client, auth, db, test_settings):
    ids = []
    for n in range(2):
        code = make_dossier(db, test_settings, code=f"D-MOVE-{n}")
        ids.append(post_shipment(client, auth, shipment_body(dossier_code=code)).json["id"])
    mark_booked(db, *ids)
    client.post("/api/v1/postal/routes", json=route_body(morning=1, afternoon=0), headers=auth("postal"))
    day = working_day(1)
    client.post(f"/api/v1/postal/plan?date={day}", headers=auth("postal"))
    r = client.post(f"/api/v1/postal/shipments/{ids[1]}/assignment", headers=auth("postal"),
                    json={"date": day.isoformat(), "route": "HL1", "slot": "morning", "reason": "Khách hẹn sáng"})
    assert r.status_code == 200 and r.json["over_capacity"] is True and r.json["plan"]["stop"] in (1, 2)
    assert count(db, AuditEntry, AuditEntry.action == "shipment.move") == 1
    bad = client.post(f"/api/v1/postal/shipments/{ids[1]}/assignment", headers=auth("postal"),
                      json={"date": day.isoformat(), "route": "NOPE", "slot": "morning", "reason": "x"})
    assert bad.status_code == 404 and bad.json["code"] == "route_not_found"


def test_planning_a_holiday_is_refused(client, auth):
    r = client.post(f"/api/v1/postal/plan?date={next_weekday_off().isoformat()}", headers=auth("postal"))
    assert r.status_code == 422 and r.json["code"] == "not_a_working_day"


def test_the_manifest_handover_record_and_consignment_note_are_vietnamese_pdfs(client, auth, db, dossier):
    shipment = post_shipment(client, auth, shipment_body()).json
    mark_booked(db, shipment["id"])
    client.post("/api/v1/postal/routes", json=route_body(), headers=auth("postal"))
    day = working_day(1)
    client.post(f"/api/v1/postal/plan?date={day}", headers=auth("postal"))
    manifest = pdf_text(client.get(f"/api/v1/postal/manifests/{day}.pdf?route=HL1", headers=auth("postal")))
    for words in ("DANH SÁCH NHẬN HỒ SƠ VÀ PHÁT KẾT QUẢ", "Phạm Thu Hà", "0901234567", "Phường Hồng Gai",
                  "Tờ khai đề nghị cấp bản sao (bản chính)", "Ký nhận", "Thu hộ"):
        assert words in manifest, words
    handover = pdf_text(client.get(f"/api/v1/postal/handovers/{day}.pdf?route=HL1", headers=auth("intake")))
    assert "BIÊN BẢN GIAO NHẬN HỒ SƠ" in handover and "NHÂN VIÊN BƯU CHÍNH" in handover and "ĐẠI DIỆN TRUNG TÂM" in handover
    note = pdf_text(client.get(f"/api/v1/postal/shipments/{shipment['id']}/consignment-note.pdf",
                               headers=auth("auditor")))
    assert "PHIẾU GỬI HỒ SƠ" in note and "Căn cước công dân" in note and "Bản sao" in note and "22.000 ₫" in note
    csv = client.get(f"/api/v1/postal/manifests/{day}.csv", headers=auth("postal"))
    assert csv.status_code == 200 and "Phường Hồng Gai" in csv.data.decode("utf-8-sig")
    missing = client.get(f"/api/v1/postal/manifests/{day}.pdf", headers=auth("postal"))
    assert missing.status_code == 400 and missing.json["code"] == "missing_field"


def test_a_route_outside_the_province_is_refused(client, auth, db):
    r = client.post("/api/v1/postal/routes", json=route_body(wards=("00070",)), headers=auth("postal"))
    assert r.status_code == 422 and r.json["code"] == "ward_not_in_province"
    assert count(db, Route) == 0


# --- the webhook's guard ----------------------------------------------------------------------

def test_an_unsigned_courier_webhook_is_stored_rejected_and_answered_401(client, db):
    body = json.dumps({"event_id": "E1", "tracking_number": "EB1VN", "status_code": 10,
                       "occurred_at": "2026-11-25T03:00:00+00:00"}).encode()
    bad = sign(["not-the-secret"], body, int(time.time()))
    r = client.post("/api/v1/callbacks/courier", data=body, headers={HEADER: bad, "Content-Type": "application/json"})
    assert r.status_code == 401 and r.json["code"] == "invalid_signature"
    with db() as s:
        row = s.execute(select(InboundCallback)).scalar_one()
    assert row.status == REJECTED and row.reason == "signature does not match" and row.provider == "courier"
    assert count(db, ShipmentEvent) == 0


def test_a_signed_but_malformed_webhook_is_a_400_and_recorded(client, db, test_settings):
    body = json.dumps({"event_id": "E1", "status_code": 99}).encode()
    header = sign(test_settings.secret_values("HCCPAY_COURIER_WEBHOOK_SECRET"), body, int(time.time()))
    r = client.post("/api/v1/callbacks/courier", data=body, headers={HEADER: header, "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json["code"] == "malformed_event"
    with db() as s:
        assert s.execute(select(InboundCallback.status)).scalar_one() == REJECTED


def test_yesterday_is_in_the_past_for_a_window(client, auth, dossier):
    r = post_shipment(client, auth, shipment_body(window={"date": yesterday().isoformat(), "slot": "morning"}))
    assert r.status_code == 400 and r.json["code"] == "window_in_past", r.json


def test_a_past_weekend_window_is_in_the_past_not_a_weekend(client, auth, dossier):
    """The replay check (the same body booked before its window passed) re-read the body without timing and
    its weekend refusal came out instead (the suite failed on Sundays: yesterday was a Saturday)."""
    saturday = yesterday() - timedelta(days=(yesterday().weekday() - 5) % 7 or 7)
    assert saturday.weekday() == 5
    r = post_shipment(client, auth, shipment_body(window={"date": saturday.isoformat(), "slot": "morning"}))
    assert r.status_code == 400 and r.json["code"] == "window_in_past", r.json


JUNK = [None, [], "x", 1, 1.5, True, {"direction": {"a": 1}}, {"address": []}, {"recipient": "x"},
        {"window": {"date": 20261126}}, {"documents": [{"name": 1}]}, {"documents": [{"name": "a", "copies": 0}]},
        {"event": "delivered", "id_check": {"document_type": "cccd", "number": "!!", "holder_name": "A"}},
        {"date": "26/11/2026", "route": 5, "slot": "morning", "reason": ["x"]}, {"reason": {"a": 1}},
        {"code": ["HL"], "name": "x", "ward_codes": ["06685"], "capacity": {"morning": 1, "afternoon": 1}},
        {"code": "HL", "name": "x", "ward_codes": [True], "capacity": {"morning": -1, "afternoon": 1}}]


@pytest.mark.parametrize("junk", JUNK)
def test_no_postal_endpoint_answers_junk_with_a_500(client, auth, db, dossier, junk):
    shipment_id = post_shipment(client, auth, shipment_body()).json["id"]
    for path in ("/api/v1/postal/shipments", f"/api/v1/postal/shipments/{shipment_id}/events",
                 f"/api/v1/postal/shipments/{shipment_id}/assignment", f"/api/v1/postal/shipments/{shipment_id}/cancel",
                 "/api/v1/postal/routes", "/api/v1/postal/routes/HL1", "/api/v1/postal/plan?date=junk"):
        method = client.put if path.endswith("HL1") else client.post
        r = method(path, data=json.dumps(junk), content_type="application/json", headers=auth("postal"))
        assert 400 <= r.status_code < 500 and r.json["code"].replace("_", "").isalpha(), (path, r.json)
    for query in ("province_code=abc", "province_code=", "province_code=22&legacy_name="):
        r = client.get(f"/api/v1/postal/wards?{query}", headers=auth("postal"))
        assert 400 <= r.status_code < 500, (query, r.json)
    assert count(db, Shipment) == 1 and count(db, Route) == 0
