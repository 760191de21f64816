"""Postal rules a QA pass found open: the pickup's handover step, cancelling after a failed
pickup, the two-working-day gap between attempts, planning into the past and strict dates."""
import json
import time
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from config.holidays import DEFAULT_HOLIDAYS
from kernel.audit import AuditEntry
from kernel.clock import business_date, is_working_day, now_utc
from kernel.db import unit_of_work
from kernel.errors import DomainError
from kernel.outbox import OutboxMessage
from kernel.signing import HEADER, sign
from payments.models import PaymentRequest
from postal import scheduling, service, tracking
from postal.models import Shipment, ShipmentEvent
from tests.api.test_pages import log_in, page_csrf, staff_user  # noqa: F401 (fixture)
from tests.postal_factories import ID_CHECK, make_booked_shipment, make_route, working_day

UTC = timezone.utc
THURSDAY = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội
FRIDAY, MONDAY = THURSDAY + timedelta(days=1), THURSDAY + timedelta(days=4)


def event(client, auth, shipment_id, name, **body):
    return client.post(f"/api/v1/postal/shipments/{shipment_id}/events", json={"event": name, **body},
                       headers=auth("postal"))


def shipment_of(db, shipment_id) -> Shipment:
    with db() as s:
        return s.get(Shipment, shipment_id)


def count(db, model, *where) -> int:
    with db() as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def past_working_day() -> date:
    day = business_date(now_utc()) - timedelta(days=1)
    while not is_working_day(day, DEFAULT_HOLIDAYS):
        day -= timedelta(days=1)
    return day


def record(db, settings, shipment_id, name, now, **kw):
    with unit_of_work(db) as s:
        return service.record_outcome(s, shipment_id=shipment_id, event=name, settings=settings, actor="test",
                                      now=now, **kw).status


# --- 1. a pickup reaches the centre only after it was picked up (with the ID check) -------------

@pytest.mark.parametrize("body", [{}, {"id_check": ID_CHECK}])
def test_a_booked_pickup_cannot_be_marked_delivered_without_being_picked_up(client, auth, db, test_settings, body):
    shipment_id = make_booked_shipment(db, test_settings, "D-QA-1")
    events = count(db, ShipmentEvent)
    r = event(client, auth, shipment_id, "delivered", **body)
    assert r.status_code == 409 and r.json["code"] == "illegal_transition", r.json
    assert r.json["details"] == {"from": "booked", "to": "delivered"}
    assert shipment_of(db, shipment_id).status == "booked" and count(db, ShipmentEvent) == events
    assert event(client, auth, shipment_id, "picked_up", id_check=ID_CHECK).status_code == 200
    assert event(client, auth, shipment_id, "delivered").json["status"] == "delivered"


def test_a_courier_delivered_report_on_a_pickup_never_picked_up_is_kept_but_not_applied(db, test_settings):
    shipment_id = make_booked_shipment(db, test_settings, "D-QA-1C")
    report = tracking.CourierEvent("EV-10", 10, now_utc(), None, f"HCC-{shipment_id}", None, None)
    with unit_of_work(db) as s:
        outcome = tracking.apply_courier_event(s, event=report, source="courier_webhook", settings=test_settings,
                                               now=now_utc())
    assert outcome == "recorded" and shipment_of(db, shipment_id).status == "booked"
    with db() as s:
        row = s.execute(select(ShipmentEvent).where(ShipmentEvent.courier_event_id == "EV-10")).scalar_one()
    assert not row.applied and row.data["not_applied"] == "booked -> delivered is not allowed"


# --- 2. a pickup that failed was never collected: it may be cancelled ---------------------------

def test_a_pickup_can_be_cancelled_after_a_failed_attempt(client, auth, db, test_settings):
    shipment_id = make_booked_shipment(db, test_settings, "D-QA-2")
    assert event(client, auth, shipment_id, "failed_attempt", reason="not_home").json["status"] == "failed_attempt"
    r = client.post(f"/api/v1/postal/shipments/{shipment_id}/cancel", json={"reason": "Công dân tự đến nộp"},
                    headers=auth("postal"))
    assert r.status_code == 200 and r.json["status"] == "cancelled", r.json
    with db() as s:
        postage = s.execute(select(PaymentRequest).where(
            PaymentRequest.payment_code == r.json["postage_payment_code"])).scalar_one()
        assert postage.status == "cancelled"
        assert s.execute(select(OutboxMessage).where(OutboxMessage.topic == "courier.cancel")).scalar_one()


def test_a_delivery_that_failed_is_not_cancelled_it_goes_back_to_the_agency(client, auth, db, test_settings):
    shipment_id = make_booked_shipment(db, test_settings, "D-QA-2D", direction="delivery")
    event(client, auth, shipment_id, "out_for_delivery")  # a delivery fails only once out
    event(client, auth, shipment_id, "failed_attempt", reason="not_home")
    r = client.post(f"/api/v1/postal/shipments/{shipment_id}/cancel", json={"reason": "x"}, headers=auth("postal"))
    assert r.status_code == 409 and r.json["code"] == "cannot_cancel"
    assert shipment_of(db, shipment_id).status == "failed_attempt"


# --- 3. two attempts two working days apart before the result goes back -------------------------

def test_a_second_failure_the_same_day_is_too_early_and_changes_nothing(client, auth, db, test_settings):
    shipment_id = make_booked_shipment(db, test_settings, "D-QA-3", direction="delivery")
    event(client, auth, shipment_id, "out_for_delivery")
    first = event(client, auth, shipment_id, "failed_attempt", reason="not_home").json
    events = count(db, ShipmentEvent)
    r = event(client, auth, shipment_id, "failed_attempt", reason="refused")  # the same reason is the same report
    assert r.status_code == 409 and r.json["code"] == "too_early_for_retry", r.json
    assert r.json["details"] == {"next_attempt_date": first["next_attempt_date"]}
    shipment = shipment_of(db, shipment_id)
    assert (shipment.status, shipment.failed_attempts) == ("failed_attempt", 1) and count(db, ShipmentEvent) == events


def test_the_result_goes_back_only_after_a_second_failure_from_the_next_attempt_date(db, test_settings):
    shipment_id = make_booked_shipment(db, test_settings, "D-QA-3S", direction="delivery")
    record(db, test_settings, shipment_id, "out_for_delivery", THURSDAY)
    assert record(db, test_settings, shipment_id, "failed_attempt", THURSDAY, reason="not_home") == "failed_attempt"
    assert shipment_of(db, shipment_id).next_attempt_date == date(2026, 11, 30)
    for too_early in (THURSDAY + timedelta(hours=2), FRIDAY):
        with pytest.raises(DomainError) as refused:
            record(db, test_settings, shipment_id, "failed_attempt", too_early, reason="refused")
        assert refused.value.code == "too_early_for_retry"
    record(db, test_settings, shipment_id, "out_for_delivery", MONDAY)
    assert record(db, test_settings, shipment_id, "failed_attempt", MONDAY, reason="not_home") == "returned_to_agency"


def test_a_retry_planned_for_later_cannot_be_made_before_its_day(db, test_settings):
    make_route(db, test_settings)
    shipment_id = make_booked_shipment(db, test_settings, "D-QA-3P", direction="delivery")
    record(db, test_settings, shipment_id, "out_for_delivery", THURSDAY)  # a delivery fails only once out
    record(db, test_settings, shipment_id, "failed_attempt", THURSDAY, reason="not_home")
    with unit_of_work(db) as s:
        scheduling.move_shipment(s, shipment_id=shipment_id, day=date(2026, 11, 30), route_code="HL1",
                                 slot="morning", reason="Hẹn thứ Hai", settings=test_settings, actor="test",
                                 now=THURSDAY)
    for name in ("out_for_delivery", "failed_attempt"):
        with pytest.raises(DomainError) as refused:
            record(db, test_settings, shipment_id, name, FRIDAY,
                   reason="not_home" if name == "failed_attempt" else None)
        assert refused.value.code == "too_early_for_retry"
    assert shipment_of(db, shipment_id).status == "scheduled"


def test_a_courier_failure_reported_before_the_next_attempt_date_is_kept_but_not_counted(db, test_settings):
    shipment_id = make_booked_shipment(db, test_settings, "D-QA-3C", direction="delivery")
    record(db, test_settings, shipment_id, "out_for_delivery", THURSDAY)  # a delivery fails only once out
    record(db, test_settings, shipment_id, "failed_attempt", THURSDAY, reason="not_home")
    report = tracking.CourierEvent("EV-11", 11, THURSDAY + timedelta(hours=1), None, f"HCC-{shipment_id}", None, None)
    with unit_of_work(db) as s:
        outcome = tracking.apply_courier_event(s, event=report, source="courier_webhook", settings=test_settings,
                                               now=THURSDAY + timedelta(hours=1))
    shipment = shipment_of(db, shipment_id)
    assert outcome == "recorded" and (shipment.status, shipment.failed_attempts) == ("failed_attempt", 1)
    with db() as s:
        row = s.execute(select(ShipmentEvent).where(ShipmentEvent.courier_event_id == "EV-11")).scalar_one()
    assert not row.applied and row.data["not_applied"] == "before the next attempt date 2026-11-30"
    later = tracking.CourierEvent("EV-11b", 11, MONDAY, None, f"HCC-{shipment_id}", None, None)
    with unit_of_work(db) as s:
        assert tracking.apply_courier_event(s, event=later, source="courier_webhook", settings=test_settings,
                                            now=MONDAY) == "applied"
    assert shipment_of(db, shipment_id).status == "returned_to_agency"


# --- 4. nothing is planned into the past ----------------------------------------------------------

def test_planning_a_day_that_is_over_is_refused_and_writes_nothing(client, auth, db, test_settings):
    make_route(db, test_settings)
    shipment_id = make_booked_shipment(db, test_settings, "D-QA-4")
    past = past_working_day()
    r = client.post(f"/api/v1/postal/plan?date={past}", headers=auth("postal"))
    assert r.status_code == 400 and r.json["code"] == "date_in_past", r.json
    assert r.json["details"]["date"] == past.isoformat()
    assert shipment_of(db, shipment_id).status == "booked"
    assert count(db, AuditEntry, AuditEntry.action == "postal.plan") == 0
    # The next working day takes the shipment; today is accepted too. In this order whatever the hour:
    # before today's morning round leaves (00:00-07:30 in Hà Nội) a plan of today would take the shipment.
    assert client.post(f"/api/v1/postal/plan?date={working_day(1)}", headers=auth("postal")).json["assigned"]
    assert client.post(f"/api/v1/postal/plan?date={working_day(0)}", headers=auth("postal")).status_code == 200


def test_a_manual_move_into_the_past_is_refused(client, auth, db, test_settings):
    make_route(db, test_settings)
    shipment_id = make_booked_shipment(db, test_settings, "D-QA-4M")
    url = f"/api/v1/postal/shipments/{shipment_id}/assignment"
    body = {"route": "HL1", "slot": "morning", "reason": "Khách hẹn"}
    r = client.post(url, json={**body, "date": past_working_day().isoformat()}, headers=auth("postal"))
    assert r.status_code == 400 and r.json["code"] == "date_in_past", r.json
    shipment = shipment_of(db, shipment_id)
    assert (shipment.status, shipment.planned_date) == ("booked", None)
    # Today is no past day: a round of it still to leave takes the move, and once both have left the refusal is
    # round_departed, not date_in_past (it asserted 200 for the morning, failing every working day after 07:30).
    from kernel.clock import local_time
    from postal.planner import open_slots
    now = now_utc()
    still_open = open_slots(working_day(0), business_date(now), local_time(now).time())
    today = client.post(url, json={**body, "slot": (still_open or ("afternoon",))[0],
                                   "date": working_day(0).isoformat()}, headers=auth("postal"))
    assert (today.status_code, today.json.get("code")) == ((200, None) if still_open else (409, "round_departed"))


def test_the_past_is_judged_by_the_business_date_in_ho_chi_minh(db, test_settings):
    make_route(db, test_settings)
    late_evening_utc = datetime(2026, 11, 26, 17, 30, tzinfo=UTC)  # already Friday 27/11 00:30 in Hà Nội
    with unit_of_work(db) as s:
        with pytest.raises(DomainError) as refused:
            scheduling.plan_day(s, day=date(2026, 11, 26), settings=test_settings, actor="test", now=late_evening_utc)
        assert refused.value.code == "date_in_past"
        assert scheduling.plan_day(s, day=date(2026, 11, 27), settings=test_settings, actor="test",
                                   now=late_evening_utc)["date"] == "2026-11-27"


def test_planning_a_past_day_from_the_board_shows_a_vietnamese_error(client, staff_user):  # noqa: F811
    staff_user("buudien", ("postal",))
    log_in(client, "buudien")
    r = client.post("/staff/postal/plan", data={"board_date": past_working_day().isoformat(),
                                                "csrf_token": page_csrf(client, "/staff/postal/")})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "Ngày đã qua" in html and "date_in_past" not in html


# --- 5. dates are YYYY-MM-DD between 2000 and 2100 ------------------------------------------------

BAD_DAYS = ["20261127", "2026-W48-2", "2026-331", "0001-01-01", "9999-12-31", "1999-12-31", "2101-01-04"]


@pytest.mark.parametrize("bad", BAD_DAYS)
def test_every_postal_date_is_yyyy_mm_dd_within_range(client, auth, db, test_settings, bad):
    make_route(db, test_settings)
    shipment_id = make_booked_shipment(db, test_settings, "D-QA-5")
    for method, url in ((client.get, f"/api/v1/postal/manifests/{bad}.pdf?route=HL1"),
                        (client.get, f"/api/v1/postal/manifests/{bad}.csv"),
                        (client.get, f"/api/v1/postal/handovers/{bad}.pdf?route=HL1"),
                        (client.get, f"/api/v1/postal/shipments?date={bad}"),
                        (client.post, f"/api/v1/postal/plan?date={bad}")):
        r = method(url, headers=auth("postal"))
        assert r.status_code == 400 and r.json["code"] == "invalid_date", (url, r.status_code)
    r = client.post(f"/api/v1/postal/shipments/{shipment_id}/assignment", headers=auth("postal"),
                    json={"date": bad, "route": "HL1", "slot": "morning", "reason": "x"})
    assert r.status_code == 400 and r.json["code"] == "invalid_date" and r.json["details"] == {"field": "date"}
    assert shipment_of(db, shipment_id).status == "booked"


def test_a_window_date_is_yyyy_mm_dd_too(client, auth, db, test_settings):
    from tests.postal_factories import make_dossier, shipment_body

    make_dossier(db, test_settings)
    for bad in ("20301202", "2030-W49-1"):
        r = client.post("/api/v1/postal/shipments", json=shipment_body(window={"date": bad, "slot": "morning"}),
                        headers=auth("intake"))
        assert r.status_code == 400 and r.json["code"] == "invalid_date", r.json
        assert r.json["details"] == {"field": "window.date"}
    assert count(db, Shipment) == 0


@pytest.mark.parametrize("typed", ["31/12/9999", "01/01/0001"])
def test_the_board_explains_a_typed_day_out_of_range(client, staff_user, typed):  # noqa: F811
    staff_user("buudien", ("postal",))
    log_in(client, "buudien")
    r = client.get(f"/staff/postal/?date={typed}")
    assert r.status_code == 400 and "Ngày không hợp lệ." in r.get_data(as_text=True)


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+07:00", "9999-12-31T23:00:00-05:00"])
def test_a_courier_instant_out_of_range_is_a_malformed_event_not_a_500(client, db, test_settings, at):
    body = json.dumps({"event_id": "E1", "tracking_number": "EB1VN", "status_code": 10, "occurred_at": at}).encode()
    header = sign(test_settings.secret_values("HCCPAY_COURIER_WEBHOOK_SECRET"), body, int(time.time()))
    r = client.post("/api/v1/callbacks/courier", data=body,
                    headers={HEADER: header, "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json["code"] == "malformed_event"


def test_a_past_weekend_is_refused_as_past_for_a_plan_and_a_move(client, auth, db, test_settings):
    from datetime import timedelta

    from kernel.clock import business_date, now_utc

    make_route(db, test_settings)
    shipment_id = make_booked_shipment(db, test_settings, "D-QA-4W")
    today = business_date(now_utc())
    past_sunday = today - timedelta(days=today.weekday() + 1)
    plan = client.post(f"/api/v1/postal/plan?date={past_sunday}", headers=auth("postal"))
    assert plan.status_code == 400 and plan.json["code"] == "date_in_past", plan.json
    move = client.post(f"/api/v1/postal/shipments/{shipment_id}/assignment", headers=auth("postal"),
                       json={"route": "HL1", "slot": "morning", "reason": "Khách hẹn", "date": past_sunday.isoformat()})
    assert move.status_code == 400 and move.json["code"] == "date_in_past", move.json
