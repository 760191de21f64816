"""Every callback reads its date and time one way (`kernel.clock.parse_local_instant`): ISO 8601 with
a `T` or a space between date and time, with or without fractions and an offset; without an offset
it is Hà Nội time, as Vietnamese gateways write it. `2026-11-25 10:00:00+07:00` (a space and an
offset) was refused as a date outside 2000-2100, and the courier refused `2026-11-25 10:00:00` (no
offset: the event was lost while the bank's same text was read as Hà Nội time). A date without a
time is still refused: its time would be invented."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from kernel.clock import business_date, now_utc
from postal.models import ShipmentEvent
from tests.api.test_input_hardening import DATE_FIELD, callback, payments
from tests.api.test_postal_fix_courier_json import booked_shipment
from tests.api.test_postal_round3 import webhook
from tests.factories import make_request

HANOI = timezone(timedelta(hours=7))


def yesterday_at_ten() -> datetime:
    return datetime.combine(business_date(now_utc()) - timedelta(days=1), datetime.min.time().replace(hour=10),
                            tzinfo=HANOI)


@pytest.mark.parametrize("via", sorted(DATE_FIELD))
@pytest.mark.parametrize("written", ["{d} 10:00:00+07:00", "{d} 03:00:00Z", "{d} 10:00:00.250", "{d}T10:00:00.250",
                                     "{d} 10:00:00"])
def test_a_callback_time_written_with_a_space_and_an_offset_or_fractions_is_read(client, auth, test_settings, db,
                                                                                   via, written):
    code = make_request(client, auth)
    at = yesterday_at_ten()
    r = callback(client, test_settings, via, code=code, **{DATE_FIELD[via]: written.format(d=at.date())})
    assert r.status_code == 200, r.json
    [payment] = payments(db)
    assert payment.booked_at.replace(microsecond=0) == at


@pytest.mark.parametrize("via", sorted(DATE_FIELD))
@pytest.mark.parametrize("written", ["{d}", "{d} ", "{d}  10:00:00", "{d} 10:00:00 GMT+7"])
def test_a_callback_date_without_a_time_is_refused_as_an_invalid_field(client, test_settings, db, via, written):
    r = callback(client, test_settings, via, **{DATE_FIELD[via]: written.format(d=yesterday_at_ten().date())})
    assert r.status_code == 400 and r.json["code"] == "invalid_field", r.json
    assert "YYYY-MM-DD HH:MM:SS" in r.json["message"]
    assert payments(db) == []


@pytest.mark.parametrize("written", ["{d} 10:00:00", "{d}T10:00:00", "{d} 10:00:00+07:00", "{d}T03:00:00Z"])
def test_a_courier_event_time_without_an_offset_is_hanoi_time(client, auth, db, test_settings, written):
    shipment_id = booked_shipment(client, auth, db, test_settings)
    at = yesterday_at_ten()
    r = webhook(client, test_settings, {"event_id": "T-1", "reference": f"HCC-{shipment_id}", "status_code": 0,
                                        "occurred_at": written.format(d=at.date())})
    assert r.status_code == 200, r.json
    with db() as s:
        [event] = s.scalars(select(ShipmentEvent).where(ShipmentEvent.courier_event_id == "T-1")).all()
        assert event.occurred_at == at


@pytest.mark.parametrize("written", ["{d}", "{d}  10:00:00"])
def test_a_courier_event_date_without_a_time_is_malformed(client, auth, db, test_settings, written):
    shipment_id = booked_shipment(client, auth, db, test_settings)
    r = webhook(client, test_settings, {"event_id": "T-2", "reference": f"HCC-{shipment_id}", "status_code": 0,
                                        "occurred_at": written.format(d=yesterday_at_ten().date())})
    assert (r.status_code, r.json["code"]) == (400, "malformed_event")
    assert r.json["details"] == {"field": "occurred_at"}
