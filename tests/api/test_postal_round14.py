"""Postal, QA round 14: a courier event dated before its shipment existed is applied from the shipment's
creation and listed for people; impossible courier steps are refused (staff: 409, webhook: kept, not
applied); a lost race on the webhook is answered 503 with Retry-After and the event kept; a fee cancelled
after booking takes the shipment with it; the out-of-province queue through the API."""
from datetime import timedelta

from sqlalchemy import select

from kernel.clock import business_date, now_utc
from payments.models import Payment
from postal.models import Shipment, ShipmentEvent
from tests.api import test_pages
from tests.api.test_pages import log_in
from tests.api import test_postal_round3
from tests.api.test_postal_round3 import cod_delivery, event, shipment, webhook
from tests.postal_factories import ID_CHECK, make_booked_shipment

CHECKS = "/api/v1/postal/checks"
staff_user = test_pages.staff_user  # the fixtures
cod_app = test_postal_round3.cod_app
A_YEAR = timedelta(days=365)


def listed_kinds(client, auth, shipment_id):
    checks = client.get(f"{CHECKS}?resolved=false", headers=auth("postal")).json["checks"]
    return [c["kind"] for c in checks if c["shipment"]["id"] == shipment_id]


# --- 1. an event dated before its shipment was created ---------------------------------------------------------

def test_a_failure_dated_a_year_before_the_shipment_is_counted_from_its_creation_and_listed(client, auth, db,
                                                                                            test_settings):
    """A failed pickup reported for a date a year before the shipment was asked for took its retry date from
    that date: the shipment could be planned again at once, the retry gap skipped. It counts from the
    shipment's creation; the courier's own date stays on the event, and the report is listed for people."""
    shipment_id = make_booked_shipment(db, test_settings, "D-OLD-1")
    stated = now_utc() - A_YEAR
    r = webhook(client, test_settings, event(shipment_id, "OLD-4", 4, stated))
    assert r.status_code == 200 and r.json["outcome"] == "applied", r.json
    s = shipment(client, auth, shipment_id)
    assert s["status"] == "failed_attempt"
    assert s["next_attempt_date"] > business_date(now_utc()).isoformat()  # not plannable today
    with db() as session:
        created = session.get(Shipment, shipment_id).created_at
        row = session.execute(select(ShipmentEvent).where(ShipmentEvent.courier_event_id == "OLD-4")).scalar_one()
        assert row.occurred_at == stated  # the courier's own statement is kept
        assert row.data["effective_at"] == created.isoformat()
    assert listed_kinds(client, auth, shipment_id) == ["dated_before_shipment"]
    history = [e["event"] for e in s["events"]]
    assert "courier_conflict" in history  # on the shipment's own page too


def test_the_board_says_why_a_report_dated_before_its_shipment_is_listed(client, db, test_settings, staff_user):
    shipment_id = make_booked_shipment(db, test_settings, "D-OLD-3")
    webhook(client, test_settings, event(shipment_id, "OLD3-4", 4, now_utc() - A_YEAR))
    staff_user("buudien", ("postal",))
    log_in(client, "buudien")
    html = client.get("/staff/postal/").get_data(as_text=True)
    assert "OLD3-4" in html and "trước khi bưu gửi được tạo" in html
    assert "before the shipment was created" in client.get("/staff/postal/?lang=en").get_data(as_text=True)


def test_a_delivery_reported_at_a_fixed_past_time_is_still_applied(client, auth, db, test_settings):
    """Refusing or skipping such a report would lose a real delivery (a courier whose clock is wrong, a test
    giving a fixed time): it is applied."""
    shipment_id = make_booked_shipment(db, test_settings, "D-OLD-2", direction="delivery")
    at = now_utc() - A_YEAR
    assert webhook(client, test_settings, event(shipment_id, "OLD2-9", 9, at)).json["outcome"] == "applied"
    delivered = event(shipment_id, "OLD2-10", 10, at + timedelta(minutes=10), id_check=ID_CHECK)
    assert webhook(client, test_settings, delivered).json["outcome"] == "applied"
    s = shipment(client, auth, shipment_id)
    assert s["status"] == "delivered"
    assert s["j_date"] >= business_date(now_utc() - timedelta(days=1)).isoformat()  # not a year-old J


def test_cod_collected_dated_before_the_shipment_is_booked_no_earlier_than_its_creation(cod_app, auth, db):
    app, settings = cod_app
    client, shipment_id = cod_delivery(app, auth, db, settings, code="D-OLD-COD")
    at = now_utc() - timedelta(minutes=30)
    assert webhook(client, settings, event(shipment_id, "OC-9", 9, at)).json["outcome"] == "applied"
    webhook(client, settings, event(shipment_id, "OC-10", 10, at + timedelta(minutes=1), id_check=ID_CHECK))
    r = webhook(client, settings, event(shipment_id, "OC-21", 21, now_utc() - A_YEAR))
    assert r.status_code == 200 and r.json["outcome"] == "applied", r.json
    with db() as session:
        created = session.get(Shipment, shipment_id).created_at
        booked = session.execute(select(Payment.booked_at).where(Payment.provider == "vnpost_cod")).scalars().all()
    assert booked and all(b >= created for b in booked)
    assert "dated_before_shipment" in listed_kinds(client, auth, shipment_id)


# --- 2. a fee cancelled after the shipment was booked ------------------------------------------------------------

def _cancel_request(client, auth, code):
    return client.post(f"/api/v1/payment-requests/{code}/cancel", json={"reason": "Công dân rút hồ sơ"},
                       headers=auth("intake"))


def _dossier_request_code(db, dossier_code):
    from payments.models import Dossier
    from payments.service import current_request

    with db() as session:
        dossier = session.execute(select(Dossier).where(Dossier.code == dossier_code)).scalar_one()
        return current_request(session, dossier).payment_code


def test_cancelling_the_postage_request_of_a_booked_pickup_cancels_the_pickup_and_the_courier_order(
        client, auth, db, test_settings):
    """The postage request was cancelled and the pickup stayed booked: the postman still came for the
    dossier, for postage nobody was asked to pay any more."""
    from kernel.outbox import OutboxMessage

    shipment_id = make_booked_shipment(db, test_settings, "D-FEE-1")
    code = shipment(client, auth, shipment_id)["postage_payment_code"]
    r = _cancel_request(client, auth, code)
    assert r.status_code == 200 and r.json["status"] == "cancelled", r.json
    s = shipment(client, auth, shipment_id)
    assert s["status"] == "cancelled"
    with db() as session:
        cancels = session.execute(select(OutboxMessage.payload).where(OutboxMessage.topic == "courier.cancel")
                                  ).scalars().all()
    assert [c["shipment_id"] for c in cancels] == [shipment_id]


def test_cancelling_the_dossiers_fees_cancels_its_booked_delivery(client, auth, db, test_settings):
    """The dossier's registered fees cancelled (the dossier withdrawn: no shipment may be booked for it)
    left a delivery already booked on its way."""
    from tests.postal_factories import make_dossier, mark_booked, shipment_body

    make_dossier(db, test_settings, code="D-FEE-2")
    code = _dossier_request_code(db, "D-FEE-2")
    r = client.post("/api/v1/postal/shipments", json=shipment_body(dossier_code="D-FEE-2", direction="delivery"),
                    headers=auth("intake"))
    shipment_id = r.json["id"]
    mark_booked(db, shipment_id)
    assert _cancel_request(client, auth, code).status_code == 200
    assert shipment(client, auth, shipment_id)["status"] == "cancelled"


def test_fees_cancelled_while_the_result_is_out_list_the_shipment_for_staff(client, auth, db, test_settings,
                                                                            staff_user):
    """Out for delivery, the result is with the post: it cannot be called back by a cancellation; staff are
    told on the board and through the API, and the shipment goes on."""
    from tests.postal_factories import make_dossier, mark_booked, shipment_body

    make_dossier(db, test_settings, code="D-FEE-3")
    code = _dossier_request_code(db, "D-FEE-3")
    r = client.post("/api/v1/postal/shipments", json=shipment_body(dossier_code="D-FEE-3", direction="delivery"),
                    headers=auth("intake"))
    shipment_id = r.json["id"]
    mark_booked(db, shipment_id)
    assert webhook(client, test_settings, event(shipment_id, "FEE3-9", 9, now_utc())).json["outcome"] == "applied"
    assert _cancel_request(client, auth, code).status_code == 200
    assert shipment(client, auth, shipment_id)["status"] == "out_for_delivery"
    assert listed_kinds(client, auth, shipment_id) == ["fees_cancelled_with_courier"]
    staff_user("buudien", ("postal",))
    log_in(client, "buudien")
    html = client.get("/staff/postal/").get_data(as_text=True)
    assert f"Yêu cầu thanh toán {code} đã bị hủy khi bưu gửi đang ở bưu điện (trạng thái: Đang giao)" in html, html


# --- 4. a lost race on the courier webhook ------------------------------------------------------------------------

def test_a_courier_event_that_lost_a_race_is_kept_and_answered_503_with_retry_after(client, auth, db, test_settings,
                                                                                   monkeypatch):
    """A deadlock answered 409 concurrent_update: couriers do not send a 4xx again, so the delivery was lost
    for good. The raw event stays stored (`received`, with why) and the answer is 503 with Retry-After, so
    the courier sends it again and the repeat applies once."""
    from sqlalchemy.exc import OperationalError

    from kernel.inbox import InboundCallback
    from postal import tracking

    class Deadlock(Exception):
        sqlstate = "40P01"

    shipment_id = make_booked_shipment(db, test_settings, "D-RACE-1", direction="delivery")
    body = event(shipment_id, "RACE-9", 9, now_utc())
    real = tracking.apply_courier_event

    def deadlocked(*args, **kwargs):
        raise OperationalError("UPDATE shipments ...", {}, Deadlock())

    monkeypatch.setattr(tracking, "apply_courier_event", deadlocked)
    r = webhook(client, test_settings, body)
    assert (r.status_code, r.json["code"]) == (503, "concurrent_update"), r.json
    assert int(r.headers["Retry-After"]) > 0
    with db() as session:
        row = session.execute(select(InboundCallback).where(InboundCallback.provider == "courier")).scalar_one()
        assert row.status == "received" and "OperationalError" in row.reason
    monkeypatch.setattr(tracking, "apply_courier_event", real)
    again = webhook(client, test_settings, body)
    assert again.status_code == 200 and again.json["outcome"] == "applied"
    assert shipment(client, auth, shipment_id)["status"] == "out_for_delivery"


# --- 3. a failed delivery attempt on a delivery never taken out --------------------------------------------------

def test_staff_cannot_record_a_failed_attempt_on_a_delivery_never_taken_out(client, auth, db, test_settings):
    """A delivery still `booked` (the result never left the centre) took a failed attempt: a count towards
    its return to the agency, a retry date and an SMS to the citizen about a visit that never happened."""
    shipment_id = make_booked_shipment(db, test_settings, "D-NEVER-1", direction="delivery")
    r = client.post(f"/api/v1/postal/shipments/{shipment_id}/events", json={"event": "failed_attempt",
                                                                            "reason": "not_home"},
                    headers=auth("postal"))
    assert (r.status_code, r.json["code"]) == (409, "illegal_transition"), r.json
    assert r.json["details"] == {"from": "booked", "to": "failed_attempt"}
    s = shipment(client, auth, shipment_id)
    assert (s["status"], s["failed_attempts"]) == ("booked", 0)
    # once out, the same report is recorded
    assert client.post(f"/api/v1/postal/shipments/{shipment_id}/events", json={"event": "out_for_delivery"},
                       headers=auth("postal")).status_code == 200
    r = client.post(f"/api/v1/postal/shipments/{shipment_id}/events", json={"event": "failed_attempt",
                                                                            "reason": "not_home"},
                    headers=auth("postal"))
    assert r.status_code == 200 and r.json["status"] == "failed_attempt"


def test_a_courier_failure_for_a_delivery_never_taken_out_is_kept_not_applied_until_it_went_out(
        client, auth, db, test_settings):
    """The webhook stores the report and marks it not applied (the courier does not send it twice); its own
    "out for delivery", arriving late, makes it applicable and both are applied in the order they happened."""
    shipment_id = make_booked_shipment(db, test_settings, "D-NEVER-2", direction="delivery")
    at = now_utc() - timedelta(minutes=20)
    r = webhook(client, test_settings, event(shipment_id, "NV-11", 11, at + timedelta(minutes=5)))
    assert r.status_code == 200 and r.json["outcome"] == "recorded"
    s = shipment(client, auth, shipment_id)
    assert (s["status"], s["failed_attempts"]) == ("booked", 0)
    kept = [e for e in s["events"] if e["courier_event_id"] == "NV-11"]
    assert kept[0]["applied"] is False and kept[0]["data"]["not_applied"] == "booked -> failed_attempt is not allowed"
    assert webhook(client, test_settings, event(shipment_id, "NV-9", 9, at)).json["outcome"] == "applied"
    s = shipment(client, auth, shipment_id)
    assert (s["status"], s["failed_attempts"]) == ("failed_attempt", 1)


def test_a_pickup_may_still_fail_before_we_planned_it(client, auth, db, test_settings):
    """A pickup's postman may call on the citizen without our plan: a failure from `booked` stays legal."""
    shipment_id = make_booked_shipment(db, test_settings, "D-NEVER-3")
    r = client.post(f"/api/v1/postal/shipments/{shipment_id}/events", json={"event": "failed_attempt",
                                                                            "reason": "not_home"},
                    headers=auth("postal"))
    assert r.status_code == 200 and r.json["status"] == "failed_attempt"


def test_a_cancel_takes_the_dossiers_lock_before_its_requests(client, auth, test_settings, db, engine):
    """A cancelled request's shipment withdraws its postage under the dossier's lock (`postal.fees`): a cancel
    that locked its request first and the dossier after deadlocked with a renewal of the same dossier, which
    takes the dossier, then its requests. The cancel now waits for the dossier before touching the request."""
    import threading

    import pytest
    from sqlalchemy import select, text

    from kernel.clock import now_utc
    from kernel.db import unit_of_work
    from payments.models import Dossier, PaymentRequest
    from payments.service import cancel_payment_request
    from tests.factories import make_request
    from tests.locks import wait_until_blocked

    if engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite serialises every writer)")
    code = make_request(client, auth)
    outcomes: list = []

    def cancel():
        try:
            with unit_of_work(db) as session:
                outcomes.append(cancel_payment_request(session, code=code, reason="hủy", settings=test_settings,
                                                       actor="test", now=now_utc()).status)
        except Exception as exc:  # noqa: BLE001 - the test reports what the cancel raised
            outcomes.append(exc)

    with unit_of_work(db) as s:  # as a renewal does: the dossier first
        dossier_id = s.execute(select(PaymentRequest.dossier_id).where(PaymentRequest.payment_code == code)).scalar()
        s.execute(select(Dossier.id).where(Dossier.id == dossier_id).with_for_update())
        other = threading.Thread(target=cancel)
        other.start()
        wait_until_blocked(engine, other)
        # the request is still free: the renewal can take it (NOWAIT: an error if the cancel held it)
        s.execute(text("SELECT id FROM payment_requests WHERE payment_code = :c FOR UPDATE NOWAIT"), {"c": code})
    other.join(timeout=10)
    assert outcomes == ["cancelled"], outcomes
