"""The day's postal CSV does not hand a spreadsheet formulas: text cells people typed that start
with = + - @ (or a tab or carriage return) start with ' instead."""
import csv
import io

from tests.postal_factories import make_dossier, make_route, mark_booked, shipment_body, working_day


def test_the_day_csv_does_not_hand_formulas_to_a_spreadsheet(client, auth, db, test_settings):
    body = shipment_body(dossier_code="D-PAPER", documents=[{"name": "@SUM(1+1)", "original": True}])
    body["address"]["street"] = '=HYPERLINK("http://evil.example","bấm")'
    body["recipient"]["name"] = "+cmd|' /C calc'!A0"
    make_dossier(db, test_settings, code="D-PAPER")
    r = client.post("/api/v1/postal/shipments", json=body, headers=auth("intake"))
    assert r.status_code == 201, r.json
    mark_booked(db, r.json["id"])
    make_route(db, test_settings, code="HL1", wards=("06685",), morning=5, afternoon=5)
    day = working_day(1).isoformat()
    client.post(f"/api/v1/postal/plan?date={day}", headers=auth("postal"))
    r = client.get(f"/api/v1/postal/manifests/{day}.csv", headers=auth("postal"))
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["recipient_name"] == "'+cmd|' /C calc'!A0"
    assert row["address"].startswith("'=HYPERLINK(")
    assert row["documents"] == "'@SUM(1+1) (bản chính)"
    assert row["fees_to_collect_vnd"] == "0" and row["stop"] == "1"  # numbers stay numbers
    assert not any(value[:1] in "=+-@\t\r" for value in row.values() if value)


def test_the_day_csv_of_a_route_that_does_not_exist_is_route_not_found_as_the_pdfs_are(client, auth, db,
                                                                                       test_settings):
    """An empty CSV for a mistyped route read as "nothing planned on it"; the manifest and the
    handover record of the same route say 404 route_not_found, and so does the CSV."""
    make_route(db, test_settings, code="HL1", wards=("06685",), morning=5, afternoon=5)
    day = working_day(1).isoformat()
    answers = {url: client.get(url, headers=auth("postal")) for url in (
        f"/api/v1/postal/manifests/{day}.csv?route=NO-SUCH-ROUTE",
        f"/api/v1/postal/manifests/{day}.csv?route=NO-SUCH-ROUTE&labels=vi",
        f"/api/v1/postal/manifests/{day}.pdf?route=NO-SUCH-ROUTE",
        f"/api/v1/postal/handovers/{day}.pdf?route=NO-SUCH-ROUTE")}
    assert {url: (r.status_code, r.json["code"], r.json["details"]) for url, r in answers.items()} == {
        url: (404, "route_not_found", {"route": "NO-SUCH-ROUTE"}) for url in answers}
    known = client.get(f"/api/v1/postal/manifests/{day}.csv?route=HL1", headers=auth("postal"))
    assert known.status_code == 200 and known.mimetype == "text/csv"  # a route with nothing planned: headers only
    assert list(csv.DictReader(io.StringIO(known.data.decode("utf-8-sig")))) == []


def test_mã_bưu_gửi_is_the_tracking_number_so_our_own_id_is_labelled_as_internal(client, auth, db, test_settings):
    """In VNPost's usage "mã bưu gửi" is the tracking number (our "Mã vận đơn" column): the CSV's column
    of our shipment id says it is internal, and no paper calls our id "Mã bưu gửi"."""
    import pypdf

    make_route(db, test_settings, code="HL1", wards=("06685",), morning=5, afternoon=5)
    make_dossier(db, test_settings, code="D-IDCOL")
    shipment_id = client.post("/api/v1/postal/shipments", json=shipment_body(dossier_code="D-IDCOL"),
                              headers=auth("intake")).json["id"]
    mark_booked(db, shipment_id)
    day = working_day(1).isoformat()
    client.post(f"/api/v1/postal/plan?date={day}", headers=auth("postal"))
    r = client.get(f"/api/v1/postal/manifests/{day}.csv?labels=vi", headers=auth("postal"))
    [row] = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert "Mã bưu gửi" not in row
    assert row["ID bưu gửi (nội bộ)"] == str(shipment_id) and row["Mã vận đơn"] == f"EB0000{shipment_id:04d}VN"
    for url in (f"/api/v1/postal/manifests/{day}.pdf?route=HL1", f"/api/v1/postal/handovers/{day}.pdf",
                f"/api/v1/postal/shipments/{shipment_id}/consignment-note.pdf"):
        paper = client.get(url, headers=auth("postal"))
        text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(paper.data)).pages)
        assert "Mã vận đơn" in text and "Mã bưu gửi" not in text, url
