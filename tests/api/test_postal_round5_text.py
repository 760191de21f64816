"""Postal, fifth QA round, text: what the paperwork prints is checked for printable characters at
input (as for dossiers), and the day's CSV reads in Vietnamese."""
import csv
import io
import re

import pytest

from tests.api import test_pages
from tests.api.test_pages import log_in
from tests.postal_factories import make_booked_shipment, make_dossier, make_route, shipment_body, working_day

staff_user = test_pages.staff_user  # the fixture: a staff account for the pages

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


# --- 9. the day's CSV for people is Vietnamese ------------------------------------------------------

VI_HEADER = ["Ngày", "Tuyến", "Buổi", "Điểm", "ID bưu gửi (nội bộ)", "Loại", "Trạng thái", "Mã vận đơn", "Mã hồ sơ",
             "Người nhận/gửi", "Điện thoại", "Địa chỉ", "Ghi chú", "Mã phường/xã", "Giấy tờ", "Mã buổi", "Mã loại",
             "Mã trạng thái", "Thu hộ (đồng)", "Hạn hoàn thành", "Hồ sơ còn phải nộp (đồng)", "Chênh lệch thu hộ"]


def planned_day(client, auth, db, test_settings):
    make_route(db, test_settings, code="HL1", wards=("06685",), morning=5, afternoon=5)
    shipment_id = make_booked_shipment(db, test_settings, "D-CSV-VI")
    day = working_day(1)
    assert client.post(f"/api/v1/postal/plan?date={day}", headers=auth("postal")).json["assigned"]
    return day, shipment_id


def test_the_day_csv_for_people_has_vietnamese_headers_and_names_with_the_codes_beside(client, auth, db,
                                                                                          test_settings):
    day, shipment_id = planned_day(client, auth, db, test_settings)
    r = client.get(f"/api/v1/postal/manifests/{day}.csv?labels=vi", headers=auth("postal"))
    assert r.status_code == 200 and r.data.startswith("\ufeff".encode())
    header, row = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert header == VI_HEADER
    cells = dict(zip(header, row))
    assert (cells["Ngày"], cells["Buổi"], cells["Loại"], cells["Trạng thái"]) == (
        day.strftime("%d/%m/%Y"), "Sáng", "Nhận hồ sơ", "Đã xếp lịch")
    assert (cells["Mã buổi"], cells["Mã loại"], cells["Mã trạng thái"]) == ("morning", "pickup", "scheduled")
    assert cells["Mã phường/xã"] == '="06685"'  # a spreadsheet keeps the leading zero: text, not 6685
    assert (cells["ID bưu gửi (nội bộ)"], cells["Điểm"], cells["Thu hộ (đồng)"]) == (str(shipment_id), "1", "0")
    assert cells["Người nhận/gửi"] == "Phạm Thu Hà" and "Phường Hồng Gai" in cells["Địa chỉ"]
    # the machine format stays what API clients read
    machine = client.get(f"/api/v1/postal/manifests/{day}.csv", headers=auth("postal")).data.decode("utf-8-sig")
    assert machine.splitlines()[0].startswith("date,route,slot,stop,shipment_id,direction,status")
    bad = client.get(f"/api/v1/postal/manifests/{day}.csv?labels=fr", headers=auth("postal"))
    assert (bad.status_code, bad.json["code"], bad.json["details"]) == (400, "invalid_parameter", {"field": "labels"})


def test_the_board_links_the_vietnamese_csv(client, db, staff_user):
    staff_user("buudien9", ("postal",))
    log_in(client, "buudien9")
    html = client.get("/staff/postal/").get_data(as_text=True)
    assert re.search(r'href="/api/v1/postal/manifests/[0-9-]{10}\.csv\?labels=vi"', html)
