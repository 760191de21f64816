"""Postal, fifth QA round, days: a citizen's window is at most 60 days ahead and never past the
holiday list's last year; the planner plans a few working days ahead at most and reports the
shipments it puts past their deadline."""
from datetime import date, datetime, timedelta, timezone

import pytest

from config.holidays import DEFAULT_HOLIDAYS
from kernel.clock import add_working_days, business_date, now_utc, nth_working_day_after
from kernel.errors import DomainError
from postal.models import Shipment
from postal.scheduling import PLAN_HORIZON_WORKING_DAYS
from postal.validation import parse_window
from tests.api import test_pages
from tests.api.test_pages import log_in, page_csrf
from tests.postal_factories import make_booked_shipment, make_dossier, make_route, shipment_body

T0 = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)  # 10:00 in Hà Nội, a Wednesday
staff_user = test_pages.staff_user  # the fixture: a staff account for the pages


def window(day: date, slot: str = "morning") -> dict:
    return {"date": day.isoformat(), "slot": slot}


def shipment_of(db, shipment_id) -> Shipment:
    with db() as s:
        return s.get(Shipment, shipment_id)


def plan_horizon_end(settings) -> date:
    """The farthest day the planner plans, as it counts it: five working days after today, whatever today is."""
    return nth_working_day_after(business_date(now_utc()), PLAN_HORIZON_WORKING_DAYS, settings.holidays)


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



# --- 6. planning: a few working days ahead, and what the plan puts past its deadline --------------

def test_planning_a_day_beyond_the_horizon_is_refused_and_plans_nothing(client, auth, db, test_settings):
    make_route(db, test_settings)
    shipment_id = make_booked_shipment(db, test_settings, "D-PLAN-FAR")
    latest = plan_horizon_end(test_settings)
    beyond = add_working_days(latest + timedelta(days=1), 0, test_settings.holidays)
    for far in (beyond, date(2062, 11, 27)):  # a mistyped year on the board's dd/mm/yyyy field
        r = client.post(f"/api/v1/postal/plan?date={far.isoformat()}", headers=auth("postal"))
        assert (r.status_code, r.json["code"], r.json["details"]) == (400, "date_too_far", {
            "field": "date", "date": far.isoformat(), "latest": latest.isoformat()})
    assert shipment_of(db, shipment_id).planned_date is None
    r = client.post(f"/api/v1/postal/shipments/{shipment_id}/assignment", headers=auth("postal"), json={
        "date": "2062-11-27", "route": "HL1", "slot": "morning", "reason": "Gõ nhầm năm"})
    assert (r.status_code, r.json["code"]) == (400, "date_too_far")


def test_the_board_explains_a_day_too_far_in_vietnamese(client, db, test_settings, staff_user):
    staff_user("buudien6", ("postal",))
    log_in(client, "buudien6")
    r = client.post("/staff/postal/plan", data={"board_date": "27/11/2062", "csrf_token": page_csrf(
        client, "/staff/postal/")})
    html = r.get_data(as_text=True)
    latest = plan_horizon_end(test_settings)
    assert r.status_code == 400 and "date_too_far" not in html
    assert f"Ngày quá xa: chỉ xếp lịch đến ngày {latest.strftime('%d/%m/%Y')}" in html


def test_a_plan_reports_the_shipments_it_puts_past_their_deadline(client, auth, db, test_settings):
    make_route(db, test_settings, morning=5)
    shipment_id = make_booked_shipment(db, test_settings, "D-PLAN-LATE")  # due J+1 to a ward (phường)
    due = shipment_of(db, shipment_id).due_date
    day = plan_horizon_end(test_settings)
    assert due < day
    r = client.post(f"/api/v1/postal/plan?date={day.isoformat()}", headers=auth("postal"))
    assert r.status_code == 200 and [a["shipment_id"] for a in r.json["assigned"]] == [shipment_id]
    assert r.json["past_due"] == [{"shipment_id": shipment_id, "due_date": due.isoformat()}]


def test_the_board_marks_what_the_plan_puts_past_its_deadline(client, db, test_settings, staff_user):
    make_route(db, test_settings, morning=5)
    make_booked_shipment(db, test_settings, "D-BOARD-LATE")
    day = plan_horizon_end(test_settings)
    staff_user("buudien7", ("postal",))
    log_in(client, "buudien7")
    r = client.post("/staff/postal/plan", data={"board_date": day.strftime("%d/%m/%Y"), "csrf_token": page_csrf(
        client, "/staff/postal/")})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Xếp sau hạn hoàn thành: 1" in html and "Quá hạn" in html
