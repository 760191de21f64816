"""Postal, fifth QA round, days: a citizen's window is at most 60 days ahead and never past the
holiday list's last year; the planner plans a few working days ahead at most and reports the
shipments it puts past their deadline."""
from datetime import date, datetime, timedelta, timezone

import pytest

from config.holidays import DEFAULT_HOLIDAYS
from kernel.clock import add_working_days, business_date, now_utc
from kernel.errors import DomainError
from postal.validation import parse_window
from tests.postal_factories import make_dossier, shipment_body

T0 = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)  # 10:00 in Hà Nội, a Wednesday


def window(day: date, slot: str = "morning") -> dict:
    return {"date": day.isoformat(), "slot": slot}


def refused_window(day: date, *, now=T0, holidays=DEFAULT_HOLIDAYS) -> DomainError:
    with pytest.raises(DomainError) as caught:
        parse_window(window(day), now=now, holidays=holidays)
    return caught.value


# --- 7. windows: a horizon, and the holiday list's years ------------------------------------------

def test_a_window_is_at_most_sixty_days_ahead():
    assert parse_window(window(date(2027, 1, 22)), now=T0, holidays=DEFAULT_HOLIDAYS)[0] == date(2027, 1, 22)
    error = refused_window(date(2027, 1, 25))  # 61 days after 25/11/2026
    assert (error.status, error.code, error.details) == (400, "window_too_far", {
        "field": "window.date", "date": "2027-01-25", "latest": "2027-01-24"})


def test_a_window_past_the_last_year_the_holiday_list_covers_is_refused():
    december = datetime(2027, 12, 1, 3, 0, tzinfo=timezone.utc)
    assert parse_window(window(date(2027, 12, 31)), now=december, holidays=DEFAULT_HOLIDAYS)[0] == date(2027, 12, 31)
    error = refused_window(date(2028, 1, 4), now=december)  # Tết 2028 is not listed yet: its days are unknown
    assert (error.code, error.details["latest"]) == ("window_too_far", "2027-12-31")
    # no list at all: only the 60 days hold
    assert parse_window(window(date(2028, 1, 4)), now=december, holidays=frozenset())[0] == date(2028, 1, 4)


@pytest.mark.parametrize("day", ["2028-05-01", "2029-01-01", "2030-04-30", "2099-09-02", "2100-12-31"])
def test_the_api_refuses_far_windows_and_fixed_date_holidays_of_unlisted_years(client, auth, db, test_settings, day):
    make_dossier(db, test_settings, code="D-FAR")
    r = client.post("/api/v1/postal/shipments", json=shipment_body(dossier_code="D-FAR", window={
        "date": day, "slot": "morning"}), headers=auth("intake"))
    assert r.status_code in (400, 422) and r.json["code"] in ("window_too_far", "window_not_working_day"), r.json
    today = business_date(now_utc())
    ok = add_working_days(today + timedelta(days=1), 0, test_settings.holidays)
    r = client.post("/api/v1/postal/shipments", json=shipment_body(dossier_code="D-FAR", window=window(ok)),
                    headers=auth("intake"))
    assert r.status_code == 201, r.json

