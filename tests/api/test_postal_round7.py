"""Postal, QA round 7: the day's paperwork lists only the work of the day (a dossier collected before its
planned day is no stop on that day's manifest)."""
import io

from pypdf import PdfReader

from tests.api.test_postal_round2 import booked_pickups
from tests.postal_factories import ID_CHECK, make_route, working_day


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
    assert r.status_code == 400 and r.json["code"] == "invalid_status" and r.json["details"] == {"parameter": "status"}
