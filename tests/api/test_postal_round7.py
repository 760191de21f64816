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
