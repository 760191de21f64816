"""Postal paperwork for every shipment the API accepts: the route manifest and the handover record
print a shipment with 30 documents of 200 characters (the cell ends with "… và N giấy tờ khác")."""
import pytest

from kernel.clock import business_date, now_utc

from tests.api import test_postal
from tests.postal_factories import ID_CHECK, make_dossier, make_route, mark_booked, shipment_body, working_day

LONG = ("Bản sao có chứng thực giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác gắn liền "
        "với đất kèm theo sơ đồ thửa đất và trích lục bản đồ địa chính khu vực phường Hồng Gai, tỉnh Quảng Ninh")
LONG = (LONG * 2)[:200]


def pdf_text(response) -> str:
    """The PDF's text with its cells' line wrapping undone."""
    return " ".join(test_postal.pdf_text(response).split())


def planned(client, auth, db, test_settings, **changes) -> tuple[int, str]:
    make_dossier(db, test_settings, code="D-PAPER")
    r = client.post("/api/v1/postal/shipments", json=shipment_body(dossier_code="D-PAPER", **changes),
                    headers=auth("intake"))
    assert r.status_code == 201, r.json
    mark_booked(db, r.json["id"])
    make_route(db, test_settings, code="HL1", wards=("06685",), morning=5, afternoon=5)
    day = working_day(1)
    assert client.post(f"/api/v1/postal/plan?date={day}", headers=auth("postal")).json["assigned"]
    return r.json["id"], day.isoformat()


@pytest.mark.parametrize("name", [LONG, "Z" * 200])
def test_thirty_long_documents_print_on_the_manifest_and_the_handover_record(client, auth, db, test_settings, name):
    documents = [{"name": name, "original": k % 2 == 0, "copies": 100} for k in range(30)]
    shipment_id, day = planned(client, auth, db, test_settings, documents=documents)
    manifest = pdf_text(client.get(f"/api/v1/postal/manifests/{day}.pdf?route=HL1", headers=auth("postal")))
    assert "… và 29 giấy tờ khác" in manifest and "D-PAPER" in manifest
    r = client.post(f"/api/v1/postal/shipments/{shipment_id}/events", json={"event": "picked_up", "id_check": ID_CHECK},
                    headers=auth("postal"))
    assert r.status_code == 200, r.json
    picked_up_on = business_date(now_utc())  # the record is of the day the dossier changed hands
    handover = pdf_text(client.get(f"/api/v1/postal/handovers/{picked_up_on}.pdf?route=HL1", headers=auth("postal")))
    assert "… và 29 giấy tờ khác" in handover and "D-PAPER" in handover
    note = pdf_text(client.get(f"/api/v1/postal/shipments/{shipment_id}/consignment-note.pdf", headers=auth("postal")))
    assert "30" in note  # the consignment note still lists every document, a row each


def test_a_long_name_and_street_with_many_documents_still_print(client, auth, db, test_settings):
    body = shipment_body(documents=[{"name": LONG, "original": True}] * 30)
    body["address"]["street"], body["recipient"]["name"] = "X" * 300, "Nguyễn " + "Y" * 190
    body["dossier_code"] = "D-PAPER"
    make_dossier(db, test_settings, code="D-PAPER")
    r = client.post("/api/v1/postal/shipments", json=body, headers=auth("intake"))
    assert r.status_code == 201, r.json
    mark_booked(db, r.json["id"])
    make_route(db, test_settings, code="HL1", wards=("06685",), morning=5, afternoon=5)
    day = working_day(1).isoformat()
    client.post(f"/api/v1/postal/plan?date={day}", headers=auth("postal"))
    assert "giấy tờ khác" in pdf_text(client.get(f"/api/v1/postal/manifests/{day}.pdf?route=HL1",
                                                 headers=auth("postal")))


def test_a_few_short_documents_are_all_named(client, auth, db, test_settings):
    _, day = planned(client, auth, db, test_settings)
    manifest = pdf_text(client.get(f"/api/v1/postal/manifests/{day}.pdf?route=HL1", headers=auth("postal")))
    assert "Tờ khai đề nghị cấp bản sao (bản chính); Căn cước công dân (bản sao x2)" in manifest
    assert "giấy tờ khác" not in manifest
