"""Postal, QA round 12: what postal staff print and read (the day's CSV for people), and what they book."""
import csv
import io

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
