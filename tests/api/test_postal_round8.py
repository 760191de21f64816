"""Postal, QA round 8: a failed attempt reported on a Saturday is retried on the second working day after
it; a shipment is not moved into a round that has already left; the manifest's cash to collect is the
amount the courier's order carries, with any difference from what the dossier owes now flagged."""
import csv
import io
from datetime import datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from config.holidays import DEFAULT_HOLIDAYS
from kernel.clock import VN_TZ, business_date, is_working_day, now_utc
from kernel.db import unit_of_work
from kernel.errors import DomainError
from postal.models import Shipment
from postal.scheduling import move_shipment
from postal.service import record_outcome
from postal.validation import parse_id_check
from tests.api import test_pages, test_postal_round3
from tests.api.test_pages import log_in
from tests.api.test_postal_round5_cod import cod_delivery_of
from tests.postal_factories import ID_CHECK, make_booked_shipment, make_route, pay_everything


def at(day, hh_mm: str) -> datetime:
    """`day` at hh:mm in Hà Nội."""
    return datetime.fromisoformat(f"{day.isoformat()}T{hh_mm}:00").replace(tzinfo=VN_TZ)


def working_day_after(day, n: int = 1):
    while n:
        day += timedelta(days=1)
        n -= is_working_day(day, DEFAULT_HOLIDAYS)
    return day


# --- 1. a failed attempt on a Saturday ------------------------------------------------------------

def test_a_failure_reported_on_a_saturday_is_retried_on_the_second_working_day_after_it(db, test_settings):
    shipment_id = make_booked_shipment(db, test_settings, "D-SAT")
    today = business_date(now_utc())
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)  # the next Saturday, a round the post works
    with unit_of_work(db) as s:
        shipment = record_outcome(s, shipment_id=shipment_id, event="failed_attempt", reason="not_home",
                                  settings=test_settings, actor="t", now=at(saturday, "09:00"))
        assert shipment.failed_attempts == 1
        # as a failure on the Friday before: Monday and Tuesday (no holiday between), not counted from Monday
        assert shipment.next_attempt_date == working_day_after(saturday, 2)


# --- 2. a manual move into a round that has already left -------------------------------------------

def move(db, settings, shipment_id, day, slot, now):
    with unit_of_work(db) as s:
        return move_shipment(s, shipment_id=shipment_id, day=day, route_code="HL1", slot=slot, reason="đổi tuyến",
                             settings=settings, actor="t", now=now)


@pytest.fixture
def next_working_day():
    return working_day_after(business_date(now_utc()))


@pytest.mark.parametrize("local, slot", [("07:30", "morning"), ("11:00", "morning"), ("13:30", "afternoon")])
def test_a_shipment_is_not_moved_into_a_round_that_has_left(db, test_settings, next_working_day, local, slot):
    make_route(db, test_settings)
    shipment_id = make_booked_shipment(db, test_settings, "D-LATE")
    with pytest.raises(DomainError) as caught:
        move(db, test_settings, shipment_id, next_working_day, slot, at(next_working_day, local))
    assert (caught.value.status, caught.value.code) == (409, "round_departed")
    assert caught.value.details == {"date": next_working_day.isoformat(), "route": "HL1", "slot": slot}
    with db() as s:  # nothing written
        assert s.get(Shipment, shipment_id).planned_date is None


def test_a_round_not_left_yet_and_a_later_day_still_take_a_moved_shipment(db, test_settings, next_working_day):
    make_route(db, test_settings)
    first, second = (make_booked_shipment(db, test_settings, f"D-OK{i}") for i in range(2))
    moved = move(db, test_settings, first, next_working_day, "morning", at(next_working_day, "07:29"))[0]
    assert moved.slot == "morning"
    assert move(db, test_settings, second, next_working_day, "afternoon", at(next_working_day, "11:00"))[0].stop == 1
    later = working_day_after(next_working_day)
    assert move(db, test_settings, second, later, "morning", at(next_working_day, "16:00"))[0].planned_date == later


def test_a_round_whose_postman_already_collected_a_stop_has_left_whatever_the_time(db, test_settings,
                                                                                    next_working_day):
    make_route(db, test_settings)
    collected, late = (make_booked_shipment(db, test_settings, f"D-R{i}") for i in range(2))
    move(db, test_settings, collected, next_working_day, "morning", at(next_working_day, "06:00"))
    with unit_of_work(db) as s:  # the postman set off early and collected the first stop at 07:10
        record_outcome(s, shipment_id=collected, event="picked_up", id_check=parse_id_check(ID_CHECK),
                       settings=test_settings, actor="t", now=at(next_working_day, "07:10"))
    with pytest.raises(DomainError) as caught:
        move(db, test_settings, late, next_working_day, "morning", at(next_working_day, "07:15"))
    assert (caught.value.status, caught.value.code) == (409, "round_departed")
    assert move(db, test_settings, late, next_working_day, "afternoon",
                at(next_working_day, "07:15"))[0].slot == "afternoon"  # the afternoon round has not left


# --- 3. the cash the manifest tells the postman to collect ---------------------------------------

cod_app = test_postal_round3.cod_app  # the fixture: an app booking deliveries cash on delivery
staff_user = test_pages.staff_user  # the fixture: a staff account for the pages


def planned_cod_delivery(cod_app, auth, db, code):
    """A COD delivery (fee 8,000 + postage 22,000 booked) on route HL1's morning round of the next working day."""
    app, settings = cod_app
    client, shipment_id = cod_delivery_of(app, auth, db, settings, code)
    make_route(db, settings)
    day = working_day_after(business_date(now_utc()))
    r = client.post(f"/api/v1/postal/shipments/{shipment_id}/assignment", headers=auth("postal"),
                    json={"date": day.isoformat(), "route": "HL1", "slot": "morning", "reason": "xếp tay"})
    assert r.status_code == 200, r.json
    return client, settings, shipment_id, day


def manifest_text(client, auth, day) -> str:
    r = client.get(f"/api/v1/postal/manifests/{day}.pdf?route=HL1", headers=auth("postal"))
    assert r.status_code == 200, r.json
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(r.data)).pages)


def csv_rows(client, auth, day, labels="codes") -> list[dict]:
    r = client.get(f"/api/v1/postal/manifests/{day}.csv?labels={labels}", headers=auth("postal"))
    assert r.status_code == 200 and r.data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))


def test_the_manifest_shows_the_amount_the_courier_collects_and_flags_a_dossier_that_owes_otherwise_now(
        cod_app, auth, db):
    client, settings, shipment_id, day = planned_cod_delivery(cod_app, auth, db, "D-COD-CHANGED")
    pay_everything(db, settings, "D-COD-CHANGED")  # a transfer from a QR saved before the booking: owes 0 now
    text = manifest_text(client, auth, day)
    assert "30.000 ₫" in text and "Tổng tiền thu hộ: 30.000 ₫." in text  # what VNPost's order tells the postman
    assert "hồ sơ D-COD-CHANGED" in text and "hiện còn phải nộp 0 ₫" in text  # and the difference, said
    [row] = csv_rows(client, auth, day)
    assert (row["fees_to_collect_vnd"], row["owed_now_vnd"], row["cod_mismatch"]) == ("30000", "0", "true")
    [row] = csv_rows(client, auth, day, "vi")
    assert (row["Thu hộ (đồng)"], row["Hồ sơ còn phải nộp (đồng)"], row["Chênh lệch thu hộ"]) == ("30000", "0", "Có")


def test_a_cod_stop_whose_dossier_owes_what_was_booked_is_not_flagged(cod_app, auth, db):
    client, _, shipment_id, day = planned_cod_delivery(cod_app, auth, db, "D-COD-SAME")
    text = manifest_text(client, auth, day)
    assert "Tổng tiền thu hộ: 30.000 ₫." in text and "hiện còn phải nộp" not in text
    [row] = csv_rows(client, auth, day)
    assert (row["fees_to_collect_vnd"], row["owed_now_vnd"], row["cod_mismatch"]) == ("30000", "30000", "false")


def test_the_board_shows_the_amount_the_courier_collects_and_what_the_dossier_owes_now(cod_app, auth, db,
                                                                                      staff_user):
    client, settings, shipment_id, day = planned_cod_delivery(cod_app, auth, db, "D-COD-BOARD")
    pay_everything(db, settings, "D-COD-BOARD")
    staff_user("buudien8", ("postal",))
    log_in(client, "buudien8")
    html = client.get(f"/staff/postal/?date={day.isoformat()}").get_data(as_text=True)
    assert "<strong>30.000 ₫</strong>" in html
    assert "Hồ sơ hiện còn phải nộp 0 ₫: khác số bưu điện thu" in html


# --- 4. the same outcome recorded twice ------------------------------------------------------------

def outcome(client, auth, shipment_id, body):
    return client.post(f"/api/v1/postal/shipments/{shipment_id}/events", json=body, headers=auth("postal"))


def staff_events(db, shipment_id) -> list[str]:
    from postal.models import ShipmentEvent
    with db() as s:
        return list(s.execute(select(ShipmentEvent.event).where(
            ShipmentEvent.shipment_id == shipment_id, ShipmentEvent.source == "staff").order_by(ShipmentEvent.id)
        ).scalars())


@pytest.mark.parametrize("body", [{"event": "picked_up", "id_check": ID_CHECK},
                                  {"event": "failed_attempt", "reason": "not_home"}])
def test_the_same_outcome_recorded_again_is_answered_as_recorded_and_counts_once(client, auth, db, test_settings,
                                                                                 body):
    shipment_id = make_booked_shipment(db, test_settings, "D-TWICE")
    first = outcome(client, auth, shipment_id, body)
    assert first.status_code == 200, first.json
    again = outcome(client, auth, shipment_id, body)  # a second click, a colleague, a retried request
    assert again.status_code == 200, again.json
    assert {k: again.json[k] for k in ("status", "failed_attempts", "next_attempt_date")} == {
        k: first.json[k] for k in ("status", "failed_attempts", "next_attempt_date")}
    assert staff_events(db, shipment_id) == ["requested", body["event"]]


def test_another_outcome_after_one_recorded_is_still_refused(client, auth, db, test_settings):
    shipment_id = make_booked_shipment(db, test_settings, "D-OTHER")
    assert outcome(client, auth, shipment_id, {"event": "failed_attempt", "reason": "not_home"}).status_code == 200
    r = outcome(client, auth, shipment_id, {"event": "failed_attempt", "reason": "refused"})
    assert (r.status_code, r.json["code"]) == (409, "too_early_for_retry")  # not the same report: a second attempt
    other = make_booked_shipment(db, test_settings, "D-OTHER-ID")
    assert outcome(client, auth, other, {"event": "picked_up", "id_check": ID_CHECK}).status_code == 200
    r = outcome(client, auth, other, {"event": "picked_up", "id_check": {**ID_CHECK, "holder_name": "Lê Văn An"}})
    assert (r.status_code, r.json["code"]) == (409, "illegal_transition")


def test_two_clerks_recording_the_same_handover_at_once_record_it_once(db, test_settings, engine):
    import threading

    from tests.locks import wait_until_blocked

    shipment_id = make_booked_shipment(db, test_settings, "D-RACE")

    def picked_up(s):
        return record_outcome(s, shipment_id=shipment_id, event="picked_up", id_check=parse_id_check(ID_CHECK),
                              settings=test_settings, actor="t", now=now_utc()).status

    results: dict = {}

    def second_clerk() -> None:
        with unit_of_work(db) as s:
            results["second"] = picked_up(s)

    with unit_of_work(db) as s:
        results["first"] = picked_up(s)
        second = threading.Thread(target=second_clerk)
        second.start()
        wait_until_blocked(engine, second)  # waits for the shipment the first clerk holds
    second.join()
    assert results == {"first": "picked_up", "second": "picked_up"}
    assert staff_events(db, shipment_id) == ["requested", "picked_up"]



def test_the_planner_adds_nothing_to_a_round_whose_postman_already_set_off(db, test_settings, next_working_day):
    from postal.scheduling import plan_day

    make_route(db, test_settings)  # two places in the morning, one in the afternoon
    collected, waiting = (make_booked_shipment(db, test_settings, f"D-PL{i}") for i in range(2))
    move(db, test_settings, collected, next_working_day, "morning", at(next_working_day, "06:00"))
    with unit_of_work(db) as s:  # the postman set off early and collected the first stop at 07:10
        record_outcome(s, shipment_id=collected, event="picked_up", id_check=parse_id_check(ID_CHECK),
                       settings=test_settings, actor="t", now=at(next_working_day, "07:10"))
    with unit_of_work(db) as s:
        report = plan_day(s, day=next_working_day, settings=test_settings, actor="t", now=at(next_working_day, "07:15"))
    assert [(a["shipment_id"], a["slot"]) for a in report["assigned"]] == [(waiting, "afternoon")]
