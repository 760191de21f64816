"""The chứng minh nhân dân (CMND) stopped being valid on 01/01/2025 (Luật Căn cước 2023, Art. 46): the
ID check no longer offers or accepts it. The 12-digit card is "Thẻ căn cước / Căn cước công dân"."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.db import unit_of_work
from kernel.inbox import InboundCallback
from postal.models import Shipment
from tests.api.test_pages import log_in, page_csrf, staff_user  # noqa: F401 (fixture)
from tests.api.test_postal_round3 import webhook
from tests.postal_factories import make_booked_shipment, make_route, working_day

BOARD = "/staff/postal/"
EXPIRED = ("Chứng minh nhân dân đã hết giá trị sử dụng từ 01/01/2025; dùng thẻ căn cước/căn cước công dân hoặc "
           "hộ chiếu.")


def status_of(db, shipment_id):
    with db() as s:
        return s.get(Shipment, shipment_id).status


@pytest.mark.parametrize("number", ["022088001234", "022088001"])  # the 12-digit series and the 9-digit one
def test_the_api_refuses_a_cmnd_at_the_handover(client, auth, db, test_settings, number):
    shipment_id = make_booked_shipment(db, test_settings, "D-CMND-1", direction="delivery")
    url = f"/api/v1/postal/shipments/{shipment_id}/events"
    assert client.post(url, json={"event": "out_for_delivery"}, headers=auth("postal")).status_code == 200
    r = client.post(url, json={"event": "delivered", "id_check": {
        "document_type": "cmnd", "number": number, "holder_name": "Phạm Thu Hà"}}, headers=auth("postal"))
    assert (r.status_code, r.json["code"]) == (400, "invalid_id_document")
    assert r.json["details"]["field"] == "id_check.document_type" and "2025" in r.json["message"]
    assert status_of(db, shipment_id) == "out_for_delivery"


def test_the_api_documents_only_the_valid_documents(client):
    spec = client.get("/api/v1/swagger.json").json
    assert spec["definitions"]["IdCheckIn"]["properties"]["document_type"]["enum"] == ["cccd", "passport"]


@pytest.fixture
def postal_client(client, staff_user):  # noqa: F811
    staff_user("buudien", ("postal",))
    log_in(client, "buudien")
    return client


def planned_pickup(postal_client, db, settings, reference: str):
    """A pickup planned for the next working day through the board: (the day, its id, the page's CSRF token)."""
    day = working_day(1)
    make_route(db, settings, code="HL1", morning=5)
    pickup = make_booked_shipment(db, settings, reference)
    token = page_csrf(postal_client, BOARD)
    postal_client.post(f"{BOARD}plan", data={"board_date": day.isoformat(), "csrf_token": token})
    return day, pickup, token


def test_the_board_no_longer_offers_cmnd_and_says_why_it_is_refused(postal_client, db, test_settings):
    day, pickup, token = planned_pickup(postal_client, db, test_settings, "D-CMND-2")
    html = postal_client.get(f"{BOARD}?date={day.isoformat()}").get_data(as_text=True)
    form = html.split(f'id="s-{pickup}"', 1)[1].split("</li>", 1)[0]
    options = form.split(f'id="s-{pickup}-picked_up-doc"', 1)[1].split("</select>", 1)[0]
    assert '<option value="cccd">Thẻ căn cước / Căn cước công dân</option>' in options
    assert '<option value="passport">Hộ chiếu</option>' in options
    assert "cmnd" not in options and "CMND" not in options
    r = postal_client.post(f"{BOARD}shipments/{pickup}/outcome", data={
        "csrf_token": token, "board_date": day.isoformat(), "event": "picked_up", "document_type": "cmnd",
        "id_number": "022088001234", "holder_name": "Phạm Thu Hà"})
    assert r.status_code == 400 and EXPIRED in r.get_data(as_text=True)
    assert status_of(db, pickup) == "scheduled"


def test_an_id_check_recorded_with_a_cmnd_before_2025_is_still_named(postal_client, db, test_settings):
    day, pickup, token = planned_pickup(postal_client, db, test_settings, "D-CMND-3")
    with unit_of_work(db) as s:
        s.get(Shipment, pickup).id_check = {"document_type": "cmnd", "number_last4": "1234",
                                            "holder_name": "Phạm Thu Hà"}
    html = postal_client.get(f"{BOARD}?date={day.isoformat()}").get_data(as_text=True)
    assert "Chứng minh nhân dân (CMND) …1234, Phạm Thu Hà" in html


def test_a_courier_event_with_a_cmnd_check_is_kept_not_applied_and_listed(client, auth, db, test_settings):
    """(Round 12: it was a malformed event, refused 400: the courier did not send it again and nobody was told
    of a result maybe handed over.) The report is kept, the handover not applied, the check listed."""
    shipment_id = make_booked_shipment(db, test_settings, "D-CMND-4", direction="delivery")
    r = webhook(client, test_settings, {
        "event_id": "CMND-10", "tracking_number": f"EB0000{shipment_id:04d}VN", "status_code": 10,
        "occurred_at": (now_utc() - timedelta(minutes=1)).isoformat(),
        "id_check": {"document_type": "cmnd", "number": "022088001234", "holder_name": "Phạm Thu Hà"}})
    assert (r.status_code, r.json["outcome"]) == (200, "recorded")
    assert status_of(db, shipment_id) == "booked"
    [listed] = client.get("/api/v1/postal/checks", headers=auth("postal")).json["checks"]
    assert listed["kind"] == "delivered_without_id_check"
    assert listed["data"]["id_check_refused"] == {"problem": "invalid_id_document", "field": "id_check.document_type",
                                                  "document_type": "cmnd"}
    with db() as s:
        [row] = s.execute(select(InboundCallback).where(InboundCallback.provider == "courier")).scalars()
        assert row.status == "applied"  # kept and dealt with: recorded in the history, listed


def test_a_shipment_cannot_be_booked_for_a_9_digit_cmnd_nobody_could_show_at_the_door(client, auth, db,
                                                                                        test_settings):
    from tests.postal_factories import make_dossier, shipment_body

    make_dossier(db, test_settings)
    body = shipment_body(recipient={"name": "Phạm Thu Hà", "phone": "0901234567", "id_number": "022088001"})
    r = client.post("/api/v1/postal/shipments", json=body, headers=auth("postal"))
    assert r.status_code == 400 and r.json["code"] == "invalid_id_number"
    assert "12" in r.json["message"]
    with db() as s:
        assert s.execute(select(Shipment)).first() is None
    ok = client.post("/api/v1/postal/shipments", json=shipment_body(), headers=auth("postal"))  # 12 digits
    assert ok.status_code == 201, ok.json
