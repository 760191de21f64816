"""Postal, fifth QA round, cash on delivery: the order collects every fee still owed (an expired
request's too), a collection larger than what was still owed is listed for people, the same event
id with another amount than the one credited is a conflict, and courier steps reported for a
cancelled shipment are listed for people."""
from datetime import timedelta

from sqlalchemy import select

from kernel.clock import now_utc
from kernel.db import unit_of_work
from kernel.inbox import InboundCallback
from kernel.outbox import OutboxMessage
from payments.models import PaymentRequest
from payments.service import dossier_fees_settled
from postal.models import ShipmentEvent
from tests.api import test_pages, test_postal_round3
from tests.api.test_postal_round3 import delivered_and_collected, event, requests_of, webhook
from tests.postal_factories import (ID_CHECK, make_booked_shipment, make_dossier, mark_booked, pay_everything,
                                    shipment_body)

cod_app = test_postal_round3.cod_app  # the fixture: an app booking deliveries cash on delivery
staff_user = test_pages.staff_user  # the fixture: a staff account for the pages


def booked_cod(db, shipment_id) -> int:
    with db() as s:
        payload = s.execute(select(OutboxMessage.payload).where(
            OutboxMessage.key == f"courier.book:shipment:{shipment_id}")).scalar_one()
    return payload["order"]["cod_amount_vnd"]


def listed_for_people(db, shipment_id) -> list[tuple[str, str | None, dict]]:
    with db() as s:
        return [(e.event, e.reason, e.data) for e in s.execute(select(ShipmentEvent).where(
            ShipmentEvent.shipment_id == shipment_id, ShipmentEvent.event.in_(("cod_check", "courier_conflict")))
            .order_by(ShipmentEvent.id)).scalars()]


def cod_delivery_of(app, auth, db, settings, code, *, created_at=None):
    """A COD delivery for a dossier owing its fee (8,000) registered at `created_at`, plus 22,000 postage."""
    client = app.test_client()
    make_dossier(db, settings, code=code, now=created_at)
    r = client.post("/api/v1/postal/shipments", json=shipment_body(dossier_code=code, direction="delivery"),
                    headers=auth("intake"))
    assert r.status_code == 201 and r.json["cod"] is True, r.json
    mark_booked(db, r.json["id"])
    return client, r.json["id"]


# --- 1. the order collects every fee still owed -------------------------------------------------

def test_a_cod_order_collects_a_fee_whose_request_expired_asked_for_again_and_held(cod_app, auth, db):
    app, settings = cod_app
    five_days_ago = now_utc() - timedelta(days=5)
    client, shipment_id = cod_delivery_of(app, auth, db, settings, "D-EXPIRED", created_at=five_days_ago)
    assert booked_cod(db, shipment_id) == 30000  # the 8,000 fee whose request expired, and the postage
    with db() as s:
        rows = [(r.status, r.amount_vnd, r.expires_at is None) for r in
                s.execute(select(PaymentRequest).order_by(PaymentRequest.id)).scalars()]
    # the expired request stays expired; a new one asks for the fee again and waits for the postman
    assert rows == [("expired", 8000, False), ("pending", 22000, True), ("pending", 8000, True)]
    assert delivered_and_collected(client, settings, shipment_id).json["outcome"] == "applied"
    assert requests_of(db) == [("expired", 8000, 0), ("paid", 22000, 22000), ("paid", 8000, 8000)]
    with db() as s:
        assert dossier_fees_settled(s, "D-EXPIRED")


def test_a_cod_order_of_a_dossier_with_nothing_lapsed_asks_for_nothing_new(cod_app, auth, db):
    app, settings = cod_app
    _, shipment_id = cod_delivery_of(app, auth, db, settings, "D-FRESH")
    assert booked_cod(db, shipment_id) == 30000
    assert [status for status, _, _ in requests_of(db)] == ["pending", "pending"]


# --- 2. a collection larger than what was still owed ------------------------------------------

def board_text(client, staff_user) -> str:
    from tests.api.test_pages import log_in

    staff_user("buudien5", ("postal",))
    log_in(client, "buudien5")
    r = client.get("/staff/postal/")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_a_collection_after_the_citizen_paid_online_is_credited_and_listed_for_people(cod_app, auth, db, staff_user):
    app, settings = cod_app
    client, shipment_id = cod_delivery_of(app, auth, db, settings, "D-PAID-ONLINE")
    pay_everything(db, settings, "D-PAID-ONLINE")  # meanwhile, online: the courier's order still says 30,000
    r = delivered_and_collected(client, settings, shipment_id)
    assert (r.status_code, r.json) == (200, {"received": True, "outcome": "applied"})
    # the money is real: credited (an overpayment, refunded the usual way), never silently
    assert requests_of(db) == [("paid", 8000, 8000), ("overpaid", 22000, 52000)]
    (event_name, reason, data), = listed_for_people(db, shipment_id)
    assert (event_name, reason) == ("cod_check", "cod_owed_less_than_booked")
    assert {k: data[k] for k in ("kind", "courier_event_id", "collected_vnd", "booked_vnd", "owed_vnd")} == {
        "kind": "cod_owed_less_than_booked", "courier_event_id": "V-21", "collected_vnd": 30000,
        "booked_vnd": 30000, "owed_vnd": 0}
    html = board_text(client, staff_user)
    assert "Bưu điện báo thu tiền COD 30.000 ₫ nhưng hồ sơ chỉ còn nợ 0 ₫" in html


def test_a_collection_of_what_was_left_after_a_part_paid_online_is_not_listed(cod_app, auth, db):
    app, settings = cod_app
    client, shipment_id = cod_delivery_of(app, auth, db, settings, "D-PART-ONLINE")
    with db() as s:
        fee_code = s.execute(select(PaymentRequest.payment_code).where(PaymentRequest.amount_vnd == 8000)).scalar_one()
    pay_one(db, settings, fee_code, 8000)
    # the post was told nothing, but the postman collected only the postage: nothing to look at
    assert delivered_and_collected(client, settings, shipment_id, cod_amount_vnd=22000).json["outcome"] == "applied"
    assert requests_of(db) == [("paid", 8000, 8000), ("paid", 22000, 22000)]
    assert [reason for _, reason, _ in listed_for_people(db, shipment_id)] == ["cod_amount_differs"]


def pay_one(db, settings, payment_code, amount_vnd):
    from payments.credits import IncomingCredit, record_credits
    from payments.ledger import Accounts

    now = now_utc()
    with unit_of_work(db) as s:
        record_credits(s, [IncomingCredit(
            provider="bank", provider_ref=f"PAY-{payment_code}", channel="vietqr_transfer", amount_vnd=amount_vnd,
            booked_at=now, clearing_account=Accounts.bank("970436", "0071001234567"), payment_code=payment_code)],
            settings=settings, actor="test", now=now)


# --- 3. the same event id with another amount than the one credited -----------------------------

def test_a_repeated_collection_report_naming_another_amount_than_the_one_credited_is_a_conflict(
        cod_app, auth, db, staff_user):
    app, settings = cod_app
    client, shipment_id = cod_delivery_of(app, auth, db, settings, "D-DUP-AMOUNT")
    assert delivered_and_collected(client, settings, shipment_id).json["outcome"] == "applied"  # 30,000 booked
    at = now_utc() - timedelta(minutes=19)
    same = webhook(client, settings, event(shipment_id, "V-21", 21, at, cod_amount_vnd=30000))
    assert (same.status_code, same.json["outcome"]) == (200, "duplicate")  # what was credited: the same report
    other = webhook(client, settings, event(shipment_id, "V-21", 21, at, cod_amount_vnd=5000))
    assert (other.status_code, other.json["code"]) == (409, "event_conflict")
    (name, _, data), = listed_for_people(db, shipment_id)
    assert (name, data["kind"], data["claimed"]["cod_amount_vnd"], data["recorded_cod_vnd"]) == (
        "courier_conflict", "cod_amount_changed", 5000, 30000)
    assert requests_of(db) == [("paid", 8000, 8000), ("paid", 22000, 22000)]  # nothing credited again
    with db() as s:
        statuses = s.execute(select(InboundCallback.status).where(InboundCallback.provider == "courier")
                             .order_by(InboundCallback.id)).scalars().all()
    assert statuses[-2:] == ["duplicate", "conflict"]
    assert "Bưu điện gửi lại thông báo V-21 với số tiền COD 5.000 ₫, khác số đã ghi nhận 30.000 ₫" in board_text(
        client, staff_user)


# --- 5. courier steps reported for a cancelled shipment -----------------------------------------

def cancel(client, auth, shipment_id):
    r = client.post(f"/api/v1/postal/shipments/{shipment_id}/cancel", json={"reason": "Công dân đổi ý"},
                    headers=auth("intake"))
    assert (r.status_code, r.json["status"]) == (200, "cancelled")


def test_a_pickup_the_courier_picked_up_before_staff_cancelled_it_is_listed_for_people(
        cod_app, auth, db, staff_user):
    app, settings = cod_app
    client = app.test_client()
    shipment_id = make_booked_shipment(db, settings, "D-CANCEL-RACE")
    cancel(client, auth, shipment_id)
    at = now_utc() - timedelta(minutes=5)  # before the cancellation
    picked_up = event(shipment_id, "P-5", 5, at, id_check=ID_CHECK)
    assert webhook(client, settings, picked_up).json["outcome"] == "recorded"  # nothing leaves cancelled
    assert webhook(client, settings, picked_up).json["outcome"] == "duplicate"
    assert webhook(client, settings, event(shipment_id, "P-7", 7, at + timedelta(minutes=1))).json["outcome"] == \
        "recorded"  # in transit: the same step again, listed once
    assert webhook(client, settings, event(shipment_id, "P-4", 4, at)).json["outcome"] == "recorded"  # a failure
    listed = listed_for_people(db, shipment_id)
    assert [(name, data["kind"], data["step"], data["claimed"]["event_id"]) for name, _, data in listed] == [
        ("courier_conflict", "step_after_cancellation", "picked_up", "P-5")]
    assert "Bưu điện báo “Đã nhận hồ sơ” (thông báo P-5) cho bưu gửi đã hủy" in board_text(client, staff_user)
    english = client.get("/staff/postal/?lang=en").get_data(as_text=True)
    assert "The post reports “Picked up” (notification P-5) for a cancelled shipment" in english
    # the dossier reaching the centre is another step the post really made: listed too
    webhook(client, settings, event(shipment_id, "P-10", 10, at + timedelta(minutes=2)))
    assert [data["step"] for _, _, data in listed_for_people(db, shipment_id)] == ["picked_up", "delivered"]


def test_a_cancelled_cod_delivery_reported_out_and_collected_is_listed_for_people_not_credited(cod_app, auth, db):
    app, settings = cod_app
    client, shipment_id = cod_delivery_of(app, auth, db, settings, "D-CANCEL-COD")
    cancel(client, auth, shipment_id)
    at = now_utc() - timedelta(minutes=5)
    assert webhook(client, settings, event(shipment_id, "O-9", 9, at)).json["outcome"] == "recorded"
    assert webhook(client, settings, event(shipment_id, "O-21", 21, at)).json["outcome"] == "recorded"
    listed = listed_for_people(db, shipment_id)
    assert [(name, reason if name == "cod_check" else data["kind"]) for name, reason, data in listed] == [
        ("courier_conflict", "step_after_cancellation"), ("cod_check", "cod_not_collectable")]
    assert (listed[1][2]["collected_vnd"], listed[1][2]["shipment_status"]) == (30000, "cancelled")
    assert [paid for _, _, paid in requests_of(db)] == [0, 0]  # not credited: the post is asked first


def test_cod_collected_reported_for_a_shipment_without_cod_and_no_amount_is_only_recorded(cod_app, auth, db):
    app, settings = cod_app
    client = app.test_client()
    shipment_id = make_booked_shipment(db, settings, "D-NOT-COD")  # a pickup: nothing to collect
    assert webhook(client, settings, event(shipment_id, "N-21", 21, now_utc())).json["outcome"] == "recorded"
    assert listed_for_people(db, shipment_id) == []
