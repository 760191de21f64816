"""Postal, QA round 18: a pickup without a window booked after the day's rounds closed counts from the next
round that takes it; addresses written with the usual abbreviations."""
from datetime import datetime, timedelta

import pytest
import time_machine
from flask.testing import FlaskClient

from kernel.clock import VN_TZ
from tests.conftest import applies_queued_callbacks
from tests.postal_factories import make_dossier, shipment_body

SHIPMENTS = "/api/v1/postal/shipments"


def vn(text: str) -> datetime:
    """An instant written as a Hà Nội wall clock reads it."""
    return datetime.fromisoformat(text).replace(tzinfo=VN_TZ)


def book_at(client, auth, db, settings, at: str, code: str = "D-CUTOFF", **changes):
    with time_machine.travel(vn(at), tick=False):
        make_dossier(db, settings, code=code)
        return client.post(SHIPMENTS, json=shipment_body(dossier_code=code, **changes), headers=auth("intake"))


# --- 1. a pickup without a window counts from the first round still taking bookings ------------------------

@pytest.mark.parametrize("at, j, due", [
    # Thursday 03/12/2026 11:29: the afternoon round (13:30) takes bookings until 11:30: today.
    ("2026-12-03T11:29", "2026-12-03", "2026-12-04"),
    # 11:30, the day's last round closed: Friday's morning round, J+1 the Monday after.
    ("2026-12-03T11:30", "2026-12-04", "2026-12-07"),
    # Friday 04/12 after the cut-off: the weekend is skipped, J is Monday 07/12.
    ("2026-12-04T16:00", "2026-12-07", "2026-12-08"),
    # Thursday 31/12 afternoon: 1/1 is a holiday, then the weekend: Monday 04/01/2027.
    ("2026-12-31T15:00", "2027-01-04", "2027-01-05"),
    # The eve of Tết Đinh Mùi (Thursday 04/02/2027) afternoon: the days off, then Friday 12/02.
    ("2027-02-04T16:00", "2027-02-12", "2027-02-15"),
    # A Saturday: the next working day, as before.
    ("2026-11-28T23:50", "2026-11-30", "2026-12-01"),
])
def test_a_pickup_without_a_window_booked_after_the_cutoff_counts_from_the_next_working_days_round(
        client, auth, db, test_settings, at, j, due):
    r = book_at(client, auth, db, test_settings, at)
    assert r.status_code == 201, r.json
    assert (r.json["j_date"], r.json["due_date"]) == (j, due)


def test_a_pickup_without_a_window_skips_a_configured_holiday_too(db, test_settings, auth):
    from api import create_app
    from config import load_settings
    settings = load_settings({"HCCPAY_DEMO": "1", "DATABASE_URL": test_settings.database_url,
                              "HCCPAY_HOLIDAYS_EXTRA": "2026-12-04"}, testing=True)  # a Friday off
    app = create_app(settings)
    app.test_client_class = applies_queued_callbacks(FlaskClient)
    try:
        r = book_at(app.test_client(), auth, db, settings, "2026-12-03T12:00")
    finally:
        app.extensions["hccpay"].engine.dispose()
    assert r.status_code == 201, r.json
    assert (r.json["j_date"], r.json["due_date"]) == ("2026-12-07", "2026-12-08")


def test_a_pickup_with_a_window_still_counts_from_its_window(client, auth, db, test_settings):
    r = book_at(client, auth, db, test_settings, "2026-12-03T12:00", window={"date": "2026-12-08", "slot": "morning"})
    assert r.status_code == 201, r.json
    assert (r.json["j_date"], r.json["due_date"]) == ("2026-12-08", "2026-12-09")


def test_a_delivery_booked_after_the_cutoff_is_still_handed_to_the_post_today(client, auth, db, test_settings):
    # J of a delivery is the day the agency hands the result over, not a round of ours.
    r = book_at(client, auth, db, test_settings, "2026-12-03T16:00", direction="delivery")
    assert r.status_code == 201, r.json
    assert r.json["j_date"] == "2026-12-03"


# --- 2. old addresses as people abbreviate them ------------------------------------------------------------

@pytest.mark.parametrize("legacy, code", [("T.T. Tiên Yên", "06862"), ("X. Hà Lâu, H. Tiên Yên, T. Quảng Ninh", "06874")])
def test_the_wards_lookup_reads_an_old_address_abbreviated(client, auth, legacy, code):
    r = client.get("/api/v1/postal/wards", query_string={"province_code": 22, "legacy_name": legacy},
                   headers=auth("intake"))
    assert r.status_code == 200, r.json
    assert r.json["ward"]["code"] == code


def test_a_shipment_to_an_old_town_abbreviated_is_booked_to_its_2025_ward(client, auth, db, test_settings):
    r = book_at(client, auth, db, test_settings, "2026-12-03T09:00", address={
        "street": "Số 3 phố Lý Thường Kiệt", "legacy_ward": "T.T.Tiên Yên", "province_code": 22})
    assert r.status_code == 201, r.json
    assert r.json["address"]["ward_code"] == "06862"


def test_an_old_address_naming_another_province_is_not_guessed(client, auth):
    r = client.get("/api/v1/postal/wards", query_string={"province_code": 22, "legacy_name": "Xã Hà Lâu, tỉnh Lạng Sơn"},
                   headers=auth("intake"))
    assert r.status_code == 422 and r.json["code"] == "unknown_legacy_ward", r.json
