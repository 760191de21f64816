"""Postal, QA round 17 (pure rules): a round's booking cut-off is an instant, whatever day it falls on."""
from datetime import date, datetime, timedelta, timezone

import pytest

from config.holidays import DEFAULT_HOLIDAYS
from postal.errors import Unprocessable
from postal.validation import parse_window

HANOI = timezone(timedelta(hours=7))


def _window(day: str, slot: str, now: datetime, minutes: int):
    return parse_window({"date": day, "slot": slot}, now=now, holidays=DEFAULT_HOLIDAYS,
                        cutoff=timedelta(minutes=minutes))


@pytest.mark.parametrize("now, minutes", [
    (datetime(2027, 1, 4, 21, 31, tzinfo=HANOI), 600),   # Tuesday's 07:30 round closes Monday 21:30
    (datetime(2027, 1, 4, 23, 59, tzinfo=HANOI), 720),   # ... at 19:30 the evening before with 12 hours
    (datetime(2027, 1, 5, 0, 1, tzinfo=HANOI), 720),     # and after midnight, the day itself
])
def test_a_cut_off_that_falls_the_evening_before_closes_the_next_mornings_round_then(now, minutes):
    """HCCPAY_POSTAL_WINDOW_CUTOFF_MINUTES goes up to 720: the morning round (07:30) then closes the evening
    before. Only a window for *today* was checked against it, so the evening before, after the cut-off, the
    next morning's round was still booked: past the hour the centre set for its plan and the postman's list."""
    with pytest.raises(Unprocessable) as refused:
        _window("2027-01-05", "morning", now, minutes)
    assert refused.value.code == "slot_passed"
    details = refused.value.details
    assert details["date"] == "2027-01-05" and details["leaves_at"] == "07:30"
    closes = datetime(2027, 1, 5, 7, 30, tzinfo=HANOI) - timedelta(minutes=minutes)
    assert (details["closes_on"], details["closes_at"]) == (closes.date().isoformat(), f"{closes:%H:%M}")
    assert "2027-01-05" in refused.value.message and f"{closes:%H:%M}" in refused.value.message


@pytest.mark.parametrize("now, minutes", [
    (datetime(2027, 1, 4, 21, 29, tzinfo=HANOI), 600),
    (datetime(2027, 1, 4, 19, 29, tzinfo=HANOI), 720),
    (datetime(2027, 1, 4, 23, 59, tzinfo=HANOI), 120),  # the default closes at 05:30 on the day: still open
])
def test_before_a_cut_off_that_falls_the_evening_before_the_next_mornings_round_is_taken(now, minutes):
    assert _window("2027-01-05", "morning", now, minutes) == (date(2027, 1, 5), "morning")


def test_a_monday_round_is_open_over_the_weekend_until_its_cut_off():
    """The cut-off counts wall-clock time before the round leaves, not working hours: Monday's 07:30 round with
    a 720-minute cut-off closes on Sunday 19:30."""
    sunday = datetime(2027, 1, 10, 19, 29, tzinfo=HANOI)
    assert _window("2027-01-11", "morning", sunday, 720) == (date(2027, 1, 11), "morning")
    with pytest.raises(Unprocessable):
        _window("2027-01-11", "morning", sunday + timedelta(minutes=1), 720)


# --- a tariff whose postage no payment request could ask for is refused at start-up ---------------------------

def _tariff(local: dict) -> dict:
    from postal.tariff import DEFAULT_TARIFF

    return {**DEFAULT_TARIFF, "local": local}


@pytest.mark.parametrize("local, field", [
    ({"classes": [[500, 10 ** 20]], "extra_per_500g_vnd": 3000}, "local.classes[0] price"),
    ({"classes": [[500, 500_000_001]], "extra_per_500g_vnd": 3000}, "local.classes[0] price"),
    ({"classes": [[500, 22000]], "extra_per_500g_vnd": 10 ** 15}, "local"),
    # 22,000 + 59 steps of 500 g to 30 kg at 8.5 million: 501.5 million for the heaviest envelope
    ({"classes": [[500, 22000]], "extra_per_500g_vnd": 8_500_000}, "local"),
    ({"classes": [[10 ** 9, 22000]], "extra_per_500g_vnd": 3000}, "local.classes[0] max_grams"),
])
def test_a_tariff_asking_more_than_one_payment_request_may_hold_is_refused(local, field):
    """HCCPAY_POSTAL_TARIFF took any positive price: 10^20 đồng was accepted at start-up and every booking in
    that zone was a 500 (an integer the database cannot hold), and any postage above a payment request's limit
    (500,000,000) asked for what no request may carry."""
    from postal.tariff import TariffError, parse_tariff

    with pytest.raises(TariffError) as refused:
        parse_tariff(_tariff(local))
    assert field in str(refused.value)


def test_the_dearest_postage_a_tariff_allows_is_the_payment_request_limit():
    from kernel.money import MAX_REQUEST_VND
    from postal.tariff import MAX_WEIGHT_GRAMS, parse_tariff

    steps = (MAX_WEIGHT_GRAMS - 500) // 500
    extra = (MAX_REQUEST_VND - 22000) // steps
    tariff = parse_tariff(_tariff({"classes": [[500, 22000]], "extra_per_500g_vnd": extra}))
    assert tariff.postage_vnd("local", MAX_WEIGHT_GRAMS) <= MAX_REQUEST_VND


def test_the_start_up_names_the_tariff_problem():
    import json

    from config import ConfigError, load_settings

    with pytest.raises(ConfigError) as refused:
        load_settings({"HCCPAY_DEMO": "1", "HCCPAY_POSTAL_TARIFF": json.dumps(
            _tariff({"classes": [[500, 10 ** 20]], "extra_per_500g_vnd": 3000}))})
    assert "HCCPAY_POSTAL_TARIFF" in str(refused.value)
