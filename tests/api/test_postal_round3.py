"""Postal, third QA round: cash on delivery is credited and its requests wait for the postman;
courier events made applicable by a later one are applied; failed attempts reported in reverse
order both count; a window for a round that has left is refused; conflicting event ids."""
import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kernel.clock import now_utc
from kernel.db import unit_of_work
from kernel.errors import DomainError
from kernel.inbox import InboundCallback
from kernel.signing import HEADER, sign
from payments.ledger import Accounts, balance
from payments.models import Payment, PaymentRequest
from payments.receipts import Receipt
from payments.service import expire_due_requests
from postal.models import ShipmentEvent
from tests.conftest import applies_queued_callbacks
from tests.postal_factories import (ID_CHECK, backdate, make_booked_shipment, make_dossier, mark_booked, shipment_body,
                                    working_day)


def webhook(client, settings, body):
    raw = json.dumps(body).encode()
    signature = sign(settings.secret_values("HCCPAY_COURIER_WEBHOOK_SECRET"), raw, int(time.time()))
    return client.post("/api/v1/callbacks/courier", data=raw,
                       headers={HEADER: signature, "Content-Type": "application/json"})


def tracking(shipment_id):
    return f"EB0000{shipment_id:04d}VN"  # what mark_booked gives


def event(shipment_id, event_id, code, at, **extra):
    return {"event_id": event_id, "tracking_number": tracking(shipment_id), "status_code": code,
            "occurred_at": at.isoformat(), **extra}


def shipment(client, auth, shipment_id):
    return client.get(f"/api/v1/postal/shipments/{shipment_id}", headers=auth("postal")).json


def requests_of(db):
    with db() as s:
        return [(r.status, r.amount_vnd, r.paid_vnd) for r in
                s.execute(select(PaymentRequest).order_by(PaymentRequest.id)).scalars()]


# --- cash on delivery ---------------------------------------------------------------------------

@pytest.fixture
def cod_app(test_settings, db):
    from api import create_app
    settings = test_settings.with_overrides(postal_payment_mode="cod")
    app = create_app(settings)
    app.test_client_class = applies_queued_callbacks(FlaskClient)
    yield app, settings
    app.extensions["hccpay"].engine.dispose()


def cod_delivery(app, auth, db, settings, code="D-COD"):
    """A COD delivery of a dossier owing its fee (8,000) and the postage (22,000), booked and out."""
    client = app.test_client()
    make_dossier(db, settings, code=code)
    r = client.post("/api/v1/postal/shipments", json=shipment_body(dossier_code=code, direction="delivery"),
                    headers=auth("intake"))
    assert r.status_code == 201 and r.json["cod"] is True, r.json
    mark_booked(db, r.json["id"])
    return client, r.json["id"]


def delivered_and_collected(client, settings, shipment_id, **collected):
    at = now_utc() - timedelta(minutes=30)
    assert webhook(client, settings, event(shipment_id, "V-9", 9, at)).json["outcome"] == "applied"
    delivered = event(shipment_id, "V-10", 10, at + timedelta(minutes=10), id_check=ID_CHECK)
    assert webhook(client, settings, delivered).json["outcome"] == "applied"
    return webhook(client, settings, event(shipment_id, "V-21", 21, at + timedelta(minutes=11), **collected))


def test_cod_the_postman_collected_is_credited_to_each_request_against_the_posts_receivable(cod_app, auth, db):
    app, settings = cod_app
    client, shipment_id = cod_delivery(app, auth, db, settings)
    r = delivered_and_collected(client, settings, shipment_id)
    assert r.status_code == 200 and r.json["outcome"] == "applied"
    assert requests_of(db) == [("paid", 8000, 8000), ("paid", 22000, 22000)]
    with db() as s:
        payments = s.execute(select(Payment).order_by(Payment.id)).scalars().all()
        assert [(p.provider, p.provider_ref, p.channel, p.amount_vnd, p.clearing_account) for p in payments] == [
            ("vnpost_cod", f"V-21:{code}", "cod", amount, "cod:vnpost")
            for code, amount in s.execute(select(PaymentRequest.payment_code, PaymentRequest.amount_vnd)
                                          .order_by(PaymentRequest.id)).all()]
        assert balance(s, Accounts.cod("vnpost")) == 30000  # the post owes it to us until it remits it
        assert s.execute(select(func.count()).select_from(Receipt)).scalar_one() == 2
    collected = [e for e in shipment(client, auth, shipment_id)["events"] if e["event"] == "courier:21"]
    assert collected[0]["applied"] and collected[0]["data"]["cod"]["collected_vnd"] == 30000
    # the same event again (webhook retry, then a poll) counts once
    again = webhook(client, settings, event(shipment_id, "V-21", 21, now_utc() - timedelta(minutes=19)))
    assert again.json["outcome"] == "duplicate"
    with db() as s:
        assert s.execute(select(func.count()).select_from(Payment)).scalar_one() == 2


@pytest.mark.parametrize("collected, expected", [
    (35000, [("paid", 8000, 8000), ("overpaid", 22000, 27000)]),
    (20000, [("paid", 8000, 8000), ("partially_paid", 22000, 12000)]),
])
def test_cod_an_amount_other_than_what_was_due_is_credited_as_collected(cod_app, auth, db, collected, expected):
    app, settings = cod_app
    client, shipment_id = cod_delivery(app, auth, db, settings)
    assert delivered_and_collected(client, settings, shipment_id, cod_amount_vnd=collected).json["outcome"] == "applied"
    assert requests_of(db) == expected
    with db() as s:
        assert balance(s, Accounts.cod("vnpost")) == collected


def test_cod_nothing_collected_gives_the_requests_a_deadline_again(cod_app, auth, db):
    app, settings = cod_app
    client, shipment_id = cod_delivery(app, auth, db, settings)
    assert delivered_and_collected(client, settings, shipment_id, cod_amount_vnd=0).json["outcome"] == "applied"
    with db() as s:
        assert [(r.status, r.expires_at is not None) for r in s.execute(
            select(PaymentRequest).order_by(PaymentRequest.id)).scalars()] == [("pending", True), ("pending", True)]


def test_cod_collected_for_a_result_sent_back_to_the_agency_is_recorded_not_credited(cod_app, auth, db):
    app, settings = cod_app
    client, shipment_id = cod_delivery(app, auth, db, settings)
    backdate(db, shipment_id, now_utc() - timedelta(days=8))  # a history from a week back
    webhook(client, settings, event(shipment_id, "O-9", 9, now_utc() - timedelta(days=7, hours=1)))  # out first
    webhook(client, settings, event(shipment_id, "F-1", 11, now_utc() - timedelta(days=7)))
    webhook(client, settings, event(shipment_id, "F-2", 11, now_utc() - timedelta(hours=1)))
    assert shipment(client, auth, shipment_id)["status"] == "returned_to_agency"
    r = webhook(client, settings, event(shipment_id, "V-21", 21, now_utc()))
    assert r.status_code == 200 and r.json["outcome"] == "recorded"
    assert [paid for _, _, paid in requests_of(db)] == [0, 0]


def test_cod_collected_for_a_prepaid_delivery_is_recorded_not_credited(client, auth, db, test_settings):
    shipment_id = make_booked_shipment(db, test_settings, "D-PRE-21", direction="delivery")
    before = requests_of(db)
    r = webhook(client, test_settings, event(shipment_id, "P-21", 21, now_utc(), cod_amount_vnd=50_000))
    assert r.status_code == 200 and r.json["outcome"] == "recorded"
    assert requests_of(db) == before


def test_cod_a_malformed_collected_amount_is_a_malformed_event(cod_app, auth, db):
    app, settings = cod_app
    client, shipment_id = cod_delivery(app, auth, db, settings)
    for bad in (-1, "30.000", "-1", 30000.0, True):  # "30000" is read (round 13: couriers write numbers as text)
        r = webhook(client, settings, event(shipment_id, "V-21", 21, now_utc(), cod_amount_vnd=bad))
        assert (r.status_code, r.json["code"], r.json["details"]) == (400, "malformed_event",
                                                                      {"field": "cod_amount_vnd"})


def manifest_fees(client, auth, day):
    r = client.get(f"/api/v1/postal/manifests/{day}.csv", headers=auth("postal"))
    return int(r.data.decode().splitlines()[1].split(",")[-2])


def test_cod_collection_reported_days_after_the_delivery_is_still_credited_to_the_requests(cod_app, auth, db):
    app, settings = cod_app
    client, shipment_id = cod_delivery(app, auth, db, settings)
    at = now_utc() - timedelta(minutes=30)
    webhook(client, settings, event(shipment_id, "V-9", 9, at))
    webhook(client, settings, event(shipment_id, "V-10", 10, at + timedelta(minutes=10), id_check=ID_CHECK))
    with unit_of_work(db) as s:  # the request TTL passes before the post reports the money
        assert expire_due_requests(s, settings=settings, now=now_utc() + timedelta(hours=73)) == 0
    assert webhook(client, settings, event(shipment_id, "V-21", 21, at + timedelta(minutes=11),
                                           cod_amount_vnd=20_000)).json["outcome"] == "applied"
    assert requests_of(db) == [("paid", 8000, 8000), ("partially_paid", 22000, 12000)]
    with db() as s:  # what is still owed may be paid at the counter or online, within a fresh TTL
        assert s.execute(select(PaymentRequest.expires_at).where(
            PaymentRequest.status == "partially_paid")).scalar_one() is not None


def test_a_request_part_paid_before_the_cod_booking_is_not_offered_online_either(cod_app, auth, db):
    """The order collects what every open request still owes, a part-paid one's rest included: that rest
    is not offered online while the postman is out, and gets a fresh TTL when the shipment ends."""
    from payments.credits import IncomingCredit, record_credits

    app, settings = cod_app
    client = app.test_client()
    make_dossier(db, settings, code="D-PART")
    with unit_of_work(db) as s:
        first = s.execute(select(PaymentRequest).order_by(PaymentRequest.id)).scalars().first()
        record_credits(s, [IncomingCredit(
            provider="bank", provider_ref="PART-1", channel="vietqr_transfer", amount_vnd=first.amount_vnd // 2,
            booked_at=now_utc(), clearing_account=Accounts.bank("970436", "0071001234567"),
            payment_code=first.payment_code)], settings=settings, actor="test", now=now_utc())
        code = first.payment_code
    assert client.get(f"/api/v1/payment-requests/{code}").json["vietqr"] is not None
    r = client.post("/api/v1/postal/shipments", json=shipment_body(dossier_code="D-PART", direction="delivery"),
                    headers=auth("intake"))
    assert r.status_code == 201 and r.json["cod"] is True
    held = client.get(f"/api/v1/payment-requests/{code}").json
    assert (held["status"], held["collected_on_delivery"], held["vietqr"]) == ("partially_paid", True, None)
    shipment_id = r.json["id"]
    mark_booked(db, shipment_id)
    backdate(db, shipment_id, now_utc() - timedelta(days=8))  # a history from a week back
    webhook(client, settings, event(shipment_id, "O-9", 9, now_utc() - timedelta(days=7, hours=1)))  # out first
    webhook(client, settings, event(shipment_id, "F-1", 11, now_utc() - timedelta(days=7)))
    webhook(client, settings, event(shipment_id, "F-2", 11, now_utc() - timedelta(hours=1)))
    released = client.get(f"/api/v1/payment-requests/{code}").json
    assert released["collected_on_delivery"] is False and released["vietqr"] is not None
    assert released["expires_at"] is not None


def test_cod_requests_wait_for_the_postman_and_get_a_fresh_ttl_when_the_shipment_ends(cod_app, auth, db):
    app, settings = cod_app
    client, shipment_id = cod_delivery(app, auth, db, settings)
    client.post("/api/v1/postal/routes", json={"code": "R1", "name": "Tuyến 1", "ward_codes": ["06685"],
                                               "capacity": {"morning": 5, "afternoon": 5}}, headers=auth("postal"))
    day = working_day(1)
    client.post(f"/api/v1/postal/plan?date={day}", headers=auth("postal"))
    assert manifest_fees(client, auth, day) == 30000
    with unit_of_work(db) as s:  # the request TTL (72 h) passes while the post is on its way
        assert expire_due_requests(s, settings=settings, now=now_utc() + timedelta(hours=73)) == 0
    assert manifest_fees(client, auth, day) == 30000 and [r[0] for r in requests_of(db)] == ["pending", "pending"]
    with db() as s:  # no deadline while the post is out, rather than a made-up one
        codes = s.execute(select(PaymentRequest.payment_code).order_by(PaymentRequest.id)).scalars().all()
    held = client.get(f"/api/v1/payment-requests/{codes[0]}").json
    assert held["expires_at"] is None and held["collected_on_delivery"] is True
    # The post does not learn of money paid elsewhere: nothing online is offered while the postman collects.
    assert held["vietqr"] is None and held["qr_png_url"] is None
    page = client.get(f"/pay/{codes[0]}").get_data(as_text=True)
    assert "do nhân viên bưu điện thu khi giao kết quả" in page and 'id="on-delivery" hidden' not in page
    assert 'id="pay-section"' not in page and 'id="checkout"' not in page and "2100" not in page
    assert "do nhân viên bưu điện thu" in client.get(f"/pay/{codes[0]}/print").get_data(as_text=True)
    for refused in (client.get(f"/api/v1/payment-requests/{codes[0]}/qr.png"),
                    client.post(f"/api/v1/payment-requests/{codes[0]}/checkout"),
                    client.post("/api/v1/payments/cash", json={"payment_code": codes[0], "amount_vnd": 8000},
                                headers=auth("cashier"))):
        assert (refused.status_code, refused.json["code"]) == (409, "collected_on_delivery")
    # two failed attempts: the result goes back to the agency; the citizen may pay there, within a new TTL
    start = now_utc() - timedelta(days=7)
    backdate(db, shipment_id, start - timedelta(days=1))  # a history from a week back
    webhook(client, settings, event(shipment_id, "O-9", 9, now_utc() - timedelta(days=7, hours=1)))  # out first
    webhook(client, settings, event(shipment_id, "F-1", 11, start))
    webhook(client, settings, event(shipment_id, "F-2", 11, now_utc() - timedelta(hours=1)))
    assert shipment(client, auth, shipment_id)["status"] == "returned_to_agency"
    released = client.get(f"/api/v1/payment-requests/{codes[0]}").json
    assert released["collected_on_delivery"] is False and released["vietqr"] is not None
    assert 'id="pay-section"' in client.get(f"/pay/{codes[0]}").get_data(as_text=True)
    with unit_of_work(db) as s:
        assert expire_due_requests(s, settings=settings, now=now_utc() + timedelta(hours=71)) == 0
        assert expire_due_requests(s, settings=settings, now=now_utc() + timedelta(hours=73)) == 2


# --- courier events: applied once applicable, failures in reverse order, conflicts ---------------

def test_a_centre_delivery_reported_before_the_pickup_is_applied_once_the_pickup_arrives(client, auth, db,
                                                                                        test_settings):
    shipment_id = make_booked_shipment(db, test_settings, "D-P")
    now = now_utc()
    at_centre = event(shipment_id, "P-10", 10, now - timedelta(hours=1))
    picked = event(shipment_id, "P-5", 5, now - timedelta(hours=2), id_check=ID_CHECK)
    assert webhook(client, test_settings, at_centre).json["outcome"] == "recorded"
    assert webhook(client, test_settings, picked).json["outcome"] == "applied"
    s = shipment(client, auth, shipment_id)
    assert s["status"] == "delivered"
    assert [(e["event"], e["applied"]) for e in s["events"]] == [
        ("requested", True), ("courier:10", True), ("courier:5", True)]


def test_two_failed_attempts_reported_in_reverse_order_both_count(client, auth, db, test_settings):
    shipment_id = make_booked_shipment(db, test_settings, "D-F", direction="delivery")
    now = now_utc()
    webhook(client, test_settings, event(shipment_id, "O-9", 9, now - timedelta(hours=2)))  # out first
    assert webhook(client, test_settings, event(shipment_id, "F-2", 12, now - timedelta(hours=1))).status_code == 200
    r = webhook(client, test_settings, event(shipment_id, "F-1", 11, now - timedelta(days=7)))
    assert r.json["outcome"] == "applied"
    s = shipment(client, auth, shipment_id)
    assert (s["status"], s["failed_attempts"], s["next_attempt_date"]) == ("returned_to_agency", 2, None)


def test_one_attempt_reported_twice_in_reverse_order_counts_once(client, auth, db, test_settings):
    shipment_id = make_booked_shipment(db, test_settings, "D-F", direction="delivery")
    now = now_utc()
    webhook(client, test_settings, event(shipment_id, "O-9", 9, now - timedelta(minutes=30)))  # out first
    webhook(client, test_settings, event(shipment_id, "F-2", 13, now - timedelta(minutes=10)))
    r = webhook(client, test_settings, event(shipment_id, "F-1", 11, now - timedelta(minutes=20)))
    assert r.json["outcome"] == "recorded"
    s = shipment(client, auth, shipment_id)
    assert (s["status"], s["failed_attempts"]) == ("failed_attempt", 1)
    assert s["events"][-1]["data"]["not_applied"].startswith("the same attempt")


def test_a_late_failure_while_the_result_is_out_again_counts_without_moving_it_back(client, auth, db,
                                                                                     test_settings):
    shipment_id = make_booked_shipment(db, test_settings, "D-F", direction="delivery")
    now = now_utc()
    webhook(client, test_settings, event(shipment_id, "O-9", 9, now - timedelta(hours=1)))
    r = webhook(client, test_settings, event(shipment_id, "F-1", 11, now - timedelta(days=7)))
    assert r.json["outcome"] == "applied"
    s = shipment(client, auth, shipment_id)
    assert (s["status"], s["failed_attempts"]) == ("out_for_delivery", 1)
    webhook(client, test_settings, event(shipment_id, "F-2", 11, now - timedelta(minutes=5)))
    assert shipment(client, auth, shipment_id)["status"] == "returned_to_agency"


def test_the_same_event_id_with_another_status_is_a_conflict_kept_once(client, auth, db, test_settings):
    shipment_id = make_booked_shipment(db, test_settings, "D-C", direction="delivery")
    first = event(shipment_id, "E-1", 9, now_utc())
    assert webhook(client, test_settings, first).json["outcome"] == "applied"
    for _ in range(2):
        r = webhook(client, test_settings, {**first, "status_code": 10, "id_check": ID_CHECK})
        assert (r.status_code, r.json["code"]) == (409, "event_conflict")
    s = shipment(client, auth, shipment_id)
    assert s["status"] == "out_for_delivery"
    assert [e["event"] for e in s["events"]].count("courier_conflict") == 1
    with db() as session:
        statuses = session.execute(select(InboundCallback.status).where(InboundCallback.provider == "courier")
                                   .order_by(InboundCallback.id)).scalars().all()
        assert statuses == ["applied", "conflict", "conflict"]
        assert session.execute(select(func.count()).select_from(ShipmentEvent)
                               .where(ShipmentEvent.courier_event_id == "E-1")).scalar_one() == 1


def test_a_malformed_id_check_in_a_courier_event_is_a_malformed_event(client, auth, db, test_settings):
    shipment_id = make_booked_shipment(db, test_settings, "D-M", direction="delivery")
    r = webhook(client, test_settings, event(shipment_id, "E-1", 10, now_utc(), id_check="x"))
    assert (r.status_code, r.json["code"], r.json["details"]["field"][:8]) == (400, "malformed_event", "id_check")
    # (Round 12) an ID check of the contract's shape that proves nothing (a 2-digit number) is what the postman
    # saw at the door: kept, not applied, listed (tests/api/test_postal_round12.py)
    r = webhook(client, test_settings, event(shipment_id, "E-2", 10, now_utc(), id_check={
        "document_type": "cccd", "number": "12", "holder_name": "A"}))
    assert (r.status_code, r.json["outcome"]) == (200, "recorded")


# --- a window for a round that has already left ---------------------------------------------------

HANOI = timezone(timedelta(hours=7))


@pytest.mark.parametrize("local, slot, refused", [
    ("07:29", "morning", False), ("07:30", "morning", True), ("17:05", "morning", True),
    ("13:29", "afternoon", False), ("13:30", "afternoon", True),
])
def test_a_window_for_todays_round_that_has_left_is_refused(local, slot, refused):
    """Without a cut-off (round 13 added one, 2 h by default: tests/unit/test_postal_round13.py), a window is
    taken until its round leaves."""
    from functools import partial

    from postal.validation import parse_window
    parse_window = partial(parse_window, cutoff=timedelta(0))
    now = datetime.fromisoformat(f"2026-11-26T{local}:00").replace(tzinfo=HANOI)  # a Thursday
    today = {"date": "2026-11-26", "slot": slot}
    if refused:
        with pytest.raises(DomainError) as caught:
            parse_window(today, now=now, holidays=())
        assert (caught.value.status, caught.value.code) == (422, "slot_passed")
        assert caught.value.details["field"] == "window.slot"
    else:
        assert parse_window(today, now=now, holidays=()) == (now.date(), slot)
    assert parse_window({"date": "2026-11-27", "slot": slot}, now=now, holidays=())[1] == slot  # tomorrow: fine


def test_cod_money_is_booked_no_later_than_the_couriers_report_of_it_arrived(cod_app, auth, db):
    app, settings = cod_app
    client, shipment_id = cod_delivery(app, auth, db, settings)
    at = now_utc() - timedelta(minutes=30)
    assert webhook(client, settings, event(shipment_id, "V-9", 9, at)).json["outcome"] == "applied"
    delivered = event(shipment_id, "V-10", 10, at + timedelta(minutes=10), id_check=ID_CHECK)
    assert webhook(client, settings, delivered).json["outcome"] == "applied"
    claimed = now_utc() + timedelta(minutes=8)  # the courier's clock runs ahead (within the signature's window)
    assert webhook(client, settings, event(shipment_id, "V-21", 21, claimed)).json["outcome"] == "applied"
    with db() as s:
        arrived = s.execute(select(InboundCallback.received_at).order_by(InboundCallback.id.desc())).scalar()
        payments = s.execute(select(Payment)).scalars().all()
    assert len(payments) == 2 and all(p.booked_at <= arrived for p in payments)
    assert all(p.details["claimed_booked_at"][:16] == claimed.isoformat()[:16] for p in payments)
