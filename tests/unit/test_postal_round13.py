"""Postal, QA round 13 (pure): a pickup at the centre is not "delivered"; courier numbers written as digit
strings; a citizen's window for today closes before the round leaves."""
from datetime import datetime, timedelta, timezone

import pytest

from config.holidays import DEFAULT_HOLIDAYS
from kernel.errors import ValidationError
from postal import manifests, states
from postal.tracking import parse_courier_event
from web import postal_texts

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)  # Tuesday 10:00 in Hà Nội


# --- 1. a pickup whose dossier reached the centre ------------------------------------------------------------

def test_a_pickup_at_the_centre_reads_as_received_there_not_as_delivered():
    """status_name(pickup, delivered) was "Đã giao" (the board's badge, the day CSV, the handover record, the
    flash after recording it): a citizen's dossier is not "delivered", it reached the centre."""
    name = manifests.status_name(states.PICKUP, states.DELIVERED)
    assert name == "Đã chuyển đến Trung tâm"
    assert "giao" not in name.lower()
    label = postal_texts.EVENT_LABELS[(states.PICKUP, states.DELIVERED)]
    assert "giao" not in label.lower() and "Trung tâm" in label
    assert manifests.status_name(states.DELIVERY, states.DELIVERED) == "Đã giao"  # a result is delivered
    for text in (name, label):
        assert text in postal_texts.EN, text  # the English board translates it


# --- 2. courier numbers as digit strings --------------------------------------------------------------------

def _event(**fields):
    return {"event_id": "E-1", "tracking_number": "EB000001VN", "status_code": 10,
            "occurred_at": "2026-12-01 09:00:00", **fields}


@pytest.mark.parametrize("written, number", [("10", 10), (" 21 ", 21), ("0", 0), ("022", 22)])
def test_a_status_code_sent_as_a_digit_string_is_read(written, number):
    """VNPost, Viettel Post and GHN send numbers as strings ("OrderStatusId": "10"): refused as
    malformed_event, the courier never sent the report again and the shipment stood still."""
    assert parse_courier_event(_event(status_code=written), now=NOW).status_code == number


@pytest.mark.parametrize("written, amount", [("12000", 12_000), ("0", 0), (" 30000", 30_000), (12_000, 12_000)])
def test_a_cod_amount_sent_as_a_digit_string_is_read(written, amount):
    event = parse_courier_event(_event(status_code=21, cod_amount_vnd=written), now=NOW)
    assert event.cod_amount_vnd == amount and type(event.cod_amount_vnd) is int


@pytest.mark.parametrize("junk", ["12.000", "12,000", "12000đ", "-1", "+5", "", " ", "1e4", "١٢", "１２", "12 000",
                                  True, 12000.0, 12000.5, [12000], "9" * 20])
def test_junk_in_the_cod_amount_is_still_a_typed_refusal(junk):
    with pytest.raises(ValidationError) as refused:
        parse_courier_event(_event(status_code=21, cod_amount_vnd=junk), now=NOW)
    assert refused.value.code == "malformed_event" and refused.value.details == {"field": "cod_amount_vnd"}


@pytest.mark.parametrize("junk", ["23", "99", "1.0", "ten", "", True, 10.0, "-1", "٣"])
def test_junk_in_the_status_code_is_still_a_typed_refusal(junk):
    with pytest.raises(ValidationError) as refused:
        parse_courier_event(_event(status_code=junk), now=NOW)
    assert refused.value.code == "malformed_event" and refused.value.details == {"field": "status_code"}


# --- 4. today's rounds close to bookings before they leave -----------------------------------------------------

def _local(hh, mm):
    return datetime(2026, 12, 1, hh, mm, tzinfo=timezone(timedelta(hours=7)))


def _window(slot, now, **cutoff):
    from postal.validation import parse_window

    return parse_window({"date": "2026-12-01", "slot": slot}, now=now, holidays=DEFAULT_HOLIDAYS, **cutoff)


@pytest.mark.parametrize("slot, at", [("morning", _local(7, 29)), ("morning", _local(6, 0)),
                                      ("afternoon", _local(13, 0)), ("afternoon", _local(11, 31))])
def test_a_window_for_a_round_leaving_within_the_cut_off_is_refused(slot, at):
    """A window for the morning round was taken at 07:29 for a 07:30 departure: the plan was made and the
    manifest printed; nobody would tell the postman. Bookings for today's round close two hours before it
    leaves (HCCPAY_POSTAL_WINDOW_CUTOFF_MINUTES, default 120)."""
    from postal.errors import Unprocessable

    with pytest.raises(Unprocessable) as refused:
        _window(slot, at)
    assert refused.value.code == "slot_passed"
    closes = {"morning": "05:30", "afternoon": "11:30"}[slot]
    assert refused.value.details["closes_at"] == closes and closes in refused.value.message


@pytest.mark.parametrize("slot, at", [("morning", _local(5, 29)), ("afternoon", _local(11, 29)),
                                      ("afternoon", _local(0, 0))])
def test_a_window_before_the_cut_off_is_taken(slot, at):
    assert _window(slot, at) == (datetime(2026, 12, 1).date(), slot)


def test_the_cut_off_is_configurable_and_zero_takes_bookings_until_the_round_leaves():
    from postal.errors import Unprocessable

    assert _window("morning", _local(7, 29), cutoff=timedelta(0))[1] == "morning"
    assert _window("afternoon", _local(12, 59), cutoff=timedelta(minutes=30))[1] == "afternoon"
    with pytest.raises(Unprocessable):
        _window("afternoon", _local(13, 0), cutoff=timedelta(minutes=30))


def test_the_cut_off_setting_is_read_and_bounded():
    from config import ConfigError, Settings, load_settings

    assert Settings.postal_window_cutoff_minutes == 120
    base = {"HCCPAY_DEMO": "1"}
    assert load_settings({**base, "HCCPAY_POSTAL_WINDOW_CUTOFF_MINUTES": "45"}).postal_window_cutoff_minutes == 45
    for bad in ("abc", "-5", "721"):
        with pytest.raises(ConfigError):
            load_settings({**base, "HCCPAY_POSTAL_WINDOW_CUTOFF_MINUTES": bad})


def test_a_later_day_is_never_cut_off():
    from postal.validation import parse_window

    late = _local(23, 59)
    assert parse_window({"date": "2026-12-02", "slot": "morning"}, now=late, holidays=DEFAULT_HOLIDAYS)[1] == "morning"
