"""Postal, fifth QA round, text: what the paperwork prints is checked for printable characters at
input (as for dossiers), and the day's CSV reads in Vietnamese."""
import csv
import io

import pytest

from tests.postal_factories import make_dossier, make_route, shipment_body

HAN = "李小龍"


# --- 8. printable names, streets, documents and notes ----------------------------------------------

@pytest.mark.parametrize("field, change", [
    ("recipient.name", {"recipient": {"name": HAN, "phone": "0901234567"}}),
    ("address.street", {"address": {"street": "Số 8 phố 黄", "ward_code": "06685", "province_code": 22}}),
    ("documents[1].name", {"documents": [{"name": "Tờ khai", "original": True}, {"name": f"Giấy {HAN}"}]}),
    ("note", {"note": f"Gọi trước cho {HAN}"}),
])
def test_a_shipment_text_the_paperwork_cannot_print_is_refused_like_a_dossiers(client, auth, db, test_settings,
                                                                                 field, change):
    make_dossier(db, test_settings, code="D-PRINT")
    r = client.post("/api/v1/postal/shipments", json=shipment_body(dossier_code="D-PRINT", **change),
                    headers=auth("intake"))
    assert (r.status_code, r.json["code"], r.json["details"]["field"]) == (400, "unprintable_characters", field)
    assert set(r.json["details"]["characters"]) <= set(HAN + "黄")
    fine = shipment_body(dossier_code="D-PRINT", recipient={"name": "Đặng Thị Ỷ Lan", "phone": "0901234567"},
                         note="Gọi trước — nhà số 8/12, ngõ “Hoa Sữa”")
    assert client.post("/api/v1/postal/shipments", json=fine, headers=auth("intake")).status_code == 201


def test_a_route_name_the_manifest_cannot_print_is_refused(client, auth, db, test_settings):
    r = client.post("/api/v1/postal/routes", headers=auth("postal"), json={
        "code": "HL9", "name": "Tuyến 黄", "ward_codes": ["06685"], "capacity": {"morning": 1, "afternoon": 1}})
    assert (r.status_code, r.json["code"], r.json["details"]["field"]) == (400, "unprintable_characters", "name")
